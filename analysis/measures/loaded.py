"""Loaded language: lexicon hits in narration and in quotations, and their rates per group.

The map, :func:`loaded_hits` (and :func:`voice_token_counts`), works on any set of articles'
tokens and returns per-passage records that add up; the reduce, :func:`loaded_rates`, turns
them into rates per 1,000 tokens with bootstrap intervals over articles, once per table.
Every hit keeps its offsets into the body, so :func:`analysis.tokens.kwic` shows the passage it came from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.engine import Engine, EngineError, map_articles, map_reduce
from analysis.lexicons import Matcher, load_matcher, load_term_precision, match_tokens, token_stream
from analysis.measures.tfidf import CountMatrix, article_counts, counts_to_keep, voice_counts, write_article_counts
from analysis.options import REPORTED_VOICES
from analysis.reuse import own_tokens
from analysis.stats import bootstrap_ratios, group_labels, small_sample
from analysis.tokens import kwic, tokenize

HIT_COLUMNS = ["article_id", "term", "match", "category", "start", "end", "voice", "sentence"]
RATE_COLUMNS = [
    "group",
    "category",
    "voice",
    "hits",
    "tokens",
    "rate_per_1000",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
]


def loaded_hits(tokens: pd.DataFrame, matcher: Matcher) -> pd.DataFrame:
    """Every occurrence of a lexicon term in the tokens (the map step).

    Parameters
    ----------
    tokens : DataFrame
        The token table of ``analysis.tokens.tokenize``, in text order within each article:
        ``article_id``, ``start``, ``end``, ``token``, ``sentence``, ``voice``.
    matcher : Matcher
        From ``analysis.lexicons.load_matcher`` or ``build_matcher``.

    Returns
    -------
    DataFrame
        One row per hit and category, ordered by article and offset:

        - ``article_id`` : str
        - ``term`` : the lexicon entry as written (``accus*``, ``rebuff``)
        - ``match`` : the matched words, lowercased (``accused``, ``rebuffing``)
        - ``category`` : the entry's category
        - ``start``, ``end`` : character offsets of the passage in the article's body
        - ``voice`` : ``narration`` or ``quoted`` (of the first matched word)
        - ``sentence`` : sentence number within the article

    Notes
    -----
    A multi-word term matches only within one sentence of one article. Within a category,
    overlapping matches count once: the leftmost, and of those the longest ("deeply
    alarmed" rather than also "alarmed"). A term in two categories counts in both.
    """
    stream = token_stream(tokens["token"])
    first, last, entry = match_tokens(stream, matcher)
    article = pa.array(tokens["article_id"], type=pa.large_string())  # Arrow: no Python string per token
    sentence = tokens["sentence"].to_numpy()
    same_passage = pc.equal(article.take(first), article.take(last)).to_numpy(zero_copy_only=False)
    same_passage &= sentence[first] == sentence[last]
    first, last, entry = first[same_passage], last[same_passage], entry[same_passage]
    category_names, category_of_entry = np.unique(matcher.categories.astype(str), return_inverse=True)
    category = category_of_entry[entry]  # codes in alphabetical order of the categories
    # Leftmost-longest within a category: drop a match that starts inside an earlier one.
    order = np.lexsort((-last, first, category))
    first, last, entry, category = first[order], last[order], entry[order], category[order]
    keep = _leftmost_longest(category, first, last)
    first, last, entry, category = first[keep], last[keep], entry[keep], category[keep]
    article_ids = pd.array(article.take(first), dtype="str")
    article_rank, _ = pd.factorize(article_ids, sort=True)
    starts, ends = tokens["start"].to_numpy()[first], tokens["end"].to_numpy()[last]
    order = np.lexsort((category, ends, starts, article_rank))  # by article id, offsets, category
    first, last, entry, category = first[order], last[order], entry[order], category[order]
    match_ends = stream.starts[last] + stream.lengths[last]
    return pd.DataFrame(
        {
            "article_id": article_ids[order],
            "term": _labels(entry, matcher.terms),
            "match": pd.array([stream.text[s:e] for s, e in zip(stream.starts[first], match_ends, strict=True)], dtype="str"),
            "category": _labels(category, category_names),
            "start": starts[order].astype(np.int64),
            "end": ends[order].astype(np.int64),
            "voice": tokens["voice"].iloc[first].astype("str").array,
            "sentence": sentence[first].astype(np.int64),
        },
        columns=HIT_COLUMNS,
    )


def _labels(codes: np.ndarray, labels: Sequence[str]) -> pd.api.extensions.ExtensionArray:
    """``labels[codes]`` as a str array, decoded in Arrow (no Python string per row)."""
    dictionary = pa.array([str(label) for label in labels], type=pa.large_string())
    decoded = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int64()), dictionary).cast(pa.large_string())
    return pd.array(decoded, dtype="str")


def _leftmost_longest(groups: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Which spans to keep so that spans of one group never overlap, given spans sorted by
    group, then start, then longest first: a loop over hits (few), not over tokens."""
    keep = np.zeros(len(first), dtype=bool)
    current, reach = -1, -1
    for index, (group, start, end) in enumerate(zip(groups.tolist(), first.tolist(), last.tolist(), strict=True)):
        if group != current:
            current, reach = group, -1
        if start > reach:
            keep[index], reach = True, end
    return keep


def article_hit_counts(hits: pd.DataFrame) -> pd.DataFrame:
    """Hits per article, category and voice: all that :func:`loaded_rates` reads of the hits (a map step).

    A few rows per article instead of one per hit, without the passages' text: what a
    partition sends to the reduce.

    Returns
    -------
    DataFrame
        ``article_id``, ``category``, ``voice`` (``narration`` or ``quoted``), ``hits`` (int);
        only combinations with hits, sorted by article id, category and voice.
    """
    counts = hits.groupby(["article_id", "category", "voice"], sort=True, observed=True).size()
    return counts.rename("hits").reset_index().astype({"article_id": "str", "category": "str", "voice": "str"})


def voice_token_counts(tokens: pd.DataFrame) -> pd.DataFrame:
    """Word tokens per article and voice (the denominators of every rate; a map step).

    Returns
    -------
    DataFrame
        ``article_id``, ``voice`` (``narration``, ``quoted``, ``all``), ``tokens`` (int);
        every article in ``tokens`` has all three rows, zeros included.
    """
    codes, ids = pd.factorize(tokens["article_id"])
    everything = np.bincount(codes, minlength=len(ids))
    quoted = np.bincount(codes, weights=tokens["voice"].eq("quoted").to_numpy(), minlength=len(ids)).astype(np.int64)
    per_voice = {"narration": everything - quoted, "quoted": quoted, "all": everything}
    return pd.DataFrame(
        {
            "article_id": pd.array(np.repeat(np.asarray(ids, dtype=object), len(REPORTED_VOICES)), dtype="str"),
            "voice": pd.array(np.tile(np.array(REPORTED_VOICES, dtype=object), len(ids)), dtype="str"),
            "tokens": np.column_stack([per_voice[v] for v in REPORTED_VOICES]).ravel(),
        }
    )


def loaded_rates(
    hits: pd.DataFrame,
    tokens: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    categories: Sequence[str] | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Loaded-term rates per group, category and voice (the reduce step).

    Parameters
    ----------
    hits : DataFrame
        From :func:`loaded_hits`, or its :func:`article_hit_counts` (columns ``article_id``,
        ``category``, ``voice``, ``hits``), which is all this function reads from it.
    tokens : DataFrame
        The token table, or its :func:`voice_token_counts` (columns ``article_id``,
        ``voice``, ``tokens``), which is all this function reads from it.
    articles : DataFrame
        The article table; needs ``id`` and the ``by`` column.
    by : str, default="outlet"
        Article column to group by (``outlet``, ``ownership``, ``country``, ``event``, ``id``...).
        Missing values form the group ``(missing)``.
    categories : sequence of str, optional
        Categories to report, zeros included (pass ``matcher.lexicon.categories``);
        default: the categories present in ``hits``, in alphabetical order.
    n_boot, confidence, seed
        Bootstrap settings: articles are resampled with replacement within each group.

    Returns
    -------
    DataFrame
        One row per group × category × voice (``narration``, ``quoted``, ``all``):

        - ``group`` : value of the ``by`` column
        - ``category``, ``voice``
        - ``hits`` : matches in that voice
        - ``tokens`` : word tokens in that voice (the denominator)
        - ``rate_per_1000`` : ``hits / tokens * 1000`` (NaN when there are no tokens)
        - ``ci_low``, ``ci_high`` : bootstrap interval of the rate per 1,000, articles resampled;
          NaN when fewer than two of the group's articles have tokens in that voice
        - ``n_articles`` : articles in the group
        - ``n_tokens`` : word tokens in the group's articles, all voices
        - ``small_sample`` : True when the group has too few articles or tokens in that voice
          (``analysis.stats.small_sample``): read the rate as a description, not an estimate

    Raises
    ------
    KeyError
        ``by`` is not an article column; the message lists the columns.
    """
    groups = group_labels(articles, by)
    counts = tokens if "tokens" in tokens.columns else voice_token_counts(tokens)
    wide_tokens = (
        counts.pivot_table(index="article_id", columns="voice", values="tokens", aggfunc="sum")
        .reindex(index=groups.index, columns=list(REPORTED_VOICES), fill_value=0)
        .fillna(0)
        .astype(np.int64)
    )
    categories = list(categories) if categories is not None else sorted(pd.unique(hits["category"]))
    keys = pd.MultiIndex.from_product([categories, REPORTED_VOICES], names=["category", "voice"])
    hit_counts = hits if "hits" in hits.columns else article_hit_counts(hits)
    if hit_counts.empty:
        wide_hits = pd.DataFrame(0, index=groups.index, columns=keys)
    else:
        both = pd.concat([hit_counts, hit_counts.assign(voice="all")], ignore_index=True)
        wide_hits = both.groupby(["article_id", "category", "voice"])["hits"].sum().unstack(["category", "voice"])
        wide_hits = wide_hits.reindex(index=groups.index, columns=keys).fillna(0).astype(np.int64)
    hit_matrix = wide_hits.to_numpy()
    token_matrix = wide_tokens[list(keys.get_level_values("voice"))].to_numpy()
    codes, labels = pd.factorize(groups, sort=True)
    n_groups, n_keys = len(labels), len(keys)
    hit_sums = pd.DataFrame(hit_matrix).groupby(codes).sum().to_numpy().reshape(n_groups, n_keys)
    token_sums = pd.DataFrame(token_matrix).groupby(codes).sum().to_numpy().reshape(n_groups, n_keys)
    n_articles = np.bincount(codes, minlength=n_groups)
    low, high = np.full((n_groups, n_keys), np.nan), np.full((n_groups, n_keys), np.nan)
    for code in np.flatnonzero(n_articles >= 2):  # one article has no interval: skip it cheaply (by="id")
        members = codes == code
        low[code], high[code] = bootstrap_ratios(
            hit_matrix[members], token_matrix[members], n_boot=n_boot, confidence=confidence, seed=seed
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(token_sums > 0, 1000 * hit_sums / np.maximum(token_sums, 1), np.nan)
    result = pd.DataFrame(
        {
            "group": pd.array(np.repeat(np.asarray(labels, dtype=object), n_keys), dtype="str"),
            "category": pd.array(np.tile(keys.get_level_values("category").to_numpy(dtype=object), n_groups), dtype="str"),
            "voice": pd.array(np.tile(keys.get_level_values("voice").to_numpy(dtype=object), n_groups), dtype="str"),
            "hits": hit_sums.ravel().astype(np.int64),
            "tokens": token_sums.ravel().astype(np.int64),
            "rate_per_1000": rate.ravel(),
            "ci_low": 1000 * low.ravel(),
            "ci_high": 1000 * high.ravel(),
            "n_articles": np.repeat(n_articles, n_keys),
            "n_tokens": np.repeat(np.bincount(codes, weights=wide_tokens["all"].to_numpy(), minlength=n_groups), n_keys),
        }
    )
    result["n_tokens"] = result["n_tokens"].astype(np.int64)
    result["small_sample"] = np.asarray(small_sample(result["n_articles"].to_numpy(), result["tokens"].to_numpy()), dtype=bool)
    return result[RATE_COLUMNS]


# ---------------------------------------------------------------------------
# Map, reduce and the entry point, on either engine
# ---------------------------------------------------------------------------


def loaded_counts(
    articles: pd.DataFrame,
    *,
    lexicon: str = "default",
    exclude_reused: bool = False,
    word_counts: list[tuple[CountMatrix, CountMatrix]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map of loaded language: tokens, then lexicon hits and tokens per voice.

    With ``exclude_reused``, the words an article took from another are left out first
    (:func:`analysis.reuse.exclude_reused`: needs the whole corpus in one map). Given a list as
    ``word_counts``, the map also appends to it each article's words by voice, counted from the
    same tokens, all of them (:func:`analysis.measures.tfidf.voice_counts`): what
    :func:`measure_loaded` keeps in the word-count cache. Only in this process (``engine="local"``):
    a worker's list would not come back.

    Returns
    -------
    hits : DataFrame
        :func:`article_hit_counts` of the articles' hits: ``article_id``, ``category``,
        ``voice``, ``hits``.
    tokens : DataFrame
        :func:`voice_token_counts`: ``article_id``, ``voice``, ``tokens``.
    """
    tokens = _map_tokens(articles, exclude_reused, word_counts)
    return article_hit_counts(loaded_hits(tokens, load_matcher(lexicon))), voice_token_counts(tokens)


def _map_tokens(
    articles: pd.DataFrame, exclude_reused: bool, word_counts: list[tuple[CountMatrix, CountMatrix]] | None
) -> pd.DataFrame:
    """The tokens of ``articles`` the maps read (see :func:`loaded_counts`); all of them counted into ``word_counts`` first."""
    tokens = tokenize(articles)
    if word_counts is not None:
        word_counts.append(voice_counts(tokens, articles))
    return own_tokens(tokens, articles, exclude=exclude_reused)


def loaded_reduce(
    counts: tuple[pd.DataFrame, pd.DataFrame], metadata: pd.DataFrame, *, lexicon: str = "default", **options: Any
) -> pd.DataFrame:
    """The reduce of loaded language: :func:`loaded_rates` of :func:`loaded_counts`, every
    category of the lexicon reported (zeros included). ``options`` (``by``, ``n_boot``,
    ``confidence``, ``seed``) are passed on; columns are those of ``loaded_rates``."""
    hits, tokens = counts
    return loaded_rates(hits, tokens, metadata, categories=load_matcher(lexicon).lexicon.categories, **options)


def loaded_kwic(
    articles: pd.DataFrame,
    *,
    lexicon: str = "default",
    exclude_reused: bool = False,
    word_counts: list[tuple[CountMatrix, CountMatrix]] | None = None,
) -> pd.DataFrame:
    """Every loaded-term hit in its context (a map: needs ``id``, ``outlet``, ``body``).

    Columns are those of :func:`analysis.tokens.kwic`; ``word_counts`` as for :func:`loaded_counts`.
    """
    tokens = _map_tokens(articles, exclude_reused, word_counts)
    return kwic(loaded_hits(tokens, load_matcher(lexicon)), articles)


def measure_loaded(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    lexicon: str = "default",
    by: str = "outlet",
    in_context: bool = False,
    exclude_reused: bool = False,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    query: str | None = None,
) -> pd.DataFrame:
    """Loaded-term rates per group and voice, or every hit in context, on either engine.

    The one entry point of ``framing loaded``: :func:`loaded_counts` mapped over the articles
    (in this process, or per partition on Dask workers) and :func:`loaded_reduce` once; both
    engines return the same table.

    On ``local``, rates or hits of a whole cleaned table read through the clean-once cache (no
    ``query`` selection, no ``exclude_reused``) also keep each article's word counts, counted from the
    tokens the map makes, in the word-count cache (:func:`analysis.measures.tfidf.counts_to_keep`),
    unless they are there: the entry ``framing keyness`` or ``terms`` would make, which they
    then read instead of tokenizing. The Dask workers' tokens are not counted.

    Parameters
    ----------
    corpus : str, path, DataFrame or None
        A corpus (the seeds when None), a store, or an article table.
    lexicon : str, default="default"
        A shipped lexicon's name or a lexicon file.
    by : str, default="outlet"
        Article column to group by.
    in_context : bool, default=False
        Return every hit with its context (:func:`analysis.tokens.kwic`) instead of rates.
    exclude_reused : bool, default=False
        Leave out the words an article took from another; needs ``engine="local"``.
    engine, scheduler, client, query
        As for :func:`analysis.engine.map_articles`.

    Returns
    -------
    DataFrame
        :data:`RATE_COLUMNS` (see :func:`loaded_rates`), or :data:`analysis.tokens.KWIC_COLUMNS` with ``in_context``.
    """
    if exclude_reused and engine == "dask":
        raise EngineError("exclude_reused needs the whole corpus at once: use --engine local")
    run: dict[str, Any] = {"engine": engine, "scheduler": scheduler, "client": client, "query": query, "order": "article_id"}
    options: dict[str, Any] = {"lexicon": lexicon, "exclude_reused": exclude_reused}
    whole_table = engine == "local" and isinstance(corpus, pd.DataFrame) and not (query or exclude_reused)
    table_key = counts_to_keep(corpus) if whole_table else None
    word_counts: list[tuple[CountMatrix, CountMatrix]] = []  # each slice's, in order
    if table_key:
        options["word_counts"] = word_counts
    if in_context:
        table = map_articles(corpus, loaded_kwic, columns=None if exclude_reused else ["id", "outlet", "body"], **run, **options)
    else:
        table = map_reduce(
            corpus,
            loaded_counts,
            loaded_reduce,
            columns=None if exclude_reused else ["id", "body"],
            reduce_options={"by": by, "lexicon": lexicon},
            group_by=by,
            **run,
            **options,
        )
    if table_key:  # the slices' counts, in the table's order: the table's own entry
        write_article_counts(table_key, article_counts(word_counts, corpus))
    return table


def term_validity(hits: pd.DataFrame, *, lexicon: str = "default") -> pd.DataFrame:
    """The terms counted in ``hits``, most frequent first, with each term's measured precision.

    Parameters
    ----------
    hits : DataFrame
        From :func:`loaded_hits`.
    lexicon : str, default="default"
        The lexicon the hits came from; its ``.precision.csv`` (``make bench-validity``) gives
        the share of the term's hits that human annotators marked as loaded, per gold corpus.

    Returns
    -------
    DataFrame
        ``term``, ``category``, ``hits`` (here), ``articles`` (here), then one
        ``precision_<corpus>`` column per gold corpus (NaN where the term had no hits there, and
        none at all for a lexicon without a precision file).
    """
    counted = (
        hits.groupby(["term", "category"], observed=True)
        .agg(hits=("article_id", "size"), articles=("article_id", "nunique"))
        .reset_index()
        .sort_values(["hits", "term"], ascending=[False, True], ignore_index=True)
    )
    precision = load_term_precision(lexicon)
    return counted if precision is None else counted.merge(precision, on=["term", "category"], how="left")
