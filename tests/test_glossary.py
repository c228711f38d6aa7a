"""The glossary agrees with the chapters in what can be checked mechanically.

Checked here: no retired notation (the course's f(z_f), f(z_i), f(z_o) for the
LSTM gates; the LSTM chapter writes f_t = sigma(z_f), i_t = sigma(z_i),
o_t = sigma(z_o)); the forget gate is credited to Gers et al. (2000), not only to
Hochreiter & Schmidhuber (1997); no entry restates the per-step criterion
("Jacobians above / below 1") that the BPTT chapter's erratum refutes; every
{doc} target is a page of the book, and every cited key is in references.bib.
"""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

GLOSSARY = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
BIB = (ROOT / "references.bib").read_text(encoding="utf-8")


def entries():
    # the {glossary} block: a term at column 2 (after the fence), its text indented
    body = GLOSSARY.split("```{glossary}", 1)[1].split("```", 1)[0]
    found, term = {}, None
    for line in body.splitlines():
        if line and not line.startswith(" "):
            term = line.strip()
            found[term] = ""
        elif term is not None:
            found[term] += " " + line.strip()
    return found


ENTRIES = entries()


def test_the_glossary_is_parsed():
    # guards the tests below against a parser that finds nothing
    assert len(ENTRIES) >= 20
    for term in ("LSTM", "Forget gate", "Input gate", "Output gate",
                 "Exploding gradient", "Vanishing gradient"):
        assert term in ENTRIES, term
        assert ENTRIES[term].strip(), term


def test_no_retired_gate_notation():
    # f(z_f), f(z_i), f(z_o) and f(z_{...}): the course's sigmoid called f
    retired = re.findall(r"f\(\s*z_\{?[a-z]", GLOSSARY)
    assert not retired, retired


@pytest.mark.parametrize("term, symbol", [("Forget gate", r"f_t = \sigma(z_f)"),
                                          ("Input gate", r"i_t = \sigma(z_i)"),
                                          ("Output gate", r"o_t = \sigma(z_o)")])
def test_gate_entries_use_the_lstm_chapter_notation(term, symbol):
    assert symbol in ENTRIES[term]
    lstm = (ROOT / "book" / "lstm_trace.ipynb").read_text(encoding="utf-8")
    # the same definition, as the LSTM chapter writes it (JSON-escaped backslash)
    assert symbol.replace("\\", "\\\\") in lstm


def cited_keys(text):
    keys = []
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]*)`", text):
        keys += [k.strip() for k in group.split(",")]
    return keys


def test_forget_gate_is_credited_to_gers_2000():
    assert "gers2000forget" in cited_keys(ENTRIES["Forget gate"])
    assert "gers2000forget" in cited_keys(ENTRIES["LSTM"])
    assert "hochreiter1997lstm" in cited_keys(ENTRIES["LSTM"])
    # and the key is the 2000 Neural Computation paper
    entry = re.search(r"@\w+\{gers2000forget,(.*?)\n\}", BIB, re.S).group(1)
    assert "Learning to Forget" in entry and "2000" in entry and "Gers" in entry


def test_every_cited_key_is_in_the_bibliography():
    keys = cited_keys(GLOSSARY)
    assert keys
    bib_keys = set(re.findall(r"@\w+\{([^,\s]+),", BIB))
    missing = sorted(set(keys) - bib_keys)
    assert not missing, missing


# "when the per-step Jacobians have magnitude above 1" and its variants: a
# criterion on the single factors, refuted by the BPTT chapter's erratum
PER_STEP = re.compile(
    r"(when|if|whenever)[^.]*\bJacobians?\b[^.]*"
    r"\b(above|below|greater than|less than|larger than|smaller than|exceeds?)\s+(1|one)\b",
    re.I)


def test_no_per_step_jacobian_criterion():
    hits = [m.group(0) for m in PER_STEP.finditer(GLOSSARY)]
    assert not hits, hits
    # the regular expression catches the retired wording
    assert PER_STEP.search("propagated through, when the per-step Jacobians "
                           "have magnitude above 1.")


def test_gradient_entries_state_the_product_bound():
    for term in ("Exploding gradient", "Vanishing gradient"):
        text = ENTRIES[term]
        assert "product" in text and "singular value" in text, term
        assert "pascanu2013difficulty" in cited_keys(text), term
    assert "necessary" in ENTRIES["Exploding gradient"]
    assert "sufficient" in ENTRIES["Vanishing gradient"]


def test_every_doc_target_exists():
    targets = re.findall(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", GLOSSARY)
    assert targets
    for t in set(targets):
        page = ROOT / "book" / t
        assert (page.with_suffix(".md").exists()
                or page.with_suffix(".ipynb").exists()), t
