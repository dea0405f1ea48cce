"""In-process or Dask execution of the same map/reduce.

Every measure is a MAP over articles (per-article counts that add up: term counts, loaded-term
hits, tone sums) and a REDUCE computed once over those counts (document frequencies, pooled
counts, group statistics). The ``local`` engine runs the map on the whole article table in
this process; the ``dask`` engine runs the *same* map function on partitions of articles on
Dask workers, concatenates the results in article order, and runs the *same* reduce once, so
both engines return the same table.

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import sparse

from analysis.corpus import load_corpus
from analysis.paths import resolve_corpus
from analysis.store import articles_from_arrow, is_store, missing_text_as_object, read_manifest
from analysis.tokens import WORD_PATTERN, count_words

Engine = Literal["local", "dask"]
ENGINES: tuple[Engine, ...] = ("local", "dask")
#: Articles per task: big enough to amortise scheduling, small enough to bound worker memory.
ARTICLES_PER_PARTITION = 2_000
TASKS_PER_WORKER = 4  # so that a slow task does not leave the other workers idle for long

MapFunction = Callable[..., pd.DataFrame]


class EngineError(ValueError):
    """An engine option is wrong, or the scheduler cannot be reached; the message says which."""


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


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None, memory_limit: str = "auto") -> Iterator[Any]:
    """A :class:`distributed.Client`: on ``scheduler`` when given, else on a local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). None starts a
        :class:`distributed.LocalCluster` with one single-threaded worker process per core
        (the map is pure Python and NumPy: processes, not threads, run it in parallel).
    n_workers : int, optional
        Workers of the local cluster; default: the machine's cores.
    memory_limit : str, default="auto"
        Memory limit per local worker ("4GB"); "auto" shares the machine's memory.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise EngineError(
                f"--scheduler {scheduler}: cannot connect ({err}); start 'dask scheduler' there or drop --scheduler"
            ) from None
        with client:
            yield client
        return
    workers = n_workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,  # no dashboard, and the scheduler's HTTP server on a free port
            scheduler_kwargs={"dashboard_address": ":0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


ORDER = ("_order_published", "_order_id")  # where a row's article sits in the loader's order
Tables = pd.DataFrame | tuple[pd.DataFrame, ...]


def _workers(client: Any) -> int:
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
    result = map_function(articles, **options)
    name = getattr(map_function, "__name__", "the map function")
    if isinstance(result, tuple):
        return tuple(_with_article_order(table, articles, name) for table in result)
    return _with_article_order(result, articles, name)


RowOrder = Literal["articles", "article_id"]


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


def _gathered(futures: list[Any]) -> list[Any]:
    """The futures' results in their order, each fetched as soon as it is ready and then released,
    so that the workers do not keep every partition's result until the last one is done."""
    from distributed import as_completed

    position = {future.key: i for i, future in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    completed = as_completed(futures, with_results=True)
    futures.clear()  # as_completed now holds the only references
    for future, result in completed:
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
        ``local`` calls ``map_function`` once on the whole table; ``dask`` once per partition.
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
    if engine not in ENGINES:
        raise EngineError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "local":
        articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
        selected = _selected(articles, columns, query)
        if selected.empty:
            raise EngineError(f"query {query!r} matches no article" if query else "the corpus has no articles")
        return map_function(selected, **options)
    if columns is not None and "published" not in columns:
        columns = [*columns, "published"]  # needed to restore the article order
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(scheduler))
        parts = partitions(corpus, articles_per_partition=articles_per_partition, workers=_workers(client))
        futures = client.map(
            _run_partition, parts, map_function=map_function, columns=columns, options=options, query=query, pure=False
        )
        pieces = [piece for piece in _gathered(futures) if piece is not None]
    if not pieces:
        raise EngineError(f"query {query!r} matches no article" if query else "the corpus has no articles")
    if isinstance(pieces[0], tuple):
        return tuple(_in_article_order([piece[i] for piece in pieces], order) for i in range(len(pieces[0])))
    return _in_article_order(pieces, order)


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
    if engine not in ENGINES:
        raise EngineError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "local":
        articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
        selected = _selected(articles, columns, query)
        return sum_by_keys([map_function(selected, **options) if not selected.empty else None], keys)
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(scheduler))
        parts = partitions(corpus, articles_per_partition=articles_per_partition, workers=_workers(client))
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
    **options: Any,
) -> list[Any]:
    """``function(block, **options)`` for each block, results in the order of ``blocks``.

    For steps whose unit is not a partition of articles but a block the caller cuts (the
    pair step of :func:`analysis.events.group_events`: articles and the window after them).
    With ``dask`` each block is one task, and ``options`` (a vocabulary, say) are sent to every
    worker once.
    """
    if engine not in ENGINES:
        raise EngineError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "local":
        return [function(block, **options) for block in blocks]
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(dask_client(scheduler))
        shared = {name: client.scatter(value, broadcast=True) for name, value in options.items()}
        return _gathered(client.map(function, list(blocks), pure=False, **shared))


