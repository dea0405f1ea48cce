"""What the measures do with detected text reuse: leave out the words an article took, and tables of who shares what.

:func:`analysis.provenance.text_reuse` finds the pairs; here an outlet's own words are kept
(:func:`exclude_reused`, :func:`own_tokens`, :func:`exclude_reused_sentences` for
``--exclude-reused``), counted (:func:`reused_word_counts`) and tabled per event
(:func:`event_shared_text`, :func:`reuse_matrix`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import numpy as np
import pandas as pd

from analysis.passages import passage_table
from analysis.provenance import SPAN_COLUMNS, ProvenanceError, text_reuse

logger = logging.getLogger(__name__)


def republishers(articles: pd.DataFrame, *, profiles: dict | None = None) -> frozenset[str]:
    """Outlets of ``articles`` whose profile says they republish wire copy (``republishes_wire``)."""
    if profiles is None:
        from analysis.outlets import load_profiles

        profiles = load_profiles()
    return frozenset(o for o in articles["outlet"].dropna().unique() if getattr(profiles.get(o), "republishes_wire", False))


def reused_spans(pairs: pd.DataFrame, *, wire_republishers: Collection[str] = ()) -> pd.DataFrame:
    """Character spans of each article that it took from another article.

    The rule: only ``copy`` pairs count (articles that merely quote the same statement, a
    ``common_source``, took nothing from each other); a passage is taken by the article that
    is not the pair's likely source (``direction``); when the direction is ``unknown``, by each
    side whose outlet is a wire republisher (``wire_republishers``), and by neither otherwise
    (nothing shows who took it).

    Returns
    -------
    DataFrame
        ``article_id``, ``start``, ``end`` (offsets into its body), ``source_id`` (the other
        article of the pair).
    """
    if "relation" in pairs.columns:
        pairs = pairs[pairs["relation"] == "copy"]
    rows = []
    for pair in pairs.to_dict("records"):
        takers = []
        if pair["direction"] == "a_to_b":
            takers = ["b"]
        elif pair["direction"] == "b_to_a":
            takers = ["a"]
        else:
            takers = [side for side in ("a", "b") if pair[f"outlet_{side}"] in wire_republishers]
        for side in takers:
            other = "b" if side == "a" else "a"
            rows.extend(
                (pair[f"article_{side}"], p[f"{side}_start"], p[f"{side}_end"], pair[f"article_{other}"])
                for p in pair["passages"]
            )
    return pd.DataFrame(rows, columns=SPAN_COLUMNS).astype({"article_id": str, "start": np.int64, "end": np.int64})


def reused_mask(tokens: pd.DataFrame, spans: pd.DataFrame) -> np.ndarray:
    """True for each token (``article_id``, ``start``) that lies inside one of ``spans``."""
    mask = np.zeros(len(tokens), dtype=bool)
    if spans.empty or tokens.empty:
        return mask
    token_ids = tokens["article_id"].astype(str).to_numpy()
    token_starts = tokens["start"].to_numpy()
    for article_id, own in spans.groupby("article_id"):
        rows = np.flatnonzero(token_ids == article_id)
        if not len(rows):
            continue
        # Count span starts minus span ends at or before each token start: > 0 means inside a span.
        starts, ends = np.sort(own["start"].to_numpy()), np.sort(own["end"].to_numpy())
        positions = token_starts[rows]
        inside = np.searchsorted(starts, positions, side="right") - np.searchsorted(ends, positions, side="right")
        mask[rows] = inside > 0
    return mask


def exclude_reused(
    tokens: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    pairs: pd.DataFrame | None = None,
    reference: pd.DataFrame | None = None,
    wire_republishers: Collection[str] | None = None,
) -> pd.DataFrame:
    """The tokens an outlet wrote itself: drop tokens inside passages it took from another article.

    A passage counts as taken by an article when the other article of the pair is its likely
    source (earlier, more complete, or a reference wire story), or, with the direction
    unknown, when the article's outlet profile marks it as a wire republisher
    (``republishes_wire``). See :func:`reused_spans`.

    Parameters
    ----------
    tokens : DataFrame
        Token table (``analysis.tokens.tokenize``) of ``articles``.
    articles : DataFrame
        The article table the tokens came from.
    pairs : DataFrame, optional
        :func:`text_reuse` of the articles, when already computed.
    reference : DataFrame, optional
        Reference wire stories (used when ``pairs`` is not given).
    wire_republishers : collection of str, optional
        Outlet names; default: :func:`republishers` from the outlet profiles.

    Returns
    -------
    DataFrame
        ``tokens`` without the reused ones (same columns, index reset).
    """
    if pairs is None:
        pairs = text_reuse(articles, reference=reference)
    if wire_republishers is None:
        wire_republishers = republishers(articles)
    mask = reused_mask(tokens, reused_spans(pairs, wire_republishers=wire_republishers))
    return tokens[~mask].reset_index(drop=True)


def event_shared_text(
    articles: pd.DataFrame, *, event: str, pairs: pd.DataFrame | None = None, reference: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Shared wire text per article pair for one event (for the event brief).

    Parameters
    ----------
    articles : DataFrame
        Article table with an ``event`` column (the manifest's, or ``analysis.events.assign_events``).
    event : str
        The event id.
    pairs : DataFrame, optional
        :func:`text_reuse` of the articles, when already computed.

    Returns
    -------
    DataFrame
        :func:`passage_table` columns for the pairs whose two articles both cover ``event``
        (or, with ``reference``, whose corpus article does), plus ``shared_a`` and ``shared_b``.
    """
    if "event" not in articles.columns:
        raise ProvenanceError("articles: no 'event' column; group them first with analysis.events.assign_events")
    members = set(articles.loc[articles["event"] == event, "id"].astype(str))
    if pairs is None:
        pairs = text_reuse(articles[articles["id"].astype(str).isin(members)], reference=reference)
    in_event = pairs["article_a"].isin(members) & (pairs["article_b"].isin(members) | (pairs["basis"] == "reference"))
    chosen = pairs[in_event]
    shares = chosen.set_index(["article_a", "article_b"])[["shared_a", "shared_b"]]
    return passage_table(chosen).join(shares, on=["article_a", "article_b"])


