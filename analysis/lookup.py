"""Looking up any word or phrase in the tokens: where it occurs, in which voice.

The result has the columns of loaded-language hits, so
:func:`analysis.tokens.kwic` shows each occurrence in context.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.options import Voice, check_voice
from analysis.tokens import WORD_PATTERN, fold_word, kwic

HIT_COLUMNS = ["article_id", "term", "match", "category", "start", "end", "voice", "sentence"]


def phrase_words(phrase: str) -> list[str]:
    """The lowercased words of ``phrase``, as :func:`analysis.tokens.tokenize` writes tokens.

    Examples
    --------
    >>> phrase_words("  Kremlin’s  ‘dialogue’ ")
    ["kremlin's", 'dialogue']
    """
    return [fold_word(m.group()) for m in WORD_PATTERN.finditer(phrase)]


def term_hits(tokens: pd.DataFrame, phrase: str) -> pd.DataFrame:
    """Every occurrence of ``phrase`` (one or more consecutive words, case-insensitive).

    Parameters
    ----------
    tokens : DataFrame
        The token table: ``article_id``, ``start``, ``end``, ``token``, ``voice``,
        ``sentence``, in text order within each article.
    phrase : str
        A word or a phrase; punctuation between its words is ignored.

    Returns
    -------
    DataFrame
        ``article_id``, ``term`` (the phrase as looked up), ``match`` (the same),
        ``category`` (``"lookup"``), ``start``, ``end`` (offsets of the whole phrase),
        ``voice`` (of its first word), ``sentence``.

    Raises
    ------
    ValueError
        When ``phrase`` has no word in it.
    """
    words = phrase_words(phrase)
    if not words:
        raise ValueError(f"phrase={phrase!r} has no word to look up")
    token = tokens["token"].to_numpy()
    article = tokens["article_id"].to_numpy()
    n = len(tokens) - len(words) + 1
    if n <= 0:
        return pd.DataFrame(columns=HIT_COLUMNS)
    found = np.ones(n, dtype=bool)
    for offset, word in enumerate(words):  # one vectorized comparison per word of the phrase
        found &= token[offset : offset + n] == word
        found &= article[offset : offset + n] == article[:n]
    first = np.flatnonzero(found)
    last = first + len(words) - 1
    label = " ".join(words)
    return pd.DataFrame(
        {
            "article_id": article[first].astype(str),
            "term": label,
            "match": label,
            "category": "lookup",
            "start": tokens["start"].to_numpy()[first],
            "end": tokens["end"].to_numpy()[last],
            "voice": tokens["voice"].to_numpy()[first],
            "sentence": tokens["sentence"].to_numpy()[first],
        },
        columns=HIT_COLUMNS,
    )


def in_context(
    tokens: pd.DataFrame,
    articles: pd.DataFrame,
    phrase: str,
    *,
    voice: Voice = "all",
    width: int = 60,
) -> pd.DataFrame:
    """Every occurrence of ``phrase`` in ``articles``, with the text around it (KWIC).

    Parameters
    ----------
    tokens : DataFrame
        Token table of these articles or of a larger set (rows of other articles are ignored).
    articles : DataFrame
        The articles to look in: ``id``, ``outlet``, ``body``.
    phrase : str
        A word or phrase (see :func:`term_hits`).
    voice : {"all", "narration", "quoted"}, default="all"
        Only occurrences in this voice.
    width : int, default=60
        Characters of context on each side.

    Returns
    -------
    DataFrame
        The columns of :func:`analysis.tokens.kwic`: ``article_id``, ``outlet``,
        ``term``, ``match``, ``category``, ``voice``, ``start``, ``end``, ``left``, ``right``;
        in article table order, then text order.
    """
    check_voice(voice)
    ids = articles["id"].astype(str)
    hits = term_hits(tokens[tokens["article_id"].astype(str).isin(ids)], phrase)
    if voice != "all":
        hits = hits[hits["voice"] == voice]
    order = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    hits = hits.assign(_order=hits["article_id"].map(order)).sort_values(["_order", "start"], kind="stable")
    return kwic(hits.drop(columns="_order"), articles, width=width)


def occurrences(in_context_table: pd.DataFrame, tokens: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """How often the looked-up phrase occurs per outlet and voice, per 1,000 words of that voice.

    Returns
    -------
    DataFrame
        ``outlet``, ``voice``, ``hits``, ``tokens`` (words of that outlet's articles in that
        voice), ``rate_per_1000``; every outlet of ``articles`` and both voices, zeros included.
    """
    ids = articles["id"].astype(str)
    outlet_of = pd.Series(articles["outlet"].astype(str).to_numpy(), index=ids.to_numpy())
    words = tokens[tokens["article_id"].astype(str).isin(ids)]
    denominators = words.groupby([words["article_id"].astype(str).map(outlet_of).rename("outlet"), "voice"]).size()
    counts = in_context_table.groupby(["outlet", "voice"]).size()
    grid = pd.MultiIndex.from_product([sorted(outlet_of.unique()), ["narration", "quoted"]], names=["outlet", "voice"])
    table = pd.DataFrame({"hits": counts.reindex(grid, fill_value=0), "tokens": denominators.reindex(grid, fill_value=0)}).astype(
        "int64"
    )
    rate = table["hits"] / table["tokens"].where(table["tokens"] > 0) * 1000
    return table.assign(rate_per_1000=rate).reset_index()