# ---------------------------------------------------------------------------
# Maps of this module
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
    from analysis.measures.loaded import group_labels

    labels = group_labels(articles, by)
    return pd.DataFrame({"id": labels.index.to_numpy(), by: labels.to_numpy()})


def without_raw(articles: pd.DataFrame) -> pd.DataFrame:
    """The article table without ``raw`` (the page as read): what ``framing corpus --json`` prints."""
    return articles.drop(columns=[c for c in ("raw",) if c in articles.columns]).reset_index(drop=True)


def article_summary(articles: pd.DataFrame) -> pd.DataFrame:
    """What ``framing corpus`` shows, computed next to the data.

    Returns
    -------
    DataFrame
        ``id``, ``outlet``, ``published``, ``headline``, ``n_tokens``, ``removed_count``
        (number of removals by cleaning), in the order of ``articles``.
    """
    summary = articles.loc[:, ["id", "outlet", "published", "headline", "n_tokens"]].reset_index(drop=True)
    return summary.assign(removed_count=articles["removed"].map(len).to_numpy())


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


def loaded_counts(articles: pd.DataFrame, *, lexicon: str = "default") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map of loaded language: tokens, then lexicon hits and tokens per voice.

    Returns
    -------
    hits : DataFrame
        :func:`analysis.measures.loaded.article_hit_counts` of the articles' hits: ``article_id``,
        ``category``, ``voice``, ``hits``.
    tokens : DataFrame
        :func:`analysis.measures.loaded.voice_token_counts`: ``article_id``, ``voice``, ``tokens``.
    """
    from analysis.lexicons import load_matcher
    from analysis.measures.loaded import article_hit_counts, loaded_hits, voice_token_counts
    from analysis.tokens import tokenize

    tokens = tokenize(articles)
    return article_hit_counts(loaded_hits(tokens, load_matcher(lexicon))), voice_token_counts(tokens)


def loaded_reduce(
    counts: tuple[pd.DataFrame, pd.DataFrame], metadata: pd.DataFrame, *, lexicon: str = "default", **options: Any
) -> pd.DataFrame:
    """The reduce of loaded language: :func:`analysis.measures.loaded.loaded_rates` of
    :func:`loaded_counts`, every category of the lexicon reported (zeros included).
    ``options`` (``by``, ``n_boot``, ``confidence``, ``seed``) are passed on; columns are
    those of ``loaded_rates``."""
    from analysis.lexicons import load_matcher
    from analysis.measures.loaded import loaded_rates

    hits, tokens = counts
    return loaded_rates(hits, tokens, metadata, categories=load_matcher(lexicon).lexicon.categories, **options)


def loaded_kwic(articles: pd.DataFrame, *, lexicon: str = "default") -> pd.DataFrame:
    """Every loaded-term hit in its context (a map: needs ``id``, ``outlet``, ``body``).

    Columns are those of :func:`analysis.measures.loaded.kwic`; rows sorted by article id.
    """
    from analysis.lexicons import load_matcher
    from analysis.measures.loaded import kwic, loaded_hits
    from analysis.tokens import tokenize

    return kwic(loaded_hits(tokenize(articles), load_matcher(lexicon)), articles)


def tone_sums(articles: pd.DataFrame) -> pd.DataFrame:
    """The map of tone: VADER scores of each sentence, summed per article and voice.

    Columns are those of :func:`analysis.measures.tone.article_tone`; rows sorted by article id.
    """
    from analysis.measures.tone import article_tone, sentence_tone
    from analysis.tokens import tokenize

    return article_tone(sentence_tone(articles, tokens=tokenize(articles)))


def tone_reduce(sums: pd.DataFrame, metadata: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """The reduce of tone: :func:`analysis.measures.tone.tone_by_group` of :func:`tone_sums`
    (``options``: ``by``, ``n_boot``, ``confidence``, ``seed``)."""
    from analysis.measures.tone import tone_by_group

    return tone_by_group(sums, metadata, **options)


# ---------------------------------------------------------------------------
# Hashed term counts: bounded memory whatever the vocabulary
# ---------------------------------------------------------------------------

#: Hashed feature space: 2**20 columns keep collisions rare for news vocabularies (~10^5–10^6 words).
N_FEATURES = 2**20


def words_of(text: str) -> list[str]:
    """Word tokens as counted everywhere: ``WORD_PATTERN`` words, lowercased, ’ written as '."""
    return WORD_PATTERN.findall(text.lower().replace("’", "'"))


