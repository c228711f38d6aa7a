"""Run the LSTM chapter's first-token recall experiment (about an hour on one thread).

The code is :mod:`mlhwlib.experiments.rnn_recall` (it needs PyTorch); this script
writes its results to ``mlhwlib/data/rnn_recall_results.json``, which ships with
the package and which ``book/lstm_trace.ipynb`` reads::

    .venv/bin/python tools/experiments/rnn_recall.py

With ``--extend`` it only appends the runs of the grid that the file lacks (the
rates ``LR_EXTEND`` beyond the edge of the first grid, a few minutes)::

    .venv/bin/python tools/experiments/rnn_recall.py --extend
"""

import sys

from mlhwlib.experiments.rnn_recall import extend, main

if __name__ == "__main__":
    extend() if "--extend" in sys.argv[1:] else main()
