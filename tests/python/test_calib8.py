"""The calib8 Python package (python/) against the calib8 CLI on the bundled Fashion-MNIST
models: the same cache bytes, plan bytes, logits, report numbers and Q/DQ export; a
DataLoader-style iterable of images read and preprocessed in Python gives the cache of the same
images read from a folder by the CLI; bad inputs raise calib8.Error subclasses carrying the C
library's message (the one the CLI prints); 1,000 build/run cycles leave RSS bounded.

Run by tests/python/run_pytest.sh (CTest test_python), which sets CALIB8_CLI, CALIB8_LIBRARY,
C8_SOURCE_DIR, C8_WORK and PYTHONPATH."""

import json
import os
import shutil
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest

import calib8

CLI = os.environ["CALIB8_CLI"]
SRC = os.environ["C8_SOURCE_DIR"]
WORK = os.environ["C8_WORK"]
IDX = "/usr/share/datasets/fashion-mnist"
CNN = os.path.join(SRC, "models", "fmnist_cnn.onnx")
RESNET = os.path.join(SRC, "models", "fmnist_resnet.onnx")
# tools/demo.sh's preprocessing of the bundled models, as CLI flags and as calib8.preprocess
PRE_FLAGS = ["--scale", "0.00392156862745098", "--mean", "0.2860", "--std", "0.3530"]
PRE = {"scale": "0.00392156862745098", "mean": "0.2860", "std": "0.3530"}
IMAGES = 200  # calibration images (the CLI's --images)