def _hasher(n_features: int) -> Any:
    """MurmurHash3 of each word into ``n_features`` columns (what ``HashingVectorizer`` uses)."""
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False, dtype=np.int64)


def hashed_term_counts(articles: pd.DataFrame, *, by: str = "outlet", n_features: int = N_FEATURES) -> pd.DataFrame:
    """Token counts per group and hashed term, pooled over ``articles`` (a map for :func:`pool_articles`).

    No vocabulary is built: each word is hashed (scikit-learn's ``FeatureHasher``, as in
    ``HashingVectorizer``: MurmurHash3) into one of ``n_features`` columns, so memory depends on ``n_features`` and
    the partition, not on the corpus. :func:`hashed_term_names` recovers the words.

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``), ``feature`` (hash column), ``count`` (tokens),
        ``documents`` (articles containing it); one row per group and feature present.
    """
    from analysis.measures.loaded import group_labels

    labels = group_labels(articles, by)
    matrix = _hasher(n_features).transform(words_of(body) for body in articles["body"]).tocsr()
    codes, names = pd.factorize(labels, sort=True)
    membership = sparse.csr_matrix(
        (np.ones(len(codes), dtype=np.int64), (codes, np.arange(len(codes)))), shape=(len(names), len(codes))
    )
    counts = (membership @ matrix).tocoo()
    present = matrix.copy()
    present.data[:] = 1
    documents = (membership @ present).tocsr()
    return pd.DataFrame(
        {
            "group": pd.array(np.asarray(names, dtype=object)[counts.row], dtype="str"),
            "feature": counts.col.astype(np.int64),
            "count": counts.data.astype(np.int64),
            "documents": np.asarray(documents[counts.row, counts.col]).ravel().astype(np.int64),
        }
    )


def hashed_term_names(
    articles: pd.DataFrame, *, features: frozenset[int] | Sequence[int], n_features: int = N_FEATURES
) -> pd.DataFrame:
    """The words of ``articles`` that hash to ``features`` (a map for :func:`pool_articles`).

    Returns
    -------
    DataFrame
        ``feature``, ``term``, ``count`` (tokens of that word); one row per word found.
    """
    wanted = np.fromiter(features, dtype=np.int64)
    words = pd.Series([w for body in articles["body"] for w in words_of(body)], dtype="str")
    counts = words.value_counts(sort=False)
    hashed = _hasher(n_features).transform([[w] for w in counts.index]) if len(counts) else sparse.csr_matrix((0, n_features))
    feature = hashed.tocsr().indices.astype(np.int64) if len(counts) else np.array([], dtype=np.int64)
    keep = np.isin(feature, wanted)
    return pd.DataFrame(
        {"feature": feature[keep], "term": pd.array(counts.index[keep], dtype="str"), "count": counts.to_numpy()[keep]}
    )


