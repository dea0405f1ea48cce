"""The corpus store: a cleaned corpus as a Parquet dataset partitioned by outlet and month.

Layout of a store folder::

    STORE/
      _framing.json                                   # the manifest: committed files, ingest log
      outlet=TASS/month=2021-03/part-<ingest>.parquet  # one file per partition per ingest
      outlet=WCE%20News/month=2021-01/part-<ingest>.parquet

Each Parquet file holds the loader's article table (:data:`analysis.schema.ARTICLE_COLUMNS`
then metadata columns), ``outlet`` included, so a file is readable on its own. ``removed``
and ``repairs`` are stored as JSON strings (a list of objects each): the loader's removal
records may gain keys without changing the Parquet schema between ingests; :func:`read_store`
decodes them back into lists of dicts.

Only the files listed in ``_framing.json`` belong to the store. An ingest writes its files
into a temporary folder inside the store, moves them into their partition folders under new,
unique names, and replaces the manifest last with :func:`os.replace`. A crash at any point
before that leaves the old manifest, so readers see the store as it was; the next ingest
deletes the leftovers. Existing files are never rewritten.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from analysis.schema import ARTICLE_COLUMNS, STORE_MARKER

MARKER = STORE_MARKER
FORMAT = "framing-store"
VERSION = 1
ROW_GROUP = 1_000  # articles per Parquet row group: the unit a Dask task reads
JSON_COLUMNS = ("removed", "repairs")
#: Parquet types of the loader's columns; every other article column is a string.
COLUMN_TYPES = {"published": pa.timestamp("us"), "n_tokens": pa.int64()}


class StoreError(ValueError):
    """A store cannot be written or read; the message says which path and what to do."""


# ---------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------


def is_store(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a folder holding a store manifest (``_framing.json``)."""
    return (Path(path) / MARKER).is_file()


