"""Benchmark: mlhwlib.gmm.GaussianMixture against sklearn.mixture.GaussianMixture.

Three measurements, written to ``mlhwlib/data/results_gmm.json`` (shipped with the package):

1. the target case (issue 9): full covariances, N = 100 000, d = 8, K = 8,
   10 EM iterations from the same initial parameters (tol = 0, reg_covar = 1e-6);
   wall time of ``fit`` for both libraries, the minimum of several repeats, and
   the largest difference of the fitted means (must be <= 1e-8);
2. memory: the peak extra memory (tracemalloc, which numpy reports to) of one
   EM step at N = 1 000 000, d = 8, K = 8, in units of N*K float64s;
3. scaling: time per EM iteration against N (1e3 ... 1e6, K = 8) and against K
   (N = 1e5), both libraries.

Run:  .venv/bin/python benchmarks/bench_gmm.py [--quick] [--repeats R] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlhwlib.gmm import GaussianMixture, em_step  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)


def log(msg):
    print(msg, flush=True)


def machine():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
    }


def make_problem(N, d, K, seed=0):
    """Data from a K-component mixture and a common, deliberately rough, initialisation."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(K, d))
    labels = rng.integers(K, size=N)
    A = rng.normal(size=(K, d, d)) * 0.3 + np.eye(d)
    X = np.empty((N, d))
    for k in range(K):  # no N x d x d temporaries while generating
        idx = labels == k
        X[idx] = centers[k] + rng.normal(size=(int(idx.sum()), d)) @ A[k].T
    weights = np.full(K, 1.0 / K)
    means = X[rng.choice(N, size=K, replace=False)].copy()
    cov = np.cov(X, rowvar=False, bias=True)
    covariances = np.repeat(cov[None], K, axis=0)
    precisions = np.linalg.inv(covariances)  # scikit-learn's precisions_init; outside timing
    return X, weights, means, covariances, precisions


def fit_sklearn(X, w, m, P, n_iter, reg=1e-6):
    return SkGaussianMixture(len(w), covariance_type="full", max_iter=n_iter, tol=0.0,
                             reg_covar=reg, weights_init=w, means_init=m,
                             precisions_init=P).fit(X)


def fit_mlhw(X, w, m, C, n_iter, reg=1e-6):
    return GaussianMixture(len(w), max_iter=n_iter, tol=0.0, reg_covar=reg, weights_init=w,
                           means_init=m, covariances_init=C).fit(X)


def timed(fn, repeats):
    best = np.inf
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def target_case(repeats, N=100_000, d=8, K=8, n_iter=10):
    log(f"[1/3] target case: N={N}, d={d}, K={K}, {n_iter} EM iterations, min of {repeats}")
    X, w, m, C, P = make_problem(N, d, K)
    t_sk, t_ml, t_sk1 = np.inf, np.inf, np.inf
    sk = ml = None
    for r in range(repeats):  # interleave so that load changes hit both libraries
        t, sk = timed(lambda: fit_sklearn(X, w, m, P, n_iter), 1)
        t_sk = min(t_sk, t)
        t, ml = timed(lambda: fit_mlhw(X, w, m, C, n_iter), 1)
        t_ml = min(t_ml, t)
        # scikit-learn with BLAS limited to one thread, as mlhwlib runs: on a busy
        # machine its threaded BLAS can be much slower, which would inflate the ratio
        with threadpool_limits(limits=1, user_api="blas"):
            t, _ = timed(lambda: fit_sklearn(X, w, m, P, n_iter), 1)
        t_sk1 = min(t_sk1, t)
        log(f"      repeat {r + 1}/{repeats}: sklearn {t_sk:.3f} s, sklearn 1-thread BLAS "
            f"{t_sk1:.3f} s, mlhwlib {t_ml:.3f} s (best so far), ratio {t_sk / t_ml:.2f} "
            f"(vs 1-thread {t_sk1 / t_ml:.2f})")
    diff_means = float(np.max(np.abs(ml.means_ - sk.means_)))
    diff_cov = float(np.max(np.abs(ml.covariances_ - sk.covariances_)))
    diff_lb = float(abs(ml.lower_bound_ - sk.lower_bound_))
    res = {
        "N": N, "d": d, "K": K, "iterations": n_iter, "tol": 0.0, "reg_covar": 1e-6,
        "repeats": repeats, "sklearn_s": t_sk, "mlhwlib_s": t_ml, "ratio": t_sk / t_ml,
        "sklearn_1thread_blas_s": t_sk1, "ratio_vs_sklearn_1thread_blas": t_sk1 / t_ml,
        "load_average_1min_at_end": os.getloadavg()[0],
        "max_abs_diff_means": diff_means, "max_abs_diff_covariances": diff_cov,
        "abs_diff_lower_bound": diff_lb, "equal": bool(diff_means <= 1e-8),
    }
    log(f"      ratio {res['ratio']:.2f}x (vs 1-thread sklearn {res['ratio_vs_sklearn_1thread_blas']:.2f}x), "
        f"max |means diff| {diff_means:.1e}, "
        f"equal: {'yes' if res['equal'] else 'NO'}")
    return res


