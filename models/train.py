#!/usr/bin/python3
"""Train calib8's example CNNs on Fashion-MNIST and export them to ONNX.

Run with Debian's interpreter (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 models/train.py --out models

Writes, under --out:
    fmnist_cnn.onnx, fmnist_resnet.onnx          the two models (opset 13, dynamic batch)
    ref/<model>_logits100.npy                    FP32 logits for the first 100 test images
    ref/<model>_top1.npy                         predicted class for all 10,000 test images
    train_log.json                               accuracy, parameter counts, sha256, op counts

The data are the IDX files of Debian's dataset-fashion-mnist package. Preprocessing is exactly
what calib8 applies with `--scale 0.00392156862745098 --mean 0.2860 --std 0.3530 --channels
gray`: x = (pixel / 255 - MEAN) / STD, shape N x 1 x 28 x 28, float32.

Seeds are fixed (per model, so `--models X` gives what the full run gives for X), deterministic
algorithms are requested and the thread count is fixed, so a rerun with the same torch build and
--threads gives byte-identical files; another torch version or thread count gives the same
recipe with slightly different weights. Training is not run in CI (about 3 minutes a model on 8
free cores; 2 minutes an epoch on 2 cores).
"""

import argparse
import gzip
import hashlib
import inspect
import json
import os
import random
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Training-set pixel statistics after /255, rounded to 4 decimals (train.py checks them).
MEAN = 0.2860
STD = 0.3530
OPSET = 13
NUM_THREADS = 2


# ----------------------------------------------------------------------------- data

def read_idx(path):
    """Read a gzipped IDX file (MNIST family) into a numpy array of uint8."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: truncated IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})")
    header = 4 + 4 * ndim
    dims = struct.unpack(">" + "I" * ndim, data[4:header])
    count = int(np.prod(dims))
    if len(data) - header != count:
        raise ValueError(f"{path}: expected {count} data bytes, found {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{prefix}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels.astype(np.int64)


def preprocess(images_u8):
    """uint8 N x 28 x 28 -> float32 N x 1 x 28 x 28, exactly as calib8 preprocesses."""
    x = images_u8.astype(np.float32) * np.float32(1.0 / 255.0)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return torch.from_numpy(np.ascontiguousarray(x[:, None, :, :], dtype=np.float32))


def check_stats(train_images):
    x = train_images.astype(np.float64) / 255.0
    mean, std = float(x.mean()), float(x.std())
    if round(mean, 4) != MEAN or round(std, 4) != STD:
        raise SystemExit(f"training-set mean/std {mean:.6f}/{std:.6f} do not round to "
                         f"{MEAN}/{STD}: update MEAN/STD and models/README.md")
    return mean, std


def augment(x, gen):
    """Light augmentation on a preprocessed batch: random horizontal flip and a random shift of
    up to 2 pixels (padding with the normalized value of a black pixel)."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    pad = 2
    bg = (0.0 - MEAN) / STD
    xp = F.pad(x, (pad, pad, pad, pad), value=bg)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    # Gather the shifted crops with index arithmetic (deterministic, no loops over images).
    rows = (dy[:, None] + torch.arange(28)[None, :])  # n x 28
    cols = (dx[:, None] + torch.arange(28)[None, :])  # n x 28
    idx_n = torch.arange(n)[:, None, None]
    out = xp[idx_n, 0, rows[:, :, None], cols[:, None, :]]
    return out[:, None, :, :].contiguous()


# ----------------------------------------------------------------------------- models

