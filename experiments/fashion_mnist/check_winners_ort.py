"""Runs exported winners in ONNX Runtime on the raw Fashion-MNIST test images (pixel / 255,
as winners.json states) and prints each one's accuracy beside the one nas reported.
An outside check of the export: nothing of nas is used but its files.

    python check_winners_ort.py EXPERIMENT/winners [--data /usr/share/datasets/fashion-mnist]

Needs numpy and onnxruntime (e.g. experiments/compiler_latency/requirements.txt). Exits 1
when a winner's accuracy differs from the reported one.
"""
import argparse
import gzip
import json
import sys

import numpy as np
import onnxruntime as ort


def idx(path, offset):
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=offset)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("winners")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    images = idx(f"{a.data}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    labels = idx(f"{a.data}/t10k-labels-idx1-ubyte.gz", 8)
    pixels = images.astype(np.float32) / 255.0
    listing = json.load(open(f"{a.winners}/winners.json"))
    ok = True
    for w in listing["winners"]:
        if not w["file"]:
            continue
        session = ort.InferenceSession(f"{a.winners}/{w['file']}",
                                       providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        predicted = np.array([session.run(None, {name: pixels[i:i + 1]})[0].argmax()
                              for i in range(len(pixels))])
        accuracy = float((predicted == labels).mean())
        ok &= abs(accuracy - w["test_accuracy"]) < 1e-9
        print(f"{w['file']}: onnxruntime {ort.__version__} accuracy {accuracy:.4f}, "
              f"reported {w['test_accuracy']:.4f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