def pooled_term_counts(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    top: int | None = 100,
    n_features: int = N_FEATURES,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
) -> pd.DataFrame:
    """Pooled term counts per group in bounded memory, with the words of the top terms.

    Two passes over the articles: hashed counts per group summed on the workers
    (:func:`hashed_term_counts`), then, for the ``top`` features of each group by count, the
    words hashing to them (:func:`hashed_term_names`). A feature two words hash to (rare:
    a collision in ``n_features`` columns) is reported once with both words, ``a|b``.

    Parameters
    ----------
    by : str, default="outlet"
        Article column to group by.
    top : int or None, default=100
        Features kept per group (ties at the cut kept); None keeps all (the whole vocabulary).
    n_features : int, default=2**20
        Size of the hashed space.
    engine, scheduler, client, articles_per_partition
        As for :func:`map_articles`.

    Returns
    -------
    DataFrame
        ``group``, ``term``, ``feature``, ``count`` (tokens in the group), ``documents``
        (the group's articles containing it), ``group_tokens`` (all tokens of the group),
        ``share`` (``count / group_tokens``); sorted by group, then count descending, then term.
    """
    run = {"engine": engine, "scheduler": scheduler, "client": client, "articles_per_partition": articles_per_partition}
    with contextlib.ExitStack() as stack:
        if engine == "dask" and client is None:
            run["client"] = stack.enter_context(dask_client(scheduler))
        counts = pool_articles(
            corpus, hashed_term_counts, keys=["group", "feature"], columns=["id", "body", by], by=by, n_features=n_features, **run
        )
        totals = counts.groupby("group")["count"].sum().rename("group_tokens")
        if top is not None:
            threshold = counts.groupby("group")["count"].transform(lambda c: c.nlargest(top).min())
            counts = counts[counts["count"] >= threshold]
        names = pool_articles(
            corpus,
            hashed_term_names,
            keys=["feature", "term"],
            columns=["body"],
            features=frozenset(counts["feature"].tolist()),
            n_features=n_features,
            **run,
        )
    joined_names = names.groupby("feature")["term"].agg(lambda terms: "|".join(sorted(terms)))
    result = counts.assign(term=counts["feature"].map(joined_names).astype("str")).join(totals, on="group")
    result = result.assign(share=result["count"] / result["group_tokens"])
    result = result.sort_values(["group", "count", "term"], ascending=[True, False, True], kind="stable", ignore_index=True)
    return result[["group", "term", "feature", "count", "documents", "group_tokens", "share"]]


# ---------------------------------------------------------------------------
# Candidate pairs of near-identical articles: MinHash signatures (map), LSH buckets (reduce)
# ---------------------------------------------------------------------------

SHINGLE_WORDS = 5
PERMUTATIONS = 128
BANDS = 32
_SHINGLE_BASE = np.uint64(1_000_003)


