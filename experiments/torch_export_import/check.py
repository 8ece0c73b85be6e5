"""Outside check: models exported by torch.onnx.export (MobileNetV2-style inverted residual
with ReLU6, HardSwish, depthwise conv, squeeze-excite, max/avg pooling, x.view(batch, -1)
shape arithmetic, softmax) at opsets 11, 13 and 17, with a static and a dynamic batch, run
through `nas run` and compared with PyTorch's output.

Usage (from an empty folder): python check.py PATH/TO/nas   (needs torch and onnx)
"""
import torch, torch.nn as nn, numpy as np, subprocess, sys
torch.manual_seed(0)
class Block(nn.Module):  # MobileNetV2 inverted residual
    def __init__(s, c, e):
        super().__init__()
        s.f = nn.Sequential(nn.Conv2d(c, c*e, 1, bias=False), nn.BatchNorm2d(c*e), nn.ReLU6(),
                            nn.Conv2d(c*e, c*e, 3, 1, 1, groups=c*e, bias=False), nn.BatchNorm2d(c*e), nn.Hardswish(),
                            nn.Conv2d(c*e, c, 1, bias=False), nn.BatchNorm2d(c))
    def forward(s, x): return x + s.f(x)
class SE(nn.Module):
    def __init__(s, c):
        super().__init__(); s.fc1 = nn.Conv2d(c, c//4, 1); s.fc2 = nn.Conv2d(c//4, c, 1)
    def forward(s, x): return x * torch.sigmoid(s.fc2(torch.relu(s.fc1(x.mean((2,3), keepdim=True)))))
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU())
        s.pool = nn.MaxPool2d(3, 2, 1)
        s.b = Block(16, 4); s.se = SE(16)
        s.avg = nn.AvgPool2d(2)
        s.fc = nn.Linear(16*4*4, 10)
    def forward(s, x):
        x = s.se(s.b(s.pool(s.stem(x))))
        x = s.avg(x)
        x = x.view(x.size(0), -1)   # torch's shape arithmetic
        return torch.softmax(s.fc(x), dim=1)
m = Net().eval()
for mod in m.modules():
    if isinstance(mod, nn.BatchNorm2d):
        mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 1.5); mod.weight.data.uniform_(0.5,1.5)
x = torch.randn(1, 3, 32, 32)
np.save("x.npy", x.numpy())
ref = m(x).detach().numpy()
for opset in (11, 13, 17):
    for dyn in (False, True):
        f = f"m{opset}{'d' if dyn else ''}.onnx"
        torch.onnx.export(m, x, f, opset_version=opset, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}} if dyn else None)
        r = subprocess.run([sys.argv[1], "run", f, "--input", "x.npy", "--output", "y.npy"], capture_output=True, text=True)
        if r.returncode: print(f, "FAIL", r.stderr.strip()); continue
        print(f, "max abs err", np.abs(np.load("y.npy") - ref).max())
