#!/usr/bin/python3
"""Independent float64 reference for calib8's two KL-divergence threshold searches.

Writes tests/calib/data/entropy_ref.txt: random |x| histograms of several shapes and, for each,
the number of kept bins i that each search picks. tests/calib/test_calib_algos.c reads the file
and requires calib/algos.c to pick the same i. This file is written from the definitions in
docs/calibration.md, not from the C code: it builds the distributions P and Q as whole NumPy
arrays, normalises them and sums P * log(P / Q) directly.

  entropy (TensorRT EntropyCalibration2): first counts[0] = counts[1] (bin 0's spike of exact
  zeros is ignored, as in NVIDIA's reference; kept when nothing lies outside bin 0), then for
  i = 128 .. nbins:
    P = counts[:i], P[i-1] += sum(counts[i:]); level(j) = floor(j * 128 / i);
    Q[j] = (sum of counts[:i] in j's level) / (number of non-zero counts[:i] in j's level)
           where counts[j] != 0, else 0;
    KL = sum over P > 0 of P log(P / Q) after normalising both (inf where P > 0 and Q = 0);
    pick the first i with the smallest KL.
  entropy-mxnet, for i = 128 .. nbins:
    p as above; m = i // 128; level L covers [L*m, (L+1)*m), the last level [127*m, i);
    q[j] = (level sum of counts[:i]) / (level's non-zero counts[:i]) where p[j] != 0, else 0;
    smooth p and q: zeros -> eps, non-zeros -= eps * zeros / non-zeros (invalid -> inf);
    KL of the normalised smoothed distributions; the first i with the smallest KL.

Only tie-free cases are kept: the best divergence must beat every other candidate by more than
GAP_ABS + GAP_REL * best, so float64 rounding differences between two correct implementations
cannot change the answer. A case that is not tie-free is redrawn with the next seed.

Run: /usr/bin/python3 tests/calib/gen_entropy_ref.py  (deterministic: fixed seeds)
"""
import os
import sys

import numpy as np

LEVELS = 128
EPS = 1e-4
GAP_ABS = 1e-10
GAP_REL = 1e-8


def kl_trt(counts):
    counts = np.asarray(counts, dtype=np.float64).copy()
    nbins = counts.size
    first = counts[0]
    counts[0] = counts[1]
    if counts.sum() == 0:
        counts[0] = first
    out = []
    for i in range(LEVELS, nbins + 1):
        kept = counts[:i]
        P = kept.copy()
        P[i - 1] += counts[i:].sum()
        level = (np.arange(i) * LEVELS) // i
        qsum = np.bincount(level, weights=kept, minlength=LEVELS)
        qnnz = np.bincount(level, weights=(kept != 0).astype(np.float64), minlength=LEVELS)
        Q = np.zeros(i)
        nz = kept != 0
        Q[nz] = qsum[level[nz]] / qnnz[level[nz]]
        P = P / P.sum()
        if Q.sum() == 0:
            out.append(np.inf)
            continue
        Q = Q / Q.sum()
        pos = P > 0
        if np.any(pos & (Q == 0)):
            out.append(np.inf)
            continue
        out.append(float(np.sum(P[pos] * np.log(P[pos] / Q[pos]))))
    return np.array(out)


def smooth(v, eps):
    v = v.copy()
    zeros = v == 0
    nz = int(zeros.sum())
    nnz = v.size - nz
    if nnz == 0:
        return None
    eps1 = eps * nz / nnz
    if eps1 >= 1.0:
        return None
    v[zeros] = eps
    v[~zeros] -= eps1
    if np.any(v <= 0):
        return None
    return v


