"""framing evaluate: gold files, the cleaning figures worked by hand, and the command."""

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.evaluation import GoldError, evaluate, evaluate_cleaning, read_page_gold
from analysis.stats import wilson

GOLD = Path(__file__).parent / "fixtures" / "gold"

PAGE_A = "\n".join(
    [
        "Menu",
        "Ministers agree to resume grain talks",
        "ANKARA (Reuters) - Ministers agreed on Friday to resume talks. They meet again next week.",
        "Also read: Ships wait at the straits",
        '"We found a way," the minister said.',
        "Ministers agree to resume grain talks",
        "Officials said the first cargo could leave within days.",
    ]
)
PAGE_B = "Grain prices fell sharply on Friday after the announcement.\n\nTraders said the move was expected.\n\nShare on Facebook"


def _article(article_id, raw, *, headline="", dek="", dateline="", body="", removed=(), byline=""):
    return {
        "id": article_id,
        "raw": raw,
        "headline": headline,
        "dek": dek,
        "dateline": dateline,
        "byline": byline,
        "body": body,
        "removed": list(removed),
    }


def _gold(tmp_path, records, name="gold.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return read_page_gold(path)


@pytest.fixture
def worked(tmp_path):
    """Two cleaned pages whose every figure is counted by hand in the test below."""
    gold = _gold(
        tmp_path,
        {
            "articles": [
                {
                    "file": "a.txt",
                    "headline": "Ministers agree to resume grain talks",
                    "chrome": ["Menu", "Also read: Ships wait at the straits"],
                },
                {"id": "b", "headline": None, "dek": None, "chrome": ["Share on Facebook"]},
                {"file": "c.txt", "headline": "Not loaded", "chrome": []},
            ]
        },
    )
    articles = pd.DataFrame(
        [
            # headline right; "Also read" kept; the last sentence removed as a footer
            _article(
                "a",
                PAGE_A,
                headline="Ministers agree to resume grain talks",
                dateline="ANKARA (Reuters) —",
                body="Ministers agreed on Friday to resume talks. They meet again next week.\n\n"
                "Also read: Ships wait at the straits\n\n“We found a way,” the minister said.",
                removed=[
                    {"text": "Menu", "reason": "navigation"},
                    {"text": "Ministers agree to resume grain talks", "reason": "repeated headline"},
                    {"text": "Officials said the first cargo could leave within days.", "reason": "site footer"},
                ],
            ),
            # the lead taken as headline (invented), the second sentence as dek (wrong), the share button kept
            _article(
                "b",
                PAGE_B,
                headline="Grain prices fell sharply on Friday after the announcement.",
                dek="Traders said the move was expected.",
                body="Share on Facebook",
            ),
        ]
    )
    return evaluate_cleaning(articles, gold, gold_name="worked.json")


def test_cleaning_figures_worked_by_hand(worked):
    figures = worked.validity.set_index("metric")
    expected = {  # metric: (count, n)
        "headline_accuracy": (1, 2),  # a right, b invented; c not loaded
        "headline_invented": (1, 1),  # b is the only page without a headline
        "dek_accuracy": (0, 1),  # only b labels its dek (none)
        "furniture_surviving": (2, 4),  # a: Menu, Also read, headline copy; b: Share on Facebook
        "story_removed": (2, 6),  # a: the footer sentence; b: the lead, taken as the headline
        "story_outside_body": (3, 6),  # the two removed, and b's second sentence in the dek
    }
    assert list(figures.index) == list(expected)
    for metric, (count, n) in expected.items():
        low, high = wilson(count, n)
        assert figures.loc[metric, "n"] == n, metric
        assert figures.loc[metric, "value"] == pytest.approx(count / n), metric
        assert (figures.loc[metric, "ci_low"], figures.loc[metric, "ci_high"]) == pytest.approx((float(low), float(high)))
    assert set(worked.validity["measure"]) == {"cleaning"} and set(worked.validity["gold"]) == {"worked.json"}


def test_every_miss_is_listed_with_where_the_text_went(worked):
    misses = {(m["article_id"], m["metric"], m["expected"][:20], m["detail"]) for m in worked.misses.to_dict("records")}
    not_loaded = next(m[3] for m in misses if m[0] == "c")
    assert "skipped by the loader" in not_loaded and "framing validate" in not_loaded
    assert misses == {
        ("a", "furniture_surviving", "Also read: Ships wai", "in the body"),
        ("a", "story_removed", "Officials said the f", "removed: site footer"),
        ("b", "headline", "", "invented: the page has no headline"),
        ("b", "dek", "", ""),
        ("b", "furniture_surviving", "Share on Facebook", "in the body"),
        ("b", "story_removed", "Grain prices fell sh", "taken as the headline"),
        ("b", "story_outside_body", "Traders said the mov", "in the dek"),
        ("c", "not_loaded", "an article row", not_loaded),
    }


def test_short_furniture_inside_story_text_does_not_survive(tmp_path):
    """A menu line "Russia" kept only as a word of the story is not furniture in the body."""
    gold = _gold(tmp_path, [{"id": "x", "headline": None, "chrome": ["Russia", "World"]}])
    raw = "World\nRussia\nRussia said on Friday it would expel ten diplomats from the embassy."
    removed = [{"text": "World", "reason": "navigation"}]
    kept = _article("x", raw, body="Russia said on Friday it would expel ten diplomats from the embassy.", removed=removed)
    leaked = _article("x", raw, body="Russia\n\nRussia said on Friday it would expel ten diplomats from the embassy.")
    assert evaluate_cleaning(pd.DataFrame([kept]), gold).validity.set_index("metric").loc["furniture_surviving", "value"] == 0
    leaked_figures = evaluate_cleaning(pd.DataFrame([leaked]), gold).validity.set_index("metric")
    assert leaked_figures.loc["furniture_surviving", "value"] == pytest.approx(1 / 2)  # "Russia" kept, "World" not


def test_headlines_match_with_curled_quotes_and_collapsed_whitespace(tmp_path):
    gold = _gold(tmp_path, [{"id": "q", "headline": 'Putin\'s  "red lines" -- explained', "chrome": []}])
    raw = 'Putin\'s  "red lines" -- explained\nThe Kremlin set out on Friday what it would not accept in the talks.'
    article = _article("q", raw, headline="Putin’s “red lines” — explained", body=raw.split("\n")[1])
    figures = evaluate_cleaning(pd.DataFrame([article]), gold).validity.set_index("metric")
    assert figures.loc["headline_accuracy", "value"] == 1
    assert figures.loc["story_removed", "value"] == 0 and figures.loc["story_removed", "n"] == 1


def test_a_headline_run_into_other_text_is_not_story(tmp_path):
    """The gold headline on a line with a byline and time stamps: that line is neither story nor furniture."""
    gold = _gold(tmp_path, [{"id": "h", "headline": "Putin signs treaty law", "chrome": []}])
    raw = "Putin signs treaty lawReuters | Moscow | Updated: 29-01-2021\nPutin signed the law on Friday, the Kremlin said."
    article = _article("h", raw, headline="Putin signs treaty law", body="Putin signed the law on Friday, the Kremlin said.")
    figures = evaluate_cleaning(pd.DataFrame([article]), gold).validity.set_index("metric")
    assert figures.loc["story_removed", "n"] == 1 and figures.loc["furniture_surviving", "n"] == 0


def test_sentences_moved_to_the_byline_are_kept_but_outside_the_body(tmp_path):
    gold = _gold(tmp_path, [{"id": "y", "headline": None, "chrome": []}])
    raw = "Zakharova said the presence of diplomats was proof of meddling. (Reporting by Maxim Rodionov)"
    article = _article(
        "y", raw, body="Zakharova said the presence of diplomats was proof of meddling.", byline="Reporting by Maxim Rodionov"
    )
    figures = evaluate_cleaning(pd.DataFrame([article]), gold).validity.set_index("metric")
    assert figures.loc["story_removed", "value"] == 0
    assert figures.loc["story_outside_body", "value"] == pytest.approx(1 / 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid UTF-8 JSON"),
        ('{"articles": []}', "expected a list of article records"),
        ('[{"headline": "x"}]', "article 1: no 'file' or 'id'"),
        ('[{"id": "a", "chrome": "Menu"}]', "article 1 (a), field 'chrome': expected a list of strings"),
        ('[{"id": "a", "headline": 3}]', "article 1 (a), field 'headline': expected a string or null"),
        ('[{"id": "a"}, {"file": "a.txt"}]', "article 'a' is labelled twice"),
    ],
)
def test_bad_gold_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GoldError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        read_page_gold(path)
    assert str(path) in str(raised.value)


