"""Loaded-language evaluation (analysis.evaluation): the BABE, PTC and BASIL readers and the metrics, on hand-made files."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.evaluation import (
    GoldError,
    binary_scores,
    bootstrap_macro_f1,
    evaluate_lexicon,
    infer_gold_format,
    pair_order_agreement,
    read_babe,
    read_basil,
    read_gold,
    read_ptc,
)
from analysis.lexicons import Lexicon, LexiconEntry, build_matcher, load_matcher

GOLD = Path(__file__).parent / "fixtures" / "validation"
LEXICON = GOLD / "lexicon.yaml"


def metric(result, name: str) -> float:
    return float(result.validity.set_index("metric").loc[name, "value"])


# --- readers ---------------------------------------------------------------------


def test_babe_reader_keeps_two_labels_and_locates_marked_words():
    gold = read_babe(GOLD / "babe.csv")
    assert gold.documents["id"].tolist() == ["1", "2", "3", "4", "5"]  # "No agreement" left out
    assert gold.sentences["label"].tolist() == [True, False, True, False, True]
    first = gold.documents.loc[0, "body"]
    words = gold.spans.loc[gold.spans["article_id"] == "1"]
    assert [first[s:e] for s, e in zip(words["start"], words["end"], strict=True)] == ["regime", "slammed"]
    thugs = gold.spans.loc[gold.spans["article_id"] == "5"]
    assert len(thugs) == 1  # "Thugs" is marked; the later "thug" is another word
    assert gold.spans["gold_id"].nunique() == 5


def test_babe_reader_names_the_row_of_a_malformed_list(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('text,label_bias,biased_words\nA sentence.,Biased,"not a list"\n', encoding="utf-8")
    with pytest.raises(GoldError, match="row 2: biased_words"):
        read_babe(bad)
    missing = tmp_path / "missing.csv"
    missing.write_text("text,label\nA.,Biased\n", encoding="utf-8")
    with pytest.raises(GoldError, match="label_bias, biased_words"):
        read_babe(missing)


def test_ptc_reader_chooses_techniques_and_labels_lines():
    gold = read_ptc(GOLD / "ptc")
    assert sorted(gold.spans["label"]) == ["Loaded_Language", "Loaded_Language", "Name_Calling,Labeling"]
    assert gold.sentences["label"].tolist() == [True, False, True, False, True]
    body = gold.documents.set_index("id").loc["1", "body"]
    first = gold.sentences.iloc[1]
    assert body[first["start"] : first["end"]] == "The regime rejected the offer."
    doubt = read_ptc(GOLD / "ptc", techniques=["Doubt"])
    assert doubt.sentences["label"].tolist() == [False, False, False, False, True]
    with pytest.raises(GoldError, match="no span of technique Slogans"):
        read_ptc(GOLD / "ptc", techniques=["Slogans"])


def test_ptc_reader_rejects_a_span_outside_its_article(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "article7.txt").write_text("Short.\n", encoding="utf-8")
    (tmp_path / "labels.tsv").write_text("7\tLoaded_Language\t2\t90\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"labels.tsv:1: span 2-90 is outside article 7"):
        read_ptc(tmp_path)


def test_basil_reader_places_spans_in_the_body_and_the_title():
    gold = read_basil(GOLD / "basil.json")
    assert len(gold.documents) == 6 and set(gold.documents["event"]) == {"e1", "e2"}
    bodies = gold.documents.set_index("id")["body"]
    texts = [bodies[a][s:e] for a, s, e in zip(gold.spans["article_id"], gold.spans["start"], gold.spans["end"], strict=True)]
    assert texts == ["slammed", "thug", "slammed", "Talks"]  # lexical only: the informational span is left out
    assert gold.sentences["label"].tolist() == [True, False, True, False, False, True, False]
    assert len(read_basil(GOLD / "basil.json", bias=("inf",)).spans) == 1


def test_format_is_inferred_from_the_path(tmp_path):
    assert infer_gold_format(GOLD / "babe.csv") == "babe"
    assert infer_gold_format(GOLD / "ptc") == "ptc"
    assert infer_gold_format(GOLD / "basil.json") == "basil"
    with pytest.raises(GoldError, match="--format"):
        infer_gold_format(tmp_path)
    assert read_gold(GOLD / "ptc" / "labels.tsv").name == "ptc"


# --- metrics, hand-worked --------------------------------------------------------


def test_binary_scores_hand_worked():
    # tp=2, fp=1, fn=1, tn=1: P = R = 2/3, F1 = 4/6, F1 of the negative class 2/4, macro (2/3 + 1/2) / 2
    scores = binary_scores([1, 0, 1, 0, 1], [1, 0, 0, 1, 1])
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert np.isnan(binary_scores([0, 0], [0, 0])["precision"])


def test_pair_order_skips_gold_ties_and_counts_measure_ties_as_misses():
    table = pd.DataFrame({"event": ["a", "a", "a", "b", "b"], "gold": [2, 1, 1, 1, 0], "measure": [5, 3, 9, 4, 4]})
    # a: (2,1) vs (5,3) agrees, (2,1) vs (5,9) does not, (1,1) tie skipped; b: gold 1>0, measure tie: a miss
    assert pair_order_agreement(table) == (1, 3)


def test_bootstrap_interval_holds_the_estimate_and_is_seeded():
    rng = np.random.default_rng(1)
    gold = rng.random(200) < 0.5
    predicted = np.where(rng.random(200) < 0.8, gold, ~gold)
    groups = np.repeat(np.arange(50), 4)
    f1_ci, macro_ci = bootstrap_macro_f1(gold, predicted, groups, n_boot=300, seed=3)
    macro = binary_scores(gold, predicted)["macro_f1"]
    assert macro_ci[0] < macro < macro_ci[1] and f1_ci[0] < f1_ci[1]
    assert bootstrap_macro_f1(gold, predicted, groups, n_boot=300, seed=3) == (f1_ci, macro_ci)


def test_lexicon_on_babe_hand_worked():
    result = evaluate_lexicon(read_babe(GOLD / "babe.csv"), load_matcher(LEXICON), n_boot=200)
    # predicted [T, F, F, T, T] vs gold [T, F, T, F, T]: tp=2 fp=1 fn=1 tn=1
    assert metric(result, "sentence_precision") == pytest.approx(2 / 3)
    assert metric(result, "sentence_macro_f1") == pytest.approx((2 / 3 + 1 / 2) / 2)
    # hits: regime (marked), slammed (marked), so-called, regime, Thugs (marked), thug -> 3 of 6
    assert metric(result, "hit_precision") == pytest.approx(0.5)
    # marked: regime, slammed, reckless, cruel, Thugs -> 3 of 5 found
    assert metric(result, "gold_recall") == pytest.approx(0.6)
    terms = result.terms.set_index("term")
    assert terms.loc["regime", ["hits", "inside"]].tolist() == [2, 1]
    assert terms.loc["so-called", "precision"] == 0
    assert terms.loc["slam", "ci_low"] < 1 == terms.loc["slam", "precision"]
    labels = result.categories.set_index("category").loc["labels"]
    assert (labels["hits"], labels["inside"]) == (4, 2)
    assert "outlet_order_agreement" not in set(result.validity["metric"])


def test_a_passage_two_categories_match_is_one_hit():
    lexicon = Lexicon(
        "two",
        "two",
        {"labels": "", "other": ""},
        (LexiconEntry("regime", "labels", True, 1), LexiconEntry("regime", "other", True, 2)),
    )
    result = evaluate_lexicon(read_babe(GOLD / "babe.csv"), build_matcher(lexicon), n_boot=50)
    hits = result.validity.set_index("metric").loc["hit_precision"]
    assert (hits["value"], hits["n"]) == (0.5, 2)  # two passages of 'regime', one marked
    assert result.categories["hits"].tolist() == [2, 2]


def test_lexicon_on_ptc_hand_worked():
    result = evaluate_lexicon(read_ptc(GOLD / "ptc"), load_matcher(LEXICON), n_boot=200)
    # sentences: predicted [T, T, T, F, T] vs gold [T, F, T, F, T]: tp=3 fp=1 fn=0 tn=1
    assert metric(result, "sentence_precision") == pytest.approx(0.75)
    assert metric(result, "sentence_recall") == pytest.approx(1.0)
    assert metric(result, "sentence_macro_f1") == pytest.approx((6 / 7 + 2 / 3) / 2)
    # hits: Regime, slams (in), regime, thug (in), so-called (in)
    assert metric(result, "hit_precision") == pytest.approx(0.6)
    assert metric(result, "gold_recall") == pytest.approx(1.0)


def test_lexicon_on_basil_hand_worked():
    result = evaluate_lexicon(read_basil(GOLD / "basil.json"), load_matcher(LEXICON), n_boot=200)
    # e1: every pair ordered as the gold; e2: Fox-NYT a gold tie, Fox-HuffPost agrees, NYT-HuffPost does not
    order = result.validity.set_index("metric").loc["outlet_order_agreement"]
    assert (order["value"], order["n"]) == (pytest.approx(0.8), 5)
    assert metric(result, "hit_precision") == pytest.approx(0.5)
    assert metric(result, "gold_recall") == pytest.approx(0.75)  # the title span is not found
    assert metric(result, "sentence_macro_f1") == pytest.approx(6 / 7)


# --- the command -----------------------------------------------------------------


def test_cli_prints_the_validity_table_as_json(capsys):
    assert main(["evaluate", "loaded", str(GOLD / "ptc"), "--lexicon", str(LEXICON), "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert set(output) == {"validity", "categories", "terms"}
    assert set(output["validity"][0]) == {"measure", "gold", "metric", "value", "ci_low", "ci_high", "n"}
    precision = next(r for r in output["validity"] if r["metric"] == "hit_precision")
    assert precision["value"] == pytest.approx(0.6) and precision["n"] == 5


def test_cli_text_output_and_errors(capsys, tmp_path):
    assert main(["evaluate", "loaded", str(GOLD / "babe.csv"), "--lexicon", str(LEXICON)]) == 0
    out = capsys.readouterr().out
    assert "sentence_macro_f1" in out and "Per term" in out and "5 sentences (3 loaded)" in out
    assert main(["evaluate", "loaded", str(tmp_path / "none.csv")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["evaluate", "loaded", str(tmp_path)]) == 2
    assert "--format" in capsys.readouterr().err


# --- the development split, when present -------------------------------------------

VALIDATION = Path(__file__).resolve().parents[1].parent / "shared" / "validation"


@pytest.mark.skipif(not VALIDATION.is_dir(), reason="no ../shared/validation (development data) next to the repository")
def test_readers_read_the_published_development_files():
    babe = read_gold(VALIDATION / "babe" / "babe_sg2_dev.csv")
    assert len(babe.sentences) > 2000 and 0.3 < babe.sentences["label"].mean() < 0.7
    ptc = read_gold(VALIDATION / "ptc")
    assert len(ptc.documents) > 100 and set(ptc.spans["label"]) == {"Loaded_Language", "Name_Calling,Labeling"}
    bodies = ptc.documents.set_index("id")["body"]
    span = ptc.spans.iloc[0]
    assert bodies[span["article_id"]][span["start"] : span["end"]].strip()
    basil = read_gold(VALIDATION / "basil" / "basil_dev.json")
    assert basil.documents.groupby("event")["outlet"].nunique().eq(3).all()
