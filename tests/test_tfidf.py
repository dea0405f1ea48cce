"""Term counts and TF-IDF: equal to scikit-learn on the same tokens, split by voice, CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from analysis.cli import main
from analysis.measures.keyness import keyness, measure_keyness
from analysis.measures.tfidf import (
    REPORTING_VERBS,
    article_similarity,
    count_matrix,
    measure_top_terms,
    stack_count_matrices,
    stop_word_set,
    term_counts,
    tfidf_weights,
    top_terms,
)
from analysis.tokens import tokenize


@pytest.fixture(scope="module")
def seed_tokens(seeds):
    return tokenize(seeds)


def token_lists(tokens: pd.DataFrame, ids) -> list[list[str]]:
    grouped = tokens.groupby("article_id", sort=False)["token"].agg(list)
    return [list(grouped.get(i, [])) for i in ids]


def sklearn_tfidf(documents: list[list[str]], *, stop_words=None):
    """scikit-learn's TfidfVectorizer given pre-tokenized documents."""
    if stop_words is None:
        vectorizer = TfidfVectorizer(analyzer=lambda words: words)
    else:
        stop_words = sorted(stop_word_set(stop_words))  # "english": scikit-learn's list and the reporting verbs
        vectorizer = TfidfVectorizer(
            tokenizer=lambda words: words,
            preprocessor=lambda words: words,
            lowercase=False,
            token_pattern=None,
            stop_words=stop_words,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the tokens are already words: the pattern check does not apply
        matrix = vectorizer.fit_transform(documents)
    return matrix, vectorizer.get_feature_names_out()


# --- the map ----------------------------------------------------------------------------------


def test_counts_add_up_to_the_tokens_in_each_voice(seed_tokens):
    everything = term_counts(seed_tokens)
    assert everything["count"].sum() == len(seed_tokens)
    narration = term_counts(seed_tokens, voice="narration")
    quoted = term_counts(seed_tokens, voice="quoted")
    assert narration["count"].sum() + quoted["count"].sum() == len(seed_tokens)
    both = pd.concat([narration, quoted]).groupby(["article_id", "term"])["count"].sum()
    assert both.sort_index().equals(everything.set_index(["article_id", "term"])["count"].sort_index())
    direct = seed_tokens.groupby(["article_id", "token"]).size().rename_axis(["article_id", "term"]).sort_index()
    assert everything.set_index(["article_id", "term"])["count"].sort_index().to_dict() == direct.to_dict()


def test_counts_of_disjoint_partitions_concatenate_to_the_whole(seed_tokens):
    ids = list(pd.unique(seed_tokens["article_id"]))
    first = seed_tokens[seed_tokens["article_id"].isin(ids[:2])]
    second = seed_tokens[~seed_tokens["article_id"].isin(ids[:2])]
    joined = pd.concat([term_counts(first), term_counts(second)], ignore_index=True)
    assert joined.equals(term_counts(seed_tokens))


def test_partition_matrices_stacked_give_the_whole_corpus_results(seeds, seed_tokens):
    ids = seeds["id"].tolist()
    parts = [seed_tokens[seed_tokens["article_id"].isin(chunk)] for chunk in (ids[:2], ids[2:3], ids[3:])]
    stacked = stack_count_matrices([count_matrix(term_counts(part, voice="quoted")) for part in parts])
    whole = count_matrix(term_counts(seed_tokens, voice="quoted"))
    assert list(stacked.terms) == list(whole.terms) and list(stacked.rows) == list(whole.rows)
    assert (stacked.matrix != whole.matrix).nnz == 0
    pd.testing.assert_frame_equal(
        top_terms(stacked, seeds, voice="quoted", top=None), top_terms(seed_tokens, seeds, voice="quoted", top=None)
    )
    pd.testing.assert_frame_equal(keyness(stacked, seeds, voice="quoted"), keyness(seed_tokens, seeds, voice="quoted"))


def test_quoted_words_are_counted_in_the_quoted_voice(seeds, seed_tokens):
    tass = seeds.loc[seeds["outlet"] == "TASS", "id"].item()
    quoted = term_counts(seed_tokens, voice="quoted")
    narration = term_counts(seed_tokens, voice="narration")
    assert ((quoted["article_id"] == tass) & (quoted["term"] == "reckless")).any()
    assert not ((narration["article_id"] == tass) & (narration["term"] == "reckless")).any()


# --- TF-IDF equals scikit-learn ----------------------------------------------------------------


@pytest.mark.parametrize("stop_words", [None, "english"])
def test_tfidf_weights_equal_sklearn_on_the_same_tokens(seed_tokens, stop_words):
    counts = count_matrix(term_counts(seed_tokens), stop_words=stop_words)
    ours = tfidf_weights(counts.matrix).tocoo()
    ids = list(pd.unique(seed_tokens["article_id"]))
    matrix, names = sklearn_tfidf(token_lists(seed_tokens, ids), stop_words=stop_words)
    theirs = matrix.tocoo()
    expected = pd.Series(theirs.data, index=pd.MultiIndex.from_arrays([np.array(ids)[theirs.row], names[theirs.col]]))
    got = pd.Series(ours.data, index=pd.MultiIndex.from_arrays([counts.rows[ours.row], counts.terms[ours.col]]))
    assert len(got) == len(expected)
    assert np.allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy(), rtol=1e-12, atol=1e-12)
    if stop_words:
        assert not got.index.get_level_values(1).isin(ENGLISH_STOP_WORDS).any()


