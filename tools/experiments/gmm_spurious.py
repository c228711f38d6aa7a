"""Spurious maxima and the choice of K for Gaussian mixtures, replicated over seeds.

Read by the GMM chapter (section "Spurious maxima and choosing K, replicated").

**Truths.** (a) The chapter's two-dimensional mixture: weights (0.45, 0.35, 0.2),
the means and covariances of its EM example (K = 3, d = 2). (b) The chapter's
one-dimensional "gamma run" mixture 0.9 N(0, 1) + 0.1 N(2, 1) (K = 2, d = 1).

**Spurious solutions** (truth a; N in ``NS``, data seeds ``SEEDS``, K in ``KS``):
from ``STARTS`` random starts per data set (weights 1/K, means K distinct data
points, every covariance the sample covariance; start ``j`` of data seed ``s`` uses
``numpy.random.default_rng(1000 s + j)``), three fits:

* ``reg_covar``: EM with scikit-learn's default ``reg_covar = 1e-6``
  (``sklearn.mixture.GaussianMixture`` from that start);
* ``map_em``: MAP-EM (``mlhwlib.gmm.map_em_step``) with Fraley & Raftery's prior
  ``Psi = S / K^(2/d)`` (``S`` the sample covariance) and ``nu = d + 2``;
* ``variational``: ``sklearn.mixture.BayesianGaussianMixture`` with scikit-learn's
  default priors (a Dirichlet process with concentration 1/K), ``init_params =
  "random_from_data"`` and ``random_state = 1000 s + j`` (it takes no initial means, so
  its starts are drawn alike but are not the same points).

A fit is **spurious** when some component *in use* (``N_k = N pi_k >= 1``
effective point) is *near-singular*, its covariance's smallest eigenvalue below
``TAU`` = 0.01 x the smallest eigenvalue of the true covariances (0.2), i.e. 2e-3,
or *thin*, holding fewer than ``d + 1`` effective points (too few to determine a
d-dimensional covariance without the regulariser or prior). Both are counted
separately and together ("either"), per data set (out of ``STARTS`` starts). A fit
that fails (a covariance not positive definite) counts as both and under "failed"
(none did in the committed run). The chapter calls a fit spurious when it is
near-singular; thin components are reported beside it.

**Choosing K** (truth a, the same data sets; truth b, N in ``NS_1D``): for K = 1 ..
``KMAX`` scikit-learn's EM (``n_init = 3``, k-means starts, ``random_state`` = seed)
gives BIC, AIC, ICL (BIC plus twice the entropy of the responsibilities) and the
5-fold cross-validated held-out log-likelihood; each criterion picks a K. The
variational model with ``n_components = KMAX`` picks the number of components whose
weight is at least ``VB_WEIGHT`` = 1 %. The chapter's own data set of truth b (its
``default_rng(5)`` sample of 2000 points) is the worked example.

Deterministic (fixed seeds; one BLAS thread). About 2 minutes of CPU time on one core.

Usage::

    python tools/experiments/gmm_spurious.py           # writes mlhwlib/data/gmm_spurious.json
    python tools/experiments/gmm_spurious.py --quick   # the short configuration, printed

``tests/test_gmm_spurious_experiment.py`` re-runs ``--quick`` and compares with the file's
``quick`` section.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from mlhwlib.gmm import log_posterior, map_em_step  # noqa: E402

OUT = ROOT / "mlhwlib" / "data" / "gmm_spurious.json"

TRUE_W = np.array([0.45, 0.35, 0.2])
TRUE_M = np.array([[0.0, 0.0], [5.0, 3.0], [-1.0, 6.0]])
TRUE_C = np.array([[[2.0, 1.2], [1.2, 1.0]], [[0.6, -0.3], [-0.3, 0.8]],
                   [[1.5, 0.0], [0.0, 0.3]]])
TAU = 0.01 * float(min(np.linalg.eigvalsh(c).min() for c in TRUE_C))
W1, M1, S1 = np.array([0.9, 0.1]), np.array([0.0, 2.0]), np.array([1.0, 1.0])

FULL = dict(NS=[30, 60, 150, 600], SEEDS=list(range(10)), KS=[3, 5], STARTS=5,
            KMAX=6, NS_1D=[500, 2000, 8000], MAX_ITER=500)
QUICK = dict(NS=[60], SEEDS=[0, 1], KS=[5], STARTS=2, KMAX=4, NS_1D=[500], MAX_ITER=500)
VB_WEIGHT = 0.01   # a variational component counts when its weight is at least 1 %
CRITERIA = ["bic", "aic", "icl", "cv", "variational"]


def sample_2d(n, seed):
    rng = np.random.default_rng(seed)
    z = rng.choice(3, size=n, p=TRUE_W)
    L = np.linalg.cholesky(TRUE_C)
    return TRUE_M[z] + np.einsum("nij,nj->ni", L[z], rng.standard_normal((n, 2)))


def sample_1d(n, seed):
    rng = np.random.default_rng(seed)
    z = rng.random(n) < W1[1]
    return np.where(z, rng.normal(M1[1], S1[1], n), rng.normal(M1[0], S1[0], n))[:, None]


def gamma_run_data():
    """The chapter's data set of the gamma run (its cell draws exactly this)."""
    rng = np.random.default_rng(5)
    z1 = rng.random(2000) < 0.1
    return np.where(z1, rng.normal(2.0, 1.0, 2000), rng.normal(0.0, 1.0, 2000))[:, None]


