"""In-process or Dask execution of the same map/reduce.

Every measure is a MAP over articles (per-article counts that add up: term counts, loaded-term
hits, tone sums) and a REDUCE computed once over those counts (document frequencies, pooled
counts, group statistics). The ``local`` engine runs the map on the whole article table in
this process; the ``dask`` engine runs the *same* map function on partitions of articles on
Dask workers, concatenates the results in article order, and runs the *same* reduce once, so
both engines return the same table.

This module knows no measure: each measure module (:mod:`analysis.measures.loaded`, ``tone``,
``tfidf``, ``keyness``, :mod:`analysis.provenance`, :mod:`analysis.events`) owns its map and
reduce functions and one entry point with ``engine=``, which calls the runners here.

Partitions are read on the workers: from a store (``framing ingest``) each task reads its own
Parquet files, so neither the client nor any worker holds the whole corpus or the whole token
table; any other corpus is loaded and cleaned here, then cut into chunks of articles.

Examples
--------
>>> from analysis.engine import map_articles
>>> per_article = map_articles(None, word_totals)
>>> int(per_article["words"].sum()) == int(load_corpus()["n_tokens"].sum())
True
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.cluster import ENGINES, Engine, EngineError, check_engine, dask_client
from analysis.corpus import load_corpus
from analysis.options import Progress, no_progress
from analysis.paths import resolve_corpus
from analysis.stats import group_labels
from analysis.store import articles_from_arrow, is_store, missing_text_as_object, read_manifest
from analysis.tokens import count_words

__all__ = [
    "ENGINES",
    "Engine",
    "EngineError",
    "Partition",
    "article_groups",
    "article_metadata",
    "dask_client",
    "map_articles",
    "map_blocks",
    "map_reduce",
    "partitions",
    "pool_articles",
    "sum_by_keys",
    "without_raw",
    "word_totals",
    "workers_of",
]
#: Articles per task: big enough to amortise scheduling, small enough to bound worker memory.
ARTICLES_PER_PARTITION = 2_000
TASKS_PER_WORKER = 4  # so that a slow task does not leave the other workers idle for long

MapFunction = Callable[..., pd.DataFrame]


# ---------------------------------------------------------------------------
# Partitions of articles
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """Articles for one task: row groups of a store's Parquet files (read on the worker) or a table."""

    pieces: tuple[tuple[str, int], ...] = ()  # (file, row group)
    articles: pd.DataFrame | None = None

    def load(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The article table of this partition (all columns, or ``columns``)."""
        if self.articles is not None:
            return self.articles if columns is None else _selected(self.articles, columns, None)
        files = [pq.ParquetFile(path) for path, _ in self.pieces]
        if columns is not None:
            names = list(dict.fromkeys(name for parquet in files for name in parquet.schema_arrow.names))
            _check_columns(names, columns)
        tables = []
        for parquet, (_, group) in zip(files, self.pieces, strict=True):
            present = None if columns is None else [c for c in columns if c in parquet.schema_arrow.names]
            tables.append(parquet.read_row_group(group, columns=present))
        return articles_from_arrow(pa.concat_tables(tables, promote_options="permissive"), whole=False)


def _partition_size(total: int, articles_per_partition: int | None, workers: int) -> int:
    """Articles per task: ``articles_per_partition``, or enough tasks to keep every worker busy."""
    if articles_per_partition is not None:
        if articles_per_partition < 1:
            raise EngineError(f"articles_per_partition={articles_per_partition}: must be at least 1")
        return articles_per_partition
    return max(1, min(ARTICLES_PER_PARTITION, math.ceil(total / (TASKS_PER_WORKER * max(workers, 1)))))


def partitions(
    corpus: str | os.PathLike[str] | pd.DataFrame | None, *, articles_per_partition: int | None = None, workers: int = 1
) -> list[Partition]:
    """Cut a corpus into partitions of about ``articles_per_partition`` articles.

    By default, at most 2,000 articles per partition and at least four partitions per worker.
    A store is cut at Parquet row groups (:data:`analysis.store.ROW_GROUP` articles), in
    manifest order; an article table, or any other corpus after loading, into consecutive
    chunks of rows.
    """
    if not isinstance(corpus, pd.DataFrame):
        path = resolve_corpus(corpus)
        if is_store(path):
            pieces = [
                (str(path / entry["path"]), group, pq.ParquetFile(path / entry["path"]).metadata.row_group(group).num_rows)
                for entry in read_manifest(path)["files"]
                for group in range(pq.ParquetFile(path / entry["path"]).metadata.num_row_groups)
            ]
            size = _partition_size(sum(rows for *_, rows in pieces), articles_per_partition, workers)
            groups: list[list[tuple[str, int]]] = [[]]
            filled = 0
            for file, group, rows in pieces:
                if groups[-1] and filled + rows > size:
                    groups.append([])
                    filled = 0
                groups[-1].append((file, group))
                filled += rows
            return [Partition(pieces=tuple(group)) for group in groups if group]
        corpus = load_corpus(path)
    size = _partition_size(len(corpus), articles_per_partition, workers)
    chunks = max(1, math.ceil(len(corpus) / size))
    bounds = np.linspace(0, len(corpus), chunks + 1).astype(int)
    return [Partition(articles=corpus.iloc[lo:hi]) for lo, hi in itertools.pairwise(bounds)]


# ---------------------------------------------------------------------------
# Running the map
# ---------------------------------------------------------------------------


ORDER = ("_order_published", "_order_id")  # where a row's article sits in the loader's order
Tables = pd.DataFrame | tuple[pd.DataFrame, ...]


def workers_of(client: Any) -> int:
    """Workers the scheduler of ``client`` has (at least 1)."""
    return len(client.scheduler_info().get("workers", {})) or 1


def _with_article_order(result: pd.DataFrame, articles: pd.DataFrame, name: str) -> pd.DataFrame:
    key = "article_id" if "article_id" in result.columns else "id"
    if key not in result.columns:
        raise EngineError(f"{name}: its rows need an 'article_id' or 'id' column to be put back in article order")
    published = pd.Series(articles["published"].to_numpy(), index=articles["id"].to_numpy())
    return result.assign(**{ORDER[0]: result[key].map(published).to_numpy(), ORDER[1]: result[key].to_numpy()})


def _check_columns(available: Sequence[str], columns: Sequence[str]) -> None:
    """Raise the ``KeyError`` that names a missing article column and lists the real ones."""
    if missing := [c for c in columns if c not in available]:
        raise KeyError(f"no article column {missing[0]!r}; available: {', '.join(map(str, available))}")


def _selected(articles: pd.DataFrame, columns: Sequence[str] | None, query: str | None) -> pd.DataFrame:
    """The articles matching ``query`` (per article, so partitions select as the whole would), in ``columns``."""
    if query:
        from analysis.query import filter_articles

        articles = filter_articles(articles, query)
    if columns is None:
        return articles
    _check_columns(list(articles.columns), columns)
    return articles.loc[:, list(dict.fromkeys(columns))]


def _run_partition(
    partition: Partition, map_function: MapFunction, columns: Sequence[str] | None, options: dict, query: str | None = None
) -> Tables | None:
    articles = _selected(partition.load(None if query else columns), columns, query)
    if articles.empty:
        return None
    return _ordered_map(map_function, articles, options)


def _ordered_map(map_function: MapFunction, articles: pd.DataFrame, options: dict) -> Tables:
    """``map_function(articles)``, each table with the keys that put it back in article order among other pieces."""
    result = map_function(articles, **options)
    name = getattr(map_function, "__name__", "the map function")
    if isinstance(result, tuple):
        return tuple(_with_article_order(table, articles, name) for table in result)
    return _with_article_order(result, articles, name)


RowOrder = Literal["articles", "article_id"]

#: Articles one local map sees at once: the maps are per article (the Dask partitions prove it),
#: so a large corpus is mapped in slices and the token tables of a slice are freed before the next.
LOCAL_ARTICLES_PER_MAP = 5_000
#: Map options under which a map needs every article at once (words reused from another article).
WHOLE_CORPUS_OPTIONS = ("exclude_reused",)


def _local_slices(articles: pd.DataFrame, options: dict[str, Any]) -> list[pd.DataFrame]:
    """``articles`` in slices of ``LOCAL_ARTICLES_PER_MAP`` (one slice when an option needs the whole corpus)."""
    if len(articles) <= LOCAL_ARTICLES_PER_MAP or any(options.get(name) for name in WHOLE_CORPUS_OPTIONS):
        return [articles]
    return [articles.iloc[start : start + LOCAL_ARTICLES_PER_MAP] for start in range(0, len(articles), LOCAL_ARTICLES_PER_MAP)]


def _combined(pieces: list[Tables], order: RowOrder) -> Tables:
    """The pieces of a map (tables, or tuples of tables) as the map gives them on the whole table."""
    if isinstance(pieces[0], tuple):
        return tuple(_in_article_order([piece[i] for piece in pieces], order) for i in range(len(pieces[0])))
    return _in_article_order(pieces, order)


def _in_article_order(pieces: list[pd.DataFrame], order: RowOrder) -> pd.DataFrame:
    """Concatenate map outputs in the order the map gives on the whole table.

    ``articles``: the loader's order of articles (``published``, then ``id``), for a map that
    emits rows article by article in its input order; ``article_id``: sorted by article id,
    for a map that sorts by it (as a groupby does). Each article's rows keep the map's order.
    """
    combined = pd.concat(pieces, ignore_index=True)
    keys = list(ORDER) if order == "articles" else [ORDER[1]]
    combined = combined.sort_values(keys, kind="stable").drop(columns=list(ORDER)).reset_index(drop=True)
    return missing_text_as_object(combined)


def _gathered(futures: list[Any], progress: Progress = no_progress, desc: str = "tasks") -> list[Any]:
    """The futures' results in their order, each fetched as soon as it is ready and then released,
    so that the workers do not keep every partition's result until the last one is done."""
    from distributed import as_completed

    position = {future.key: i for i, future in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    completed = as_completed(futures, with_results=True)
    total = len(futures)
    futures.clear()  # as_completed now holds the only references
    for future, result in progress(completed, desc=desc, total=total):
        results[position[future.key]] = result
        future.release()
    return results


def map_articles(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    map_function: MapFunction,
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    columns: Sequence[str] | None = None,
    articles_per_partition: int | None = None,
    order: RowOrder = "articles",
    query: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run ``map_function(articles, **options)`` over a corpus and return its rows.

    Parameters
    ----------
    corpus : str, path, DataFrame or None
        A corpus (the seeds when None), a store from ``framing ingest``, or an article table.
    map_function : callable
        ``(articles DataFrame, **options) -> DataFrame`` (or a tuple of DataFrames) with
        per-article rows (an ``article_id`` or ``id`` column). Must be importable by the
        workers (a function of the ``analysis`` package).
    engine : {"local", "dask"}, default="local"
        ``local`` calls ``map_function`` in this process, on slices of
        ``LOCAL_ARTICLES_PER_MAP`` articles (the whole table when a ``WHOLE_CORPUS_OPTIONS``
        option is set); ``dask`` once per partition on the workers.
    scheduler : str, optional
        Dask scheduler address; None starts a local cluster (see :func:`dask_client`).
    client : distributed.Client, optional
        Use this client instead (for several maps on one cluster).
    columns : sequence of str, optional
        Article columns the map needs (read only those from a store).
    articles_per_partition : int, optional
        Size of a Dask task; default: at most 2,000, and four tasks per worker.
    order : {"articles", "article_id"}, default="articles"
        How the map orders its rows (see :func:`_in_article_order`), so that the ``dask``
        result is in the same order as the ``local`` one.
    query : str, optional
        Only articles matching it (:func:`analysis.query.filter_articles`), selected per partition.

    Returns
    -------
    DataFrame or tuple of DataFrames
        What the map returns; with ``dask``, the partitions' tables concatenated in ``order``.
    """
    check_engine(engine)
    if engine == "local":
        articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
        selected = _selected(articles, columns, query)
        if selected.empty:
            raise EngineError(f"query {query!r} matches no article" if query else "the corpus has no articles")
        slices = _local_slices(selected, options)
        if len(slices) == 1:
            return map_function(selected, **options)
        if "published" not in selected.columns:  # what puts the slices' rows back in article order, as on Dask
            slices = _local_slices(_selected(articles, [*(columns or []), "published"], query), options)
        return _combined([_ordered_map(map_function, part, options) for part in slices], order)
    if columns is not None and "published" not in columns:
        columns = [*columns, "published"]  # needed to restore the article order
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(scheduler))
        parts = partitions(corpus, articles_per_partition=articles_per_partition, workers=workers_of(client))
        futures = client.map(
            _run_partition, parts, map_function=map_function, columns=columns, options=options, query=query, pure=False
        )
        pieces = [piece for piece in _gathered(futures) if piece is not None]
    if not pieces:
        raise EngineError(f"query {query!r} matches no article" if query else "the corpus has no articles")
    return _combined(pieces, order)


def map_reduce(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    map_function: MapFunction,
    reduce_function: Callable[..., pd.DataFrame],
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    columns: Sequence[str] | None = None,
    reduce_options: dict[str, Any] | None = None,
    query: str | None = None,
    group_by: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """``reduce_function(map rows, article metadata, **reduce_options)`` after :func:`map_articles`.

    The metadata is gathered by the same engine: the article table without ``body`` and ``raw``
    (:func:`article_metadata`: ``id``, ``outlet``, ``published``, ``n_tokens``, ``country``,
    ``ownership``, ``event``... so any article column can be the ``by`` of a group statistic),
    or, with ``group_by``, only each article's group (:func:`article_groups`: two columns read
    and sent instead of all), for a reduce that reads nothing else. ``options`` go to
    :func:`map_articles` (``order``, ``articles_per_partition``) and on to the map. Returns
    the reduce's table, identical for both engines.
    """
    with contextlib.ExitStack() as stack:
        if engine == "dask" and client is None:
            client = stack.enter_context(dask_client(scheduler))
        rows = map_articles(corpus, map_function, engine=engine, client=client, columns=columns, query=query, **options)
        if group_by is None:
            metadata = map_articles(corpus, article_metadata, engine=engine, client=client, query=query)
        else:
            read = {"columns": ["id", group_by], "by": group_by}
            metadata = map_articles(corpus, article_groups, engine=engine, client=client, query=query, **read)
    return reduce_function(rows, metadata, **(reduce_options or {}))


def _pool_partition(
    partition: Partition, map_function: MapFunction, columns: Sequence[str] | None, options: dict, query: str | None = None
) -> pd.DataFrame | None:
    articles = _selected(partition.load(None if query else columns), columns, query)
    return map_function(articles, **options) if not articles.empty else None


def sum_by_keys(tables: Sequence[pd.DataFrame], keys: Sequence[str]) -> pd.DataFrame:
    """Add up count tables: rows with the same ``keys`` are summed, the result sorted by ``keys``."""
    present = [table for table in tables if table is not None]
    if not present:
        raise EngineError("no article to count: the corpus is empty or the query matches none")
    combined = pd.concat(present, ignore_index=True)
    return combined.groupby(list(keys), as_index=False, sort=True).sum().reset_index(drop=True)


def pool_articles(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    map_function: MapFunction,
    *,
    keys: Sequence[str],
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    columns: Sequence[str] | None = None,
    articles_per_partition: int | None = None,
    fan_in: int = 8,
    query: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run a map whose rows are counts pooled over articles, and add the pieces up.

    Where per-article rows would not fit in one process (a term × article table of millions of
    articles), the map pools its partition's counts (per group and term, say) and the pieces
    are summed by ``keys`` on the workers, ``fan_in`` at a time, so the client receives one
    table of the size of the answer.

    Parameters
    ----------
    map_function : callable
        ``(articles, **options) -> DataFrame`` of ``keys`` and integer count columns.
    keys : sequence of str
        Columns identifying a count (``group``, ``feature``).
    engine, scheduler, client, columns, articles_per_partition, query
        As for :func:`map_articles`.
    fan_in : int, default=8
        Tables summed by one combining task.

    Returns
    -------
    DataFrame
        ``keys`` and the count columns, one row per distinct key, sorted by ``keys``; the same
        on both engines (integer sums do not depend on the order of addition).
    """
    check_engine(engine)
    if engine == "local":
        articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
        selected = _selected(articles, columns, query)
        pieces = [map_function(part, **options) for part in _local_slices(selected, options)] if not selected.empty else [None]
        return sum_by_keys(pieces, keys)
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(scheduler))
        parts = partitions(corpus, articles_per_partition=articles_per_partition, workers=workers_of(client))
        futures = client.map(
            _pool_partition, parts, map_function=map_function, columns=columns, options=options, query=query, pure=False
        )
        while True:  # a tree of sums on the workers; at least one, so one partition is sorted too
            futures = [
                client.submit(sum_by_keys, futures[i : i + fan_in], keys, pure=False) for i in range(0, len(futures), fan_in)
            ]
            if len(futures) == 1:
                return futures[0].result()


def map_blocks(
    function: Callable[..., Any],
    blocks: Sequence[Any],
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    progress: Progress = no_progress,
    **options: Any,
) -> list[Any]:
    """``function(block, **options)`` for each block, results in the order of ``blocks``.

    For steps whose unit is not a partition of articles but a block the caller cuts (the
    pair step of :func:`analysis.events.group_events`: articles and the window after them).
    With ``dask`` each block is one task, and ``options`` (a vocabulary, say) are sent to every
    worker once. ``progress`` is passed the blocks as they are done (see
    :class:`analysis.options.Progress`).
    """
    check_engine(engine)
    desc = function.__name__.replace("_", " ")
    if engine == "local":
        return [function(block, **options) for block in progress(blocks, desc=desc, total=len(blocks))]
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(scheduler))
        shared = {name: client.scatter(value, broadcast=True) for name, value in options.items()}
        return _gathered(client.map(function, list(blocks), pure=False, **shared), progress, desc)


