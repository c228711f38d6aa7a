"""SQUAREM against plain EM on the GMM chapter's slow run (issue 28, depth A (iii)).

Data: the chapter's slow one-dimensional example, 2000 points, 10 % from N(2, 1)
and 90 % from N(0, 1) (``numpy.random.default_rng(5)``), fitted with two
components, ``reg_covar = 0`` and ``tol = 1e-10`` on the mean log-likelihood.
Starts: the chapter's start (weights 1/2, means -0.5 and 1, unit variances) and
``init_params="random"`` with seeds 0-9, eleven in all.  For every start and
method the script records the iterations (E-steps; SQUAREM's include rejected
extrapolations), the final mean log-likelihood, the largest distance of the
fitted parameters from the limit (computed once by EM run until its steps are
below 1e-13) and the wall-clock time (the median of ``REPEATS`` runs, one BLAS
thread, as the estimator always uses).

Usage::

    python tools/experiments/gmm_squarem.py   # writes mlhwlib/data/gmm_squarem_results.json

``tests/test_gmm_rate.py`` re-runs one start and compares its iterations with the file.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from mlhwlib.gmm import GaussianMixture, em_step  # noqa: E402

OUT = ROOT / "mlhwlib" / "data" / "gmm_squarem_results.json"
SEEDS = list(range(10))
REPEATS = 3
TOL = 1e-10
CHAPTER_START = dict(weights_init=[0.5, 0.5], means_init=[[-0.5], [1.0]],
                     covariances_init=[[[1.0]], [[1.0]]])


def slow_data():
    rng = np.random.default_rng(5)
    z = rng.random(2000) < 0.1
    return np.where(z, rng.normal(2.0, 1.0, 2000), rng.normal(0.0, 1.0, 2000))[:, None]


def flat(w, m, C):
    order = np.argsort(m[:, 0])
    return np.concatenate([w[order][:1], m[order, 0], C[order, 0, 0]])


def limit(X):
    p = tuple(np.asarray(a, float) for a in CHAPTER_START.values())
    while True:
        q = em_step(X, *p)
        if max(np.abs(a - b).max() for a, b in zip(p, q)) < 1e-13:
            return flat(*q)
        p = q


def run(X, start, accelerate):
    kw = dict(tol=TOL, max_iter=100000, reg_covar=0.0, accelerate=accelerate)
    kw.update(CHAPTER_START if start == "chapter" else dict(init_params="random",
                                                            random_state=start))
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        f = GaussianMixture(2, **kw).fit(X)
        times.append(time.perf_counter() - t)
    return f, float(np.median(times))


def main():
    X = slow_data()
    star = limit(X)
    rows = []
    for start in ["chapter", *SEEDS]:
        row = {"start": start}
        for name, acc in (("em", None), ("squarem", "squarem")):
            f, sec = run(X, start, acc)
            row[name] = {"n_iter": int(f.n_iter_), "converged": bool(f.converged_),
                         "mean_log_likelihood": float(f.lower_bound_),
                         "distance_to_limit": float(np.abs(flat(f.weights_, f.means_,
                                                                f.covariances_) - star).max()),
                         "seconds": sec}
        rows.append(row)
        print(start, row["em"]["n_iter"], row["squarem"]["n_iter"],
              round(row["em"]["seconds"] / row["squarem"]["seconds"], 1), flush=True)
    out = {"description": __doc__.split("\n\n")[0],
           "tol": TOL, "repeats": REPEATS, "seeds": SEEDS,
           "machine": {"python": platform.python_version(), "processor": platform.machine()},
           "runs": rows}
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