def spurious(weights, covariances, n, d):
    """``(near_singular, thin)`` for the components in use (``N_k >= 1``)."""
    nk = n * np.asarray(weights)
    lam = np.linalg.eigvalsh(covariances).min(axis=1)
    used = nk >= 1.0
    return bool(np.any(used & (lam < TAU))), bool(np.any(used & (nk < d + 1)))


def start(X, K, rng):
    pts = np.unique(X, axis=0)
    means = pts[np.sort(rng.choice(len(pts), size=K, replace=False))]
    cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
    return np.full(K, 1.0 / K), means, np.repeat(cov[None], K, axis=0)


def fit_reg_covar(X, w, m, C, max_iter):
    f = GaussianMixture(len(w), reg_covar=1e-6, tol=1e-6, max_iter=max_iter,
                        weights_init=w, means_init=m,
                        precisions_init=np.linalg.inv(C)).fit(X)
    return f.weights_, f.covariances_


def fit_map_em(X, w, m, C, max_iter):
    N, d = X.shape
    K = len(w)
    psi = np.atleast_2d(np.cov(X, rowvar=False, bias=True)) / K ** (2.0 / d)
    nu = d + 2.0
    p = (w, m, C)
    prev = log_posterior(X, *p, psi, nu)
    for _ in range(max_iter):
        p = map_em_step(X, *p, psi, nu)
        cur = log_posterior(X, *p, psi, nu)
        if abs(cur - prev) < 1e-6 * N:
            break
        prev = cur
    return p[0], p[2]


def fit_variational(X, K, seed, max_iter):
    f = BayesianGaussianMixture(n_components=K, init_params="random_from_data",
                                max_iter=max_iter, tol=1e-6, random_state=seed).fit(X)
    return f.weights_, f.covariances_


def spurious_table(cfg):
    out = {}
    for n in cfg["NS"]:
        for K in cfg["KS"]:
            rows = {m: {"singular": [], "thin": [], "either": [], "failed": []}
                    for m in ("reg_covar", "map_em", "variational")}
            for s in cfg["SEEDS"]:
                X = sample_2d(n, s)
                d = X.shape[1]
                counts = {m: dict.fromkeys(rows[m], 0) for m in rows}
                for j in range(cfg["STARTS"]):
                    w, m, C = start(X, K, np.random.default_rng(1000 * s + j))
                    for name in rows:
                        try:
                            if name == "reg_covar":
                                wf, Cf = fit_reg_covar(X, w, m, C, cfg["MAX_ITER"])
                            elif name == "map_em":
                                wf, Cf = fit_map_em(X, w, m, C, cfg["MAX_ITER"])
                            else:
                                wf, Cf = fit_variational(X, K, 1000 * s + j, cfg["MAX_ITER"])
                            sing, thin = spurious(wf, Cf, n, d)
                        except (ValueError, np.linalg.LinAlgError):
                            sing = thin = True
                            counts[name]["failed"] += 1
                        counts[name]["singular"] += int(sing)
                        counts[name]["thin"] += int(thin)
                        counts[name]["either"] += int(sing or thin)
                for name in rows:
                    for kind in rows[name]:
                        rows[name][kind].append(counts[name][kind])
            out[f"N={n},K={K}"] = rows
    return out