def minhash_signatures(
    articles: pd.DataFrame, *, permutations: int = PERMUTATIONS, shingle: int = SHINGLE_WORDS, seed: int = 0
) -> pd.DataFrame:
    """MinHash signature of each article's set of ``shingle``-word shingles (a map step).

    Words are those of :func:`words_of`; a shingle's hash combines its words' (pandas'
    fixed-key SipHash) hashes; each of ``permutations`` multiply-shift hash functions, drawn
    from ``seed``, keeps its minimum over the article's shingles. Two articles agree on a
    signature position with probability equal to the Jaccard similarity of their shingle sets.
    Vectorized over all shingles of the table; memory is that of one partition.

    Returns
    -------
    DataFrame
        ``article_id``, then ``m000`` … one int64 column per permutation (values < 2**32);
        an article with fewer than ``shingle`` words has -1 everywhere and is never a candidate.
    """
    lengths = np.array([len(words_of(body)) for body in articles["body"]], dtype=np.int64)
    words = np.array([w for body in articles["body"] for w in words_of(body)], dtype=object)
    hashes = pd.util.hash_array(words) if len(words) else np.zeros(0, dtype=np.uint64)
    shingles_per_article = np.maximum(lengths - shingle + 1, 0)
    starts = np.repeat(np.cumsum(lengths) - lengths, shingles_per_article) + (
        np.arange(shingles_per_article.sum())
        - np.repeat(np.cumsum(shingles_per_article) - shingles_per_article, shingles_per_article)
    )
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps around, as hashing wants
        combined = np.zeros(len(starts), dtype=np.uint64)
        for offset in range(shingle):
            combined = combined * _SHINGLE_BASE + hashes[starts + offset]
        rng = np.random.default_rng(seed)
        multipliers = rng.integers(1, 2**63, size=permutations, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        addends = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)
        signature = np.full((len(articles), permutations), -1, dtype=np.int64)
        has_shingles = shingles_per_article > 0
        if has_shingles.any():
            first = (np.cumsum(shingles_per_article) - shingles_per_article)[has_shingles]
            for k in range(permutations):
                permuted = (combined * multipliers[k] + addends[k]) >> np.uint64(32)
                signature[has_shingles, k] = np.minimum.reduceat(permuted, first).astype(np.int64)
    columns = {f"m{k:03d}": signature[:, k] for k in range(permutations)}
    return pd.DataFrame({"article_id": articles["id"].astype(str).to_numpy(), **columns})


def lsh_pairs(signatures: pd.DataFrame, *, bands: int = BANDS, threshold: float = 0.5) -> pd.DataFrame:
    """Candidate pairs of articles from MinHash signatures (the reduce step).

    Articles whose signatures agree on every row of at least one of ``bands`` bands become
    candidates (locality-sensitive hashing); candidates whose signatures agree on at least
    ``threshold`` of all positions are kept. With 128 permutations in 32 bands of 4, a pair of
    Jaccard similarity 0.5 becomes a candidate with probability 0.87, one of 0.7 with 0.9997.

    Returns
    -------
    DataFrame
        ``article_a``, ``article_b`` (``article_a`` < ``article_b``), ``similarity`` (share
        of equal signature positions: an estimate of the Jaccard similarity of their
        shingle sets), ``bands`` (bands in which they share a bucket); sorted by
        ``article_a``, ``article_b``.
    """
    matrix = signatures.filter(regex=r"^m\d+$").to_numpy()
    ids = signatures["article_id"].to_numpy(dtype=object)
    usable = np.flatnonzero(matrix[:, 0] >= 0) if len(matrix) else np.zeros(0, dtype=np.int64)
    rows_per_band = matrix.shape[1] // bands if bands else 0
    if rows_per_band < 1:
        raise EngineError(f"bands={bands}: must be between 1 and the number of permutations ({matrix.shape[1]})")
    found: list[np.ndarray] = []
    for band in range(bands):
        block = np.ascontiguousarray(matrix[usable, band * rows_per_band : (band + 1) * rows_per_band])
        keys = pd.util.hash_array(block.view(f"V{block.dtype.itemsize * rows_per_band}").ravel().astype(object))
        order = np.argsort(keys, kind="stable")
        bucket_starts = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1]])
        sizes = np.diff(np.r_[bucket_starts, len(order)])
        for start, size in zip(bucket_starts[sizes > 1], sizes[sizes > 1], strict=True):
            members = usable[order[start : start + size]]
            a, b = np.triu_indices(size, k=1)
            found.append(np.stack([members[a], members[b]], axis=1))
    columns = ["article_a", "article_b", "similarity", "bands"]
    if not found:
        return pd.DataFrame({c: pd.Series(dtype="str" if c.startswith("article") else float) for c in columns})
    pairs = np.concatenate(found)
    names = ids[pairs]
    swap = names[:, 0] > names[:, 1]
    pairs[swap] = pairs[swap][:, ::-1]
    pairs, shared = np.unique(pairs, axis=0, return_counts=True)
    similarity = (matrix[pairs[:, 0]] == matrix[pairs[:, 1]]).mean(axis=1)
    keep = similarity >= threshold
    result = pd.DataFrame(
        {
            "article_a": pd.array(ids[pairs[keep, 0]], dtype="str"),
            "article_b": pd.array(ids[pairs[keep, 1]], dtype="str"),
            "similarity": similarity[keep],
            "bands": shared[keep].astype(np.int64),
        }
    )
    return result.sort_values(["article_a", "article_b"], ignore_index=True)


