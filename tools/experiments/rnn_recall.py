"""Run the LSTM chapter's first-token recall experiment (about an hour on one thread).

The code is :mod:`mlhwlib.experiments.rnn_recall` (it needs PyTorch); this script
writes its results to ``mlhwlib/data/rnn_recall_results.json``, which ships with
the package and which ``book/lstm_trace.ipynb`` reads::

    .venv/bin/python tools/experiments/rnn_recall.py
"""

from mlhwlib.experiments.rnn_recall import main

if __name__ == "__main__":
    main()
