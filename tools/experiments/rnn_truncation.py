"""Run the BPTT chapter's truncation experiment (a few minutes on one thread).

The code is :mod:`mlhwlib.experiments.rnn_truncation` (it needs PyTorch); this script
writes ``mlhwlib/data/rnn_truncation_results.json``, which ``book/bptt.ipynb`` reads::

    .venv/bin/python tools/experiments/rnn_truncation.py           # the whole grid
    .venv/bin/python tools/experiments/rnn_truncation.py --quick   # one configuration
"""

import sys

from mlhwlib.experiments.rnn_truncation import main

if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