def icl(f, X):
    g = f.predict_proba(X)
    ent = -np.sum(g * np.log(np.clip(g, 1e-300, None)))
    return f.bic(X) + 2.0 * ent


def choose_k(X, seed, kmax, max_iter):
    """The K each criterion picks, and the criteria themselves."""
    N, d = X.shape
    Ks = list(range(1, kmax + 1))
    crit = {"bic": [], "aic": [], "icl": [], "cv": []}
    for K in Ks:
        f = GaussianMixture(K, n_init=3, random_state=seed, max_iter=max_iter).fit(X)
        crit["bic"].append(float(f.bic(X)))
        crit["aic"].append(float(f.aic(X)))
        crit["icl"].append(float(icl(f, X)))
        held = []
        for tr, te in KFold(5, shuffle=True, random_state=seed).split(X):
            g = GaussianMixture(K, n_init=3, random_state=seed, max_iter=max_iter).fit(X[tr])
            held.append(g.score(X[te]))
        crit["cv"].append(float(np.mean(held)))
    chosen = {c: Ks[int(np.argmin(crit[c]))] for c in ("bic", "aic", "icl")}
    chosen["cv"] = Ks[int(np.argmax(crit["cv"]))]
    v = BayesianGaussianMixture(n_components=kmax, max_iter=max_iter, tol=1e-6,
                                random_state=seed).fit(X)
    chosen["variational"] = int(np.sum(v.weights_ >= VB_WEIGHT))
    return chosen, crit


def choose_table(cfg, sampler, ns):
    out = {}
    for n in ns:
        picks = {c: [] for c in CRITERIA}
        for s in cfg["SEEDS"]:
            chosen, _ = choose_k(sampler(n, s), s, cfg["KMAX"], cfg["MAX_ITER"])
            for c in CRITERIA:
                picks[c].append(chosen[c])
        out[f"N={n}"] = picks
    return out


def gamma_example(kmax, max_iter):
    X = gamma_run_data()
    chosen, crit = choose_k(X, 0, kmax, max_iter)
    best = GaussianMixture(2, n_init=10, random_state=0, tol=1e-10, max_iter=20000,
                           reg_covar=0.0).fit(X)
    truth = GaussianMixture(2)
    truth.weights_, truth.means_ = W1, M1[:, None]
    truth.covariances_ = (S1 ** 2)[:, None, None]
    truth.precisions_cholesky_ = 1.0 / S1[:, None, None]
    order = np.argsort(best.means_[:, 0])
    return {"chosen": chosen, "criteria": crit,
            "ml_fit": {"weights": best.weights_[order].tolist(),
                       "means": best.means_[order, 0].tolist(),
                       "variances": best.covariances_[order, 0, 0].tolist(),
                       "mean_loglik": float(best.score(X))},
            "truth_mean_loglik": float(truth.score(X))}


def run(cfg):
    warnings.simplefilter("ignore", ConvergenceWarning)
    res = {"spurious": spurious_table(cfg),
           "choose_k_2d": choose_table(cfg, sample_2d, cfg["NS"]),
           "choose_k_1d": choose_table(cfg, sample_1d, cfg["NS_1D"])}
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="run the short configuration and print its JSON")
    args = ap.parse_args(argv)
    if args.quick:
        print(json.dumps(run(QUICK), sort_keys=True))
        return
    t0 = time.time()
    full = run(FULL)
    full["gamma_example"] = gamma_example(4, FULL["MAX_ITER"])
    doc = {"description": "tools/experiments/gmm_spurious.py: spurious maxima and the "
                          "choice of K, replicated (see the script's docstring)",
           "config": FULL, "quick_config": QUICK, "tau": TAU, "true_k_2d": 3,
           "true_k_1d": 2, "sklearn": sklearn.__version__,
           "seconds": round(time.time() - t0), "results": full, "quick": run(QUICK)}
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT} in {doc['seconds']} s")


if __name__ == "__main__":
    main()
