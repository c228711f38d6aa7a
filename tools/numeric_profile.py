"""The second numeric profile: environment variables that change how numpy and
OpenBLAS round on this machine.

numpy picks SIMD kernels at run time (``__cpu_dispatch__``) and OpenBLAS picks
its kernels by CPU; a committed notebook output must not depend on either. The
*second profile* runs the same code with

* numpy's highest dispatched SIMD level switched off
  (``NPY_DISABLE_CPU_FEATURES``, naming only features this CPU has, so numpy
  accepts it): AVX-512 machines fall back to AVX2, AVX2 machines to the
  baseline;
* a different OpenBLAS kernel (``OPENBLAS_CORETYPE``), chosen among those this
  CPU can run and different from the one OpenBLAS picked by itself;
* one BLAS thread (``OPENBLAS_NUM_THREADS=1``), which changes the order of
  reductions.

Usage::

    python tools/numeric_profile.py                 # print NAME=value lines
    python tools/numeric_profile.py --show          # and show that rounding changes
    python tools/numeric_profile.py --run CMD ...   # run CMD under the second profile

for example ``python tools/numeric_profile.py --run python -m pytest --nbval book/bptt.ipynb``.

"""

from __future__ import annotations

import os
import subprocess
import sys

# OpenBLAS kernels that run on any x86-64 CPU with the named numpy feature.
_CORETYPES = (("Haswell", "AVX2"), ("Sandybridge", "AVX"), ("Prescott", "SSE3"))


def _numpy_features() -> tuple[dict, list[str]]:
    from numpy._core import _multiarray_umath as umath

    return umath.__cpu_features__, list(umath.__cpu_dispatch__)


def _openblas_architecture() -> str:
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("internal_api") == "openblas":
            return str(info.get("architecture", ""))
    return ""


def second_profile() -> dict[str, str]:
    """Environment variables of the second numeric profile on this machine."""
    features, dispatch = _numpy_features()
    present = [name for name in dispatch if features.get(name)]
    env: dict[str, str] = {}
    if present:
        # Switch off the top dispatch tier this CPU has (and everything above it
        # that it has), so numpy falls back to the next tier.
        order = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
        tiers = [t for t in order if t in present]
        top = "X86_V4" if "X86_V4" in tiers else tiers[0]
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(t for t in tiers if order.index(t) >= order.index(top))
    current = os.environ.get("OPENBLAS_CORETYPE") or _openblas_architecture()
    for name, needs in _CORETYPES:
        if features.get(needs) and name.lower() != current.lower():
            env["OPENBLAS_CORETYPE"] = name
            break
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


#: numpy's AVX-512 dispatch targets, by their names in numpy 2.0-2.2 and in numpy 2.3+.
AVX512_TARGETS = ("X86_V4", "AVX512F", "AVX512CD", "AVX512_KNL", "AVX512_KNM", "AVX512_SKX",
                  "AVX512_CLX", "AVX512_CNL", "AVX512_ICL", "AVX512_SPR")

_REFERENCE_CODE = f"""
import json
from numpy._core import _multiarray_umath as u
names = {AVX512_TARGETS!r}
print(json.dumps([n for n in u.__cpu_dispatch__ if n in names and u.__cpu_features__.get(n)]))
"""


def reference_profile(python: str | None = None) -> dict[str, str]:
    """The environment of the *reference profile*: numpy's AVX-512 kernels switched off.

    A committed result that a test compares exactly (a staged error curve, the trees
    SAMME.R grows from its sample weights) depends on the last bits of numpy's ``exp``
    and ``log``, which differ between numpy's AVX-512 kernels and the AVX2 ones; a
    near-tie then splits a tree differently. Every such result is computed, and
    re-computed by its test, with the AVX-512 kernels off: the arithmetic of an AVX2
    machine, which an AVX-512 machine reproduces. On a CPU without AVX-512 this is the
    empty environment. ``python`` names another interpreter (another numpy) to ask.
    """
    if python is None or python == sys.executable:
        features, dispatch = _numpy_features()
        present = [n for n in dispatch if n in AVX512_TARGETS and features.get(n)]
    else:
        import json

        done = subprocess.run([python, "-c", _REFERENCE_CODE], check=True, capture_output=True, text=True)
        present = json.loads(done.stdout)
    if present:
        return {"NPY_DISABLE_CPU_FEATURES": " ".join(present)}
    return {}


def run_under_reference_profile() -> None:
    """Re-execute this script under :func:`reference_profile` unless it already runs so.

    An experiment script whose committed results a test reproduces exactly calls this
    first, before its heavy imports: on a CPU with AVX-512 it restarts itself with
    numpy's AVX-512 kernels off, elsewhere it returns at once.
    """
    env = reference_profile()
    if env and os.environ.get("NPY_DISABLE_CPU_FEATURES") != env["NPY_DISABLE_CPU_FEATURES"]:
        os.execve(sys.executable, [sys.executable, *sys.argv], dict(os.environ, **env))


def call_under_reference_profile(path, function: str, *args):
    """``function(*args)`` of the module file ``path``, computed under :func:`reference_profile`.

    On a CPU without AVX-512 it is called in this process; otherwise in one fresh
    process with numpy's AVX-512 kernels off. The result must be JSON (it is sent back
    as JSON either way, so both paths return the same types); so must ``args``.
    """
    import json

    path = str(path)
    env = reference_profile()
    if not env:
        import importlib.util

        spec = importlib.util.spec_from_file_location("_reference_profile_module", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return json.loads(json.dumps(getattr(module, function)(*json.loads(json.dumps(args)))))
    code = ("import importlib.util, json, sys; "
            f"sys.path.insert(0, {os.path.dirname(os.path.abspath(path))!r}); "
            f"spec = importlib.util.spec_from_file_location('_m', {path!r}); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
            f"print(json.dumps(m.{function}(*json.loads({json.dumps(args)!r}))))")
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{function} under the reference profile failed:\n{done.stderr}")
    return json.loads(done.stdout)


def has_avx2() -> bool:
    """Whether this CPU runs numpy's AVX2 kernels (the reference profile needs them)."""
    features, _ = _numpy_features()
    return bool(features.get("AVX2") and features.get("FMA3"))


RAW_SUM = ("import numpy as np; x = np.random.default_rng(0).standard_normal(100_000); "
           "print(repr(float(np.sum(x))), repr(float(x @ np.ones_like(x))))")


def raw_sums(env: dict[str, str] | None = None) -> str:
    """A full-precision sum of 1e5 random numbers, computed in a fresh process."""
    full = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-c", RAW_SUM], env=full, check=True,
                          capture_output=True, text=True).stdout.strip()


def main(argv: list[str]) -> None:
    env = second_profile()
    if argv[:1] == ["--run"]:
        if len(argv) < 2:
            raise SystemExit("--run needs a command")
        os.execvpe(argv[1], argv[1:], dict(os.environ, **env))
    if "--show" in argv:
        print("second profile:", env)
        print("default profile sums:", raw_sums())
        print("second profile sums: ", raw_sums(env))
        return
    for key, value in env.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main(sys.argv[1:])
