"""Codebooks, sampling, annotation files, agreement, training from coded units, corrected frame prevalence."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.coding import (
    ANNOTATION_COLUMNS,
    AnnotationLog,
    Code,
    Codebook,
    CodingError,
    agreement,
    final_decisions,
    load_codebook,
    read_annotation_log,
    read_training_data,
    sample_units,
    save_model,
    score_units,
    shipped_codebooks,
    train_codebook,
)
from analysis.frames import frame_prevalence
from analysis.stats import corrected_prevalence
from analysis.tokens import text_units, tokenize

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------
# Codebooks
# ---------------------------------------------------------------------------


def test_shipped_codebooks_load_with_their_codes():
    assert {"policy_frames", "generic_frames", "loaded_language"} <= set(shipped_codebooks())
    policy = load_codebook("policy_frames")
    assert len(policy.codes) == 15 and policy.multi_label and policy.unit == "paragraph"
    assert {"economic", "security_and_defense", "external_regulation_and_reputation", "other"} <= set(policy.codes)
    assert all(code.definition for code in policy.codes.values())
    assert "sanctions" in policy.codes["economic"].cues
    generic = load_codebook("generic_frames")
    assert list(generic.codes) == ["conflict", "human_interest", "economic_consequences", "morality", "responsibility"]
    assert not load_codebook("loaded_language").multi_label


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nunit: page\ncodes: {a: {definition: A}}\n", "unit must be sentence, paragraph or article"),
        ("name: x\ncodes: {a: {guidance: only}}\n", "code 'a' has no definition"),
        ("name: x\ncodes: {a: {definition: A, cues: cost}}\n", "cues must be a list"),
        ("name: x\nmulti_label: maybe\ncodes: {a: {definition: A}}\n", "multi_label must be true or false"),
        ("name: x\ncodes: {a: just words}\n", "code 'a' needs a mapping"),
        ("name: x\ncodes: []\n", "a codebook needs 'codes'"),
    ],
)
def test_codebook_errors_name_the_file_and_the_field(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodingError, match=message) as caught:
        load_codebook(path)
    assert str(path) in str(caught.value)


def test_an_unknown_codebook_lists_the_shipped_ones():
    with pytest.raises(CodingError, match="policy_frames"):
        load_codebook("no_such_codebook")


# ---------------------------------------------------------------------------
# Units and the stratified sample
# ---------------------------------------------------------------------------

ARTICLES = pd.DataFrame(
    {
        "id": ["a", "b"],
        "outlet": ["A", "B"],
        "body": [
            "Prices rose again. Jobs were lost.\n\nThe minister denied it. He said so.",
            "Troops moved in.\n\nFamilies fled the town.",
        ],
    }
)


def test_units_are_sentences_paragraphs_or_articles_with_stable_ids():
    tokens = tokenize(ARTICLES)
    sentences = text_units(tokens, ARTICLES, unit="sentence")
    paragraphs = text_units(tokens, ARTICLES, unit="paragraph")
    articles = text_units(tokens, ARTICLES, unit="article")
    assert sentences["text"].tolist()[:2] == ["Prices rose again", "Jobs were lost"]
    assert paragraphs["text"].tolist() == [
        "Prices rose again. Jobs were lost",
        "The minister denied it. He said so",
        "Troops moved in",
        "Families fled the town",
    ]
    assert len(articles) == 2 and articles["index"].eq(0).all()
    assert paragraphs.loc[1, "unit_id"] == "a:36-70" and ARTICLES.loc[0, "body"][36:70] == paragraphs.loc[1, "text"]
    assert text_units(tokens, ARTICLES, unit="paragraph").equals(paragraphs)


def _units(sizes: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"{outlet}{i}" for outlet, size in sizes.items() for i in range(size)]
    articles = pd.DataFrame({"id": ids, "outlet": [i[0] for i in ids], "event": "e1"})
    units = pd.DataFrame(
        {"unit_id": [f"{i}:0-5" for i in ids], "article_id": ids, "unit": "paragraph", "start": 0, "end": 5, "text": ids}
    )
    return units, articles


def test_the_sample_allocates_equally_over_strata_and_is_seeded():
    units, articles = _units({"A": 10, "B": 3, "C": 50})
    sample = sample_units(units, articles, n=12, seed=1)
    counts = sample["outlet"].value_counts()
    assert counts["B"] == 3 and abs(counts["A"] - counts["C"]) <= 1 and len(sample) == 12
    first_round = sample["outlet"].head(3).tolist()
    assert sorted(first_round) == ["A", "B", "C"]  # coding order interleaves the strata
    assert sample.equals(sample_units(units, articles, n=12, seed=1))
    assert not sample["unit_id"].equals(sample_units(units, articles, n=12, seed=2)["unit_id"])
    assert len(sample_units(units, articles, n=500)) == 63
    with pytest.raises(CodingError, match="at least one unit"):
        sample_units(units, articles, n=0)


# ---------------------------------------------------------------------------
# Annotation files
# ---------------------------------------------------------------------------

GENERIC = load_codebook("generic_frames")


def _unit(i: int, text: str = "") -> dict:
    return {"unit_id": f"a{i}:0-9", "article_id": f"a{i}", "start": 0, "end": 9, "text": text or f'unit "{i}",\nwith, commas'}


def test_decisions_skips_and_undo_are_appended_and_resolved(tmp_path):
    path = tmp_path / "annotations.csv"
    log = AnnotationLog(path, codebook=GENERIC, coder="ana")
    log.record(_unit(1), ["conflict", "morality"])
    log.record(_unit(2), ["conflict"])
    log.undo(_unit(2))
    log.record(_unit(2), ["human_interest"])
    log.skip(_unit(3))
    before = path.read_bytes()
    AnnotationLog(path, codebook=GENERIC, coder="ben").record(_unit(1), ["conflict"])
    assert path.read_bytes().startswith(before)  # only ever appended to
    rows, unreadable = read_annotation_log(path)
    assert unreadable == 0 and list(rows.columns) == ANNOTATION_COLUMNS and rows["text"].str.contains("\n").sum() == 0
    decided = final_decisions(rows, GENERIC).set_index(["coder", "unit_id", "code"])["value"]
    assert decided[("ana", "a1:0-9", "morality")] == 1 and decided[("ana", "a1:0-9", "economic_consequences")] == 0
    assert decided[("ana", "a2:0-9", "human_interest")] == 1 and decided[("ana", "a2:0-9", "conflict")] == 0
    assert ("ana", "a3:0-9", "conflict") not in decided.index  # skipped: seen, not coded
    assert log.done() == {"a1:0-9", "a2:0-9", "a3:0-9"}  # resuming goes past skipped units too
    log.undo(_unit(3))
    assert log.done() == {"a1:0-9", "a2:0-9"}
    log.record(_unit(1), ["responsibility"])  # coded again: the later decision stands
    log.undo(_unit(2))  # an undo takes back the decision on its own unit, not the latest one in the file
    decided = final_decisions(read_annotation_log(path)[0], GENERIC)
    mine = decided[(decided["coder"] == "ana") & (decided["value"] == 1)].groupby("unit_id")["code"].apply(sorted).to_dict()
    assert mine == {"a1:0-9": ["responsibility"]}  # unit 2's first decision was undone earlier, its second now
    with pytest.raises(CodingError, match="not in codebook"):
        log.record(_unit(4), ["economy"])
    with pytest.raises(CodingError, match="one code per unit"):
        single = Codebook("pick", "sentence", {name: Code(name, name) for name in ("a", "b")}, multi_label=False)
        AnnotationLog(tmp_path / "single.csv", codebook=single, coder="ana").record(_unit(4), ["a", "b"])
    with pytest.raises(CodingError, match="coder name"):
        AnnotationLog(path, codebook=GENERIC, coder="  ")


def test_a_torn_last_line_is_left_out_and_never_swallows_the_next_decision(tmp_path):
    path = tmp_path / "annotations.csv"
    log = AnnotationLog(path, codebook=GENERIC, coder="ana")
    log.record(_unit(1), ["conflict"])
    with path.open("ab") as file:  # what a crash in the middle of a write leaves
        file.write(b'2026-12-02T10:00:00.000000+00:00,ana,generic_frames,a2:0-9,a2,0,9,conflict,1,code,"half a qu')
    AnnotationLog(path, codebook=GENERIC, coder="ana").record(_unit(3), ["morality"])
    rows, unreadable = read_annotation_log(path)
    assert unreadable == 1
    assert set(final_decisions(rows, GENERIC)["unit_id"]) == {"a1:0-9", "a3:0-9"}


def test_killing_the_writer_loses_at_most_the_last_decision(tmp_path):
    path = tmp_path / "annotations.csv"
    script = (
        "import sys; from analysis.coding import AnnotationLog, load_codebook\n"
        "log = AnnotationLog(sys.argv[1], codebook=load_codebook('generic_frames'), coder='ana')\n"
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    log.record({'unit_id': f'a{i}:0-9', 'article_id': f'a{i}', 'start': 0, 'end': 9, 'text': 'x ' * 400}, ['conflict'])\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 200_000):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    rows, unreadable = read_annotation_log(path)
    decided = final_decisions(rows, GENERIC)
    units = decided["unit_id"].str.extract(r"a(\d+):")[0].astype(int)
    assert unreadable <= 1 and len(decided) > 20
    assert sorted(units.unique()) == list(range(1, units.max() + 1))  # every decision before the last is whole
    assert (decided.groupby("unit_id").size() == len(GENERIC.codes)).all()
    resumed = AnnotationLog(path, codebook=GENERIC, coder="ana")
    resumed.record(_unit(10_000), ["morality"])
    rows, _ = read_annotation_log(path)
    assert "a10000:0-9" in set(final_decisions(rows, GENERIC)["unit_id"])


def test_an_annotation_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CodingError, match="not an annotation file"):
        AnnotationLog(path, codebook=GENERIC, coder="ana")
    with pytest.raises(CodingError, match="not an annotation file"):
        read_annotation_log(path)


# ---------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------


def _decisions(values: dict[str, list[float]], code: str = "conflict") -> pd.DataFrame:
    rows = [
        {"coder": coder, "unit_id": f"u{i}", "code": code, "value": int(v), "text": f"u{i}"}
        for coder, column in values.items()
        for i, v in enumerate(column)
        if not np.isnan(v)
    ]
    return pd.DataFrame(rows)


def test_alpha_matches_a_hand_worked_example():
    # Two coders, ten units; they agree on 1 (unit 0) and on 0 (units 2-9) and differ on unit 1.
    # Coincidences: o11 = 2, o10 = o01 = 1, o00 = 16; n = 20, n1 = 3, n0 = 17.
    # alpha = 1 - (n - 1) * (o10 + o01) / (2 * n1 * n0) = 1 - 19 * 2 / 102 = 32 / 51.
    table = agreement(_decisions({"ana": [1, 1] + [0] * 8, "ben": [1, 0] + [0] * 8})).set_index("code")
    assert table.loc["conflict", "alpha"] == pytest.approx(32 / 51)
    assert table.loc["conflict", "units"] == 10 and table.loc["conflict", "agreement"] == pytest.approx(0.9)
    assert "unreliable" in table.loc["conflict", "note"]


def test_alpha_uses_only_units_with_two_coders_and_says_when_it_is_undefined():
    nan = np.nan
    table = agreement(_decisions({"ana": [1, 0, 1, 0, 1], "ben": [1, 0, 1, 0, nan]}))  # unit 4: one coder
    assert table.loc[0, "alpha"] == pytest.approx(1.0) and table.loc[0, "units"] == 4
    same = agreement(_decisions({"ana": [0, 0, 0], "ben": [0, 0, 0]}))
    assert np.isnan(same.loc[0, "alpha"]) and "undefined" in same.loc[0, "note"]
    alone = agreement(_decisions({"ana": [0, 1, 0]}))
    assert alone.loc[0, "units"] == 0 and "two coders" in alone.loc[0, "note"]


# ---------------------------------------------------------------------------
# Training from coded units, applying, prevalence
# ---------------------------------------------------------------------------


def test_a_model_trained_from_coded_units_learns_each_code_and_skips_sparse_ones(frames_annotations):
    path = frames_annotations
    training = read_training_data(path, GENERIC)
    assert set(training) == set(GENERIC.codes)
    # 36 conflict units of 108; on 3 of them (units 51, 68, 85) the coders tie and the unit is left out
    assert training["conflict"]["label"].sum() == 33 and len(training["conflict"]) == 105
    model = train_codebook(training, codebook=GENERIC, folds=3)
    assert set(model.classifiers) == {"conflict", "economic_consequences"}
    assert set(model.untrained) == {"human_interest", "morality", "responsibility"}  # morality: 0 units after majority
    f1 = model.metrics.set_index(["code", "metric"])["value"]
    assert f1[("conflict", "f1")] > 0.9 and f1[("economic_consequences", "f1")] > 0.9
    articles = pd.DataFrame(
        {
            "id": ["x", "y"],
            "outlet": ["A", "B"],
            "body": [
                "Prices of salt rose by a billion in costs.\n\nThe meeting on salt took place.",
                "The minister accused rivals over salt.",
            ],
        }
    )
    units = text_units(tokenize(articles), articles, unit="paragraph")
    scored = score_units(model, units).set_index(["unit_id", "code"])
    assert scored.loc[(units.loc[0, "unit_id"], "economic_consequences"), "predicted"]
    assert not scored.loc[(units.loc[1, "unit_id"], "economic_consequences"), "predicted"]
    assert scored.loc[(units.loc[2, "unit_id"], "conflict"), "probability"] > 0.5
    prevalence = frame_prevalence(score_units(model, units), articles, model, n_boot=200)
    assert set(prevalence["group"]) == {"A", "B"} and prevalence["small_sample"].all()
    assert prevalence[["units", "predicted"]].ge(0).all().all()


def test_training_refuses_when_no_code_has_enough_units(tmp_path):
    path = tmp_path / "annotations.csv"
    log = AnnotationLog(path, codebook=GENERIC, coder="ana")
    for i in range(6):
        log.record(_unit(i), ["conflict"] if i % 2 else [])
    with pytest.raises(CodingError, match="no code has enough annotations"):
        train_codebook(read_training_data(path, GENERIC), codebook=GENERIC)


def test_corrected_prevalence_recovers_a_known_share_where_the_raw_share_does_not():
    """Simulation with a known confusion matrix: sensitivity 0.8, specificity 0.9, true share 0.1."""
    rng = np.random.default_rng(7)
    covered_corrected = covered_raw = 0
    for trial in range(60):
        truth = rng.random((200, 10)) < 0.10  # 200 articles, 10 units each
        predicted = np.where(truth, rng.random(truth.shape) < 0.8, rng.random(truth.shape) < 0.1)
        validation = rng.random(1000) < 0.3  # the classifier's cross-validation, same error rates
        called = np.where(validation, rng.random(1000) < 0.8, rng.random(1000) < 0.1)
        confusion = {
            "tp": int((validation & called).sum()),
            "fn": int((validation & ~called).sum()),
            "fp": int((~validation & called).sum()),
            "tn": int((~validation & ~called).sum()),
        }
        observed, corrected, low, high = corrected_prevalence(
            predicted.sum(axis=1), np.full(200, 10), confusion=confusion, n_boot=400, seed=trial
        )
        true_share = truth.mean()
        covered_corrected += low <= true_share <= high
        raw_low, raw_high = observed - 0.03, observed + 0.03  # generous for the raw share: it is biased, not noisy
        covered_raw += raw_low <= true_share <= raw_high
        assert abs(corrected - true_share) < 0.05
    assert covered_corrected >= 54  # about 95% of 60 intervals hold the true share
    assert covered_raw == 0  # 0.17 observed against 0.10 true, every time


def test_a_classifier_no_better_than_chance_is_not_corrected():
    observed, corrected, low, _high = corrected_prevalence([5, 5], [10, 10], confusion={"tp": 50, "fn": 50, "tn": 50, "fp": 50})
    assert observed == 0.5 and np.isnan(corrected) and np.isnan(low)


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------


def test_code_commands_sample_agree_train_apply_and_frames(tmp_path, capsys, frames_annotations):
    sample = tmp_path / "sample.csv"
    assert main(["code", "sample", "--codebook", "generic_frames", "-n", "20", "--out", str(sample), "--json"]) == 0
    drawn = json.loads(capsys.readouterr().out)
    assert len(drawn) == 20 and pd.read_csv(sample)["unit"].eq("paragraph").all()
    assert main(["code", "sample", "--codebook", "generic_frames", "--out", str(sample)]) == 2
    assert "never replaced" in capsys.readouterr().err
    annotations = frames_annotations
    assert main(["code", "agreement", str(annotations), "--codebook", "generic_frames", "--json"]) == 0
    alpha = {row["code"]: row for row in json.loads(capsys.readouterr().out)}
    assert alpha["conflict"]["units"] == 108 and 0.8 < alpha["conflict"]["alpha"] <= 1
    model = tmp_path / "frames.joblib"
    assert main(["code", "train", str(annotations), "--codebook", "generic_frames", "--out", str(model), "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert "not trained: morality" in out and "conflict" in out
    assert main(["code", "apply", str(model), "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in records} == {"conflict", "economic_consequences"}
    assert set(records[0]) == {"unit_id", "article_id", "unit", "start", "end", "voice", "code", "probability", "predicted"}
    chart = tmp_path / "frames.png"
    assert main(["frames", "--model", str(model), "--json", "--chart", str(chart)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"] for r in rows} == {"conflict", "economic_consequences"} and chart.stat().st_size > 10_000
    assert all(r["units"] > 0 and 0 <= r["observed_share"] <= 1 for r in rows)
    assert main(["frames", "--model", str(model), "--event", "no-such-event"]) == 2
    assert "not in the corpus" in capsys.readouterr().err
    assert main(["code", "train", str(annotations), "--codebook", "nope", "--out", str(model)]) == 2


def test_min_words_lets_short_units_through(tmp_path, capsys):
    table = tmp_path / "short.csv"
    pd.DataFrame(
        {
            "id": ["a", "b"],
            "outlet": ["A", "B"],
            "published": ["2021-01-01", "2021-01-02"],
            "text": ["Prices rose sharply today.", "Troops moved in."],
        }
    ).to_csv(table, index=False)
    assert main(["corpus", str(table), "--json"]) == 2  # too short by default: no usable article
    assert "fewer than 25" in capsys.readouterr().err
    assert main(["corpus", str(table), "--min-words", "1", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_a_saved_model_round_trips_through_the_file(tmp_path, frames_annotations):
    model = train_codebook(read_training_data(frames_annotations, GENERIC), codebook=GENERIC, folds=3)
    path = save_model(model, tmp_path / "m.joblib")
    from analysis.coding import load_model

    again = load_model(path)
    assert again.data_hash == model.data_hash and set(again.classifiers) == set(model.classifiers)


# ---------------------------------------------------------------------------
# The coding screen (notebook 09), driven as a coder would, without a browser
# ---------------------------------------------------------------------------


def _screen_sample() -> pd.DataFrame:
    body = "Prices rose again. Jobs were lost.\n\nThe minister denied it."
    return pd.DataFrame(
        {
            "unit_id": ["a:0-33", "a:35-57", "b:0-9"],
            "article_id": ["a", "a", "b"],
            "outlet": ["A", "A", "B"],
            "start": [0, 35, 0],
            "end": [33, 57, 9],
            "text": [body[0:33], body[35:57], "Troops in"],
        }
    ), {"a": body}


def _enter(screen, line: str) -> None:
    """Type ``line`` into the coding screen's box and press Enter (the front end's submit message)."""
    screen._keys.value = line
    screen._keys._handle_custom_msg({"event": "submit"}, None)


def test_the_coding_screen_records_every_click_and_resumes(tmp_path):
    from analysis.coding_screen import CodingScreen

    sample, bodies = _screen_sample()
    path = tmp_path / "annotations.csv"
    screen = CodingScreen(sample, AnnotationLog(path, codebook=GENERIC, coder="ana"), bodies=bodies)
    box = screen.widget()
    shown = screen._text.value
    assert "<mark>Prices</mark>" in shown and "<mark>Jobs</mark>" in shown  # economic cues highlighted
    assert "The minister <mark>denied</mark> it" in shown  # the article around the unit, its cues too
    toggles = screen._toggles
    toggles[2].value = True  # 3 economic_consequences
    save = next(w for w in box.children[2].children if w.description.startswith("save"))
    save.click()
    assert screen.current["unit_id"] == "a:35-57" and not any(t.value for t in toggles)
    screen._keys.value = "1 5"  # typed, not yet Enter: nothing saved (a click elsewhere commits nothing)
    assert screen.current["unit_id"] == "a:35-57"
    _enter(screen, "1 5")  # conflict and responsibility
    assert screen.current["unit_id"] == "b:0-9" and screen._keys.value == ""
    _enter(screen, "u")  # undo: the minister's paragraph again
    assert screen.current["unit_id"] == "a:35-57"
    for typo in ("9", "x", "1 x", "0"):  # refused, nothing saved, the line kept to correct
        _enter(screen, typo)
        assert screen.current["unit_id"] == "a:35-57" and screen._keys.value == typo and "not saved" in screen._status.value
    screen.keys("1")
    screen.keys("s")
    assert screen.current is None and "All units" in screen._text.value
    decided = final_decisions(read_annotation_log(path)[0], GENERIC)
    coded = decided[decided["value"] == 1].groupby("unit_id")["code"].apply(sorted).to_dict()
    assert coded == {"a:0-33": ["economic_consequences"], "a:35-57": ["conflict"]}
    again = CodingScreen(sample, AnnotationLog(path, codebook=GENERIC, coder="ana"), bodies=bodies)
    assert again.current is None  # every unit decided (the last one skipped)
    again.keys("u")  # after resuming, undo takes back the last decision in the file
    assert again.current["unit_id"] == "b:0-9"
    other = CodingScreen(sample, AnnotationLog(path, codebook=GENERIC, coder="ben"))
    assert other.current["unit_id"] == "a:0-33"  # a second coder starts at the beginning


def test_a_single_code_screen_has_one_button_per_code_and_none(tmp_path):
    from analysis.coding_screen import CodingScreen

    sample, bodies = _screen_sample()
    codebook = load_codebook("loaded_language")
    screen = CodingScreen(sample, AnnotationLog(tmp_path / "a.csv", codebook=codebook, coder="ana"), bodies=bodies)
    buttons = {w.description: w for w in screen.widget().children[2].children}
    assert set(buttons) == {"1 biased", "none ↵"}
    buttons["1 biased"].click()
    assert not screen.keys("1 1 2") and "one code per unit" not in screen.message  # 2 is no code of this codebook
    buttons["none ↵"].click()
    decided = final_decisions(read_annotation_log(tmp_path / "a.csv")[0], codebook).set_index("unit_id")["value"]
    assert decided.to_dict() == {"a:0-33": 1, "a:35-57": 0}
    assert "<b" in screen._text.value and "Troops in" in screen._text.value  # no body: the unit alone
