"""Sphinx extension: lettered appendices do not make every build rewrite them.

The chapters are numbered by ``_toc.yml`` (``numbered: 3`` on the parts) and the
appendices lettered by sphinx-external-toc (``style: alphaupper``). Its collector
(1.1) asks Sphinx to number the toctrees, 1, 2, ..., 6, 7, ..., and then letters
the appendices; but Sphinx compares its own numbers (6, 7) with the lettered ones
(A, B) the last build stored, finds them changed and has every appendix, and the
page holding the toctree, written again: a second ``make book`` with nothing
changed was no longer a no-op. This extension reports a page as renumbered only
when its final numbers changed. ``tests/test_toc_numbering.py`` builds a small
project twice, with and without it.
"""

from __future__ import annotations


def setup(app):
    from sphinx_external_toc.collectors import TocTreeCollectorWithStyles

    collector = TocTreeCollectorWithStyles
    if not getattr(collector, "_mlhw_patched", False):
        original = collector.assign_section_numbers

        def assign_section_numbers(self, env):
            old = env.toc_secnumbers  # replaced, not changed in place, by the original
            changed = original(self, env)
            return [doc for doc in changed if env.toc_secnumbers.get(doc) != old.get(doc)]

        collector.assign_section_numbers = assign_section_numbers
        collector._mlhw_patched = True
    return {"parallel_read_safe": True, "parallel_write_safe": True}
