"""Words with character offsets.

Every count in the project starts from these spans, so that it can be traced back to the
passage it came from.
"""

from __future__ import annotations

import re

# Initialisms ("U.S.", "U.K.") stay whole; hyphens and apostrophes join word parts
# ("near-fatal", "Kremlin's", "Kremlin’s").
WORD_PATTERN = re.compile(r"(?:[A-Za-z]\.){2,}|[^\W_]+(?:[’'\-][^\W_]+)*")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the words in ``text``.

    Examples
    --------
    >>> [("U.S. near-fatal Kremlin’s"[s:e]) for s, e in word_spans("U.S. near-fatal Kremlin’s")]
    ['U.S.', 'near-fatal', 'Kremlin’s']
    """
    return [m.span() for m in WORD_PATTERN.finditer(text)]


def count_words(text: str) -> int:
    """Number of word tokens in ``text``."""
    return sum(1 for _ in WORD_PATTERN.finditer(text))
