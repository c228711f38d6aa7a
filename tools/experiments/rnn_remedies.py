"""Run the LSTM chapter's remedies experiment (about half an hour on one thread).

The code is :mod:`mlhwlib.experiments.rnn_remedies` (it needs PyTorch); this script
writes ``mlhwlib/data/rnn_remedies_results.json``, which ``book/lstm_trace.ipynb`` reads::

    .venv/bin/python tools/experiments/rnn_remedies.py           # the whole grid
    .venv/bin/python tools/experiments/rnn_remedies.py --quick   # one configuration
"""

import sys

from mlhwlib.experiments.rnn_remedies import main

if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