def test_count_matrix_columns_are_sklearns_vocabulary(seed_tokens):
    ids = list(pd.unique(seed_tokens["article_id"]))
    counts = count_matrix(term_counts(seed_tokens))
    _, names = sklearn_tfidf(token_lists(seed_tokens, ids))
    assert list(counts.terms) == list(names)
    assert list(counts.rows) == ids


def test_top_terms_weigh_groups_as_sklearn_weighs_concatenated_documents(seeds, seed_tokens):
    table = top_terms(seed_tokens, seeds, by="ownership", top=None)
    groups = sorted(seeds["ownership"].unique())
    documents = [[w for i in seeds.loc[seeds["ownership"] == g, "id"] for w in token_lists(seed_tokens, [i])[0]] for g in groups]
    matrix, names = sklearn_tfidf(documents, stop_words="english")
    for g, group in enumerate(groups):
        row = matrix.getrow(g)
        expected = pd.Series(row.data, index=names[row.indices]).sort_index()
        got = table[table["group"] == group].set_index("term")["tfidf"].sort_index()
        assert got.index.equals(expected.index)
        assert np.allclose(got, expected, rtol=1e-12)
        counts = pd.Series(documents[g]).value_counts()
        part = table[table["group"] == group]
        assert (part["count"].to_numpy() == counts[part["term"]].to_numpy()).all()
        assert part["tfidf"].is_monotonic_decreasing
        assert (part["n_tokens"] == len(documents[g])).all()
        assert (part["n_articles"] == (seeds["ownership"] == group).sum()).all()
    assert table["small_sample"].all()  # one or two articles per group


def test_top_terms_keep_n_per_group_and_find_an_outlets_own_words(seeds, seed_tokens):
    table = top_terms(seed_tokens, seeds, top=5)
    assert table.groupby("group").size().eq(5).all()
    assert set(table["group"]) == set(seeds["outlet"])
    assert "organizations" in set(table.loc[table["group"] == "TASS", "term"])
    assert not table["term"].isin(ENGLISH_STOP_WORDS | REPORTING_VERBS).any()


