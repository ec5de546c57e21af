#!/usr/bin/python3
"""Writes tests/tools/data/gap_cls_dyn.onnx, a tiny classifier whose input H and W are dynamic
(x: N x 3 x H x W -> logits: N x 3), for tests/tools/test_cli_dynamic.sh: two 3x3 convolutions,
a global average pool and a linear layer. The weights are small random ones plus an identity
path (channel k's centre taps 1, logit k reads channel k), so the argmax is the image's dominant
colour channel: the test's accuracies follow from the images' tints by hand. The output is
committed (exported with PyTorch 1.13, opset 13); rerun only when changing the model:
    /usr/bin/python3 make_gap_cls_dyn.py [OUTDIR]"""
import os
import sys

import torch
import torch.nn as nn

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
os.makedirs(out, exist_ok=True)
torch.manual_seed(3)
m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                  nn.Conv2d(8, 8, 3, padding=1, stride=2), nn.ReLU(),
                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3)).eval()
with torch.no_grad():
    for conv in (m[0], m[2]):
        conv.weight.mul_(0.05)
        conv.bias.zero_()
        for k in range(3):
            conv.weight[k, k, 1, 1] += 1.0
    m[6].weight.mul_(0.05)
    m[6].bias.zero_()
    for k in range(3):
        m[6].weight[k, k] += 1.0
torch.onnx.export(m, torch.rand(1, 3, 32, 32), os.path.join(out, "gap_cls_dyn.onnx"),
                  input_names=["x"], output_names=["logits"],
                  dynamic_axes={"x": {0: "N", 2: "H", 3: "W"}, "logits": {0: "N"}},
                  opset_version=13)
