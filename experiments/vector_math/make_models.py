"""ONNX models whose time goes into transcendental functions, exported by torch.onnx.export
(opset 17, batch 1, random weights): the issue's 3-node repro (a 3x3 convolution, then
y * sigmoid(y), i.e. SiLU), a tanh after a convolution, and torchvision's EfficientNet-B0
(SiLU everywhere, sigmoid in squeeze-excite) and MobileNetV3-Small (hard-swish) for scale.

    python make_models.py OUT_DIR
"""
import sys

import torch
import torchvision


class ConvThen(torch.nn.Module):
    def __init__(self, activation):
        super().__init__()
        self.conv = torch.nn.Conv2d(64, 64, 3, padding=1)
        self.activation = activation

    def forward(self, x):
        y = self.conv(x)
        return self.activation(y)


def main(out):
    torch.manual_seed(0)
    models = {
        "conv_silu": (ConvThen(lambda y: y * torch.sigmoid(y)), (1, 64, 56, 56)),
        "conv_tanh": (ConvThen(torch.tanh), (1, 64, 56, 56)),
        "efficientnet_b0": (torchvision.models.efficientnet_b0(), (1, 3, 224, 224)),
        "mobilenet_v3_small": (torchvision.models.mobilenet_v3_small(), (1, 3, 224, 224)),
    }
    for name, (model, shape) in models.items():
        model.eval()
        torch.onnx.export(model, torch.randn(*shape), f"{out}/{name}.onnx", opset_version=17,
                          input_names=["x"], output_names=["y"], dynamo=False)
        print(f"{out}/{name}.onnx")


if __name__ == "__main__":
    main(sys.argv[1])