class FmnistCNN(nn.Module):
    """conv3x3(1->32)+BN+ReLU, conv3x3(32->32)+BN+ReLU, maxpool2, conv3x3(32->64)+BN+ReLU,
    maxpool2, flatten, fc(3136->128)+ReLU, fc(128->10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.pool1 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool1(F.relu(self.bn2(self.conv2(x))))
        x = self.pool2(F.relu(self.bn3(self.conv3(x))))
        x = F.relu(self.fc1(self.flatten(x)))
        return self.fc2(x)


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3+BN+ReLU, conv3x3+BN, Add(shortcut), ReLU. The shortcut is a
    strided 1x1 conv+BN projection when the shape changes, the identity otherwise."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + identity)


class FmnistResNet(nn.Module):
    """stem conv3x3(1->C1)+BN+ReLU; blocks C1@28x28, C2/2@14x14 (projection), C3/2@7x7
    (projection); GlobalAveragePool; fc(C3->10)."""

    def __init__(self, widths=(16, 32, 64)):
        super().__init__()
        c1, c2, c3 = widths
        self.stem = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU())
        self.layer1 = BasicBlock(c1, c1, 1)
        self.layer2 = BasicBlock(c1, c2, 2)
        self.layer3 = BasicBlock(c2, c3, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c3, 10)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(self.flatten(self.pool(x)))


MODELS = {
    "fmnist_cnn": (FmnistCNN,
                   "Conv3x3(1->32)+BN+ReLU, Conv3x3(32->32)+BN+ReLU, MaxPool2, "
                   "Conv3x3(32->64)+BN+ReLU, MaxPool2, Flatten, Gemm(3136->128)+ReLU, "
                   "Gemm(128->10)"),
    "fmnist_resnet": (FmnistResNet,
                      "stem Conv3x3(1->16)+BN+ReLU; basic blocks 16@28x28 (identity), "
                      "32@14x14 and 64@7x7 (stride 2, 1x1 projection shortcut), Add skips; "
                      "GlobalAveragePool; Gemm(64->10)"),
}


# ----------------------------------------------------------------------------- training

def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def count_params(model):
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    outs = [model(x[i:i + batch]) for i in range(0, x.shape[0], batch)]
    return torch.cat(outs)


def train_model(name, model, xtr, ytr, xte, yte, epochs, seed, batch, lr, log):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (xtr.shape[0] + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch)
    epoch_times = []
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        total_loss, correct = 0.0, 0
        for i in range(0, xtr.shape[0], batch):
            idx = perm[i:i + batch]
            xb = augment(xtr[idx], gen)
            yb = ytr[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * idx.shape[0]
            correct += int((logits.argmax(1) == yb).sum())
        dt = time.perf_counter() - t0
        epoch_times.append(dt)
        acc = (predict(model, xte).argmax(1) == yte).float().mean().item()
        log(f"{name}: epoch {epoch + 1}/{epochs} loss {total_loss / xtr.shape[0]:.4f} "
            f"train-acc {correct / xtr.shape[0]:.4f} test-acc {acc:.4f} ({dt:.1f} s)")
    return epoch_times


# ----------------------------------------------------------------------------- export

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_replace(tmp, final):
    os.chmod(tmp, 0o644)  # mkstemp creates 0600
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)


def tmp_path_in(directory, suffix):
    fd, path = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    return path


def save_npy(path, array):
    tmp = tmp_path_in(os.path.dirname(path), ".npy")
    try:
        np.save(tmp, array)
        atomic_replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def inline_identity_initializers(m):
    """The exporter deduplicates equal parameters (e.g. BN weights that are all 1) into one
    initializer plus Identity nodes; give each consumer its own initializer again so the graph
    holds only the operators that the model really uses."""
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


def export_onnx(model, path):
    """Export in eval mode, keeping BatchNormalization as separate nodes, and check the graph."""
    import onnx

    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    tmp = tmp_path_in(os.path.dirname(path), ".onnx")
    extra = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        extra["dynamo"] = False  # torch >= 2.9 defaults to the dynamo exporter (opset >= 18)
    try:
        torch.onnx.export(
            model, dummy, tmp,
            export_params=True,
            opset_version=OPSET,
            # Eval-mode export folds BN into the preceding Conv (a fusion pass, not the constant
            # folder); PRESERVE keeps the module mode (eval) but skips that fusion.
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            **extra,
        )
        m = onnx.load(tmp)
        inline_identity_initializers(m)
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, tmp)
        atomic_replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    ops = {}
    for node in m.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    if "BatchNormalization" not in ops:
        raise SystemExit(f"{path}: BatchNormalization was folded away: {ops}")
    bn_train = [n.name for n in m.graph.node if n.op_type == "BatchNormalization"
                and any(a.name == "training_mode" and a.i != 0 for a in n.attribute)]
    if bn_train or any(len(n.output) != 1 for n in m.graph.node
                       if n.op_type == "BatchNormalization"):
        raise SystemExit(f"{path}: BatchNormalization exported in training mode")
    return m, ops


def summarize(out_dir, test_labels):
    """Describe every model whose files are in out_dir, from the files themselves."""
    import onnx

    entries = {}
    for name, (cls, arch) in MODELS.items():
        path = os.path.join(out_dir, f"{name}.onnx")
        top1_path = os.path.join(out_dir, "ref", f"{name}_top1.npy")
        if not (os.path.exists(path) and os.path.exists(top1_path)):
            continue
        top1 = np.load(top1_path)
        ops = {}
        for node in onnx.load(path).graph.node:
            ops[node.op_type] = ops.get(node.op_type, 0) + 1
        entries[name] = {
            "file": f"{name}.onnx",
            "architecture": arch,
            "parameters": count_params(cls()),
            "top1": float((top1 == test_labels).mean()),
            "correct": int((top1 == test_labels).sum()),
            "sha256": sha256_file(path),
            "bytes": os.path.getsize(path),
            "ops": ops,
        }
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)),
                    help="output folder (default: the folder of this script)")
    ap.add_argument("--epochs", type=int, default=8, help="epochs per model (default 8)")
    ap.add_argument("--seed", type=int, default=20240601, help="random seed (default 20240601)")
    ap.add_argument("--data", default=DATA_DIR, help=f"IDX folder (default {DATA_DIR})")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated subset of: " + ", ".join(MODELS))
    ap.add_argument("--threads", type=int, default=NUM_THREADS,
                    help=f"torch CPU threads (default {NUM_THREADS}; the committed models used 8: "
                         "another count may change the last bits of the weights)")
    ap.add_argument("--summary-only", action="store_true",
                    help="train nothing; rewrite train_log.json from the files in --out")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False

    os.makedirs(os.path.join(args.out, "ref"), exist_ok=True)
    t_start = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - t_start:7.1f} s] {msg}", flush=True)

    tr_img, tr_lab = load_split(args.data, "train")
    te_img, te_lab = load_split(args.data, "t10k")
    mean, std = check_stats(tr_img)
    log(f"train {tr_img.shape}, test {te_img.shape}; train mean {mean:.6f} std {std:.6f}")
    xtr, ytr = preprocess(tr_img), torch.from_numpy(tr_lab)
    xte, yte = preprocess(te_img), torch.from_numpy(te_lab)

    names = [n for n in args.models.split(",") if n] if not args.summary_only else []
    for name in names:
        if name not in MODELS:
            raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    for name in names:
        cls, _ = MODELS[name]
        # The seed depends on the model, not on which others this run trains, so that
        # `--models X` reproduces what the full run gives for X.
        seed = args.seed + list(MODELS).index(name)
        set_seed(seed)
        model = cls()
        log(f"{name}: {count_params(model)} parameters, seed {seed}")
        t0 = time.perf_counter()
        epoch_times = train_model(name, model, xtr, ytr, xte, yte, args.epochs, seed,
                                  batch=128, lr=3e-3, log=log)
        train_s = time.perf_counter() - t0

        logits = predict(model, xte)
        top1 = logits.argmax(1)
        acc = (top1 == yte).float().mean().item()
        path = os.path.join(args.out, f"{name}.onnx")
        _, ops = export_onnx(model, path)
        save_npy(os.path.join(args.out, "ref", f"{name}_logits100.npy"),
                 logits[:100].numpy().astype(np.float32))
        save_npy(os.path.join(args.out, "ref", f"{name}_top1.npy"),
                 top1.numpy().astype(np.int64))
        log(f"{name}: FP32 top-1 {acc:.4f}, {os.path.getsize(path)} bytes, ops {ops}; "
            f"trained in {train_s:.1f} s, epochs {' '.join(f'{t:.1f}' for t in epoch_times)} s")

    results = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "seed": args.seed,
        "epochs": args.epochs,
        "num_threads": args.threads,
        "train_mean": mean,
        "train_std": std,
        "preprocess": {"scale": "0.00392156862745098", "mean": f"{MEAN:.4f}",
                       "std": f"{STD:.4f}", "channels": "gray"},
        "models": summarize(args.out, te_lab),
    }
    log_path = os.path.join(args.out, "train_log.json")
    if args.summary_only and os.path.exists(log_path):
        # Keep what the log says about the training run; refresh only the model entries.
        with open(log_path) as f:
            previous = json.load(f)
        previous["models"] = results["models"]
        results = previous
    # Timings are printed, not stored, so that a rerun rewrites train_log.json identically.
    tmp = tmp_path_in(args.out, ".json")
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")
    atomic_replace(tmp, log_path)
    log(f"done; wrote {log_path}")


if __name__ == "__main__":
    main()