def reuse_matrix(pairs: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """Square table: share of the row article's body found aligned in the column article.

    Returns
    -------
    DataFrame
        Index and columns: article ids of ``articles`` (in their order); cell (r, c) = share of
        r's words inside passages aligned with c; 0 where no passage; NaN on the diagonal.
    """
    ids = articles["id"].astype(str).tolist()
    position = {article_id: n for n, article_id in enumerate(ids)}
    values = np.zeros((len(ids), len(ids)))
    for pair in pairs.itertuples():
        if pair.article_a in position and pair.article_b in position:
            a, b = position[pair.article_a], position[pair.article_b]
            values[a, b], values[b, a] = pair.shared_a, pair.shared_b
    np.fill_diagonal(values, np.nan)
    return pd.DataFrame(values, index=ids, columns=ids)


def own_tokens(tokens: pd.DataFrame, articles: pd.DataFrame, *, exclude: bool = True) -> pd.DataFrame:
    """``tokens`` without the words taken from another article (:func:`exclude_reused`) when
    ``exclude``, else unchanged; says on the log (``analysis`` logger, INFO) how many were left out.
    """
    if not exclude:
        return tokens
    own = exclude_reused(tokens, articles)
    logger.info(
        "--exclude-reused: %s of %s words left out as taken from another article",
        f"{len(tokens) - len(own):,}",
        f"{len(tokens):,}",
    )
    return own


def exclude_reused_sentences(
    sentences: pd.DataFrame,
    tokens: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    pairs: pd.DataFrame | None = None,
    wire_republishers: Collection[str] | None = None,
) -> pd.DataFrame:
    """Sentence rows (``article_id``, ``sentence``) of which at most half the words were taken (see :func:`exclude_reused`).

    For sentence-level measures such as tone: a sentence mostly inside passages an article
    took from another is left out whole.
    """
    if pairs is None:
        pairs = text_reuse(articles)
    if wire_republishers is None:
        wire_republishers = republishers(articles)
    reused = reused_mask(tokens, reused_spans(pairs, wire_republishers=wire_republishers))
    share = (
        pd.DataFrame({"article_id": tokens["article_id"].astype(str), "sentence": tokens["sentence"], "reused": reused})
        .groupby(["article_id", "sentence"])["reused"]
        .mean()
    )
    keys = pd.MultiIndex.from_arrays([sentences["article_id"].astype(str), sentences["sentence"]])
    taken = share.reindex(keys).fillna(0.0).to_numpy() > 0.5
    return sentences[~taken].reset_index(drop=True)


def reused_word_counts(
    tokens: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    pairs: pd.DataFrame,
    wire_republishers: Collection[str] | None = None,
) -> pd.DataFrame:
    """Per article: words, words taken from another article (the rule of :func:`exclude_reused`), share taken.

    Returns
    -------
    DataFrame
        ``article_id``, ``outlet``, ``words``, ``reused_words``, ``reused_share``, ``sources``
        (ids of the articles it took from, comma-separated), in article order.
    """
    if wire_republishers is None:
        wire_republishers = republishers(articles)
    spans = reused_spans(pairs, wire_republishers=wire_republishers)
    reused = reused_mask(tokens, spans)
    counts = (
        pd.DataFrame({"article_id": tokens["article_id"].astype(str), "reused": reused})
        .groupby("article_id")["reused"]
        .agg(words="size", reused_words="sum")
    )
    sources = spans.groupby("article_id")["source_id"].agg(lambda ids: ", ".join(sorted(set(ids))))
    table = pd.DataFrame({"article_id": articles["id"].astype(str), "outlet": articles["outlet"].to_numpy()})
    table = table.join(counts, on="article_id").fillna({"words": 0, "reused_words": 0})
    table = table.astype({"words": np.int64, "reused_words": np.int64})
    table["reused_share"] = table["reused_words"] / table["words"].where(table["words"] > 0)
    table["sources"] = table["article_id"].map(sources).fillna("")
    return table
