"""mlhwlib: the small library behind the *mlhw-book* textbook.

Each module belongs to one chapter of the book and its docstrings point back to
the section that derives the code:

==================================  ================================================
module                              chapter
==================================  ================================================
:mod:`mlhwlib.lstm`                 the LSTM trace by hand (``book/lstm_trace``)
:mod:`mlhwlib.bptt`                 BPTT for the scalar RNN (``book/bptt``)
:mod:`mlhwlib.clipping`             gradient clipping (``book/bptt``)
:mod:`mlhwlib.vector_rnn`           BPTT for the vector RNN (``book/bptt``)
:mod:`mlhwlib.rtrl`                 real-time recurrent learning (``book/bptt``)
:mod:`mlhwlib.adaboost`             multi-class AdaBoost (``book/adaboost``)
:mod:`mlhwlib.adaboost_estimator`   the scikit-learn estimator ``MultiClassAdaBoost``
:mod:`mlhwlib.stump`                the weighted decision stump AdaBoost boosts
:mod:`mlhwlib.em`                   KL, ELBO and EM (``book/em_elbo_kl``)
:mod:`mlhwlib.gmm`                  EM and MAP-EM for Gaussian mixtures (``book/gmm_em``)
:mod:`mlhwlib.matrix_calculus`      the matrix-calculus appendix
:mod:`mlhwlib.numerics`             shared stable numerics and input validation
:mod:`mlhwlib.plotting`             the book's single figure style
:mod:`mlhwlib.book`                 portable printed checks and glued running times
==================================  ================================================
"""

__version__ = "0.2.0"

__all__ = ["__version__"]