def candidate_pairs(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    threshold: float = 0.5,
    permutations: int = PERMUTATIONS,
    bands: int = BANDS,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
) -> pd.DataFrame:
    """Pairs of articles that share much of their text: the candidate-pair step of event
    grouping and provenance, on either engine.

    Signatures are computed next to the data (:func:`minhash_signatures`, 8 bytes per
    permutation per article reach the client, never the texts); the pairs come from one
    :func:`lsh_pairs`. Columns are those of :func:`lsh_pairs`.
    """
    signatures = map_articles(
        corpus,
        minhash_signatures,
        engine=engine,
        scheduler=scheduler,
        client=client,
        columns=["id", "body"],
        articles_per_partition=articles_per_partition,
        permutations=permutations,
    )
    return lsh_pairs(signatures, bands=bands, threshold=threshold)


# ---------------------------------------------------------------------------
# Keyness in bounded memory: word counts pooled per group on the workers
# ---------------------------------------------------------------------------


def group_term_counts(articles: pd.DataFrame, *, by: str = "outlet", voice: str = "all") -> pd.DataFrame:
    """Word counts per group, pooled over ``articles`` (a map for :func:`pool_articles`).

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``, ``(missing)`` without one), ``term``, ``count``; the sums
        of :func:`analysis.measures.tfidf.term_counts` over each group's articles.
    """
    from analysis.measures.loaded import group_labels as labels_of
    from analysis.measures.tfidf import term_counts
    from analysis.tokens import tokenize

    counts = term_counts(tokenize(articles), voice=voice)
    group = counts["article_id"].map(labels_of(articles, by))
    return counts.assign(group=group.to_numpy()).groupby(["group", "term"], as_index=False, sort=True)["count"].sum()


