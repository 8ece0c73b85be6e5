"""Writes the study's PyTorch-made ONNX models (opset 17, static batch 1, seeded random
weights): ResNet-18 and MobileNetV2 at 224x224, written out here layer by layer as
torchvision defines them (so the study needs no torchvision), and single convolution layers.

    python make_models.py OUT_DIR          # writes OUT_DIR/<name>.onnx and OUT_DIR/models.json
    python make_models.py --list-layers    # one line per layer: name c k h w kernel stride pad groups

LAYERS is the one list of single layers; run.sh reads it through --list-layers (oneDNN
times the same shapes) and summarize.py through models.json (FLOPs).
"""
import json
import os
import sys

# name, in channels, out channels, height, width, kernel, stride, pad, groups
LAYERS = [
    ("conv3x3_64_56", 64, 64, 56, 56, 3, 1, 1, 1),
    ("conv1x1_64_56", 64, 64, 56, 56, 1, 1, 0, 1),
    ("conv3x3_128_14", 128, 128, 14, 14, 3, 1, 1, 1),
    ("conv1x1_128_14", 128, 128, 14, 14, 1, 1, 0, 1),
    ("dwconv3x3_128_56", 128, 128, 56, 56, 3, 1, 1, 128),
]

# The parameter counts torchvision's resnet18() and mobilenet_v2() report: a check that the
# hand-written networks below are the same networks.
TORCHVISION_PARAMETERS = {"resnet18": 11689512, "mobilenetv2": 3504872}


def conv_flops(c, k, h, w, kernel, stride, pad, groups):
    """Multiply-adds counted as 2 FLOPs; the bias is not counted."""
    oh = (h + 2 * pad - kernel) // stride + 1
    ow = (w + 2 * pad - kernel) // stride + 1
    return 2 * k * (c // groups) * kernel * kernel * oh * ow


def build_networks():
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return torch.relu(y + (x if self.downsample is None else self.downsample(x)))

    class ResNet18(nn.Module):
        def __init__(self, classes=1000):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                      nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
            blocks, cin = [], 64
            for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
                blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
                cin = cout
            self.blocks = nn.Sequential(*blocks)
            self.fc = nn.Linear(512, classes)

        def forward(self, x):
            x = self.blocks(self.stem(x))
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))

    def conv_bn_relu6(cin, cout, kernel, stride, groups=1):
        return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
                nn.BatchNorm2d(cout), nn.ReLU6(inplace=True)]

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, expand):
            super().__init__()
            hidden = cin * expand
            layers = conv_bn_relu6(cin, hidden, 1, 1) if expand != 1 else []
            layers += conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden)
            layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    class MobileNetV2(nn.Module):
        def __init__(self, classes=1000):
            super().__init__()
            layers, cin = conv_bn_relu6(3, 32, 3, 2), 32
            # expand ratio t, channels c, repeats n, first stride s (torchvision's table)
            for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                               (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
                for i in range(n):
                    layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                    cin = c
            layers += conv_bn_relu6(cin, 1280, 1, 1)
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes))

        def forward(self, x):
            x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
            return self.classifier(torch.flatten(x, 1))

    return {"resnet18": ResNet18, "mobilenetv2": MobileNetV2}


def randomize_batch_norm(model, generator):
    """Untrained statistics are 0 and 1, which would make BatchNormalization an identity
    that a compiler could fold away trivially; draw them instead."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
            m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.data.copy_(0.1 * torch.randn(n, generator=generator))


def export(model, shape, path):
    import torch
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, torch.randn(*shape), path, opset_version=17,
                          input_names=["input"], output_names=["output"], dynamo=False)


def main(out):
    import onnx
    import torch
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    manifest = {"torch": torch.__version__, "onnx": onnx.__version__, "opset": 17, "models": {}}
    for name, network in build_networks().items():
        model = network()
        parameters = sum(p.numel() for p in model.parameters())
        if parameters != TORCHVISION_PARAMETERS[name]:
            sys.exit(f"{name}: {parameters} parameters, torchvision's has "
                     f"{TORCHVISION_PARAMETERS[name]}")
        with torch.no_grad():
            randomize_batch_norm(model, generator)
        export(model, (1, 3, 224, 224), os.path.join(out, f"{name}.onnx"))
        manifest["models"][name] = {"input": [1, 3, 224, 224], "parameters": parameters}
    for name, c, k, h, w, kernel, stride, pad, groups in LAYERS:
        layer = torch.nn.Conv2d(c, k, kernel, stride, pad, groups=groups, bias=True)
        export(layer, (1, c, h, w), os.path.join(out, f"{name}.onnx"))
        manifest["models"][name] = {
            "input": [1, c, h, w], "layer": dict(c=c, k=k, h=h, w=w, kernel=kernel, stride=stride,
                                                 pad=pad, groups=groups),
            "flops": conv_flops(c, k, h, w, kernel, stride, pad, groups)}
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    if sys.argv[1:] == ["--list-layers"]:
        for layer in LAYERS:
            print(*layer)
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit(__doc__)