def test_gold_reader_keeps_other_keys_and_knows_unlabelled_deks(tmp_path):
    gold = _gold(
        tmp_path, [{"file": "x/a.txt", "headline": "A", "event": "E1", "quotes": [["We", "Putin"]]}, {"id": "b", "dek": "D"}]
    )
    assert list(gold["article_id"]) == ["a", "b"]
    assert list(gold["dek_labelled"]) == [False, True] and gold.loc[1, "dek"] == "D" and gold.loc[0, "dek"] is None
    assert gold.loc[0, "event"] == "E1" and gold.loc[0, "quotes"] == [["We", "Putin"]] and gold.loc[1, "chrome"] == []


def test_evaluate_dispatches_by_kind():
    with pytest.raises(ValueError, match="kind must be one of cleaning"):
        evaluate("sentiment", pd.DataFrame(), pd.DataFrame())


def test_command_on_a_fixture_corpus(capsys):
    assert main(["evaluate", "cleaning", str(GOLD / "gold.json"), str(GOLD), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    figures = {row["metric"]: row for row in result["validity"]}
    # the denominators follow from the gold labels and the pages alone
    assert {metric: row["n"] for metric, row in figures.items()} == {
        "headline_accuracy": 2,
        "headline_invented": 1,
        "dek_accuracy": 1,
        "furniture_surviving": 4,
        "story_removed": 6,
        "story_outside_body": 6,
    }
    assert all(row["gold"] == "gold.json" and 0 <= row["value"] <= 1 for row in figures.values())
    assert set(result) == {"validity", "misses"}
    assert main(["evaluate", "cleaning", str(GOLD / "gold.json"), str(GOLD)]) == 0
    out = capsys.readouterr().out
    assert "headline_accuracy" in out and "Wilson" in out


def test_command_names_a_bad_gold_file_and_a_missing_one(tmp_path, capsys):
    bad = tmp_path / "gold.json"
    bad.write_text('[{"id": "a", "chrome": "Menu"}]', encoding="utf-8")
    assert main(["evaluate", "cleaning", str(bad), str(GOLD)]) == 1
    err = capsys.readouterr().err
    assert "field 'chrome'" in err and "Traceback" not in err
    assert main(["evaluate", "cleaning", str(tmp_path / "none.json"), str(GOLD)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_page_the_loader_skipped_is_named_with_its_reason(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = "Ministers met on Friday in the capital and agreed to resume talks on grain exports next week. " * 3
    for name in ("a", "b"):
        (corpus / f"{name}.txt").write_text(f"Grain talks to resume\n\n{story}\n", encoding="utf-8")
    (corpus / "manifest.csv").write_text("file,outlet,published\na.txt,Reuters,2022-07-22\nb.txt,Reuters,2022-07-22\n")
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps([{"file": n, "headline": "Grain talks to resume", "chrome": []} for n in ("a.txt", "b.txt")]))
    assert main(["evaluate", "cleaning", str(gold), str(corpus), "--json"]) == 0
    misses = json.loads(capsys.readouterr().out)["misses"]
    assert [(m["article_id"], m["metric"]) for m in misses] == [("b", "not_loaded")]
    assert misses[0]["detail"].startswith("duplicate of") and "skipped" in misses[0]["detail"]


# --- quotes, events and provenance on labelled pages: metrics on hand-made tables -----------------


def _page_gold(**columns) -> pd.DataFrame:
    ids = list(next(iter(columns.values())))
    return pd.DataFrame({"article_id": ids, **{k: list(v.values()) for k, v in columns.items()}})


def test_speakers_are_right_by_name_words_and_a_quote_not_found_counts_as_wrong():
    from analysis.evaluation import evaluate_quotes

    articles = pd.DataFrame({"id": ["a", "b", "c"]})
    gold = _page_gold(
        quotes={
            "a": [["we will respond", "Vladimir Putin"], ["no comment", None]],
            "b": [["talks were useful", "Olga Mikhailova (Navalny's lawyer)"], ["the ministry said", "Blinken"]],
            "c": [["never said", "Lavrov"]],
        }
    )
    quotes = pd.DataFrame(
        {
            "article_id": ["a", "a", "b", "b"],
            "text": ["We will respond in kind", "No comment", "The talks were useful.", "The ministry said so"],
            "speaker": ["Putin", "", "Mikhailova", "United States"],
            "attributed_to": ["", "", "", ""],
        }
    )
    result = evaluate_quotes(articles, gold, quotes=quotes)
    figures = result.validity.set_index("metric")
    assert (figures.loc["quotes_found", "value"], figures.loc["quotes_found", "n"]) == (4 / 5, 5)
    assert (figures.loc["speaker_right", "value"], figures.loc["speaker_right_when_found", "value"]) == (3 / 5, 3 / 4)
    assert sorted(result.misses["metric"]) == ["quote_not_found", "speaker_wrong"]
    wrong = result.misses[result.misses["metric"] == "speaker_wrong"].iloc[0]
    assert (wrong["expected"], wrong["got"]) == ("Blinken", "United States")


def test_event_figures_against_hand_worked_pairs_and_rand_index():
    from analysis.evaluation import evaluate_events

    articles = pd.DataFrame({"id": list("abcd")})
    gold = _page_gold(event={"a": "E1", "b": "E1", "c": "E2", "d": "E2"})
    events = pd.DataFrame({"article_id": list("abcd"), "inferred_event": ["X", "X", "X", "Y"]})
    figures = evaluate_events(articles, gold, events=events).validity.set_index("metric")["value"]
    # predicted pairs ab, ac, bc; gold pairs ab, cd: one in common
    assert figures["pair_precision"] == 1 / 3 and figures["pair_recall"] == 1 / 2
    assert figures["pair_f1"] == pytest.approx(0.4)
    assert figures["adjusted_rand"] == pytest.approx(0.0)  # (1 - 3·2/6) / ((3 + 2)/2 - 3·2/6)


def test_copy_pairs_come_from_one_family_and_common_source_pairs_lower_the_precision():
    from analysis.evaluation import evaluate_provenance

    articles = pd.DataFrame({"id": list("abcde")})
    gold = _page_gold(family={"a": "F", "b": "F", "c": "F", "d": None, "e": "G"})
    pairs = pd.DataFrame(
        {"article_a": ["a", "a", "b"], "article_b": ["b", "d", "c"], "shared_a": [0.9, 0.2, 0.8], "shared_b": [0.9, 0.3, 0.7]}
    )
    result = evaluate_provenance(articles, gold, pairs=pairs)
    figures = result.validity.set_index("metric")["value"]
    assert figures["pair_precision"] == 2 / 3 and figures["pair_recall"] == 2 / 3 and figures["pair_f1"] == pytest.approx(2 / 3)
    assert result.misses[["article_id", "metric", "got"]].values.tolist()[0] == ["a", "not_a_copy", "d"]
    assert result.misses["metric"].tolist() == ["not_a_copy", "copy_missed"]


def test_only_pairs_reported_as_copies_count_as_copies():
    from analysis.evaluation import evaluate_provenance

    articles = pd.DataFrame({"id": list("abcd")})
    gold = _page_gold(family={"a": "F", "b": "F", "c": None, "d": None})
    pairs = pd.DataFrame(
        {
            "article_a": ["a", "a", "c"],
            "article_b": ["b", "c", "d"],
            "shared_a": [0.9, 0.3, 0.2],
            "shared_b": [0.8, 0.3, 0.2],
            "relation": ["copy", "common_source", "copy"],
        }
    )
    result = evaluate_provenance(articles, gold, pairs=pairs)
    figures = result.validity.set_index("metric")
    # a/c only quote the same statement: not a predicted copy; c/d is reported as one, wrongly.
    assert (figures.loc["pair_precision", "value"], figures.loc["pair_precision", "n"]) == (1 / 2, 2)
    assert figures.loc["pair_recall", "value"] == 1.0
    assert result.misses[["article_id", "metric", "got"]].values.tolist() == [["c", "not_a_copy", "d"]]
    missed = evaluate_provenance(articles, gold, pairs=pairs.assign(relation=["common_source", "copy", "copy"])).misses
    assert missed.loc[missed["metric"] == "copy_missed", "detail"].tolist() == ["common_source"]
