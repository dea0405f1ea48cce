"""Keyness: the vectorized statistics against a word-by-word implementation of the formulas."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from analysis.cli import main
from analysis.measures.keyness import REST, UnknownGroupError, chi2_yates, g2, keyness
from analysis.measures.tfidf import term_counts
from analysis.tokens import tokenize

# A hand-made corpus: three outlets, words chosen so that some tables need Yates' correction
# (small expected counts) and some do not.
HAND_MADE = {
    ("a1", "Alpha"): "regime regime regime talks talks the the the the war war war war war peace",
    ("a2", "Alpha"): "regime the the the war war talks sanctions sanctions",
    ("b1", "Beta"): "dialogue dialogue dialogue talks talks talks the the the the peace peace peace war",
    ("b2", "Beta"): "dialogue talks the the peace peace partners",
    ("c1", "Gamma"): "the the the the the talks war peace sanctions sanctions sanctions sanctions sanctions",
}


@pytest.fixture(scope="module")
def hand_made() -> tuple[pd.DataFrame, pd.DataFrame]:
    articles = pd.DataFrame(
        [{"id": i, "outlet": o, "owner": "state" if o == "Alpha" else "private", "body": b} for (i, o), b in HAND_MADE.items()]
    )
    return articles, tokenize(articles)


def direct_keyness(words_i: list[str], words_j: list[str], pooled: dict[str, float], mass: float) -> dict[str, dict]:
    """Monroe et al. eq. 22, quanteda's Yates rule and G², word by word in plain Python."""
    n_i, n_j = len(words_i), len(words_j)
    total = sum(pooled.values())
    alpha = {w: mass * c / total for w, c in pooled.items()}
    alpha_0 = sum(alpha.values())
    result = {}
    for word in sorted(set(words_i) | set(words_j)):
        y_i, y_j, a_w = words_i.count(word), words_j.count(word), alpha[word]
        delta = math.log((y_i + a_w) / (n_i + alpha_0 - y_i - a_w)) - math.log((y_j + a_w) / (n_j + alpha_0 - y_j - a_w))
        z = delta / math.sqrt(1 / (y_i + a_w) + 1 / (y_j + a_w))
        a, b, c, d = y_i, y_j, n_i - y_i, n_j - y_j
        n = a + b + c + d
        expected = [(a + b) * (a + c) / n, (a + b) * (b + d) / n, (c + d) * (a + c) / n, (c + d) * (b + d) / n]
        sign = 1 if a > expected[0] else -1
        cross = abs(a * d - b * c)
        shift = n / 2 if min(expected) < 5 and cross >= n / 2 else 0
        chi2 = n * (cross - shift) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
        observed = [a, b, c, d]
        likelihood = 2 * sum(o * math.log(o / e) for o, e in zip(observed, expected, strict=True) if o > 0)
        result[word] = {
            "count": y_i,
            "count_reference": y_j,
            "log_odds": delta,
            "z": z,
            "chi2": sign * chi2,
            "g2": sign * likelihood,
        }
    return result


def words_of(articles: pd.DataFrame, outlets) -> list[str]:
    return [w for body in articles.loc[articles["outlet"].isin(outlets), "body"] for w in body.split()]


def assert_matches(table: pd.DataFrame, expected: dict[str, dict]) -> None:
    got = table.set_index("term")
    assert sorted(got.index) == sorted(expected)
    for word, values in expected.items():
        for column, value in values.items():
            assert got.loc[word, column] == pytest.approx(value, rel=1e-10, abs=1e-12), (word, column)


@pytest.mark.parametrize("mass", [100.0, 7.5])
def test_one_vs_rest_equals_the_formulas_word_by_word(hand_made, mass):
    articles, tokens = hand_made
    table = keyness(tokens, articles, prior_mass=mass, stop_words=None, min_count=1)
    everything = words_of(articles, ["Alpha", "Beta", "Gamma"])
    pooled = {w: everything.count(w) for w in set(everything)}
    for outlet in ("Alpha", "Beta", "Gamma"):
        others = [o for o in ("Alpha", "Beta", "Gamma") if o != outlet]
        part = table[table["group"] == outlet]
        assert set(part["reference"]) == {REST}
        assert_matches(part, direct_keyness(words_of(articles, [outlet]), words_of(articles, others), pooled, mass))
        assert part["z"].is_monotonic_decreasing


def test_pairwise_uses_the_reference_group_and_the_whole_corpus_prior(hand_made):
    articles, tokens = hand_made
    table = keyness(tokens, articles, reference="Beta", stop_words=None, min_count=1)
    assert set(table["group"]) == {"Alpha", "Gamma"} and set(table["reference"]) == {"Beta"}
    everything = words_of(articles, ["Alpha", "Beta", "Gamma"])
    pooled = {w: everything.count(w) for w in set(everything)}
    expected = direct_keyness(words_of(articles, ["Gamma"]), words_of(articles, ["Beta"]), pooled, 100.0)
    assert_matches(table[table["group"] == "Gamma"], expected)


def test_a_prior_corpus_is_added_to_the_pooled_counts(hand_made):
    articles, tokens = hand_made
    background = pd.Series({"the": 500, "war": 40, "ceasefire": 10})
    table = keyness(tokens, articles, reference="Alpha", prior_counts=background, stop_words=None, min_count=1)
    everything = words_of(articles, ["Alpha", "Beta", "Gamma"])
    pooled = {w: everything.count(w) + background.get(w, 0) for w in set(everything)}
    pooled["ceasefire"] = 10  # in the vocabulary of the prior only: part of α_0, never a row
    expected = direct_keyness(words_of(articles, ["Beta"]), words_of(articles, ["Alpha"]), pooled, 100.0)
    expected.pop("ceasefire", None)
    assert_matches(table[table["group"] == "Beta"], expected)