def cli(*args, ok=True):
    r = subprocess.run([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if ok and r.returncode != 0:
        raise AssertionError("calib8 %s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha(path):
    """SHA-256 of a file (compared instead of the bytes: pytest's diff of large bytes is slow)."""
    import hashlib

    return hashlib.sha256(read(path)).hexdigest()


@pytest.fixture(scope="session")
def data():
    """fm.h5: the first 300 test images (HDF5); folder/: the first 120 as an image folder."""
    os.makedirs(WORK, exist_ok=True)
    h5 = os.path.join(WORK, "fm.h5")
    folder = os.path.join(WORK, "folder")
    imgs, labs = IDX + "/t10k-images-idx3-ubyte.gz", IDX + "/t10k-labels-idx1-ubyte.gz"
    if not os.path.exists(h5):
        cli("dataset", "convert", "--idx", imgs, labs, "--out", h5, "--limit", "300")
    if not os.path.exists(folder):
        cli("dataset", "convert", "--idx", imgs, labs, "--out", folder, "--limit", "120")
    return {"h5": h5, "folder": folder}


@pytest.fixture(scope="session")
def cli_cache(data):
    """The CLI's calibration of the CNN on fm.h5 (with its histograms)."""
    out = os.path.join(WORK, "cli.cache")
    cli("calibrate", "--model", CNN, "--data", data["h5"], "--no-shuffle", "--images", str(IMAGES),
        "--batch", "50", "--cache", out, "--save-histograms", out + ".h5", "--quiet", *PRE_FLAGS)
    return out


@pytest.fixture(scope="session")
def images(data):
    """The first 64 images of fm.h5, preprocessed by the CLI (dataset export), (64, 1, 28, 28)."""
    out = os.path.join(WORK, "x64.npy")
    cli("dataset", "export", "--data", data["h5"], "--no-shuffle", "--images", "64", "--target",
        "1x28x28", "--out", out, "--quiet", *PRE_FLAGS)
    return np.load(out)


def cache_scales(path):
    """The cache file parsed here: {name: float32 from the big-endian hex bits}."""
    out = {}
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("TRT-")
    for line in lines[1:]:
        name, hexbits = line.rsplit(": ", 1)
        out[name] = struct.unpack(">f", bytes.fromhex(hexbits.rjust(8, "0")))[0]
    return out


# ---------------------------------------------------------------- models and calibration


def test_model_inputs_outputs():
    m = calib8.Model(CNN)
    assert m.inputs == [calib8.TensorInfo("input", (None, 1, 28, 28), np.dtype(np.float32))]
    assert m.outputs == [calib8.TensorInfo("logits", (None, 10), np.dtype(np.float32))]
    text = cli("inspect", "--model", CNN).stdout
    assert "input" in text and "logits" in text
    pinned = calib8.Model(CNN, shapes=(4, 1, 28, 28))
    assert pinned.inputs[0].shape == (4, 1, 28, 28)
    assert pinned.outputs[0].shape == (4, 10)
    assert calib8.Model(CNN, shapes={"input": (8, 1, 28, 28)}).inputs[0].shape == (8, 1, 28, 28)
    with pytest.raises(calib8.ShapeError, match="does not fit"):
        calib8.Model(CNN, shapes=(4, 3, 28, 28))


@pytest.mark.parametrize("model", [CNN, RESNET], ids=["cnn", "resnet"])
def test_calibrate_path_equals_cli(data, model, tmp_path):
    ref = tmp_path / "cli.cache"
    cli("calibrate", "--model", model, "--data", data["h5"], "--no-shuffle", "--images", str(IMAGES),
        "--batch", "50", "--cache", str(ref), "--quiet", *PRE_FLAGS)
    out = tmp_path / "py.cache"
    cal = calib8.calibrate(model, data["h5"], cache=out, images=IMAGES, batch=50, shuffle=False,
                           preprocess=PRE)
    assert cal.path == str(out)
    assert read(out) == read(ref), "cache bytes differ from calib8 calibrate's"
    assert read(str(out) + ".json") == read(str(ref) + ".json"), "sidecars differ"
    assert cal.scales == cache_scales(ref)
    # save() copies cache and sidecar
    cal.save(tmp_path / "saved.cache")
    assert read(tmp_path / "saved.cache") == read(ref)
    assert read(tmp_path / "saved.cache.json") == read(str(ref) + ".json")


def test_histograms_equal_cli(data, cli_cache):
    cal = calib8.calibrate(CNN, data["h5"], images=IMAGES, batch=50, shuffle=False, preprocess=PRE)
    assert cal.cache_bytes == read(cli_cache)
    ref = calib8.Calibration.load(cli_cache, histograms=cli_cache + ".h5")
    mine, theirs = cal.histograms, ref.histograms
    assert sorted(mine) == sorted(theirs) == sorted(cal.scales)
    for name in mine:
        assert mine[name].dtype == np.uint64 and mine[name].shape == (2048,)
        assert np.array_equal(mine[name], theirs[name]), name
        info = cal.histogram_info[name]
        assert int(mine[name].sum()) == info["count"] > 0
    # the input's histogram counts every pixel of the calibration images
    assert cal.histogram_info["input"]["count"] == IMAGES * 28 * 28


class ArrayLike:
    """Not a numpy array: only __array__ (as a torch tensor offers)."""

    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


def folder_images(folder):
    """The folder's PNGs in the CLI's order (relative paths sorted bytewise), read with PIL and
    preprocessed in float64 as docs say: (pixel * scale - mean) / std, then float32."""
    from PIL import Image

    files = sorted(
        (os.path.relpath(os.path.join(r, f), folder) for r, _, fs in os.walk(folder) for f in fs
         if f.endswith(".png")),
        key=lambda p: p.encode(),
    )
    labels = [int(p.split("-", 1)[0]) for p in files]
    x = np.stack([np.asarray(Image.open(os.path.join(folder, p)), dtype=np.float64) for p in files])
    x = ((x * float(PRE["scale"]) - float(PRE["mean"])) / float(PRE["std"])).astype(np.float32)
    return x[:, None], np.array(labels, dtype=np.int64)


def test_dataloader_same_cache_as_folder(data, tmp_path):
    ref = tmp_path / "folder.cache"
    cli("calibrate", "--model", CNN, "--data", data["folder"], "--no-shuffle", "--images", "0",
        "--cache", str(ref), "--quiet", *PRE_FLAGS)
    x, y = folder_images(data["folder"])
    assert x.shape == (120, 1, 28, 28)
    want = read(ref)
    iterables = {
        # (images, labels) tuples, batches of 32, as a DataLoader yields them
        "tuples": lambda: ((x[i:i + 32], y[i:i + 32]) for i in range(0, len(x), 32)),
        "array_like": lambda: (ArrayLike(x[i:i + 25]) for i in range(0, len(x), 25)),
        "dicts": lambda: ({"input": x[i:i + 7]} for i in range(0, len(x), 7)),
        "single_images": lambda: iter(list(x)),
        "one_array": lambda: x,
    }
    try:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        iterables["torch_dataloader"] = lambda: DataLoader(ds, batch_size=16, shuffle=False)
    except ImportError:
        print("torch is absent: the DataLoader is played by a generator of (images, labels)")
    for what, make in iterables.items():
        cal = calib8.calibrate(CNN, make())
        assert cal.cache_bytes == want, "%s: the cache differs from the folder's" % what
    # input_fn picks the batch out of any item
    cal = calib8.calibrate(CNN, ({"img": x[i:i + 40]} for i in range(0, 120, 40)),
                           input_fn=lambda item: item["img"])
    assert cal.cache_bytes == want
    # images= stops early: the first 40 images equal a 40-image folder calibration
    cli("calibrate", "--model", CNN, "--data", data["folder"], "--no-shuffle", "--images", "40",
        "--cache", str(tmp_path / "40.cache"), "--quiet", *PRE_FLAGS)
    cal = calib8.calibrate(CNN, ((x[i:i + 32], y[i:i + 32]) for i in range(0, 120, 32)), images=40)
    assert cal.cache_bytes == read(tmp_path / "40.cache")


# ---------------------------------------------------------------- engines


def test_build_run_equals_cli(cli_cache, images, tmp_path):
    m = calib8.Model(CNN)
    eng = calib8.build(m, "int8", calibration=cli_cache)
    eng.save(tmp_path / "py.plan")
    cli("build", "--model", CNN, "--precision", "int8", "--calib", cli_cache, "--plan",
        str(tmp_path / "cli.plan"))
    assert sha(tmp_path / "py.plan") == sha(tmp_path / "cli.plan"), "plan bytes differ"
    np.save(tmp_path / "x.npy", images)
    cli("run", "--plan", str(tmp_path / "cli.plan"), "--input", str(tmp_path / "x.npy"),
        "--output-dir", str(tmp_path / "out"))
    want = np.load(tmp_path / "out" / "logits.npy")
    got = eng(images)
    assert list(got) == ["logits"]
    assert got["logits"].dtype == np.float32 and got["logits"].shape == (64, 10)
    assert np.array_equal(got["logits"], want), "logits differ from calib8 run's"
    assert np.array_equal(eng({"input": ArrayLike(images)})["logits"], want)
    loaded = calib8.Engine.load(tmp_path / "cli.plan")
    assert np.array_equal(loaded(images)["logits"], want)
    assert loaded.cache_sha256 == eng.cache_sha256 != ""
    # a reused context, and several threads each on their own context, give the same logits
    with eng.context() as ctx:
        for _ in range(3):
            assert np.array_equal(ctx(images)["logits"], want)
    results, errs = [], []

    def work():
        try:
            for _ in range(5):
                results.append(eng(images)["logits"])
        except Exception as e:  # pragma: no cover - reported below
            errs.append(e)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errs and len(results) == 20
    assert all(np.array_equal(r, want) for r in results)


def test_layers_equal_inspect(cli_cache, tmp_path):
    eng = calib8.build(CNN, "int8", calibration=cli_cache, layer_precision={"/fc*": "fp32"})
    eng.save(tmp_path / "p.plan")
    ref = json.loads(cli("inspect", "--plan", str(tmp_path / "p.plan"), "--json").stdout)["nodes"]
    layers = eng.layers
    assert len(layers) == len(ref)
    for mine, theirs in zip(layers, ref):
        for k in ("name", "op", "precision", "role", "device", "reason", "layout", "kernel"):
            assert mine[k] == theirs[k], (k, mine, theirs)
    fc = [l for l in layers if l["role"] == "compute" and "fc" in l["name"]]
    assert fc and all(l["precision"] == "fp32" for l in fc)
    assert any(l["precision"] == "int8" for l in layers if l["role"] == "compute")


def test_export_qdq_equals_cli(cli_cache, tmp_path):
    n = calib8.export_qdq(CNN, cli_cache, tmp_path / "py.onnx")
    r = cli("export-qdq", "--model", CNN, "--calib", cli_cache, "--out", str(tmp_path / "cli.onnx"))
    assert sha(tmp_path / "py.onnx") == sha(tmp_path / "cli.onnx")
    assert "%d activation Q/DQ pairs, %d int8 weights" % n in r.stdout


def test_compare_equals_cli(data, cli_cache, tmp_path):
    args = dict(batch=100, layer_images=8, shuffle=False, preprocess=PRE)
    rep = calib8.compare(CNN, cli_cache, data["h5"], **args)
    rep.save(tmp_path / "py")
    cli("compare", "--model", CNN, "--calib", cli_cache, "--data", data["h5"], "--batch", "100",
        "--layer-images", "8", "--no-shuffle", "--quiet", "--report", str(tmp_path / "cli"), *PRE_FLAGS)
    want = json.loads(read(tmp_path / "cli" / "report.json"))
    saved = json.loads(read(tmp_path / "py" / "report.json"))
    assert saved == rep.data
    # every number equal; the settings name the same things (the CLI records its argument paths)
    for key in want:
        if key in ("settings", "calibration"):
            continue
        assert rep.data[key] == want[key], key
    assert {k: v for k, v in rep.data["calibration"].items() if k != "cache"} == {
        k: v for k, v in want["calibration"].items() if k != "cache"}
    assert rep.data["settings"] == want["settings"]
    assert rep.precisions["int8"]["images"] == 300
    assert 0 < rep.precisions["int8"]["top1"] <= 100


# ---------------------------------------------------------------- errors


def cli_message(*args):
    r = cli(*args, ok=False)
    assert r.returncode != 0
    return r.stderr


def test_errors_carry_c_messages(cli_cache, images, tmp_path):
    missing = str(tmp_path / "missing.onnx")
    with pytest.raises(calib8.FileError) as e:
        calib8.Model(missing)
    assert missing in str(e.value) and e.value.code == 1
    assert str(e.value) in cli_message("inspect", "--model", missing)

    # a plan run by the CLI and by Python: the same message for the same bad input
    plan = str(tmp_path / "fp32.plan")
    calib8.build(CNN, "fp32").save(plan)
    eng = calib8.Engine.load(plan)
    with pytest.raises(calib8.ShapeError) as e:
        eng(images[:, :, :27, :])
    assert "input 'input' has shape 64x1x27x28" in str(e.value)
    np.save(tmp_path / "bad.npy", images[:, :, :27, :])
    assert str(e.value) in cli_message("run", "--plan", plan, "--input", str(tmp_path / "bad.npy"),
                                       "--output-dir", str(tmp_path / "o1"))
    with pytest.raises(calib8.InvalidError) as e:
        eng(images.astype(np.float64))
    assert "must be float32, got float64" in str(e.value)
    np.save(tmp_path / "f64.npy", images.astype(np.float64))
    assert str(e.value) in cli_message("run", "--plan", plan, "--input", str(tmp_path / "f64.npy"),
                                       "--output-dir", str(tmp_path / "o2"))
    with pytest.raises(calib8.NotFoundError):
        eng({"nope": images})

    # calibration: a bad batch from the iterable stops it with the library's message
    with pytest.raises(calib8.ShapeError) as e:
        calib8.calibrate(CNN, [images[:, :, :27, :]])
    assert "has shape 64x1x27x28" in str(e.value)
    with pytest.raises(calib8.InvalidError, match="must be float32"):
        calib8.calibrate(CNN, [images.astype(np.int64)])
    # an exception raised by the data source comes back as itself
    def broken():
        yield images
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        calib8.calibrate(CNN, broken())
    with pytest.raises(calib8.InvalidError, match="no images were calibrated"):
        calib8.calibrate(CNN, [])
    with pytest.raises(calib8.InvalidError, match="unknown calibration algorithm"):
        calib8.calibrate(CNN, [images], algo="nope")

    # builds
    missing_cache = str(tmp_path / "missing.cache")
    with pytest.raises(calib8.FileError) as e:
        calib8.build(CNN, "int8", calibration=missing_cache)
    assert missing_cache in str(e.value)
    with pytest.raises(calib8.Error) as e:
        calib8.build(CNN, "int8")
    assert "calib" in str(e.value)
    with pytest.raises(calib8.InvalidError) as e:
        calib8.build(CNN, "int8", calibration=cli_cache, layer_precision={"nothing*": "fp32"})
    assert "no layer of %s matches 'nothing*'" % CNN in str(e.value)
    assert str(e.value) in cli_message("build", "--model", CNN, "--precision", "int8", "--calib",
                                       cli_cache, "--layer-precision", "nothing*:fp32", "--plan",
                                       str(tmp_path / "x.plan"))
    (tmp_path / "garbage.plan").write_bytes(b"not a plan at all")
    with pytest.raises(calib8.Error) as e:
        calib8.Engine.load(tmp_path / "garbage.plan")
    assert "garbage.plan" in str(e.value)
    with pytest.raises(calib8.InvalidError, match="device"):
        calib8.build(CNN, "fp32", device="tpu")

    # outputs never go over inputs (as the CLI's checks): the model, the cache
    model_copy = tmp_path / "m.onnx"
    shutil.copyfile(CNN, model_copy)
    before = read(model_copy)
    with pytest.raises(calib8.InvalidError, match="never writes over its inputs"):
        calib8.calibrate(str(model_copy), [images], cache=model_copy)
    with pytest.raises(calib8.InvalidError, match="never writes over its inputs"):
        calib8.export_qdq(str(model_copy), cli_cache, model_copy)
    assert read(model_copy) == before


# ---------------------------------------------------------------- resources


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_no_leak_over_build_run_cycles(cli_cache, images):
    """1,000 cycles of INT8 build and run (a fresh engine and context each; every 10th cycle
    also loads the model anew and runs on the oneDNN device, the others on the reference
    kernels to keep the test short): RSS after them stays within LEAK_BYTES of RSS after a
    50-cycle warm-up, and every cycle computes the same logits."""
    if os.environ.get("C8_PY_SANITIZER"):
        pytest.skip("sanitizer build: RSS is no leak measure under ASan (freed memory stays in "
                    "its quarantine); the normal build runs this test, the C suites check leaks")
    LEAK_BYTES = 4 << 20  # a leak of even 4 KiB per cycle would show as 4 MB
    x = images[:2]
    model = calib8.Model(CNN)
    want = {}

    def cycle(i):
        fresh = i % 10 == 0
        m = calib8.Model(CNN) if fresh else model
        device = "cpu" if fresh else "cpu-ref"
        e = calib8.build(m, "int8", calibration=cli_cache, device=device)
        out = e(x)["logits"]
        e.close()
        if fresh:
            m.close()
        ref = want.setdefault(device, out)
        assert np.array_equal(out, ref), "cycle %d (%s): other logits" % (i, device)

    for i in range(50):
        cycle(i)
    base = rss_bytes()
    for i in range(1000):
        cycle(i)
    grown = rss_bytes() - base
    print("RSS after warm-up %.1f MB, growth over 1000 cycles %.2f MB" % (base / 2**20, grown / 2**20))
    assert grown < LEAK_BYTES, "RSS grew by %d bytes over 1000 build/run cycles" % grown


def test_pip_install(tmp_path):
    """pip install ./python (into a folder) gives a package that finds this build's library."""
    pip = subprocess.run([sys.executable, "-m", "pip", "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if pip.returncode != 0:
        pytest.skip("pip is absent for %s" % sys.executable)
    src = tmp_path / "src"
    shutil.copytree(os.path.join(SRC, "python"), src / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation",
                        "--no-deps", "--target", str(tmp_path / "site"), str(src / "python")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 and "setuptools" in r.stdout:
        pytest.skip("setuptools is absent: %s" % r.stdout.strip()[-200:])
    assert r.returncode == 0, r.stdout
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    code = "import calib8; print(calib8.__file__); print(calib8.library_path())"
    out = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    pkg, lib = out.stdout.split()
    assert pkg.startswith(str(tmp_path / "site"))
    assert os.path.samefile(lib, os.environ["CALIB8_LIBRARY"])
    # without CALIB8_LIBRARY: the copy's recorded tree (tmp_path/src) has no build/, so the
    # package falls to the system loader, and says how to fix it when that fails too
    env.pop("CALIB8_LIBRARY")
    out = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert out.returncode == 0 or "CALIB8_LIBRARY" in out.stderr


def test_device_check_equals_cli(tmp_path):
    """calib8.device_check: None for the CPU devices; for "cuda", the module `calib8 version`
    names beside libcalib8.so (or its reason, the same message, when it cannot be used); a
    missing module named by C8_CUDA_MODULE is an UnsupportedError naming it, in a child Python
    (the variable is read when the module is looked for)."""
    assert calib8.device_check("cpu") is None and calib8.device_check("cpu-ref") is None
    out = cli("version").stdout
    if "CUDA backend: no" in out:
        with pytest.raises(calib8.UnsupportedError, match="built without CUDA"):
            calib8.device_check("cuda")
        return
    where = calib8.device_check("cuda")
    libdir = os.path.dirname(os.path.realpath(calib8.library_path()))
    assert os.path.realpath(where) == os.path.join(libdir, "libcalib8_cuda.so")
    assert "CUDA backend module: " in out
    missing = str(tmp_path / "none.so")
    code = (
        "import calib8\n"
        "try:\n    calib8.device_check('cuda')\n"
        "except calib8.UnsupportedError as e:\n    print('refused:', e)\n"
    )
    env = dict(os.environ, C8_CUDA_MODULE=missing)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "refused:" in r.stdout and "C8_CUDA_MODULE names %s" % missing in r.stdout, r.stdout


def test_public_api_only():
    """Every C function the binding declares is in a public header (docs/architecture.md)."""
    import re

    from calib8 import _lib

    headers = ""
    inc = os.path.join(SRC, "include", "calib8")
    for h in sorted(os.listdir(inc)):
        with open(os.path.join(inc, h)) as f:
            headers += f.read()
    missing = [n for n in _lib._PROTOTYPES if not re.search(r"\b%s\(" % n, headers)]
    assert not missing, "declared by python/calib8/_lib.py but not public: %s" % missing


def test_struct_layouts_match_c():
    """Every ctypes mirror of a public struct has the C struct's size and field offsets (as
    tests/python/layout_dump.c prints them), so a field added in C without its twin here fails."""
    import ctypes

    from calib8 import _lib

    dump = os.environ.get("C8_LAYOUT_DUMP")
    if not dump:
        pytest.skip("C8_LAYOUT_DUMP (the layout_dump program) not given")
    out = subprocess.run([dump], check=True, capture_output=True, text=True).stdout
    checked = 0
    for line in out.splitlines():
        name, size, *fields = line.split()
        cls = getattr(_lib, name)
        assert ctypes.sizeof(cls) == int(size), "%s: ctypes %d bytes, C %s" % (
            name, ctypes.sizeof(cls), size)
        py = [f[0] for f in cls._fields_]
        c_names = [f.split("=")[0] for f in fields]
        assert py == c_names, "%s: ctypes fields %s, C fields %s" % (name, py, c_names)
        for f in fields:
            fname, off = f.split("=")
            assert getattr(cls, fname).offset == int(off), "%s.%s: ctypes offset %d, C %s" % (
                name, fname, getattr(cls, fname).offset, off)
        checked += 1
    assert checked >= 15


STUB_TORCH = '''
"""A stand-in for torch in the README example's test: the real torch is not a test dependency.
Tensors are objects with __array__ (as torch's are); DataLoader batches (image, label) samples
into (images, labels) tuples as torch's default collate does."""
import shutil
import types

import numpy as np


class Tensor:
    def __init__(self, a):
        self._a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)

    def __repr__(self):
        return "tensor(%r)" % (self._a,)


def zeros(*shape):
    return Tensor(np.zeros(shape, np.float32))


def _export(net, x, path, **kw):
    shutil.copyfile(net.onnx, path)  # the "export" of the stand-in network


onnx = types.SimpleNamespace(export=_export)


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False):
        self.dataset, self.batch_size, self.shuffle = dataset, batch_size, shuffle

    def __iter__(self):
        n = len(self.dataset)
        order = np.random.default_rng(0).permutation(n) if self.shuffle else np.arange(n)
        for i in range(0, n, self.batch_size):
            items = [self.dataset[int(j)] for j in order[i:i + self.batch_size]]
            yield (Tensor(np.stack([np.asarray(x) for x, _ in items])),
                   Tensor(np.array([y for _, y in items])))


utils = types.SimpleNamespace(data=types.SimpleNamespace(DataLoader=DataLoader))
'''


def test_readme_example(data, tmp_path):
    """README.md's Python example, as written, with a stand-in torch (STUB_TORCH: torch is no
    test dependency), the bundled CNN as "MyNet" and the folder's images as its data set."""
    with open(os.path.join(SRC, "README.md")) as f:
        readme = f.read()
    start = readme.index("```python\n", readme.index("## Python")) + len("```python\n")
    code = readme[start:readme.index("```", start)]
    assert len(code.splitlines()) < 20
    stub = tmp_path / "stub"
    (stub / "torch" / "utils").mkdir(parents=True)
    (stub / "torch" / "__init__.py").write_text(STUB_TORCH + "\nfrom . import utils as _u  # noqa\n")
    (stub / "torch" / "utils" / "__init__.py").write_text("from . import data  # noqa\n")
    (stub / "torch" / "utils" / "data.py").write_text("from torch import DataLoader  # noqa\n")
    (tmp_path / "val").symlink_to(data["folder"])
    x, y = folder_images(data["folder"])
    prelude = (
        "import sys; sys.path.insert(0, %r)\n"
        "import numpy as np\n"
        "class MyNet:\n"
        "    onnx = %r\n"
        "    def eval(self): return self\n"
        "_x, _y = np.load('x.npy'), np.load('y.npy')\n"
        "train_set = [(_x[i], int(_y[i])) for i in range(len(_x))]\n" % (str(stub), CNN)
    )
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    (tmp_path / "example.py").write_text(prelude + code)
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "example.py"], cwd=str(tmp_path), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in ("net.onnx", "net.cache", "net.cache.json", "net.int8.plan", "net-report/report.json"):
        assert (tmp_path / f).exists(), f
    rep = json.loads(read(tmp_path / "net-report" / "report.json"))
    assert rep["precisions"]["int8"]["images"] == 120
    assert "'int8'" in r.stdout.splitlines()[-1]


TORCH_NET = """
import torch, numpy as np
class MyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 14 * 14, 10)
    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc(x.flatten(1))
_x, _y = np.load('x.npy'), np.load('y.npy')
train_set = [(torch.from_numpy(_x[i]), int(_y[i])) for i in range(len(_x))]
"""


def test_readme_example_real_torch(data, tmp_path):
    """README.md's Python example, as written, with the real torch (python3-torch, installed by
    tools/install-deps.sh): a torch.nn.Module exported by torch.onnx.export, its own DataLoader
    of torch tensors, build, run and compare."""
    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("torch is not installed (tools/install-deps.sh installs python3-torch)")
    with open(os.path.join(SRC, "README.md")) as f:
        readme = f.read()
    start = readme.index("```python\n", readme.index("## Python")) + len("```python\n")
    code = readme[start:readme.index("```", start)]
    (tmp_path / "val").symlink_to(data["folder"])
    x, y = folder_images(data["folder"])
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    # after the example: torch's own FP32 logits of 64 images, for the check below
    after = "\nnp.save('torch_out.npy', net(torch.from_numpy(_x[:64])).detach().numpy())\n"
    (tmp_path / "example.py").write_text(TORCH_NET + code + after)
    r = subprocess.run([sys.executable, "example.py"], cwd=str(tmp_path), env=dict(os.environ),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in ("net.onnx", "net.cache", "net.cache.json", "net.int8.plan", "net-report/report.json"):
        assert (tmp_path / f).exists(), f
    rep = json.loads(read(tmp_path / "net-report" / "report.json"))
    assert rep["precisions"]["int8"]["images"] == 120
    # calib8's FP32 engine of the exported model gives torch's logits (float32 sums in another
    # order: within 1e-4 relative), and the saved INT8 plan the same classes on most images
    ref = np.load(tmp_path / "torch_out.npy")
    m = calib8.Model(str(tmp_path / "net.onnx"))
    out = calib8.build(m, "fp32")(x[:64])["logits"]
    assert np.allclose(out, ref, rtol=1e-4, atol=1e-5 * float(np.abs(ref).max()))
    q = calib8.Engine.load(str(tmp_path / "net.int8.plan"))(x[:64])["logits"]
    assert (q.argmax(1) == ref.argmax(1)).mean() >= 0.9