def test_similarity_equals_sklearn_cosine(seeds, seed_tokens):
    similarity = article_similarity(seed_tokens, articles=seeds)
    ids = seeds["id"].tolist()
    matrix, _ = sklearn_tfidf(token_lists(seed_tokens, ids), stop_words="english")
    assert list(similarity.index) == ids and list(similarity.columns) == ids
    assert np.allclose(similarity.to_numpy(), cosine_similarity(matrix), atol=1e-12)
    assert np.allclose(np.diag(similarity), 1.0)
    # the two January articles about the Kremlin's dialogue offer read more alike than either does with TASS
    january = seeds.loc[seeds["event"] == "2021-01-kremlin-dialogue-offer", "id"].tolist()
    tass = seeds.loc[seeds["outlet"] == "TASS", "id"].item()
    assert similarity.loc[january[0], january[1]] > similarity.loc[january[0], tass]


def test_counts_for_another_voice_are_refused(seeds, seed_tokens):
    with pytest.raises(ValueError, match="term_counts"):
        top_terms(term_counts(seed_tokens, voice="narration"), seeds, voice="quoted")
    with pytest.raises(ValueError, match="voice"):
        term_counts(seed_tokens, voice="reported")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="nope"):
        top_terms(seed_tokens, seeds, by="nope")
    with pytest.raises(ValueError, match="max_articles"):
        article_similarity(seed_tokens, max_articles=3)


# --- command line ------------------------------------------------------------------------------


def test_framing_terms_json(capsys):
    assert main(["terms", "--top", "3", "--json", "--voice", "narration"]) == 0
    rows = json.loads(capsys.readouterr().out)
    table = pd.DataFrame(rows)
    assert {"group", "term", "tfidf", "count"} <= set(table.columns)
    assert table.groupby("group").size().eq(3).all() and table["group"].nunique() == 5
    assert (table["tfidf"] > 0).all() and (table["count"] >= 1).all()


def test_framing_terms_by_a_missing_column_is_a_usage_error(capsys):
    assert main(["terms", "--by", "nope"]) == 2
    assert "--by 'nope'" in capsys.readouterr().err


# --- each article's word counts kept beside the cleaned table ---------------------------------


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    from analysis import paths

    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def _corpus(name: str, folder) -> str:
    """The seeds, or 80 synthetic articles (seed sentences shuffled, fixed seed) as a CSV table."""
    from analysis.paths import SEEDS
    from analysis.synthetic import as_source_table, synthetic_articles

    if name == "seeds":
        return str(SEEDS)
    path = folder / "synthetic.csv"
    as_source_table(synthetic_articles(80, words_per_article=300, seed=3)).to_csv(path, index=False)
    return str(path)


WORD_COUNT_MEASURES = {
    "terms": lambda articles, voice: measure_top_terms(articles, voice=voice, top=None),
    "keyness": lambda articles, voice: measure_keyness(articles, voice=voice),
    "keyness by event": lambda articles, voice: measure_keyness(articles, by="event", voice=voice, stop_words=None),
}


@pytest.mark.parametrize("corpus", ["seeds", "synthetic"])
@pytest.mark.parametrize("articles_per_map", [30, 5_000])  # the sliced path of a large corpus, and the whole-table one
def test_counts_from_the_cache_give_the_tables_tokens_give(tmp_path, cache_folder, monkeypatch, corpus, articles_per_map):
    from analysis import engine
    from analysis.corpus import read_corpus

    monkeypatch.setattr(engine, "LOCAL_ARTICLES_PER_MAP", articles_per_map)
    path = _corpus(corpus, tmp_path)
    articles = read_corpus(path, cache=True)[0]
    from_tokens = articles.copy()
    from_tokens.attrs = {}  # a table not read through the cache: its words are tokenized
    chosen = articles[articles["outlet"] != articles["outlet"].iloc[0]]  # as --query selects: attrs kept
    for name, measure in WORD_COUNT_MEASURES.items():
        for voice in ("all", "narration", "quoted"):
            expected = measure(from_tokens, voice)
            pd.testing.assert_frame_equal(measure(articles, voice), expected, check_exact=True, obj=f"{name} {voice}")
            assert len(list(cache_folder.glob("counts-*.npz"))) == 1
            again = read_corpus(path, cache=True)[0]  # a later command: the counts are read, not made
            pd.testing.assert_frame_equal(measure(again, voice), expected, check_exact=True, obj=f"{name} {voice} again")
            subset = chosen.copy()
            subset.attrs = {}
            pd.testing.assert_frame_equal(measure(chosen, voice), measure(subset, voice), check_exact=True)


