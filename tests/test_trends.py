"""Attention against hand counts, and framing trends: one series that shifts, one that does not."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.corpus import load_corpus
from analysis.lexicons import load_matcher
from analysis.measures.loaded import loaded_hits
from analysis.measures.tone import sentence_tone
from analysis.plots import plot_attention
from analysis.query import build_index, match
from analysis.tokens import count_words, tokenize
from analysis.trends import (
    attention,
    distinctive_terms,
    flag_shifts,
    loaded_trends,
    period_start,
    tone_trends,
    trend_table,
)

NEUTRAL = "The delegation met officials in the capital on Monday and the talks continued into the evening. "


def corpus(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Article table from (outlet, published, body) rows, as the loader would give it."""
    table = pd.DataFrame(rows, columns=["outlet", "published", "body"])
    table.insert(0, "id", [f"a{i:02d}" for i in range(len(table))])
    table["published"] = pd.to_datetime(table["published"])
    table["headline"] = ""
    table["n_tokens"] = table["body"].map(count_words)
    return table


# ---------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------


@pytest.fixture
def dated():
    # Weeks start on Monday: 2021-03-01, 2021-03-08, 2021-03-15.
    return corpus(
        [
            ("Alpha", "2021-03-01", "Sanctions were announced."),
            ("Alpha", "2021-03-03", "New sanctions on exports."),
            ("Alpha", "2021-03-07", "A football match."),
            ("Alpha", "2021-03-16", "Weather report."),
            ("Beta", "2021-03-08", "Sanctions again."),
            ("Beta", "2021-03-09", "More sanctions."),
            ("Beta", "2021-03-10", "Sanctions talk."),
            ("Beta", "2021-03-14", "Sanctions, sanctions."),
        ]
    )


def test_attention_ratios_match_hand_counts(dated):
    table = attention(dated, match(build_index(dated), "sanction*"), interval="week")
    assert table[["group", "period"]].astype(str).values.tolist() == [
        ["Alpha", "2021-03-01"],
        ["Alpha", "2021-03-08"],
        ["Alpha", "2021-03-15"],
        ["Beta", "2021-03-01"],
        ["Beta", "2021-03-08"],
        ["Beta", "2021-03-15"],
    ]
    assert table["matching"].tolist() == [2, 0, 0, 0, 4, 0]
    assert table["total"].tolist() == [3, 0, 1, 0, 4, 0]
    np.testing.assert_allclose(table["ratio"], [2 / 3, np.nan, 0.0, np.nan, 1.0, np.nan])
    # Wilson 95% for 2 of 3 and 4 of 4 (hand-checked against the textbook formula)
    np.testing.assert_allclose(table.loc[0, ["ci_low", "ci_high"]].astype(float), [0.2077, 0.9385], atol=1e-4)
    np.testing.assert_allclose(table.loc[4, ["ci_low", "ci_high"]].astype(float), [0.5101, 1.0], atol=1e-4)
    # empty periods are present with total 0 and no interval
    assert table.loc[table["total"] == 0, ["ratio", "ci_low", "ci_high"]].isna().all().all()
    assert table["small_sample"].all()  # every cell has fewer than 5 articles


def test_attention_by_month_and_by_another_column(dated):
    dated = dated.assign(ownership=["state"] * 4 + ["private"] * 4)
    table = attention(dated, match(build_index(dated), "sanctions"), by="ownership", interval="month")
    assert table.set_index("group")[["matching", "total"]].to_dict("index") == {
        "private": {"matching": 4, "total": 4},
        "state": {"matching": 2, "total": 4},
    }


def test_attention_rejects_a_mask_of_the_wrong_length(dated):
    with pytest.raises(ValueError, match="one per article"):
        attention(dated, [True, False])


def test_period_start_weeks_begin_on_monday():
    dates = pd.Series(pd.to_datetime(["2021-03-07", "2021-03-08", "2021-03-14"]))
    assert period_start(dates).dt.strftime("%Y-%m-%d").tolist() == ["2021-03-01", "2021-03-08", "2021-03-08"]