def read_manifest(store: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of ``store``: ``format``, ``version``, ``files`` (each ``path``, ``rows``,
    ``outlet``, ``month``, ``ingest``) and ``ingests`` (each ``id``, ``at``, ``source``,
    ``engine``, ``added``, ``duplicates``, ``id_conflicts``, ``problem_counts`` and the
    first 200 ``problems``).

    Raises
    ------
    StoreError
        When the manifest is missing, is not JSON, or is of another format or version.
    """
    marker = Path(store) / MARKER
    try:
        manifest = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(
            f"{store}: no {MARKER}, so not a framing store; create one with 'framing ingest CORPUS --to {store}'"
        ) from None
    except json.JSONDecodeError as err:
        raise StoreError(
            f"{marker}: not valid JSON ({err.msg}); restore it from a backup or ingest again into a new folder"
        ) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise StoreError(
            f"{marker}: format {manifest.get('format')!r} version {manifest.get('version')!r}, "
            f"expected {FORMAT!r} version {VERSION}; ingest the corpus again into a new folder"
        )
    return manifest


def write_manifest(store: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically: readers see the old one or the new one, never half."""
    temporary = store / f"{MARKER}.{uuid.uuid4().hex}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, store / MARKER)


def store_files(store: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of ``store``, as listed in its manifest, in manifest order."""
    root = Path(store)
    return [root / entry["path"] for entry in read_manifest(root)["files"]]


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _decode_json(values: pd.Series) -> pd.Series:
    return values.map(lambda text: json.loads(text) if isinstance(text, str) else [])


def articles_from_arrow(table: pa.Table, *, whole: bool = True) -> pd.DataFrame:
    """The article table of :func:`analysis.corpus.read_corpus` from Arrow data of a store.

    Decodes ``removed``/``repairs``, restores the loader's column order and dtypes, and
    sorts by ``published`` then ``id``. Columns are those of :func:`read_store`. With
    ``whole`` (the table is the whole corpus), a text column no article has a value in
    becomes all-missing objects, as the loader leaves it; a part of a corpus cannot know.
    """
    articles = table.to_pandas()
    for column in JSON_COLUMNS:
        if column in articles.columns:
            articles[column] = _decode_json(articles[column])
    if whole:
        articles = missing_text_as_object(articles)
    extra = [c for c in articles.columns if c not in ARTICLE_COLUMNS]
    articles = articles[[c for c in ARTICLE_COLUMNS if c in articles.columns] + extra]
    if "published" in articles.columns and "id" in articles.columns:
        articles = articles.sort_values(["published", "id"], kind="stable")
    return articles.reset_index(drop=True)


def missing_text_as_object(table: pd.DataFrame) -> pd.DataFrame:
    """Text columns without any value as all-missing objects, as the loader leaves them."""
    empty = [c for c in table.columns if pd.api.types.is_string_dtype(table[c].dtype) and table[c].isna().all()]
    return table.assign(**{c: pd.Series(np.nan, index=table.index, dtype=object) for c in empty}) if empty else table


def open_dataset(store: str | os.PathLike[str]) -> ds.Dataset:
    """A :class:`pyarrow.dataset.Dataset` over the committed files of ``store``.

    Files written by different ingests may carry different metadata columns; the dataset's
    schema is their union (missing columns read as null).
    """
    files = [str(path) for path in store_files(store)]
    if not files:
        return ds.dataset(pa.table({c: pa.array([], type=COLUMN_TYPES.get(c, pa.string())) for c in ARTICLE_COLUMNS}))
    schemas = {str(schema): schema for schema in (pq.read_schema(path) for path in files)}
    schema = pa.unify_schemas(list(schemas.values()), promote_options="permissive")
    return ds.dataset(files, schema=schema, format="parquet")


def read_store(
    store: str | os.PathLike[str], *, columns: list[str] | None = None, filter: ds.Expression | None = None
) -> pd.DataFrame:
    """Read the article table of a store.

    Parameters
    ----------
    store : str or path
        A folder written by :func:`ingest`.
    columns : list of str, optional
        Read only these columns (``body`` alone is most of the bytes; leave out ``raw``).
    filter : pyarrow.dataset.Expression, optional
        Rows to read, e.g. ``pyarrow.dataset.field("outlet") == "TASS"``.

    Returns
    -------
    DataFrame
        The columns of :func:`analysis.corpus.read_corpus`, in its order and with its dtypes:
        ``id``, ``outlet``, ``published``, ``headline``, ``dek``, ``dateline``, ``byline``,
        ``body``, ``raw``, ``source``, ``removed`` and ``repairs`` (lists of dicts), ``n_tokens``,
        ``hash``, ``url``, ``event``, ``language``, ``country``, ``ownership``,
        ``encoding``, then metadata columns; sorted by ``published`` then ``id``.
    """
    return articles_from_arrow(open_dataset(store).to_table(columns=columns, filter=filter))


def store_summary(store: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per partition of ``store``.

    Returns
    -------
    DataFrame
        ``outlet``, ``month`` (YYYY-MM), ``files`` (one per ingest that added to it),
        ``articles``; sorted by outlet and month.
    """
    entries = pd.DataFrame(read_manifest(store)["files"], columns=["path", "rows", "outlet", "month", "ingest"])
    summary = entries.groupby(["outlet", "month"], as_index=False).agg(files=("path", "size"), articles=("rows", "sum"))
    return summary.sort_values(["outlet", "month"]).reset_index(drop=True)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def partition_folder(outlet: str, month: str) -> str:
    """Relative folder of a partition, Hive style with URL-escaped values: ``outlet=WCE%20News/month=2021-01``."""
    return f"outlet={quote(outlet, safe='')}/month={month}"


def to_arrow(articles: pd.DataFrame) -> pa.Table:
    """Arrow table of an article table, with the store's column types (see module docstring)."""
    arrays = {}
    for column in articles.columns:
        values = articles[column]
        if column in JSON_COLUMNS:
            arrays[column] = pa.array(
                [json.dumps(v if isinstance(v, list) else [], ensure_ascii=False) for v in values], pa.string()
            )
        elif column in COLUMN_TYPES:
            arrays[column] = pa.array(values, type=COLUMN_TYPES[column])
        else:
            try:
                array = pa.array(values, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                array = None  # mixed types: store their text
            if array is None or pa.types.is_null(array.type) or column in ARTICLE_COLUMNS:
                array = pa.array([None if pd.isna(v) else str(v) for v in values], pa.string())
            arrays[column] = array
    return pa.table(arrays)


def write_partition(table: pa.Table, path: Path) -> None:
    """Write one partition file (a separate function so tests can make it fail)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=ROW_GROUP)