def test_counts_are_made_once_then_read(tmp_path, cache_folder, monkeypatch):
    from analysis.corpus import read_corpus
    from analysis.measures import tfidf
    from analysis.query import filter_articles

    articles = read_corpus(_corpus("synthetic", tmp_path), cache=True)[0]
    measure_top_terms(articles)
    calls = []
    monkeypatch.setattr(tfidf, "tokenize", lambda *args, **kwargs: calls.append(1) or tokenize(*args, **kwargs))
    again = read_corpus(_corpus("synthetic", tmp_path), cache=True)[0]
    measure_keyness(again)
    measure_keyness(filter_articles(again, "said"))  # --query: rows of the whole table's counts
    assert calls == []  # the later measures read the counts
    changed = articles.copy()
    changed.loc[0, "body"] = changed.loc[0, "body"] + " Another sentence."
    measure_top_terms(changed)  # same key, another body: counted again, not trusted
    assert calls


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "other_key"])
def test_a_damaged_counts_entry_is_rebuilt_not_trusted(tmp_path, cache_folder, damage):
    from analysis.corpus import CACHE_KEY_ATTR, read_corpus
    from analysis.measures.tfidf import read_article_counts

    articles = read_corpus(_corpus("synthetic", tmp_path), cache=True)[0]
    from_tokens = articles.copy()
    from_tokens.attrs = {}
    expected = measure_keyness(from_tokens)
    measure_keyness(articles)
    (entry,) = cache_folder.glob("counts-*.npz")
    data = entry.read_bytes()
    if damage == "truncate":  # half-written
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # one byte changed in the middle of the counts
        middle = len(data) // 2
        entry.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif damage == "garbage":
        entry.write_bytes(b"not a counts file")
    else:  # a whole entry of another table under this name
        seeds = read_corpus(_corpus("seeds", tmp_path), cache=True)[0]
        measure_keyness(seeds)
        other = next(f for f in cache_folder.glob("counts-*.npz") if f != entry)
        entry.write_bytes(other.read_bytes())
    assert read_article_counts(articles.attrs[CACHE_KEY_ATTR]) is None  # detected, and deleted
    pd.testing.assert_frame_equal(measure_keyness(articles), expected, check_exact=True)
    assert read_article_counts(articles.attrs[CACHE_KEY_ATTR]) is not None  # rebuilt
    pd.testing.assert_frame_equal(measure_keyness(articles), expected, check_exact=True)


def test_cache_clear_removes_the_counts_and_no_cache_bypasses_them(tmp_path, cache_folder, capsys):
    path = _corpus("synthetic", tmp_path)
    assert main(["terms", path, "--no-cache", "--json"]) == 0
    assert not cache_folder.exists()
    assert main(["terms", path, "--json"]) == 0
    assert len(list(cache_folder.glob("counts-*.npz"))) == 1
    assert main(["cache", "clear"]) == 0
    assert not list(cache_folder.glob("counts-*")) and not list(cache_folder.glob("articles-*"))
    capsys.readouterr()


# --- framing loaded keeps the counts from the tokens it makes ---------------------------------


def _copy_of_the_seeds(folder) -> str:
    import shutil

    from analysis.paths import SEEDS

    shutil.copytree(SEEDS, folder / "corpus")
    return str(folder / "corpus")


def _counts_entry(cache) -> dict[str, np.ndarray]:
    (entry,) = cache.glob("counts-*.npz")
    with np.load(entry, allow_pickle=False) as stored:
        return {"file name": np.array(entry.name), **{name: stored[name] for name in stored.files}}


