"""The article table's contract, shared by the reader (:mod:`analysis.corpus`) and the store.

Imports nothing of the package, so that the loader and the store can both depend on it
without depending on each other.
"""

from __future__ import annotations

TABLE_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".parquet")
STORE_MARKER = "_framing.json"  # marks a Parquet store written by analysis.ingest.ingest

#: Columns of the article table, in order; metadata columns follow them.
ARTICLE_COLUMNS = (
    "id",
    "outlet",
    "published",
    "headline",
    "dek",
    "dateline",
    "byline",
    "body",
    "raw",
    "source",
    "removed",
    "repairs",
    "n_tokens",
    "hash",
    "url",
    "event",
    "language",
    "country",
    "ownership",
    "encoding",
)