def test_with_two_groups_one_vs_rest_is_the_pair(hand_made):
    articles, tokens = hand_made
    rest = keyness(tokens, articles, by="owner")
    assert set(zip(rest["group"], rest["reference"], strict=True)) == {("state", "private"), ("private", "state")}
    pair = keyness(tokens, articles, by="owner", reference="private")
    pd.testing.assert_frame_equal(rest[rest["group"] == "state"].reset_index(drop=True), pair)
    # the two directions mirror each other
    back = rest[rest["group"] == "private"].set_index("term")
    forth = pair.set_index("term").loc[back.index]
    assert np.allclose(back["log_odds"], -forth["log_odds"]) and np.allclose(back["z"], -forth["z"])
    assert np.allclose(back["chi2"], -forth["chi2"]) and np.allclose(back["g2"], -forth["g2"])


@pytest.mark.parametrize(("a", "b", "n_a", "n_b"), [(3, 7, 10, 9), (30, 12, 400, 380), (0, 9, 50, 60), (2, 0, 40, 35)])
def test_chi2_and_g2_equal_scipy_on_one_table(a, b, n_a, n_b):
    table = [[a, b], [n_a - a, n_b - b]]
    expected = np.outer([a + b, n_a + n_b - a - b], [n_a, n_b]) / (n_a + n_b)
    needs_yates = expected.min() < 5 and abs(a * (n_b - b) - b * (n_a - a)) >= (n_a + n_b) / 2
    pearson = chi2_contingency(table, correction=needs_yates)[0]
    likelihood = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    sign = 1 if a > expected[0, 0] else -1
    assert chi2_yates([a], [b], n_a, n_b)[0] == pytest.approx(sign * pearson, rel=1e-10)
    assert g2([a], [b], n_a, n_b)[0] == pytest.approx(sign * likelihood, rel=1e-10)


def test_stop_words_min_count_and_tied_ranks_by_default(seeds):
    table = keyness(tokenize(seeds), seeds)
    assert not table["term"].isin(["the", "said", "told", "according"]).any()  # English and reporting verbs
    assert ((table["count"] + table["count_reference"]) >= 3).all()
    everything = keyness(tokenize(seeds), seeds, stop_words=None, min_count=1)
    assert {"the", "said"} <= set(everything["term"])
    for _, part in table.groupby(["group", "reference"]):
        ranks, z = part["rank"].to_numpy(), part["z"].to_numpy()
        assert ranks[0] == 1 and (np.diff(ranks) >= 0).all()
        assert ((np.diff(ranks) == 0) == np.isclose(np.diff(z), 0)).all()  # ties, and only ties, share a rank
    assert (table.groupby(["group", "rank"]).size() > 1).any()  # the seeds have ties


def test_quanteda_example_is_yates_corrected():
    # quanteda's own test: d1 = "b b b b b b b a a a", d2 = "a a a a a a a b b"; R's chisq.test(correct = TRUE)
    assert chi2_yates([3, 7], [7, 2], 10, 9) == pytest.approx([-2.632438271604939, 2.632438271604939], rel=1e-12)


def test_counts_and_tokens_give_the_same_table_in_each_voice(seeds):
    tokens = tokenize(seeds)
    for voice in ("narration", "quoted"):
        from_tokens = keyness(tokens, seeds, voice=voice)
        from_counts = keyness(term_counts(tokens, voice=voice), seeds, voice=voice)
        pd.testing.assert_frame_equal(from_tokens, from_counts)
    quoted = keyness(tokens, seeds, voice="quoted", min_count=1)
    tass = quoted[(quoted["group"] == "TASS") & (quoted["term"] == "reckless")]
    assert len(tass) == 1 and tass["count"].item() >= 1


def test_words_seen_once_or_twice_are_not_called_distinctive_on_the_seeds(seeds):
    table = keyness(tokenize(seeds), seeds, stop_words=None, min_count=1)
    rare = table[(table["count"] <= 2) & (table["count_reference"] == 0)]
    assert len(rare) > 100
    assert rare["z"].abs().max() < 1.96
    assert table["small_sample"].all()
    totals = table.groupby("group")[["n_tokens", "n_tokens_reference"]].first().sum(axis=1)
    assert (totals == len(tokenize(seeds))).all()


def test_bad_options_are_refused(hand_made):
    articles, tokens = hand_made
    with pytest.raises(UnknownGroupError, match="Delta"):
        keyness(tokens, articles, reference="Delta")
    with pytest.raises(ValueError, match="prior_mass"):
        keyness(tokens, articles, prior_mass=0)
    with pytest.raises(ValueError, match="1 group"):
        keyness(tokens, articles.assign(outlet="Alpha"))
    with pytest.raises(KeyError, match="nope"):
        keyness(tokens, articles, by="nope")


def test_framing_keyness_json_and_usage_errors(capsys):
    assert main(["keyness", "--by", "ownership", "--reference", "state", "--top", "4", "--json"]) == 0
    table = pd.DataFrame(json.loads(capsys.readouterr().out))
    columns = ["group", "reference", "term", "count", "count_reference", "log_odds", "z", "chi2", "g2"]
    assert set(columns) <= set(table.columns)
    assert set(table["reference"]) == {"state"} and set(table["group"]) == {"aggregator", "private"}
    assert table.groupby("group").size().eq(4).all()
    assert main(["keyness", "--reference", "Nobody"]) == 2
    assert "Nobody" in capsys.readouterr().err
    assert main(["keyness", "--by", "nope"]) == 2
