"""The trainer (framing code train) on hand-made annotations; loaded sentences per group; the model's evaluation."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.coding import (
    CodingError,
    MarkedWordScore,
    load_codebook,
    load_model,
    read_annotations,
    save_model,
    train_codebook,
    train_model,
)
from analysis.evaluation import evaluate_model, read_babe, read_basil
from analysis.measures.loaded_sentences import loaded_sentence_rates
from analysis.tokens import text_units, tokenize

GOLD = Path(__file__).parent / "fixtures" / "validation"
ANNOTATIONS = GOLD / "annotations.csv"


@pytest.fixture(scope="module")
def model():
    return train_model(read_annotations(ANNOTATIONS), codebook=load_codebook("loaded_language"), folds=3)


def test_annotations_and_codebook_are_read():
    annotations = read_annotations(ANNOTATIONS)
    assert len(annotations) == 40 and annotations["label"].sum() == 20
    assert annotations.loc[0, "marked"] == "disgraceful" and set(annotations["code"]) == {"biased"}
    codebook = load_codebook("loaded_language")
    assert codebook.unit == "sentence" and "biased" in codebook.codes and codebook.codes["biased"]


def test_bad_inputs_name_the_problem(tmp_path):
    with pytest.raises(CodingError, match=r"codebook 'nope' not found.*loaded_language"):
        load_codebook("nope")
    few = tmp_path / "few.csv"
    few.write_text("text,label_bias\nA.,Biased\nB.,Non-biased\n", encoding="utf-8")
    with pytest.raises(CodingError, match="at least ten Biased"):
        read_annotations(few)
    no_label = tmp_path / "no_label.csv"
    no_label.write_text("text,label\nA.,1\n", encoding="utf-8")
    with pytest.raises(CodingError, match="annotations need text and label_bias"):
        read_annotations(no_label)
    other = read_annotations(ANNOTATIONS, code="frame")
    with pytest.raises(CodingError, match="codebook 'loaded_language' has biased"):
        train_model(other, codebook=load_codebook("loaded_language"))


def test_marked_word_score_is_out_of_fold_when_fitting():
    frame = pd.DataFrame(
        {"text": ["a vile plan", "a vile deal", "a fair plan", "a fair deal"] * 3, "marked": ["vile", "vile", "", ""] * 3}
    )
    scorer = MarkedWordScore(prior=0.0, weight=0.0, folds=3)
    fitted = scorer.fit_transform(frame).toarray()
    assert scorer.rates_[scorer.vocabulary_.vocabulary_["vile"]] == 1.0  # marked in every sentence it occurs in
    applied = scorer.transform(pd.DataFrame({"text": ["a vile move", "a fair move"]})).toarray()
    assert applied[0, 0] == 1.0 and applied[1, 0] == 0.0
    assert fitted.shape == (12, 3) and fitted[:, 0].max() <= 1.0


def test_the_model_learns_the_annotated_code_and_records_itself(model):
    metrics = model.metrics.set_index("metric")
    assert set(metrics.index) == {"precision", "recall", "f1", "macro_f1"}
    assert metrics.loc["macro_f1", "value"] > 0.8  # the hand-made code is easy: loaded adjectives vs plain verbs
    assert sum(model.confusion.values()) == 40
    probability = model.probabilities(["The board's disgraceful scheme hurts voters.", "The board met on Tuesday with farmers."])
    assert 0 <= probability[1] < 0.5 < probability[0] <= 1
    assert model.codebook == "loaded_language" and len(model.data_hash) == 64
    assert {"scikit-learn", "numpy", "python", "framing"} <= set(model.info["versions"])
    loaded_words = set(model.top_words.loc[model.top_words["direction"] == "towards", "feature"])
    assert {"disgraceful", "outrageous"} & loaded_words


def test_model_file_round_trip_and_errors(tmp_path):
    codebook = load_codebook("loaded_language")
    model = train_codebook({"biased": read_annotations(ANNOTATIONS)}, codebook=codebook, folds=3)
    path = save_model(model, tmp_path / "m.joblib")
    again = load_model(path)
    texts = ["An outrageous plan.", "A plan for schools."]
    assert np.allclose(again.classifier().probabilities(texts), model.classifier("biased").probabilities(texts))
    with pytest.raises(CodingError, match="no classifier of 'economic'"):
        again.classifier("economic")
    (tmp_path / "junk.joblib").write_text("not a model", encoding="utf-8")
    with pytest.raises(CodingError, match="not a model file"):
        load_model(tmp_path / "junk.joblib")
    with pytest.raises(FileNotFoundError, match="framing code train"):
        load_model(tmp_path / "none.joblib")


def test_sentence_units_take_the_voice_of_most_words():
    articles = pd.DataFrame({"id": ["a"], "body": ['He said it was "a disgraceful and shameful plan." The vote is Monday.']})
    units = text_units(tokenize(articles), articles, unit="sentence")
    assert units["voice"].tolist() == ["quoted", "narration"]
    assert units["text"].tolist()[1] == "The vote is Monday"


def test_loaded_sentence_rates_hand_worked():
    scored = pd.DataFrame(
        {
            "article_id": ["a1", "a1", "a1", "a2", "a2", "b1"],
            "voice": ["narration", "narration", "quoted", "narration", "narration", "narration"],
            "predicted": [True, False, True, False, False, True],
        }
    )
    articles = pd.DataFrame({"id": ["a1", "a2", "b1"], "outlet": ["A", "A", "B"]})
    rates = loaded_sentence_rates(scored, articles, n_boot=200).set_index(["group", "voice"])
    assert rates.loc[("A", "narration"), ["loaded", "sentences"]].tolist() == [1, 4]
    assert rates.loc[("A", "all"), "share"] == pytest.approx(2 / 5)
    assert rates.loc[("A", "quoted"), "share"] == 1.0
    assert rates.loc[("A", "narration"), "ci_low"] <= 0.25 <= rates.loc[("A", "narration"), "ci_high"]
    assert np.isnan(rates.loc[("B", "all"), "ci_low"]) and rates.loc[("B", "all"), "small_sample"]


def test_evaluate_model_on_gold_sentences(model):
    result = evaluate_model(read_babe(GOLD / "babe.csv"), model, n_boot=100)
    assert set(result.validity["metric"]) == {"sentence_precision", "sentence_recall", "sentence_f1", "sentence_macro_f1"}
    assert result.validity.set_index("metric").loc["sentence_macro_f1", "n"] == 5
    basil = evaluate_model(read_basil(GOLD / "basil.json"), model, n_boot=100)
    assert basil.validity.set_index("metric").loc["outlet_order_agreement", "n"] == 5


def test_cli_trains_applies_and_evaluates(tmp_path, capsys):
    path = tmp_path / "model.joblib"
    argv = ["code", "train", str(ANNOTATIONS), "--codebook", "loaded_language", "--out", str(path), "--folds", "3"]
    assert main([*argv, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record["codes"]) == {"biased"} and {m["metric"] for m in record["metrics"]} >= {"macro_f1"}
    assert record["codes"]["biased"]["info"]["folds"] == 3 and path.is_file()
    assert main(["loaded", "--model", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["voice"] for r in rows} == {"narration", "quoted", "all"} and all(
        r["sentences"] > 0 for r in rows if r["voice"] == "all"
    )
    assert main(["evaluate", "loaded", str(ANNOTATIONS), "--format", "babe", "--model", str(path)]) == 0
    captured = capsys.readouterr()
    assert "in-sample" in captured.err and "sentence_macro_f1" in captured.out
    assert main(["code", "train", str(ANNOTATIONS), "--codebook", "nope", "--out", str(path)]) == 2
    assert "not found" in capsys.readouterr().err