# ---------------------------------------------------------------------------
# Maps every measure may use: the metadata a reduce joins with
# ---------------------------------------------------------------------------


def article_metadata(articles: pd.DataFrame) -> pd.DataFrame:
    """The article table without its texts (``body``, ``raw``): what a reduce joins counts with.

    Returns
    -------
    DataFrame
        Every article column except ``body`` and ``raw`` (``removed``/``repairs`` kept).
    """
    return articles.drop(columns=[c for c in ("body", "raw") if c in articles.columns]).reset_index(drop=True)


def article_groups(articles: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """Each article's group: ``id`` and the ``by`` column as text, ``(missing)`` where it has no value.

    All that a reduce grouping by ``by`` reads of the metadata; needs only ``id`` and ``by``.
    """
    labels = group_labels(articles, by)
    return pd.DataFrame({"id": labels.index.to_numpy(), by: labels.to_numpy()})


def without_raw(articles: pd.DataFrame) -> pd.DataFrame:
    """The article table without ``raw`` (the page as read): what ``framing corpus --json`` prints."""
    return articles.drop(columns=[c for c in ("raw",) if c in articles.columns]).reset_index(drop=True)


def word_totals(articles: pd.DataFrame) -> pd.DataFrame:
    """Words per article, counted from the body (a check on ``n_tokens``).

    Returns
    -------
    DataFrame
        ``article_id``, ``words``, ``characters``.
    """
    return pd.DataFrame(
        {
            "article_id": articles["id"].to_numpy(),
            "words": articles["body"].map(count_words).to_numpy(dtype="int64"),
            "characters": articles["body"].str.len().to_numpy(dtype="int64"),
        }
    )
