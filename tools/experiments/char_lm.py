"""Train the LSTM chapter's character-level language models (about 6 minutes on one thread).

The code is :mod:`mlhwlib.experiments.char_lm` (numpy and mlhwlib only); this script
writes ``mlhwlib/data/char_lm_results.json``, which ``book/lstm_trace.ipynb`` reads::

    OMP_NUM_THREADS=1 .venv/bin/python tools/experiments/char_lm.py           # everything
    OMP_NUM_THREADS=1 .venv/bin/python tools/experiments/char_lm.py --quick   # the quick configuration only
"""

import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from mlhwlib.experiments.char_lm import main

if __name__ == "__main__":
    res = main(quick="--quick" in sys.argv[1:])
    print({k: v for k, v in res.get("quick", {}).items() if k in ("seconds",)},
          "full:", res.get("seconds"))