def peak_memory(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base


def memory_case(N=1_000_000, d=8, K=8):
    log(f"[2/3] memory of one EM step: N={N}, d={d}, K={K} (tracemalloc)")
    X, w, m, C, P = make_problem(N, d, K, seed=1)
    unit = N * K * 8
    ml = peak_memory(lambda: em_step(X, w, m, C, reg_covar=1e-6))
    log(f"      mlhwlib em_step: {ml / 1e6:.1f} MB = {ml / unit:.2f} x (N*K float64)")
    sk = peak_memory(lambda: fit_sklearn(X, w, m, P, 1))
    log(f"      sklearn fit(max_iter=1): {sk / 1e6:.1f} MB = {sk / unit:.2f} x (N*K float64)")
    return {"N": N, "d": d, "K": K, "unit_bytes_NK_float64": unit,
            "mlhwlib_em_step_peak_bytes": int(ml), "mlhwlib_em_step_peak_NK": ml / unit,
            "sklearn_one_iteration_peak_bytes": int(sk), "sklearn_one_iteration_peak_NK": sk / unit,
            "X_bytes": int(X.nbytes)}


def per_iteration(N, d, K, n_iter, repeats):
    X, w, m, C, P = make_problem(N, d, K, seed=2)
    t_sk, _ = timed(lambda: fit_sklearn(X, w, m, P, n_iter), repeats)
    t_ml, _ = timed(lambda: fit_mlhw(X, w, m, C, n_iter), repeats)
    return {"N": N, "d": d, "K": K, "iterations": n_iter,
            "sklearn_s_per_iter": t_sk / n_iter, "mlhwlib_s_per_iter": t_ml / n_iter,
            "ratio": t_sk / t_ml}


def scaling(quick):
    log("[3/3] scaling: time per EM iteration")
    d = 8
    Ns = [1_000, 10_000, 100_000] if quick else [1_000, 3_000, 10_000, 30_000, 100_000,
                                                   300_000, 1_000_000]
    Ks = [2, 4, 8, 16] if quick else [2, 4, 8, 16, 32]
    vs_N, vs_K = [], []
    for N in Ns:
        reps = 5 if N <= 30_000 else (3 if N <= 100_000 else 2)
        r = per_iteration(N, d, 8, n_iter=5 if N < 1_000_000 else 3, repeats=reps)
        vs_N.append(r)
        log(f"      N={N:>8d} K=8 : sklearn {r['sklearn_s_per_iter'] * 1e3:8.2f} ms/iter, "
            f"mlhwlib {r['mlhwlib_s_per_iter'] * 1e3:8.2f} ms/iter, ratio {r['ratio']:.2f}")
    for K in Ks:
        N = 30_000 if quick else 100_000
        r = per_iteration(N, d, K, n_iter=5, repeats=2)
        vs_K.append(r)
        log(f"      N={N:>8d} K={K:<2d}: sklearn {r['sklearn_s_per_iter'] * 1e3:8.2f} ms/iter, "
            f"mlhwlib {r['mlhwlib_s_per_iter'] * 1e3:8.2f} ms/iter, ratio {r['ratio']:.2f}")
    return {"vs_N": vs_N, "vs_K": vs_K}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and sizes")
    ap.add_argument("--repeats", type=int, default=None, help="repeats of the target case")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "mlhwlib" / "data" / "results_gmm.json"))
    args = ap.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    t0 = time.perf_counter()
    results = {"benchmark": "gmm", "machine": machine(),
               "target": target_case(repeats),
               "memory": memory_case(N=200_000 if args.quick else 1_000_000),
               "scaling": scaling(args.quick)}
    results["total_runtime_s"] = time.perf_counter() - t0
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    tg = results["target"]
    log(f"GMM: sklearn {tg['sklearn_s']:.3f} s, mlhwlib {tg['mlhwlib_s']:.3f} s, "
        f"ratio {tg['ratio']:.2f}x, equal results: {'yes' if tg['equal'] else 'no'}; "
        f"written to {args.out}")
    return results


if __name__ == "__main__":
    main()
