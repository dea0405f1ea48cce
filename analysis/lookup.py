"""Looking up any word or phrase in the tokens: where it occurs, in which voice.

The result has the columns of loaded-language hits, so
:func:`analysis.measures.loaded.kwic` shows each occurrence in context.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.tokens import WORD_PATTERN

HIT_COLUMNS = ["article_id", "term", "match", "category", "start", "end", "voice", "sentence"]


def phrase_words(phrase: str) -> list[str]:
    """The lowercased words of ``phrase``, as :func:`analysis.tokens.tokenize` writes tokens.

    Examples
    --------
    >>> phrase_words("  Kremlin’s  ‘dialogue’ ")
    ["kremlin's", 'dialogue']
    """
    return [m.group().lower().replace("’", "'") for m in WORD_PATTERN.finditer(phrase)]


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
