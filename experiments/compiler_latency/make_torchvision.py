"""Writes torchvision's classification models as ONNX files, the way a user would export
them: torch.onnx.export, opset 17, static batch 1, seeded random weights, eval mode.

    python make_torchvision.py OUT_DIR [NAME ...]   # writes OUT_DIR/tv_<name>.onnx
    python make_torchvision.py --list               # the names, one per line

TORCHVISION is the one list of the study's torchvision models, with each one's input size.
"""
import sys

# name (torchvision.models.<name>), input height and width
TORCHVISION = [
    ("resnet18", 224), ("resnet50", 224), ("resnext50_32x4d", 224),
    ("mobilenet_v2", 224), ("mobilenet_v3_small", 224), ("mobilenet_v3_large", 224),
    ("mnasnet1_0", 224), ("efficientnet_b0", 224), ("efficientnet_b1", 240),
    ("regnet_x_400mf", 224), ("regnet_y_400mf", 224), ("shufflenet_v2_x1_0", 224),
    ("squeezenet1_1", 224), ("googlenet", 224), ("inception_v3", 299),
    ("densenet121", 224), ("convnext_tiny", 224), ("alexnet", 224), ("vgg11", 224),
]


def export(out, name, size):
    import torch
    import torchvision

    torch.manual_seed(0)
    kwargs = {"aux_logits": False, "init_weights": True} if name in ("googlenet", "inception_v3") else {}
    model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    torch.onnx.export(model, torch.randn(1, 3, size, size), f"{out}/tv_{name}.onnx",
                      opset_version=17, input_names=["x"], output_names=["y"], dynamo=False)


def main(argv):
    if argv == ["--list"]:
        print("\n".join(name for name, _ in TORCHVISION))
        return
    out, names = argv[0], argv[1:]
    for name, size in TORCHVISION:
        if not names or name in names:
            export(out, name, size)
            print(f"{out}/tv_{name}.onnx")


if __name__ == "__main__":
    main(sys.argv[1:])
