"""Revising a lexicon from gold: keep/drop/add rules on hand-made evidence, cross-validation, files."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.evaluation import read_babe, read_ptc
from analysis.lexicon_revision import (
    ADDED_CATEGORY,
    Evidence,
    cross_validate_revision,
    document_folds,
    gather_evidence,
    lexicon_yaml,
    revise_lexicon,
)
from analysis.lexicons import Lexicon, LexiconEntry, load_lexicon, load_term_precision

GOLD = Path(__file__).parent / "fixtures" / "validation"
BASE = Lexicon(
    "base",
    "base",
    {"labels": "", "emotive": ""},
    (LexiconEntry("regime", "labels", True, 1), LexiconEntry("slam", "emotive", True, 2)),
)


def words(rows: list[tuple[str, str, bool, bool]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["article_id", "token", "inside", "capital"])
    return table.assign(stem=table["token"])


def hits(rows: list[tuple[str, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["article_id", "term", "category", "inside"])


@pytest.fixture
def evidence() -> dict[str, Evidence]:
    # regime: 4 hits, 1 marked -> (1 + 0.6) / (4 + 2) = 0.27 < 0.6: dropped
    # slam: 3 hits, 3 marked -> (3 + 0.6) / (3 + 2) = 0.72: kept
    term_hits = [("d1", "regime", "labels", True)] + [(f"d{i}", "regime", "labels", False) for i in range(2, 5)]
    term_hits += [(f"d{i}", "slam", "emotive", True) for i in range(1, 4)]
    tokens = [(f"d{i}", "bizarre", True, False) for i in range(1, 4)]  # 3 of 3 in 3 documents: added
    tokens += [("d1", "odd", True, False), ("d1", "odd", True, False), ("d1", "odd", True, False)]  # one document only
    tokens += [(f"d{i}", "smith", True, True) for i in range(1, 4)]  # a name: written with a capital
    tokens += [(f"d{i}", "budget", i < 3, False) for i in range(10)]  # 2 of 10: (2 + 0.6) / 12 = 0.22
    tokens += [(f"d{i}", "slammed", True, False) for i in range(1, 4)]  # precise, but the kept 'slam' matches it already
    return {"babe": Evidence(words(tokens), hits(term_hits))}


def test_revision_keeps_drops_and_adds_by_measured_precision(evidence):
    revised, decisions = revise_lexicon(BASE, evidence, name="revised")
    assert [(e.term, e.category) for e in revised.entries] == [("slam", "emotive"), ("bizarre", ADDED_CATEGORY)]
    assert set(revised.notes) == {"emotive", ADDED_CATEGORY}  # a category left empty goes
    by_term = decisions.set_index("term")
    assert by_term.loc["regime", "decision"] == "drop" and by_term.loc["regime", "precision"] == 0.25
    assert by_term.loc["slam", "decision"] == "keep"
    assert by_term.loc["bizarre", ["decision", "hits", "inside"]].tolist() == ["add", 3, 3]


def test_a_term_without_enough_evidence_stays(evidence):
    thin = {"babe": Evidence(evidence["babe"].words, evidence["babe"].hits.iloc[:2])}  # regime: 2 hits only
    revised, _ = revise_lexicon(BASE, thin)
    assert ("regime", "labels") in {(e.term, e.category) for e in revised.entries}


def test_evidence_marks_tokens_inside_short_spans_and_capitals():
    babe = gather_evidence(read_babe(GOLD / "babe.csv"), BASE)
    marked = babe.words.loc[babe.words["inside"], "token"].tolist()
    assert marked == ["regime", "slammed", "reckless", "cruel", "thugs"]
    assert babe.words.loc[babe.words["token"] == "thugs", "capital"].item()
    assert babe.hits["inside"].tolist() == [True, True, False]  # regime, slammed; the second regime is unmarked
    ptc = gather_evidence(read_ptc(GOLD / "ptc"), BASE)
    assert ptc.words.loc[ptc.words["inside"], "token"].tolist() == ["slams", "thug", "move", "so-called"]


def test_cross_validation_scores_every_sentence_once_on_held_out_folds():
    golds = {"babe": read_babe(GOLD / "babe.csv"), "ptc": read_ptc(GOLD / "ptc")}
    validity, terms = cross_validate_revision(golds, BASE, folds=2, n_boot=50)
    macro = validity.set_index(["gold", "metric"])["n"]
    assert macro[("babe", "sentence_macro_f1")] == 5 and macro[("ptc", "sentence_macro_f1")] == 5
    assert set(terms.columns) >= {"term", "category", "corpus", "precision", "ci_low", "ci_high"}
    folds = document_folds(golds["babe"], folds=2, seed=0)
    assert sorted(folds.value_counts().tolist()) == [2, 3] and folds.equals(document_folds(golds["babe"], folds=2, seed=0))


def test_lexicon_yaml_reads_back_the_same_entries(tmp_path, evidence):
    revised, _ = revise_lexicon(BASE, evidence, name="revised")
    path = tmp_path / "revised.yaml"
    path.write_text(lexicon_yaml(revised, header="A test.\nTwo lines."), encoding="utf-8")
    again = load_lexicon(path)
    assert [(e.term, e.category, e.inflect) for e in again.entries] == [(e.term, e.category, e.inflect) for e in revised.entries]
    assert path.read_text(encoding="utf-8").startswith("# A test.\n# Two lines.\n")


def test_shipped_revised_lexicon_has_a_precision_per_term_shown_in_kwic(capsys):
    precision = load_term_precision("revised")
    assert precision is not None and {"precision_babe", "precision_ptc"} <= set(precision.columns)
    shipped = {(e.term, e.category) for e in load_lexicon("revised").entries}
    assert set(zip(precision["term"], precision["category"], strict=True)) <= shipped
    assert precision[["precision_babe", "precision_ptc"]].stack().dropna().between(0, 1).all()
    default = load_term_precision("default")  # measured as shipped: nothing was fitted to the gold
    assert {"precision_babe", "precision_ptc", "precision_basil"} <= set(default.columns)
    assert main(["loaded", "--kwic", "--lexicon", "revised"]) == 0
    out = capsys.readouterr().out
    assert "precision_babe" in out and "cross-validated" in out