def group_sizes(articles: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """Articles per group (a map for :func:`pool_articles`).

    Returns
    -------
    DataFrame
        ``group`` (value of ``by``, ``(missing)`` without one), ``articles``.
    """
    from analysis.measures.loaded import group_labels

    sizes = group_labels(articles, by).value_counts()
    return pd.DataFrame({"group": sizes.index.astype(str), "articles": sizes.to_numpy(dtype=np.int64)})


def _pooled_by_group(
    corpus: str | os.PathLike[str] | pd.DataFrame | None, *, by: str, voice: str, run: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Word counts summed per group on the workers, as (pseudo-article counts, pseudo-articles, group sizes)."""
    with contextlib.ExitStack() as stack:
        if run["engine"] == "dask" and run["client"] is None:
            run = run | {"client": stack.enter_context(dask_client(run["scheduler"]))}
        # group sizes pooled on the workers too: only a row per group reaches the client
        sizes = pool_articles(corpus, group_sizes, keys=["group"], columns=["id", by], by=by, **run)
        sizes = sizes.set_index("group")["articles"]
        columns = ["id", "body", by]
        pooled = pool_articles(corpus, group_term_counts, keys=["group", "term"], columns=columns, by=by, voice=voice, **run)
    counts = pooled.rename(columns={"group": "article_id"}).assign(voice=voice)[["article_id", "term", "voice", "count"]]
    groups = pd.DataFrame({"id": sorted(sizes.index), by: sorted(sizes.index)})
    return counts, groups, sizes


def _with_group_sizes(table: pd.DataFrame, sizes: pd.Series) -> pd.DataFrame:
    """Put back the real ``n_articles`` (and so ``small_sample``) of groups counted as pseudo-articles."""
    from analysis.stats import small_sample

    table["n_articles"] = table["group"].map(sizes).astype(np.int64)
    table["small_sample"] = np.asarray(small_sample(table["n_articles"].to_numpy(), table["n_tokens"].to_numpy()), bool)
    return table


def pooled_keyness(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    voice: str = "all",
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
    query: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """:func:`analysis.measures.keyness.keyness` from word counts pooled per group.

    Keyness needs only each group's word counts (and its number of articles), so the workers
    sum :func:`group_term_counts` per group and the client never holds a table of articles ×
    words: memory grows with groups × vocabulary. Each group becomes one pseudo-article for
    ``keyness``, and ``n_articles`` and ``small_sample`` are then set from the real articles.
    The numbers are those of ``keyness`` on the token table.

    Parameters
    ----------
    by, voice, **options
        As for :func:`analysis.measures.keyness.keyness` (``reference``, ``prior_mass``,
        ``prior_counts``, ``stop_words``, ``top``).
    engine, scheduler, client, articles_per_partition, query
        As for :func:`map_articles`.

    Returns
    -------
    DataFrame
        The columns of :func:`analysis.measures.keyness.keyness`.
    """
    from analysis.measures.keyness import keyness

    run = {
        "engine": engine,
        "scheduler": scheduler,
        "client": client,
        "articles_per_partition": articles_per_partition,
        "query": query,
    }
    counts, groups, sizes = _pooled_by_group(corpus, by=by, voice=voice, run=run)
    return _with_group_sizes(keyness(counts, groups, by=by, voice=voice, **options), sizes)


def pooled_top_terms(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    by: str = "outlet",
    voice: str = "all",
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
    query: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """:func:`analysis.measures.tfidf.top_terms` (each group one document) from word counts
    pooled per group on the workers, as :func:`pooled_keyness` does; same numbers and columns.
    ``options``: ``top``, ``stop_words``."""
    from analysis.measures.tfidf import top_terms

    run = {
        "engine": engine,
        "scheduler": scheduler,
        "client": client,
        "articles_per_partition": articles_per_partition,
        "query": query,
    }
    counts, groups, sizes = _pooled_by_group(corpus, by=by, voice=voice, run=run)
    return _with_group_sizes(top_terms(counts, groups, by=by, voice=voice, **options), sizes)


# ---------------------------------------------------------------------------
# Provenance's candidate pairs (shared word shingles), exact, with a distributed self-join
# ---------------------------------------------------------------------------


def shingle_rows(articles: pd.DataFrame, *, shingle_words: int | None = None) -> pd.DataFrame:
    """The distinct word shingles of each article, as provenance counts them (a map step).

    Words and their alignment keys are those of :mod:`analysis.provenance` (stems, spelling
    variants and synonyms mapped to one key); a shingle is a hash of ``shingle_words``
    consecutive keys. Keys are hashed from their text (pandas' fixed-key SipHash), not numbered
    per call as ``provenance.article_words`` does, so that every partition hashes alike.

    Returns
    -------
    DataFrame
        ``article_id``, ``shingle`` (uint64); one row per article and distinct shingle.
    """
    from analysis import provenance

    size = shingle_words or provenance.SHINGLE_WORDS
    words = provenance.article_words(articles)
    surfaces = [s for article in words for s in article.surface]
    codes, uniques = pd.factorize(pd.Series(surfaces, dtype=object)) if surfaces else (np.zeros(0, np.int64), [])
    key_hashes = pd.util.hash_array(np.array([provenance.alignment_key(u) for u in uniques], dtype=object))
    hashes = key_hashes[codes] if len(codes) else np.zeros(0, dtype=np.uint64)
    ids, shingles, offset = [], [], 0
    for article in words:
        keys = hashes[offset : offset + len(article.surface)]
        offset += len(article.surface)
        if len(keys) < size:
            continue
        h = np.zeros(len(keys) - size + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):  # uint64 wrap-around is intended
            for k in range(size):
                h = h * np.uint64(1_000_003) + keys[k : len(keys) - size + 1 + k] + np.uint64(1)
        distinct = np.unique(h)
        shingles.append(distinct)
        ids.append(np.full(len(distinct), article.article_id, dtype=object))
    return pd.DataFrame(
        {
            "article_id": pd.array(np.concatenate(ids) if ids else [], dtype="str"),
            "shingle": np.concatenate(shingles) if shingles else np.zeros(0, dtype=np.uint64),
        }
    )


def _pairs_sharing_shingles(rows: Any, *, min_shingles: int, max_articles_per_shingle: int) -> Any:
    """Pairs sharing ``min_shingles`` shingles, from shingle rows (pandas or dask DataFrame alike)."""
    frequency = rows.groupby("shingle")["article_id"].count().rename("articles").reset_index()
    frequency = frequency[(frequency["articles"] >= 2) & (frequency["articles"] <= max_articles_per_shingle)]
    kept = rows.merge(frequency[["shingle"]], on="shingle")
    pairs = kept.merge(kept, on="shingle", suffixes=("_a", "_b"))
    pairs = pairs[pairs["article_id_a"] < pairs["article_id_b"]]
    shared = pairs.groupby(["article_id_a", "article_id_b"]).size().rename("shared").reset_index()
    return shared[shared["shared"] >= min_shingles]


def reuse_candidate_pairs(
    corpus: str | os.PathLike[str] | pd.DataFrame | None,
    *,
    min_shingles: int | None = None,
    max_articles_per_shingle: int | None = None,
    shingle_words: int | None = None,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_partition: int | None = None,
) -> pd.DataFrame:
    """The candidate-pair step of :mod:`analysis.provenance`, on either engine.

    Pairs of articles sharing at least ``min_shingles`` word shingles, shingles found in more
    than ``max_articles_per_shingle`` articles skipped as boilerplate (provenance's defaults:
    4-word shingles, 3 shared, 500 articles). With ``dask`` the shingles are computed per
    partition (:func:`shingle_rows`) and joined on the workers (a shuffle by shingle), so no
    process holds the articles × shingles matrix; only the pairs reach the client.

    Returns
    -------
    DataFrame
        ``article_a``, ``article_b`` (ids, ``article_a`` < ``article_b``), ``shared``
        (shingles in common); sorted by ``article_a``, ``article_b``. The same pairs and counts
        as ``provenance.candidate_pairs`` (which numbers articles by position).
    """
    from analysis import provenance

    options = {
        "min_shingles": min_shingles or provenance.MIN_SHINGLES,
        "max_articles_per_shingle": max_articles_per_shingle or provenance.MAX_ARTICLES_PER_SHINGLE,
    }
    if engine not in ENGINES:
        raise EngineError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "local":
        articles = corpus if isinstance(corpus, pd.DataFrame) else load_corpus(corpus)
        shared = _pairs_sharing_shingles(shingle_rows(articles, shingle_words=shingle_words), **options)
    else:
        import dask.dataframe as dd

        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(dask_client(scheduler))
            parts = partitions(corpus, articles_per_partition=articles_per_partition, workers=_workers(client))
            meta = pd.DataFrame({"article_id": pd.array([], dtype="str"), "shingle": np.zeros(0, dtype=np.uint64)})
            rows = dd.from_map(_shingles_of_partition, parts, shingle_words=shingle_words, meta=meta, enforce_metadata=False)
            shared = client.compute(_pairs_sharing_shingles(rows, **options)).result()
    shared = shared.rename(columns={"article_id_a": "article_a", "article_id_b": "article_b"})
    shared = shared.astype({"article_a": "str", "article_b": "str", "shared": np.int64})
    return shared.sort_values(["article_a", "article_b"], ignore_index=True)[["article_a", "article_b", "shared"]]


def _shingles_of_partition(partition: Partition, shingle_words: int | None) -> pd.DataFrame:
    return shingle_rows(partition.load(["id", "body"]), shingle_words=shingle_words)


def word_counts(articles: pd.DataFrame, *, voice: str = "all") -> pd.DataFrame:
    """Occurrences of each word in ``articles`` (a map for :func:`pool_articles`; keyness's prior).

    Returns
    -------
    DataFrame
        ``term``, ``count``.
    """
    from analysis.measures.tfidf import term_counts
    from analysis.tokens import tokenize

    return term_counts(tokenize(articles), voice=voice).groupby("term", as_index=False, sort=True)["count"].sum()
