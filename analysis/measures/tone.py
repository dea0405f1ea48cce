"""Tone: VADER sentiment per sentence, split by voice, aggregated per article and group.

VADER (Hutto & Gilbert 2014) scores a sentence from a rule-based lexicon that ships inside
the ``vaderSentiment`` package; nothing is downloaded. ``compound`` runs from -1 (most
negative) to +1 (most positive); ``pos``, ``neg`` and ``neu`` are the shares of the
sentence's text that read positive, negative and neutral. VADER was built for social-media
text: on news it mostly registers the words of conflict and praise, not stance, so read the
sentences behind a number before drawing conclusions.

The map is :func:`sentence_tone` (and :func:`article_tone`, sums per article and voice);
the reduce is :func:`tone_by_group`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analysis.engine import Engine, EngineError, map_reduce
from analysis.options import REPORTED_VOICES
from analysis.stats import bootstrap_ratios, group_labels, small_sample
from analysis.tokens import sentence_spans, tokenize

SCORES = ("compound", "pos", "neg", "neu")

SENTENCE_COLUMNS = ["article_id", "sentence", "start", "end", "voice", "tokens", "compound", "pos", "neg", "neu"]
ARTICLE_COLUMNS = ["article_id", "voice", "sentences", "tokens", "compound_sum", "pos_sum", "neg_sum", "neu_sum"]
GROUP_COLUMNS = [
    "group",
    "voice",
    "sentences",
    "compound_mean",
    "ci_low",
    "ci_high",
    "pos",
    "neg",
    "neu",
    "n_articles",
    "tokens",
    "n_tokens",
    "small_sample",
]


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    """The VADER analyzer, built once per process (reading its lexicon takes ~0.1 s)."""
    return SentimentIntensityAnalyzer()


def sentence_tone(articles: pd.DataFrame, *, tokens: pd.DataFrame | None = None) -> pd.DataFrame:
    """VADER scores of every sentence of every article body, with the sentence's voice.

    Parameters
    ----------
    articles : DataFrame
        The article table (``id``, ``body``).
    tokens : DataFrame, optional
        ``analysis.tokens.tokenize(articles)``, when already computed (it gives each
        sentence's voice); computed here otherwise.

    Returns
    -------
    DataFrame
        One row per sentence (``analysis.tokens.sentence_spans``):

        - ``article_id`` : str
        - ``sentence`` : int, from 0 within the article (as in the token table)
        - ``start``, ``end`` : character offsets of the sentence in the body
        - ``voice`` : ``quoted`` when more than half of its word tokens are quoted, else
          ``narration``
        - ``tokens`` : word tokens in the sentence
        - ``compound``, ``pos``, ``neg``, ``neu`` : VADER scores of the sentence's text
    """
    if tokens is None:
        tokens = tokenize(articles)
    spans, texts = [], []
    for article_id, body in zip(articles["id"].astype(str), articles["body"], strict=True):
        for number, (start, end) in enumerate(sentence_spans(body)):
            spans.append((article_id, number, start, end))
            texts.append(body[start:end])
    table = pd.DataFrame(spans, columns=["article_id", "sentence", "start", "end"])
    table = table.astype({"article_id": "str", "sentence": np.int64, "start": np.int64, "end": np.int64})
    per_sentence = (
        tokens.assign(quoted=tokens["voice"].eq("quoted"), article_id=tokens["article_id"].astype("str"))
        .groupby(["article_id", "sentence"])["quoted"]
        .agg(["mean", "size"])
    )
    table = table.join(per_sentence, on=["article_id", "sentence"])
    table["voice"] = pd.array(np.where(table["mean"].fillna(0) > 0.5, "quoted", "narration"), dtype="str")
    table["tokens"] = table["size"].fillna(0).astype(np.int64)
    # Score each distinct sentence once: wire copy repeats sentences across outlets.
    distinct, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True) if texts else ([], [])
    score = analyzer().polarity_scores
    scores = pd.DataFrame([score(text) for text in distinct], columns=list(SCORES))
    table[list(SCORES)] = scores.to_numpy()[inverse] if texts else np.empty((0, len(SCORES)))
    return table[SENTENCE_COLUMNS]


def article_tone(sentences: pd.DataFrame) -> pd.DataFrame:
    """Sums of sentence scores per article and voice (a map step whose outputs add up).

    Returns
    -------
    DataFrame
        ``article_id``, ``voice`` (``narration``, ``quoted``, ``all``), ``sentences``,
        ``tokens``, ``compound_sum``, ``pos_sum``, ``neg_sum``, ``neu_sum``. Voices without
        sentences in an article are absent.
    """
    both = pd.concat([sentences, sentences.assign(voice="all")], ignore_index=True)
    sums = both.groupby(["article_id", "voice"], sort=True).agg(
        sentences=("sentence", "size"),
        tokens=("tokens", "sum"),
        **{f"{score}_sum": (score, "sum") for score in SCORES},
    )
    return sums.reset_index()[ARTICLE_COLUMNS]


def tone_by_group(
    sentences: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean sentence tone per group and voice, with a bootstrap interval over articles (the reduce).

    Parameters
    ----------
    sentences : DataFrame
        From :func:`sentence_tone`, or its :func:`article_tone` sums.
    articles : DataFrame
        The article table; needs ``id`` and the ``by`` column (and ``n_tokens`` for the
        group's size; counted from ``sentences`` when absent).
    by : str, default="outlet"
        Article column to group by (``id`` gives one row per article and voice). Missing
        values form the group ``(missing)``.
    n_boot, confidence, seed
        Bootstrap settings: articles are resampled with replacement within each group and the
        mean is recomputed as total compound over total sentences.

    Returns
    -------
    DataFrame
        One row per group × voice (``narration``, ``quoted``, ``all``):

        - ``group`` : value of the ``by`` column
        - ``voice``
        - ``sentences`` : sentences in that voice
        - ``compound_mean`` : mean VADER compound over those sentences (NaN when none)
        - ``ci_low``, ``ci_high`` : bootstrap interval of ``compound_mean``; NaN when fewer than
          two of the group's articles have sentences in that voice
        - ``pos``, ``neg``, ``neu`` : mean VADER shares over those sentences
        - ``n_articles`` : articles in the group
        - ``tokens`` : word tokens in those sentences
        - ``n_tokens`` : word tokens in the group's articles, all voices
        - ``small_sample`` : True when the group has too few articles or tokens in that voice

    Raises
    ------
    KeyError
        ``by`` is not an article column; the message lists the columns.
    """
    groups = group_labels(articles, by)
    sums = sentences if "compound_sum" in sentences.columns else article_tone(sentences)
    measures = ["sentences", "tokens", *(f"{s}_sum" for s in SCORES)]
    # articles × (measure, voice), zeros where an article has no sentence in a voice
    wide = (
        sums.pivot_table(index="article_id", columns="voice", values=measures, aggfunc="sum")
        .reindex(index=groups.index, columns=pd.MultiIndex.from_product([measures, REPORTED_VOICES]))
        .fillna(0)
    )
    all_tokens = articles["n_tokens"].to_numpy() if "n_tokens" in articles.columns else wide[("tokens", "all")].to_numpy()
    codes, labels = pd.factorize(groups, sort=True)
    n_groups, n_voices = len(labels), len(REPORTED_VOICES)
    totals = wide.groupby(codes).sum().reindex(range(n_groups), fill_value=0)
    n_articles = np.bincount(codes, minlength=n_groups)
    low, high = np.full((n_groups, n_voices), np.nan), np.full((n_groups, n_voices), np.nan)
    for code in np.flatnonzero(n_articles >= 2):  # one article has no interval: skip it cheaply (by="id")
        members = wide[codes == code]
        low[code], high[code] = bootstrap_ratios(
            members["compound_sum"].to_numpy(), members["sentences"].to_numpy(), n_boot=n_boot, confidence=confidence, seed=seed
        )
    count = totals["sentences"].to_numpy(dtype=float).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        means = {s: np.where(count > 0, totals[f"{s}_sum"].to_numpy().ravel() / np.maximum(count, 1), np.nan) for s in SCORES}
    voice_tokens = totals["tokens"].to_numpy().ravel().astype(np.int64)
    table = pd.DataFrame(
        {
            "group": pd.array(np.repeat(np.asarray(labels, dtype=object), n_voices), dtype="str"),
            "voice": pd.array(np.tile(np.array(REPORTED_VOICES, dtype=object), n_groups), dtype="str"),
            "sentences": count.astype(np.int64),
            "compound_mean": means["compound"],
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "pos": means["pos"],
            "neg": means["neg"],
            "neu": means["neu"],
            "n_articles": np.repeat(n_articles, n_voices),
            "tokens": voice_tokens,
            "n_tokens": np.repeat(np.bincount(codes, weights=all_tokens, minlength=n_groups), n_voices).astype(np.int64),
        }
    )
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy(), voice_tokens), dtype=bool)
    return table[GROUP_COLUMNS]