def test_plot_attention_has_one_line_per_group_with_n(dated):
    table = attention(dated, match(build_index(dated), "sanctions"), interval="week")
    fig = plot_attention(table, query="sanctions")
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["Alpha (n=4)", "Beta (n=4)"]
    assert "n = 8 articles" in fig._suptitle.get_text()


def test_cli_attention_prints_every_period(capsys):
    from analysis.cli import main

    assert main(["attention", "--query", "killer OR murderer", "--interval", "month", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5 * 3  # five outlets × January..March, empty months included
    tass_march = next(r for r in rows if r["group"] == "TASS" and r["period"] == "2021-03-01")
    assert (tass_march["matching"], tass_march["total"], tass_march["ratio"]) == (1, 1, 1.0)
    assert main(["attention", "--query", "(killer"]) == 2


# ---------------------------------------------------------------------------
# Framing trends
# ---------------------------------------------------------------------------


def body(regimes: int, *, tone: str = "") -> str:
    """About 200 words of neutral text with ``regimes`` pejorative labels and an optional toned sentence."""
    return NEUTRAL * 12 + "The regime acted. " * regimes + tone


@pytest.fixture(scope="module")
def two_weeks():
    varied = [1, 2, 3, 1, 2, 3]
    rows = []
    for day in range(6):
        # Alpha: no pejorative labels and cheerful sentences in week 1, many and grim ones in week 2.
        rows.append(("Alpha", f"2021-03-0{day + 1}", body(0, tone="What a wonderful, happy, great success.")))
        rows.append(("Alpha", f"2021-03-{day + 8:02d}", body(8 + day, tone="A horrible, tragic, terrible disaster.")))
        # Beta: the same mix both weeks.
        rows.append(("Beta", f"2021-03-0{day + 1}", body(varied[day])))
        rows.append(("Beta", f"2021-03-{day + 8:02d}", body(varied[5 - day])))
    # Gamma: two articles a week: a big difference, but too few articles to call it a shift.
    rows += [("Gamma", "2021-03-02", body(0)), ("Gamma", "2021-03-03", body(0))]
    rows += [("Gamma", "2021-03-09", body(12)), ("Gamma", "2021-03-10", body(14))]
    articles = corpus(rows)
    tokens = tokenize(articles)
    return articles, tokens


def test_loaded_trend_flags_the_shift_and_not_the_steady_series(two_weeks):
    articles, tokens = two_weeks
    matcher = load_matcher()
    table = loaded_trends(loaded_hits(tokens, matcher), tokens, articles, categories=["pejorative_labels"], n_boot=500)
    week2 = table[table["period"] == "2021-03-08"].set_index("group")
    assert week2.loc["Alpha", "shift"] and week2.loc["Alpha", "shift_direction"] == "up"
    assert week2.loc["Alpha", "hits"] == sum(8 + d for d in range(6))
    assert str(week2.loc["Alpha", "compared_with"].date()) == "2021-03-01"
    assert not week2.loc["Beta", "shift"]
    assert week2.loc["Beta", "hits"] == 12 and week2.loc["Beta", "change"] == pytest.approx(0, abs=1e-9)
    # Gamma changes even more, but two articles a week is a small sample: flagged small, no shift
    assert week2.loc["Gamma", "small_sample"] and not week2.loc["Gamma", "shift"]
    assert week2.loc["Gamma", "rate_per_1000"] > week2.loc["Alpha", "rate_per_1000"] / 2
    # nothing is flagged in a series' first period
    assert not table.loc[table["period"] == "2021-03-01", "shift"].any()


def test_tone_trend_flags_the_shift_down(two_weeks):
    articles, tokens = two_weeks
    table = tone_trends(sentence_tone(articles, tokens=tokens), articles, n_boot=500)
    week2 = table[table["period"] == "2021-03-08"].set_index("group")
    assert week2.loc["Alpha", "shift"] and week2.loc["Alpha", "shift_direction"] == "down"
    assert week2.loc["Alpha", "change"] < 0
    assert not week2.loc["Beta", "shift"]


def test_empty_periods_are_present_and_flagged_small():
    articles = corpus([("Alpha", "2021-03-01", body(1)), ("Alpha", "2021-03-22", body(1))])
    tokens = tokenize(articles)
    table = loaded_trends(loaded_hits(tokens, load_matcher()), tokens, articles, categories=["pejorative_labels"])
    assert table["period"].dt.strftime("%m-%d").tolist() == ["03-01", "03-08", "03-15", "03-22"]
    assert table["n_articles"].tolist() == [1, 0, 0, 1]
    assert table["small_sample"].all() and table["rate_per_1000"].isna().tolist() == [False, True, True, False]
    # the last period is compared with the last one that had articles, not the empty one before it
    assert str(table["compared_with"].iloc[-1].date()) == "2021-03-01"


def test_flag_shifts_needs_intervals_on_both_sides():
    table = pd.DataFrame(
        {
            "group": "A",
            "period": pd.to_datetime(["2021-01-04", "2021-01-11", "2021-01-18"]),
            "rate": [1.0, 9.0, 1.0],
            "ci_low": [np.nan, 8.0, 0.5],
            "ci_high": [np.nan, 10.0, 1.5],
        }
    )
    assert flag_shifts(table, value="rate")["shift_direction"].tolist() == ["", "", "down"]


def test_trend_table_combines_loaded_and_tone(two_weeks):
    articles, tokens = two_weeks
    loaded = loaded_trends(loaded_hits(tokens, load_matcher()), tokens, articles, categories=["pejorative_labels"], n_boot=200)
    tone = tone_trends(sentence_tone(articles, tokens=tokens), articles, n_boot=200)
    table = trend_table(loaded, tone)
    assert set(table["measure"]) == {"loaded:pejorative_labels per 1000", "tone (VADER compound)"}
    assert len(table) == len(loaded) + len(tone)
    assert table["shift"].sum() == loaded["shift"].sum() + tone["shift"].sum() == 2


def test_distinctive_terms_set_the_shifted_week_apart(two_weeks):
    articles, tokens = two_weeks
    table = distinctive_terms(tokens, articles, top=3)
    alpha = table[(table["group"] == "Alpha") & (table["period"] == "2021-03-08")]
    # "The regime acted." is what week 2 adds: 8 + 9 + ... + 13 = 63 times, never in week 1
    top = alpha.head(2)
    assert sorted(top["term"]) == ["acted", "regime"]
    assert top["count"].tolist() == [63, 63] and top["count_reference"].tolist() == [0, 0]
    assert (top["z"] > 1.96).all() and set(top["reference"].astype(str)) == {"2021-03-01"}
    beta_regime = table[(table["group"] == "Beta") & (table["term"] == "regime")]
    assert (beta_regime["z"].abs() < 1.96).all()  # the same twelve each week: nothing distinctive


def test_distinctive_terms_need_two_periods():
    articles = corpus([("Alpha", "2021-03-01", body(1)), ("Beta", "2021-03-01", body(2)), ("Beta", "2021-03-09", body(9))])
    table = distinctive_terms(tokenize(articles), articles, top=2)
    assert set(table["group"]) == {"Beta"}


def test_trends_of_one_voice_and_a_wrong_voice_named():
    articles = load_corpus()
    tokens = tokenize(articles)
    hits = loaded_hits(tokens, load_matcher("default"))
    narration = loaded_trends(hits, tokens, articles, voice="narration")
    assert set(narration["voice"]) == {"narration"} and narration["hits"].sum() > 0
    every = loaded_trends(hits, tokens, articles, voice="all")
    assert narration["hits"].sum() < every["hits"].sum()  # quoted hits are left out
    with pytest.raises(ValueError, match="voice='narrated': choose one of 'all', 'narration', 'quoted'"):
        loaded_trends(hits, tokens, articles, voice="narrated")
    with pytest.raises(ValueError, match="voice='narrated'"):
        tone_trends(sentence_tone(articles, tokens=tokens), articles, voice="narrated")
