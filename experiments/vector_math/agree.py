"""Whether `nas run` agrees with ONNX Runtime on a model: seeded normal input, the largest
absolute difference relative to the output's scale (its largest magnitude).

    python agree.py NAS MODEL.onnx
"""
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort


def main(nas, model):
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(0).standard_normal(inp.shape).astype(np.float32)
    expected = sess.run(None, {inp.name: x})[0]
    with tempfile.TemporaryDirectory() as tmp:
        np.save(f"{tmp}/x.npy", x)
        subprocess.run([nas, "run", model, "-i", f"{tmp}/x.npy", "-o", f"{tmp}/y.npy"],
                       check=True, stdout=subprocess.DEVNULL)
        actual = np.load(f"{tmp}/y.npy")
    error = float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))
    print(f"{model}: max abs error / output scale {error:.2e}")
    return error


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1], sys.argv[2]) <= 1e-4 else 1)
