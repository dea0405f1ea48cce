"""Loaded language: hits with voice on the seeds, rates on a hand-made corpus, KWIC, CLI."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.lexicons import Lexicon, LexiconEntry, build_matcher, load_matcher
from analysis.measures.loaded import (
    RATE_COLUMNS,
    article_hit_counts,
    loaded_hits,
    loaded_rates,
    voice_token_counts,
)
from analysis.tokens import WORD_PATTERN, kwic, tokenize


@pytest.fixture(scope="module")
def seed_tokens(seeds):
    return tokenize(seeds)


@pytest.fixture(scope="module")
def seed_hits(seed_tokens, seeds):
    hits = loaded_hits(seed_tokens, load_matcher())
    return hits.assign(outlet=hits["article_id"].map(seeds.set_index("id")["outlet"]))


def matches(hits: pd.DataFrame, outlet: str, voice: str) -> set[str]:
    return set(hits.loc[(hits["outlet"] == outlet) & (hits["voice"] == voice), "match"])


# --- the seeds ------------------------------------------------------------------


def test_press_tv_narration_carries_its_loaded_words(seed_hits):
    assert {"rebuffing", "furiously", "hawkish", "diktats"} <= matches(seed_hits, "Press TV", "narration")


def test_tass_narration_and_quotes(seed_hits):
    assert {"alleged", "leftist"} <= matches(seed_hits, "TASS", "narration")
    assert "reckless" in matches(seed_hits, "TASS", "quoted")
    assert "reckless" not in matches(seed_hits, "TASS", "narration")


def test_nothing_is_counted_from_the_also_read_link(seed_hits, seeds):
    top_news = seed_hits[seed_hits["outlet"] == "top-news.online"]
    assert "regime" not in set(top_news["match"])
    assert "ALSO READ" in seeds.loc[seeds["outlet"] == "top-news.online", "raw"].iloc[0]  # it was in the page


def test_every_hit_points_at_its_words_in_the_body(seed_hits, seeds):
    bodies = seeds.set_index("id")["body"]
    for hit in seed_hits.itertuples():
        passage = bodies[hit.article_id][hit.start : hit.end]
        words = [m.group().lower().replace("’", "'") for m in WORD_PATTERN.finditer(passage)]
        assert " ".join(words) == hit.match


def test_overlapping_terms_of_one_category_count_once(seed_hits):
    tass_emotive = seed_hits[(seed_hits["outlet"] == "TASS") & (seed_hits["category"] == "emotive_intensifiers")]
    assert "deeply alarmed" in set(tass_emotive["match"])
    assert "alarmed" not in set(tass_emotive["match"])


def test_seed_rates_add_up_by_voice(seed_hits, seed_tokens, seeds):
    rates = loaded_rates(seed_hits, seed_tokens, seeds, categories=load_matcher().lexicon.categories, n_boot=200)
    assert list(rates.columns) == RATE_COLUMNS
    assert len(rates) == seeds["outlet"].nunique() * len(load_matcher().lexicon.categories) * 3
    wide = rates.pivot_table(index=["group", "category"], columns="voice", values=["hits", "tokens"])
    assert (wide[("hits", "narration")] + wide[("hits", "quoted")] == wide[("hits", "all")]).all()
    assert (wide[("tokens", "narration")] + wide[("tokens", "quoted")] == wide[("tokens", "all")]).all()
    assert rates["hits"].sum() == 2 * len(seed_hits)  # each hit once in its voice, once in 'all'
    assert rates["small_sample"].all()  # one article per outlet is not a population
    by_outlet_tokens = seeds.groupby("outlet")["n_tokens"].sum()
    all_rows = rates[rates["voice"] == "all"].drop_duplicates("group").set_index("group")["tokens"]
    assert all_rows.sort_index().tolist() == by_outlet_tokens.sort_index().tolist()


# --- a hand-made corpus -----------------------------------------------------------


def hand_tokens(rows: list[tuple[str, str, int, str]]) -> pd.DataFrame:
    """Tokens from (article_id, token, sentence, voice) rows, offsets 10 characters apart."""
    table = pd.DataFrame(rows, columns=["article_id", "token", "sentence", "voice"])
    position = table.groupby("article_id").cumcount() * 10
    return table.assign(start=position, end=position + table["token"].str.len(), paragraph=0, quote_id=-1)


@pytest.fixture()
def hand():
    lexicon = Lexicon(
        "hand",
        "hand",
        {"labels": "", "doubt": "", "calm": ""},
        (
            LexiconEntry("regime", "labels", True, 1),
            LexiconEntry("alleged", "doubt", False, 2),
            LexiconEntry("turning ugly", "labels", False, 3),
        ),
    )
    tokens = hand_tokens(
        [
            ("a1", "the", 0, "narration"),
            ("a1", "regime", 0, "narration"),
            ("a1", "is", 0, "narration"),
            ("a1", "turning", 0, "narration"),
            ("a1", "ugly", 1, "narration"),  # across a sentence end: no match
            ("a1", "alleged", 1, "quoted"),
            ("a1", "regimes", 1, "quoted"),
            ("a2", "alleged", 0, "narration"),
            ("a2", "talks", 0, "narration"),
            ("a2", "turning", 0, "quoted"),
            ("a2", "ugly", 0, "quoted"),
            ("a2", "today", 0, "quoted"),
            ("a3", "regime", 0, "narration"),
            ("a3", "turning", 0, "narration"),
        ]
    )
    articles = pd.DataFrame({"id": ["a1", "a2", "a3", "a4"], "outlet": ["X", "X", "Y", "Y"], "owner": ["s", None, "s", "p"]})
    return build_matcher(lexicon), tokens, articles


def test_hand_made_hits(hand):
    matcher, tokens, _ = hand
    hits = loaded_hits(tokens, matcher)
    assert list(hits.columns) == ["article_id", "term", "match", "category", "start", "end", "voice", "sentence"]
    assert list(zip(hits["article_id"], hits["match"], hits["voice"], strict=True)) == [
        ("a1", "regime", "narration"),
        ("a1", "alleged", "quoted"),
        ("a1", "regimes", "quoted"),
        ("a2", "alleged", "narration"),
        ("a2", "turning ugly", "quoted"),
        ("a3", "regime", "narration"),
    ]
    multi = hits[hits["match"] == "turning ugly"].iloc[0]
    assert (multi["start"], multi["end"], multi["term"]) == (20, 34, "turning ugly")


def test_rates_are_hits_per_thousand_tokens(hand):
    matcher, tokens, articles = hand
    hits = loaded_hits(tokens, matcher)
    rates = loaded_rates(hits, tokens, articles, categories=["labels", "doubt", "calm"], n_boot=500).set_index(
        ["group", "category", "voice"]
    )
    expected = {  # group, category, voice: hits, tokens
        ("X", "labels", "narration"): (1, 7),
        ("X", "labels", "quoted"): (2, 5),
        ("X", "labels", "all"): (3, 12),
        ("X", "doubt", "narration"): (1, 7),
        ("X", "doubt", "quoted"): (1, 5),
        ("X", "calm", "all"): (0, 12),
        ("Y", "labels", "narration"): (1, 2),
        ("Y", "labels", "quoted"): (0, 0),
    }
    for key, (n_hits, n_tokens) in expected.items():
        row = rates.loc[key]
        assert (row["hits"], row["tokens"]) == (n_hits, n_tokens), key
        if n_tokens:
            assert row["rate_per_1000"] == pytest.approx(1000 * n_hits / n_tokens)
        else:
            assert np.isnan(row["rate_per_1000"])
    assert rates.loc[("X", "labels", "all"), "n_articles"] == 2
    assert rates.loc[("Y", "labels", "all"), "n_articles"] == 2  # a4 has no tokens but belongs to Y
    assert rates.loc[("Y", "labels", "all"), "n_tokens"] == 2
    interval = rates.loc[("X", "labels", "all"), ["ci_low", "ci_high"]]
    assert interval["ci_low"] <= 1000 * 3 / 12 <= interval["ci_high"]
    assert interval["ci_low"] < interval["ci_high"]  # a1 and a2 differ
    assert rates.loc[("Y", "labels", "all"), ["ci_low", "ci_high"]].isna().all()  # one article with tokens: no interval
    assert rates["small_sample"].all()


def test_rates_accept_token_counts_and_any_grouping_column(hand):
    matcher, tokens, articles = hand
    hits = loaded_hits(tokens, matcher)
    from_tokens = loaded_rates(hits, tokens, articles, by="owner", n_boot=100)
    from_counts = loaded_rates(hits, voice_token_counts(tokens), articles, by="owner", n_boot=100)
    pd.testing.assert_frame_equal(from_tokens, from_counts)
    assert set(from_tokens["group"]) == {"s", "p", "(missing)"}
    assert set(from_tokens["category"]) == {"labels", "doubt"}  # categories present in the hits by default


def test_rates_from_hit_counts_per_article_equal_rates_from_the_hits(seed_hits, seed_tokens, seeds):
    counts = article_hit_counts(seed_hits)
    assert counts["hits"].sum() == len(seed_hits) and (counts["hits"] > 0).all()
    assert len(counts) < len(seed_hits)  # a few rows per article, not one per hit
    assert set(counts["voice"]) <= {"narration", "quoted"}
    for article in seeds["id"]:
        expected = seed_hits[seed_hits["article_id"].eq(article)].groupby(["category", "voice"]).size()
        got = counts[counts["article_id"].eq(article)].set_index(["category", "voice"])["hits"]
        assert got.to_dict() == expected.to_dict()
    from_hits = loaded_rates(seed_hits, seed_tokens, seeds, n_boot=300)
    from_counts = loaded_rates(counts, voice_token_counts(seed_tokens), seeds, n_boot=300)
    pd.testing.assert_frame_equal(from_counts, from_hits, check_exact=True)


def test_bootstrap_is_seeded(hand):
    matcher, tokens, articles = hand
    hits = loaded_hits(tokens, matcher)
    first = loaded_rates(hits, tokens, articles, n_boot=300, seed=7)
    pd.testing.assert_frame_equal(first, loaded_rates(hits, tokens, articles, n_boot=300, seed=7))


def test_unknown_grouping_column_names_the_available_ones(hand):
    matcher, tokens, articles = hand
    with pytest.raises(KeyError, match=r"'outlett'.*available: id, outlet, owner"):
        loaded_rates(loaded_hits(tokens, matcher), tokens, articles, by="outlett")


def test_kwic_shows_the_passage_and_its_context():
    articles = pd.DataFrame(
        {"id": ["k1"], "outlet": ["Z"], "body": ["Officials said the\nRegime’s   so-called reforms were alleged."]}
    )
    lexicon = Lexicon("k", "k", {"labels": ""}, (LexiconEntry("regime", "labels", True, 1),))
    hits = loaded_hits(tokenize(articles), build_matcher(lexicon))
    table = kwic(hits, articles, width=20)
    assert list(table.columns) == [
        "article_id",
        "outlet",
        "term",
        "match",
        "category",
        "voice",
        "start",
        "end",
        "left",
        "right",
    ]
    with pytest.raises(KeyError, match="not in the article table"):
        kwic(hits, articles.assign(id="other"))
    row = table.iloc[0]
    assert row["match"] == "Regime’s"
    assert row["left"] == "Officials said the"  # the line break is shown as a space
    assert row["right"] == "so-called reforms"


# --- command line ---------------------------------------------------------------


def test_cli_loaded_json(capsys):
    assert main(["loaded", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows[0]) == [
        "group",
        "category",
        "voice",
        "hits",
        "tokens",
        "rate_per_1000",
        "ci_low",
        "ci_high",
        "small_sample",
    ]
    press_tv = {(r["category"], r["voice"]): r for r in rows if r["group"] == "Press TV"}
    assert press_tv[("emotive_intensifiers", "narration")]["hits"] >= 2


def test_cli_loaded_kwic_by_lexicon_file(capsys, tmp_path):
    lexicon = tmp_path / "mine.csv"
    lexicon.write_text("term,category\nreckless,judgement\nleftist,labels\n")
    assert main(["loaded", "--lexicon", str(lexicon), "--kwic", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["outlet"], r["match"], r["voice"]) for r in rows} == {
        ("TASS", "reckless", "quoted"),
        ("TASS", "leftist", "narration"),
    }
    assert list(rows[0]) == ["article_id", "outlet", "term", "match", "category", "voice", "start", "end", "left", "right"]


def test_cli_loaded_table_and_grouping(capsys):
    assert main(["loaded", "--by", "ownership"]) == 0
    out = capsys.readouterr().out
    assert "aggregator" in out and "rate_per_1000" in out and "not a population" in out


def test_cli_loaded_usage_errors(capsys, tmp_path):
    assert main(["loaded", "--by", "colour"]) == 2
    assert "available" in capsys.readouterr().err
    bad = tmp_path / "bad.dic"
    bad.write_text("%\n1\tdoubt\n%\nalleged\t9\n")
    assert main(["loaded", "--lexicon", str(bad)]) == 2
    assert "bad.dic:4" in capsys.readouterr().err


# --- the vectorized bootstrap -----------------------------------------------------


def test_no_hits_still_gives_every_category_and_voice(hand):
    matcher, tokens, articles = hand
    empty = loaded_hits(tokens.iloc[:0], matcher)
    assert list(empty.columns) == ["article_id", "term", "match", "category", "start", "end", "voice", "sentence"]
    rates = loaded_rates(empty, tokens, articles, categories=["labels", "doubt"], n_boot=50)
    assert len(rates) == 2 * 2 * 3 and (rates["hits"] == 0).all()
    assert (rates.loc[rates["tokens"] > 0, "rate_per_1000"] == 0).all()


def test_rates_per_article(hand):
    matcher, tokens, articles = hand
    per_article = loaded_rates(loaded_hits(tokens, matcher), tokens, articles, by="id", categories=["labels"])
    assert list(per_article["group"].unique()) == ["a1", "a2", "a3", "a4"]
    a1 = per_article[(per_article["group"] == "a1")].set_index("voice")
    assert a1.loc["all", "rate_per_1000"] == pytest.approx(1000 * 2 / 7)  # regime, regimes in 7 tokens
    assert a1.loc["narration", "hits"] == 1 and a1.loc["quoted", "hits"] == 1
    assert per_article[["ci_low", "ci_high"]].isna().all().all()  # one article: no interval
    assert (per_article["n_articles"] == 1).all()


def test_overlap_chains_keep_every_span_that_does_not_overlap_a_kept_one():
    lexicon = Lexicon(
        "o",
        "o",
        {"c": ""},
        (LexiconEntry("a b", "c", False, 1), LexiconEntry("b c d", "c", False, 2), LexiconEntry("c d e", "c", False, 3)),
    )
    tokens = hand_tokens([("x", word, 0, "narration") for word in ["a", "b", "c", "d", "e"]])
    # 'a b' is kept; 'b c d' overlaps it and is dropped; 'c d e' overlaps only the dropped span, so it counts
    assert list(loaded_hits(tokens, build_matcher(lexicon))["match"]) == ["a b", "c d e"]


def test_term_validity_counts_the_hits_here_and_adds_the_measured_precision(seeds):
    from analysis.lexicons import load_term_precision
    from analysis.measures.loaded import term_validity

    hits = loaded_hits(tokenize(seeds), load_matcher("default"))
    table = term_validity(hits)
    assert table["hits"].sum() == len(hits) and table["hits"].is_monotonic_decreasing
    assert {"precision_babe", "precision_ptc", "precision_basil"} <= set(table.columns)
    shipped = load_term_precision("default").set_index(["term", "category"])
    row = table.dropna(subset=["precision_ptc"]).iloc[0]
    assert row["precision_ptc"] == shipped.loc[(row["term"], row["category"]), "precision_ptc"]
    custom = Path(__file__).parent / "fixtures" / "lexicons" / "terms.csv"
    assert not any(c.startswith("precision_") for c in term_validity(hits, lexicon=custom).columns)
