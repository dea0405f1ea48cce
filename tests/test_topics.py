"""Topics (analysis.topics): planted topics recovered, k chosen by coherence, prevalence intervals, seeds, CLI."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis import topics as T
from analysis.cli import main

PLANTED_K = 4
#: Each outlet's Dirichlet weights over the planted topics (times ALPHA_SCALE: articles mostly about one or two).
OUTLET_ALPHA = {"Alpha": [6, 3, 1, 1], "Beta": [1, 1, 3, 6], "Gamma": [2, 6, 2, 1]}
ALPHA_SCALE = 0.2


def planted_corpus(*, k=PLANTED_K, per_outlet=40, words_per_topic=40, background=60, length=150, seed=4):
    """Articles whose words come from ``k`` planted topics (plus shared background words).

    Within a topic words follow Zipf's law, as the words of real text do (with flat topics the
    top ten words of two merged topics can all come from one of them, and no top-word score can
    see the merge). Returns the articles, each article's planted topic shares (rows of the
    Dirichlet draw) and each topic's vocabulary.
    """
    rng = np.random.default_rng(seed)
    vocab = [[f"topic{chr(97 + t)}word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(words_per_topic)] for t in range(k)]
    common = [f"common{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(background)]
    zipf = 1 / np.arange(1, words_per_topic + 1)
    zipf /= zipf.sum()
    rows, thetas = [], []
    for outlet, alpha in OUTLET_ALPHA.items():
        for i in range(per_outlet):
            theta = rng.dirichlet(np.array(alpha[:k], float) * ALPHA_SCALE)
            topic = rng.choice(k, size=length, p=theta)
            topical = rng.random(length) < 0.8
            words = [
                vocab[t][rng.choice(words_per_topic, p=zipf)] if on else common[rng.integers(background)]
                for t, on in zip(topic, topical, strict=True)
            ]
            body = ". ".join(" ".join(words[j : j + 15]).capitalize() for j in range(0, length, 15)) + "."
            published = pd.Timestamp("2021-03-01") + pd.Timedelta(days=int(rng.integers(28)))
            rows.append({"id": f"{outlet}-{i:02d}", "outlet": outlet, "published": published, "body": body, "n_tokens": length})
            thetas.append(theta)
    return pd.DataFrame(rows), np.array(thetas), vocab


@pytest.fixture(scope="module")
def planted():
    return planted_corpus()


@pytest.fixture(scope="module")
def planted_model(planted):
    articles, _, _ = planted
    return T.fit_topics(articles, k=PLANTED_K, stop_words=None, seed=0)


def planted_topic_of(model, vocab, n=10):
    """For each fitted topic, the planted topic all its top ``n`` words come from (-1 if mixed)."""
    owner = {word: t for t, words in enumerate(vocab) for word in words}
    result = []
    for row in model.top_term_indices(n):
        sources = {owner.get(model.terms[j], -1) for j in row}
        result.append(sources.pop() if len(sources) == 1 else -1)
    return result


def test_the_model_recovers_the_planted_topics(planted, planted_model):
    _, _, vocab = planted
    mapping = planted_topic_of(planted_model, vocab)
    assert sorted(mapping) == list(range(PLANTED_K)), mapping  # one fitted topic per planted topic, none mixed


def test_coherence_prefers_the_planted_k_over_much_smaller_or_larger(planted):
    articles, _, _ = planted
    table = T.suggest_k(articles, ks=[2, PLANTED_K, 8, 12], stop_words=None, seed=0)
    assert list(table.columns) == T.SUGGESTION_COLUMNS
    assert table.loc[table["suggested"], "k"].tolist() == [PLANTED_K]
    by_k = table.set_index("k")
    assert by_k.loc[PLANTED_K, "coherence"] > by_k.loc[2, "coherence"] + 0.05  # merged topics pair words that never meet
    assert by_k.loc[PLANTED_K, "quality"] > by_k.loc[12, "quality"] + 0.05  # split topics repeat their top words
    assert by_k.loc[PLANTED_K, "diversity"] > by_k.loc[12, "diversity"]


def test_prevalence_intervals_contain_the_planted_outlet_shares(planted, planted_model):
    articles, thetas, vocab = planted
    prevalence = T.topic_prevalence(planted_model, articles, by="outlet", seed=0)
    assert list(prevalence.columns) == T.PREVALENCE_COLUMNS
    mapping = planted_topic_of(planted_model, vocab)
    truth = pd.DataFrame(thetas).groupby(articles["outlet"].to_numpy()).mean()
    for row in prevalence.itertuples():
        planted_share = truth.loc[row.group, mapping[row.topic]]
        assert row.ci_low <= planted_share <= row.ci_high, (row.group, row.topic, planted_share, row.ci_low, row.ci_high)
        assert row.ci_high - row.ci_low < 0.3
    assert (prevalence["n_articles"] == 40).all() and not prevalence["small_sample"].any()
    sums = prevalence.groupby("group")["share"].sum()
    assert np.allclose(sums, 1.0)


def test_the_same_seed_gives_the_same_topics_shares_and_intervals(planted, planted_model):
    articles, _, vocab = planted
    again = T.fit_topics(articles, k=PLANTED_K, stop_words=None, seed=0)
    pd.testing.assert_frame_equal(T.topic_table(again), T.topic_table(planted_model))
    assert np.array_equal(again.shares, planted_model.shares, equal_nan=True)
    pd.testing.assert_frame_equal(
        T.topic_prevalence(again, articles, seed=3), T.topic_prevalence(planted_model, articles, seed=3)
    )
    # Another seed may number or shade the topics differently (here the SVD start converges to the
    # same vectors, so it does not); it still finds the planted ones, and draws other bootstrap samples.
    other = T.fit_topics(articles, k=PLANTED_K, stop_words=None, seed=7)
    assert sorted(planted_topic_of(other, vocab)) == list(range(PLANTED_K))
    first, second = T.topic_prevalence(other, articles, seed=7), T.topic_prevalence(planted_model, articles, seed=0)
    assert not np.allclose(first["ci_low"], second["ci_low"])


def test_topics_are_numbered_by_corpus_share_and_labelled_by_their_top_words(planted_model):
    table = T.topic_table(planted_model, top_words=5)
    assert list(table.columns) == T.TOPIC_COLUMNS
    assert table["share"].is_monotonic_decreasing and np.isclose(table["share"].sum(), 1.0)
    words = T.topic_words(planted_model, top_words=5)
    assert list(words.columns) == T.TOPIC_WORD_COLUMNS and len(words) == 5 * PLANTED_K
    first = words[words["topic"] == 0]
    assert table.loc[0, "label"] == " / ".join(first["term"].head(3))
    assert first["weight"].is_monotonic_decreasing
    assert table.loc[0, "words"].startswith(f"{first['term'].iloc[0]} ({first['weight'].iloc[0]:.3f})")
    assert np.allclose(planted_model.components.sum(axis=1), 1.0)


def test_representative_sentences_come_from_their_topic(planted, planted_model):
    articles, _, vocab = planted
    sentences = T.representative_sentences(planted_model, articles, per_topic=3)
    assert list(sentences.columns) == T.SENTENCE_COLUMNS
    assert sentences.groupby("topic").size().tolist() == [3] * PLANTED_K
    mapping = planted_topic_of(planted_model, vocab)
    bodies = articles.set_index("id")["body"]
    for row in sentences.itertuples():
        assert bodies[row.article_id][row.start : row.end] == row.text
        words = row.text.lower().rstrip(".").split()
        own = sum(word in set(vocab[mapping[row.topic]]) for word in words)
        assert own / len(words) > 0.5, row.text
    first = sentences[sentences["rank"] == 1]
    assert (first["loading"].to_numpy() > 0).all()
    assert sentences.groupby("topic")["article_id"].nunique().tolist() == [3] * PLANTED_K  # different articles first


def test_prevalence_per_period_and_per_outlet_and_period(planted, planted_model):
    articles, _, _ = planted
    by_period = T.topic_prevalence(planted_model, articles, by="period", interval="week")
    assert list(by_period.columns) == ["group", "period", *T.PREVALENCE_COLUMNS[1:]]
    assert set(by_period["group"]) == {"all"}
    assert by_period.groupby("period")["n_articles"].first().sum() == len(articles)
    both = T.topic_prevalence(planted_model, articles, by="outlet,period", interval="month")
    assert both.groupby(["group", "period"])["share"].sum().round(9).eq(1.0).all()
    assert set(both["group"]) == set(OUTLET_ALPHA)
    with pytest.raises(T.TopicsError, match="one article column"):
        T.topic_prevalence(planted_model, articles, by="outlet,event,period")
    with pytest.raises(T.TopicsError, match="no article column"):
        T.topic_prevalence(planted_model, articles, by="nosuch")


def test_npmi_and_word_shares_on_hand_worked_examples():
    matrix = sp.csr_matrix([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
    assert T.npmi_coherence(matrix, np.array([[0, 1], [0, 2]])).tolist() == [1.0, -1.0]
    # two words in half the documents each, together in a quarter: independent, NPMI 0
    independent = sp.csr_matrix([[1, 1], [1, 0], [0, 1], [0, 0]])
    assert abs(T.npmi_coherence(independent, np.array([[0, 1]]))[0]) < 1e-12
    shares = T.word_shares(
        np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), sp.csr_matrix([[3, 1], [1, 1]])
    )
    assert shares[0].tolist() == [0.75, 0.25] and np.isnan(shares[1]).all()
    assert T.topic_diversity(np.array([[0, 1], [1, 2]])) == 0.75


@pytest.mark.parametrize(
    ("k", "n_articles", "message"),
    [(1, 10, "2 or more"), (6, 5, "more than the 5 articles"), (2, 2, "at least 3 articles"), ("4", 10, "whole number")],
)
def test_bad_k_or_too_few_articles_is_a_clear_error(planted, k, n_articles, message):
    articles = planted[0].head(n_articles)
    with pytest.raises(T.TopicsError, match=message):
        T.fit_topics(articles, k=k)


def test_too_few_words_for_k_is_a_clear_error():
    articles = pd.DataFrame({"id": ["a", "b", "c"], "outlet": "X", "body": ["war peace", "war talks", "war peace talks"]})
    with pytest.raises(T.TopicsError, match="too few for 3 topics"):
        T.fit_topics(articles, k=3)


def test_the_plot_draws_a_panel_per_topic_in_outlet_colours(planted, planted_model):
    from analysis.plots import outlet_colors, plot_topic_prevalence

    articles, _, _ = planted
    figure = plot_topic_prevalence(T.topic_prevalence(planted_model, articles))
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == PLANTED_K
    colours = {line.get_color().upper() for ax in visible for line in ax.get_lines()}
    assert colours == {c.upper() for c in outlet_colors(OUTLET_ALPHA).values()}
    over_time = plot_topic_prevalence(T.topic_prevalence(planted_model, articles, by="outlet,period"))
    assert len([ax for ax in over_time.axes if ax.get_visible()]) == PLANTED_K


def test_topics_entry_point_chooses_k_and_stop_words_stay_out(seeds):
    result = T.topics(seeds.reset_index(drop=True), k="auto", seed=0, n_boot=200)
    assert result.suggestion is not None and result.model.k in set(result.suggestion["k"])
    assert result.model.k == int(result.suggestion.loc[result.suggestion["suggested"], "k"].iloc[0])
    assert not set(result.model.terms) & {"the", "said", "and", "told"}
    assert set(result.prevalence["group"]) == set(seeds["outlet"])
    assert result.prevalence["small_sample"].all()  # one article per outlet
    assert result.prevalence["ci_low"].isna().all()  # no interval from one article


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_cli_topics_on_the_seeds_prints_json_tables(capsys):
    assert main(["topics", "-k", "3", "--json"]) == 0
    tables = json.loads(capsys.readouterr().out)
    assert set(tables) == {"topics", "words", "sentences", "prevalence"}
    assert [row["topic"] for row in tables["topics"]] == [0, 1, 2]
    assert {"group", "topic", "share", "ci_low", "ci_high", "n_articles", "small_sample"} <= set(tables["prevalence"][0])
    assert all(row["article_id"] and row["outlet"] and row["text"] for row in tables["sentences"])
    assert main(["topics", "-k", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == tables  # the same seed, the same output


def test_cli_topics_auto_table_and_chart(capsys, tmp_path):
    assert main(["topics", "-k", "auto", "--by", "outlet,period", "--interval", "month", "--chart", str(tmp_path / "t.png")]) == 0
    out = capsys.readouterr()
    assert "Choosing k" in out.out and "Prevalence per outlet and month" in out.out
    assert (tmp_path / "t.png").exists() and "bootstrap" in (tmp_path / "t.txt").read_text()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["-k", "1"], 2, "-k must be 2 or more"),
        (["-k", "many"], 2, "whole number"),
        (["-k", "3", "--top-words", "0"], 2, "--top-words"),
        (["-k", "3", "--by", "nosuch"], 2, "no such article column"),
        (["-k", "3", "--by", "outlet,event,period"], 2, "--by"),
        (["-k", "9"], 1, "more than the 5 articles"),
        (["-k", "2", "--query", "outlet:TASS"], 1, "at least 3 articles"),
    ],
)
def test_cli_topics_bad_input_is_one_line(capsys, argv, code, message):
    assert main(["topics", *argv]) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_contrasts_find_the_planted_differences_between_outlets(planted, planted_model):
    articles, thetas, vocab = planted
    contrasts = T.prevalence_contrasts(planted_model, articles, by="outlet", seed=0)
    assert list(contrasts.columns) == T.CONTRAST_COLUMNS and len(contrasts) == 3 * PLANTED_K
    assert set(contrasts["reference"]) == {"(rest)"}
    mapping = planted_topic_of(planted_model, vocab)
    outlets = articles["outlet"].to_numpy()
    for row in contrasts.itertuples():
        planted_difference = (
            thetas[outlets == row.group, mapping[row.topic]].mean() - thetas[outlets != row.group, mapping[row.topic]].mean()
        )
        assert row.ci_low <= planted_difference <= row.ci_high, (row.group, row.topic, planted_difference)
        assert np.isclose(row.difference, row.share - row.share_reference)

    # Alpha's first planted topic (weight 6 against 1 and 2) stands out; Gamma's third (2 against 1 and 3) does not.
    def contrast(group, planted_topic):
        return contrasts[(contrasts["group"] == group) & (contrasts["topic"] == mapping.index(planted_topic))].iloc[0]

    assert contrast("Alpha", 0)["distinct"] and contrast("Alpha", 0)["difference"] > 0.3
    assert not contrast("Gamma", 2)["distinct"]
    against = T.prevalence_contrasts(planted_model, articles, reference="Beta")
    assert set(against["group"]) == {"Alpha", "Gamma"} and set(against["reference"]) == {"Beta"}
    with pytest.raises(T.TopicsError, match="not among the outlet values"):
        T.prevalence_contrasts(planted_model, articles, reference="Nowhere")
    with pytest.raises(T.TopicsError, match="without period"):
        T.prevalence_contrasts(planted_model, articles, by="outlet,period")


def test_on_the_seeds_auto_finds_the_two_events(seeds):
    """The seeds cover two events (Kremlin and Navalny, January 2021; the Biden-Putin talks, March 2021)."""
    result = T.topics(seeds.reset_index(drop=True), k="auto", by="event", seed=0, n_boot=200)
    assert result.model.k == 2
    dominant = result.prevalence.loc[result.prevalence.groupby("group")["share"].idxmax()]
    assert dominant["topic"].nunique() == 2 and (dominant["share"] > 0.9).all()


def test_an_article_without_vocabulary_words_is_left_out_of_prevalence(planted):
    articles = planted[0]
    empty = pd.DataFrame(
        [
            {
                "id": "Alpha-empty",
                "outlet": "Alpha",
                "published": articles["published"].iloc[0],
                "body": "The and of it.",
                "n_tokens": 4,
            }
        ]
    )
    model = T.fit_topics(pd.concat([articles, empty], ignore_index=True), k=PLANTED_K, stop_words="english")
    assert np.isnan(model.shares[-1]).all() and np.isfinite(model.shares[:-1]).all()
    prevalence = T.topic_prevalence(model, pd.concat([articles, empty], ignore_index=True))
    assert prevalence.loc[prevalence["group"] == "Alpha", "n_articles"].eq(40).all()
    assert np.isclose(T.topic_table(model)["share"].sum(), 1.0)
    assert T.document_topics(model).query("article_id == 'Alpha-empty'")["share"].isna().all()