# ---------------------------------------------------------------------------
# Map, reduce and the entry point, on either engine
# ---------------------------------------------------------------------------


def tone_sums(articles: pd.DataFrame, *, exclude_reused: bool = False) -> pd.DataFrame:
    """The map of tone: VADER scores of each sentence, summed per article and voice.

    With ``exclude_reused``, sentences mostly taken from another article are left out first
    (:func:`analysis.reuse.exclude_reused_sentences`: needs the whole corpus in one map).
    Columns are those of :func:`article_tone`; rows sorted by article id.
    """
    tokens = tokenize(articles)
    sentences = sentence_tone(articles, tokens=tokens)
    if exclude_reused:
        from analysis.reuse import exclude_reused_sentences

        sentences = exclude_reused_sentences(sentences, tokens, articles)
    return article_tone(sentences)


def tone_reduce(sums: pd.DataFrame, metadata: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """The reduce of tone: :func:`tone_by_group` of :func:`tone_sums` (``options``: ``by``,
    ``n_boot``, ``confidence``, ``seed``)."""
    return tone_by_group(sums, metadata, **options)


def measure_tone(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    exclude_reused: bool = False,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    query: str | None = None,
) -> pd.DataFrame:
    """Mean VADER sentence tone per group and voice with bootstrap intervals, on either engine.

    The one entry point of ``framing tone``: :func:`tone_sums` mapped over the articles and
    :func:`tone_reduce` once. ``exclude_reused`` needs ``engine="local"``; ``engine``,
    ``scheduler``, ``client`` and ``query`` are those of :func:`analysis.engine.map_articles`.

    Returns
    -------
    DataFrame
        The columns of :func:`tone_by_group`.
    """
    if exclude_reused and engine == "dask":
        raise EngineError("exclude_reused needs the whole corpus at once: use --engine local")
    return map_reduce(
        corpus,
        tone_sums,
        tone_reduce,
        engine=engine,
        scheduler=scheduler,
        client=client,
        query=query,
        columns=None if exclude_reused else ["id", "body"],
        order="article_id",
        reduce_options={"by": by},
        exclude_reused=exclude_reused,
    )
