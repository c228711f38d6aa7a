"""The book's longer experiments, which need PyTorch (not a dependency of mlhwlib).

Their results are committed in ``mlhwlib/data`` (read with
:func:`mlhwlib.book.result`); the chapters read those results and, where PyTorch
is installed, recompute part of them to check the file.
"""

__all__: list[str] = []  # the experiments are modules: import them by name