@pytest.mark.parametrize("rates", [["--json"], ["--kwic", "--json"]])  # rates per group, or every hit in context
@pytest.mark.parametrize("corpus", ["seeds", "synthetic"])
@pytest.mark.parametrize("articles_per_map", [2, 5_000])  # loaded's map in slices, and on the whole table
def test_framing_loaded_keeps_the_counts_framing_keyness_would_make(
    tmp_path, monkeypatch, capsys, corpus, articles_per_map, rates
):
    from analysis import engine, paths

    monkeypatch.setattr(engine, "LOCAL_ARTICLES_PER_MAP", articles_per_map)
    path = _copy_of_the_seeds(tmp_path) if corpus == "seeds" else _corpus(corpus, tmp_path)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "after-loaded")
    assert main(["loaded", path, *rates]) == 0
    from_loaded = _counts_entry(paths.CACHE)
    monkeypatch.setattr(paths, "CACHE", tmp_path / "after-keyness")  # a fresh cache
    assert main(["keyness", path, "--json"]) == 0
    from_keyness = _counts_entry(paths.CACHE)
    assert list(from_loaded) == list(from_keyness)  # same key and fingerprint, same arrays in the same order
    for name, array in from_keyness.items():
        assert from_loaded[name].dtype == array.dtype, name
        np.testing.assert_array_equal(from_loaded[name], array, err_msg=name)
    capsys.readouterr()


def test_after_framing_loaded_keyness_and_terms_read_the_counts_without_tokenizing(tmp_path, cache_folder, monkeypatch, capsys):
    from analysis import engine
    from analysis.measures import keyness as keyness_module
    from analysis.measures import tfidf

    monkeypatch.setattr(engine, "LOCAL_ARTICLES_PER_MAP", 30)
    path = _corpus("synthetic", tmp_path)
    expected = {}
    for command in (["keyness"], ["terms", "--top", "5"], ["keyness", "--voice", "quoted", "--query", "said"]):
        assert main([*command, path, "--no-cache", "--json"]) == 0
        expected[tuple(command)] = json.loads(capsys.readouterr().out)
    assert main(["loaded", path, "--json"]) == 0
    capsys.readouterr()

    def no_tokenizing(*args, **kwargs):
        raise AssertionError("tokenized: the counts framing loaded kept were not read")

    for module in (tfidf, keyness_module):
        monkeypatch.setattr(module, "tokenize", no_tokenizing)
    for command, table in expected.items():
        assert main([*command, path, "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == table, command


@pytest.mark.parametrize("option", [["--exclude-reused"], ["--query", "sanctions"], ["--kwic", "--query", "sanctions"]])
def test_framing_loaded_of_a_part_or_without_reused_words_keeps_no_counts(tmp_path, cache_folder, capsys, option):
    path = _copy_of_the_seeds(tmp_path)
    assert main(["loaded", path, *option, "--json"]) == 0
    assert list(cache_folder.glob("articles-*.parquet"))  # the table was read through the cache
    assert not list(cache_folder.glob("counts-*"))
    capsys.readouterr()


def test_framing_loaded_replaces_a_part_s_counts_and_keeps_whole_ones(tmp_path, cache_folder, monkeypatch, capsys):
    from analysis.corpus import CACHE_KEY_ATTR, read_corpus
    from analysis.measures import loaded, tfidf

    path = _corpus("synthetic", tmp_path)
    assert main(["keyness", path, "--query", "said", "--json"]) == 0  # a part's counts
    articles = read_corpus(path, cache=True)[0]
    part = tfidf.read_article_counts(articles.attrs[CACHE_KEY_ATTR])
    assert 0 < len(part.rows) < len(articles)
    assert main(["loaded", path, "--json"]) == 0
    whole = tfidf.read_article_counts(articles.attrs[CACHE_KEY_ATTR])
    assert list(whole.rows) == articles["id"].tolist()
    writes = []
    monkeypatch.setattr(loaded, "write_article_counts", lambda *args: writes.append(args))
    monkeypatch.setattr(loaded, "voice_counts", lambda *args: pytest.fail("counted again"))
    assert main(["loaded", path, "--json"]) == 0  # the counts are there: not counted, not written
    assert writes == []
    capsys.readouterr()
