"""Reference SAMME.R fits computed with scikit-learn 1.5.2, the last release with SAMME.R.

scikit-learn removed ``AdaBoostClassifier(algorithm="SAMME.R")`` in 1.6, so the
project's own environment cannot run it. This script builds a separate virtual
environment with scikit-learn 1.5.2 (``python3 -m venv`` + ``pip install
scikit-learn==1.5.2 "numpy<2.1" scipy``, from PyPI), re-runs itself inside it and
fits ``AdaBoostClassifier(algorithm="SAMME.R")`` on the configurations of
:data:`CONFIGS`: iris (K = 3, and a binary sub-problem), a small Zhu et al.
simulation (``make_gaussian_quantiles``, 10 features, K = 3 and K = 5), depth-1
and depth-2 trees, ``learning_rate`` 1 and others, user ``sample_weight``
(with zeros), string labels, and a fit that stops after a perfect first round.
For each it writes the test predictions, ``decision_function``,
``predict_proba``, the staged test errors, ``estimator_errors_`` and
``estimator_weights_`` of the fitted rounds, and a SHA-256 of the data (so a
test notices if the data generator ever changes) to
``tests/data/sklearn15_sammer_reference.json``.

``tests/test_samme_r.py`` fits ``MultiClassAdaBoost(algorithm="SAMME.R")`` with
the same estimator and ``random_state`` and compares with this file (1e-10).
Both run under the *reference profile* (``tools/numeric_profile.py``: numpy's
AVX-512 kernels off), because a tree split near a tie follows the last bit of
numpy's ``exp``, which differs between the AVX-512 and the AVX2 kernels.

Usage::

    python tools/experiments/sklearn15_sammer_reference.py [--venv /tmp/sk15]
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "sklearn15_sammer_reference.json"
SKLEARN = "1.5.2"

# name -> data set, tree depth, learning rate, rounds, random_state, weights, labels
CONFIGS = {
    "iris_d1": dict(data="iris", depth=1, learning_rate=1.0, n_estimators=30, random_state=0),
    "iris_d2_lr0.5_strings": dict(data="iris", depth=2, learning_rate=0.5, n_estimators=25,
                                  random_state=1, labels="strings"),
    "iris_d1_weights": dict(data="iris", depth=1, learning_rate=1.0, n_estimators=20,
                            random_state=2, weights="random_with_zeros"),
    "iris_binary_d1_lr1.5": dict(data="iris_binary", depth=1, learning_rate=1.5,
                                 n_estimators=30, random_state=3),
    "iris_setosa_perfect": dict(data="iris_setosa", depth=1, learning_rate=1.0,
                                n_estimators=10, random_state=4),
    "zhu_k3_d1": dict(data="zhu3", depth=1, learning_rate=1.0, n_estimators=60, random_state=5),
    "zhu_k3_d2_lr0.3_weights": dict(data="zhu3", depth=2, learning_rate=0.3, n_estimators=40,
                                    random_state=6, weights="random"),
    "zhu_k5_d2": dict(data="zhu5", depth=2, learning_rate=1.0, n_estimators=30, random_state=7),
}


def load(name):
    """(X_train, y_train, X_test, y_test) of a configuration's data set (numpy arrays)."""
    from sklearn.datasets import load_iris, make_gaussian_quantiles
    if name.startswith("iris"):
        X, y = load_iris(return_X_y=True)
        if name == "iris_binary":
            X, y = X[y > 0], y[y > 0]
        elif name == "iris_setosa":
            y = (y == 0).astype(int)
        return X, y, X, y
    n_classes = int(name[-1])
    X, y = make_gaussian_quantiles(n_samples=800, n_features=10, n_classes=n_classes,
                                   random_state=1)
    return X[:500], y[:500], X[500:], y[500:]


def sample_weight(kind, n):
    import numpy as np
    if kind is None:
        return None
    w = np.random.RandomState(0).uniform(0.2, 2.0, n)
    if kind == "random_with_zeros":
        w[::7] = 0.0
    return w


def data_hash(*arrays):
    import numpy as np
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()


def outputs(clf, X_te, y_te):
    """What the reference records of a fitted SAMME.R classifier (and the test compares)."""
    import numpy as np
    T = len(clf.estimators_)
    return {
        "n_fitted": T,
        "classes": clf.classes_.tolist(),
        "predict": clf.predict(X_te).tolist(),
        "decision_function": clf.decision_function(X_te).tolist(),
        "predict_proba": clf.predict_proba(X_te).tolist(),
        "predict_proba_from_log": np.exp(clf.predict_log_proba(X_te)).tolist(),
        "staged_test_error": [float(np.mean(p != y_te)) for p in clf.staged_predict(X_te)],
        "staged_decision_first": next(clf.staged_decision_function(X_te)).tolist(),
        "estimator_errors": clf.estimator_errors_[:T].tolist(),
        "estimator_weights": clf.estimator_weights_[:T].tolist(),
    }


def worker():
    """Runs inside the scikit-learn 1.5 environment: fit every configuration."""
    import numpy as np
    import scipy
    import sklearn
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier
    assert sklearn.__version__ == SKLEARN, sklearn.__version__
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
           "python": sys.version.split()[0],
           "numeric_profile": "reference (numpy's AVX-512 kernels off): "
                              + (os.environ.get("NPY_DISABLE_CPU_FEATURES") or "none on this CPU"),
           "configs": {}}
    for name, cfg in CONFIGS.items():
        X, y, X_te, y_te = load(cfg["data"])
        names = np.array(["setosa", "versicolor", "virginica"])
        if cfg.get("labels") == "strings":
            y, y_te = names[y], names[y_te]
        w = sample_weight(cfg.get("weights"), len(y))
        clf = AdaBoostClassifier(DecisionTreeClassifier(max_depth=cfg["depth"]),
                                 n_estimators=cfg["n_estimators"], algorithm="SAMME.R",
                                 learning_rate=cfg["learning_rate"],
                                 random_state=cfg["random_state"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)   # SAMME.R's deprecation
            clf.fit(X, y, sample_weight=w)
        out["configs"][name] = {**cfg, "data_sha256": data_hash(X, X_te), **outputs(clf, X_te, y_te)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(CONFIGS)} configurations")


def main():
    venv = Path(sys.argv[sys.argv.index("--venv") + 1]) if "--venv" in sys.argv else Path("/tmp/sk15")
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    ok = subprocess.run([str(py), "-c", f"import sklearn; assert sklearn.__version__ == '{SKLEARN}'"],
                        capture_output=True).returncode == 0
    if not ok:
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"scikit-learn=={SKLEARN}",
                        "numpy<2.1", "scipy"], check=True)
    sys.path.insert(0, str(ROOT / "tools"))
    from numeric_profile import reference_profile

    env = reference_profile(str(py))
    subprocess.run([str(py), __file__, "--worker"], check=True, env=dict(os.environ, **env))


if __name__ == "__main__":
    worker() if "--worker" in sys.argv else main()