def kl_mxnet(counts, eps=EPS):
    counts = np.asarray(counts, dtype=np.float64)
    nbins = counts.size
    out = []
    for i in range(LEVELS, nbins + 1):
        kept = counts[:i]
        p = kept.copy()
        p[-1] += counts[i:].sum()
        m = i // LEVELS
        level = np.minimum(np.arange(i) // m, LEVELS - 1)
        qsum = np.bincount(level, weights=kept, minlength=LEVELS)
        norm = np.bincount(level, weights=(kept != 0).astype(np.float64), minlength=LEVELS)
        per_level = np.divide(qsum, norm, out=np.zeros(LEVELS), where=norm != 0)
        q = np.where(p != 0, per_level[level], 0.0)
        ps, qs = smooth(p, eps), smooth(q, eps)
        if ps is None or qs is None:
            out.append(np.inf)
            continue
        ps = ps / ps.sum()
        qs = qs / qs.sum()
        out.append(float(np.sum(ps * np.log(ps / qs))))
    return np.array(out)


def pick(div):
    """First minimum -> (i, best, gap to the runner-up)."""
    k = int(np.argmin(div))  # argmin returns the first minimum
    best = div[k]
    others = np.delete(div, k)
    gap = float(np.min(others) - best) if others.size else np.inf
    return LEVELS + k, float(best), gap


def tie_free(gap, best):
    return gap > GAP_ABS + GAP_REL * abs(best)


# ---- histogram shapes (counts are integers; mass well inside uint64) ----

def shape_exponential(rng, nbins):
    x = rng.exponential(scale=nbins / rng.uniform(8, 40), size=rng.integers(20000, 200000))
    return np.histogram(x, bins=nbins, range=(0, nbins))[0]


def shape_halfnormal(rng, nbins):
    x = np.abs(rng.normal(0, nbins / rng.uniform(4, 12), size=rng.integers(50000, 300000)))
    return np.histogram(x, bins=nbins, range=(0, nbins))[0]


def shape_relu_spike(rng, nbins):
    # many zeros (bin 0) and a long tail with a few far outliers
    x = np.abs(rng.standard_t(df=3, size=rng.integers(30000, 100000))) * nbins / 30
    x[rng.random(x.size) < 0.4] = 0
    x = np.concatenate([x, rng.uniform(0.8 * nbins, nbins, size=rng.integers(1, 6))])
    return np.histogram(np.minimum(x, nbins - 1e-9), bins=nbins, range=(0, nbins))[0]


def shape_sparse(rng, nbins):
    c = np.zeros(nbins, dtype=np.int64)
    k = rng.integers(10, 60)
    idx = rng.choice(nbins, size=k, replace=False)
    c[idx] = rng.integers(1, 5000, size=k)
    c[rng.integers(nbins // 2, nbins)] += rng.integers(1, 50)
    return c


def shape_holes(rng, nbins):
    c = shape_exponential(rng, nbins)
    c[rng.random(nbins) < 0.35] = 0
    return c


def shape_bimodal(rng, nbins):
    a = np.abs(rng.normal(nbins * 0.1, nbins * 0.05, size=rng.integers(20000, 80000)))
    b = np.abs(rng.normal(nbins * 0.6, nbins * 0.08, size=rng.integers(2000, 20000)))
    x = np.minimum(np.concatenate([a, b]), nbins - 1e-9)
    return np.histogram(x, bins=nbins, range=(0, nbins))[0]


def shape_uniform_noise(rng, nbins):
    return rng.integers(0, 1000, size=nbins)


def shape_large_counts(rng, nbins):
    # totals around 1e12, past float32 precision, as a long calibration run gives
    x = rng.exponential(scale=nbins / 20, size=200000)
    c = np.histogram(x, bins=nbins, range=(0, nbins))[0].astype(np.int64)
    return c * rng.integers(1000000, 5000000) + rng.integers(0, 1000, size=nbins) * (c > 0)


CASES = [
    ("exponential", shape_exponential, 2048),
    ("exponential", shape_exponential, 2048),
    ("exponential", shape_exponential, 1024),
    ("halfnormal", shape_halfnormal, 2048),
    ("halfnormal", shape_halfnormal, 512),
    ("relu_spike", shape_relu_spike, 2048),
    ("relu_spike", shape_relu_spike, 2048),
    ("sparse", shape_sparse, 2048),
    ("sparse", shape_sparse, 256),
    ("holes", shape_holes, 2048),
    ("holes", shape_holes, 300),
    ("bimodal", shape_bimodal, 2048),
    ("bimodal", shape_bimodal, 1000),
    ("uniform_noise", shape_uniform_noise, 128),
    ("uniform_noise", shape_uniform_noise, 130),
    ("uniform_noise", shape_uniform_noise, 384),
    ("large_counts", shape_large_counts, 2048),
    ("exponential", shape_exponential, 4096),
    ("halfnormal", shape_halfnormal, 256),
    ("relu_spike", shape_relu_spike, 1536),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "data", "entropy_ref.txt")
    lines = [
        "# calib8 entropy search reference, generated by tests/calib/gen_entropy_ref.py",
        "# (independent float64 NumPy implementation; see that file). Do not edit by hand.",
        "# case <name> <nbins> <entropy_i> <entropy_kl> <mxnet_i> <mxnet_kl> <seed>",
        "# then one line: <nbins> bin counts",
    ]
    for k, (name, fn, nbins) in enumerate(CASES):
        seed = 1000 * (k + 1)
        while True:
            rng = np.random.default_rng(seed)
            counts = np.asarray(fn(rng, nbins), dtype=np.int64)
            if counts.sum() > 0:
                ti, tb, tg = pick(kl_trt(counts))
                mi, mb, mg = pick(kl_mxnet(counts))
                if tie_free(tg, tb) and tie_free(mg, mb):
                    break
            seed += 1
        lines.append("case %s_%d %d %d %.17g %d %.17g %d" % (name, k, nbins, ti, tb, mi, mb, seed))
        lines.append(" ".join(str(int(v)) for v in counts))
        print("%-18s nbins %4d  entropy i=%4d (kl %.6g)  mxnet i=%4d (kl %.6g)  seed %d"
              % (name, nbins, ti, tb, mi, mb, seed), file=sys.stderr)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
