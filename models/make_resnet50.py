#!/usr/bin/python3
"""Export a torchvision-style ResNet-50 (random weights by default) to ONNX for GPU benchmarks.

    /usr/bin/python3 models/make_resnet50.py --out /tmp/resnet50.onnx

The network is written in plain torch.nn with the same layers, shapes and parameter names as
torchvision.models.resnet50 (ResNet v1.5: stride on the 3x3 conv of each Bottleneck, blocks
3-4-6-3, 25,557,032 parameters), so only torch is needed; a torchvision state_dict loads into it
unchanged (--state-dict). `--weights torchvision` builds torchvision.models.resnet50 instead,
when torchvision is importable (still with random weights: nothing is downloaded).

The ONNX file is opset 13, input "input" N x 3 x 224 x 224 float32 with a dynamic batch axis,
output "logits" N x 1000. BatchNormalization stays as separate nodes unless --fold-bn.
The file is about 100 MB: write it outside the repository, never commit it.
"""

import argparse
import inspect
import os
import sys
import time

import torch
import torch.nn as nn

OPSET = 13


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet50(nn.Module):
    """Same module tree and parameter names as torchvision.models.resnet50."""

    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)
        # torchvision's initialisation.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def build(weights):
    if weights == "plain":
        return ResNet50()
    try:
        import torchvision
    except ImportError:
        raise SystemExit("--weights torchvision: torchvision is not importable; use "
                         "--weights plain (same architecture)")
    try:
        return torchvision.models.resnet50(weights=None)
    except TypeError:  # torchvision < 0.13
        return torchvision.models.resnet50(pretrained=False)


@torch.no_grad()
def warm_bn(model, batches, batch, gen):
    """Set BatchNorm running statistics from random inputs so that a random-weight network keeps
    activations in a sane range in eval mode (otherwise they grow block after block)."""
    if batches <= 0:
        return
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the warm-up batches
    model.train()
    for _ in range(batches):
        model(torch.randn(batch, 3, 224, 224, generator=gen))
    model.eval()


def inline_identity_initializers(m):
    """Give every consumer of a deduplicated parameter its own initializer (the exporter shares
    equal tensors, e.g. BN weights that are all 1, through Identity nodes)."""
    from onnx import numpy_helper

    inits = {t.name: t for t in m.graph.initializer}
    keep = []
    for node in m.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            arr = numpy_helper.to_array(inits[node.input[0]])
            m.graph.initializer.append(numpy_helper.from_array(arr.copy(), node.output[0]))
        else:
            keep.append(node)
    del m.graph.node[:]
    m.graph.node.extend(keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="ONNX file to write (keep it out of the repo)")
    ap.add_argument("--weights", choices=("plain", "torchvision"), default="plain",
                    help="plain: the torch.nn definition here (default); torchvision: "
                         "torchvision.models.resnet50 (random weights)")
    ap.add_argument("--state-dict", help="load a torchvision-compatible state_dict (.pth)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--bn-warmup", type=int, default=2, metavar="N",
                    help="batches of random inputs used to set BN statistics of random "
                         "weights (default 2; 0 keeps mean 0 / var 1)")
    ap.add_argument("--fold-bn", action="store_true",
                    help="let the exporter fold BatchNormalization into Conv")
    ap.add_argument("--check-batch", type=int, default=2,
                    help="batch size of the PyTorch forward pass run before export (default 2)")
    args = ap.parse_args()

    import onnx

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = build(args.weights)
    if args.state_dict:
        model.load_state_dict(torch.load(args.state_dict, map_location="cpu"))
    else:
        warm_bn(model, args.bn_warmup, 8, gen)
    model.eval()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"ResNet-50 ({args.weights}): {nparams} parameters")

    x = torch.randn(args.check_batch, 3, 224, 224, generator=gen)
    t0 = time.perf_counter()
    with torch.no_grad():
        y = model(x)
    print(f"forward {tuple(x.shape)} -> {tuple(y.shape)} in {time.perf_counter() - t0:.2f} s; "
          f"logits range [{y.min():.3g}, {y.max():.3g}]")
    if tuple(y.shape) != (args.check_batch, 1000) or not torch.isfinite(y).all():
        raise SystemExit("unexpected output from the PyTorch model")

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.out + ".tmp"
    extra = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        extra["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter
    try:
        torch.onnx.export(
            model, x[:1], tmp,
            export_params=True,
            opset_version=OPSET,
            training=(torch.onnx.TrainingMode.EVAL if args.fold_bn
                      else torch.onnx.TrainingMode.PRESERVE),
            do_constant_folding=args.fold_bn,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            **extra,
        )
        m = onnx.load(tmp)
        inline_identity_initializers(m)
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, tmp)
        os.replace(tmp, args.out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    ops = {}
    for node in m.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes), opset {OPSET}, ops {ops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
