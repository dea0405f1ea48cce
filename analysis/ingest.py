"""Ingest: clean a corpus once into a store, in chunks on Dask workers for a big table.

Cleans with the reader (:func:`analysis.corpus.read_corpus`), keeps the articles the store
does not hold yet (by content hash), and writes one Parquet file per partition through
:mod:`analysis.store`, replacing the manifest last so that a killed ingest leaves the store
readable as it was.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import itertools
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.cluster import dask_client
from analysis.corpus import Problem, csv_records, read_corpus
from analysis.options import Progress, no_progress
from analysis.paths import RAW, SEEDS, resolve_corpus
from analysis.schema import TABLE_SUFFIXES
from analysis.store import (
    FORMAT,
    VERSION,
    StoreError,
    is_store,
    partition_folder,
    read_manifest,
    read_store,
    to_arrow,
    write_manifest,
    write_partition,
)

LOCK = ".ingest.lock"


MANIFEST_PROBLEMS = 200  # problems kept in the ingest log; the IngestResult has them all


TEMP_PREFIX = ".tmp-"


@dataclass
class IngestResult:
    """What one ingest did.

    ``added`` articles were written; ``duplicates`` were already in the store (same content
    hash); ``id_conflicts`` have an id the store already holds with a different body and were
    skipped; ``files`` are the new Parquet files, relative to the store.
    """

    store: str
    ingest_id: str
    source: str
    added: int
    duplicates: int
    id_conflicts: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    """Hold the store's ingest lock; the OS releases it if the process dies."""
    with (store / LOCK).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{store}: another ingest is running; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(store: Path, manifest: dict[str, Any]) -> None:
    """Delete what a crashed ingest left: its temporary folder and files it moved but never committed."""
    for temporary in store.glob(f"{TEMP_PREFIX}*"):
        shutil.rmtree(temporary, ignore_errors=True)
    committed = {entry["path"] for entry in manifest["files"]}
    for path in store.glob("outlet=*/month=*/part-*.parquet"):
        if path.relative_to(store).as_posix() not in committed:
            path.unlink()


def _check_target(store: Path, source: Path) -> None:
    if store.is_relative_to(RAW.resolve()) or store.is_relative_to(SEEDS.resolve()):
        raise StoreError(f"--to {store}: data/raw and seeds/ are never written; choose a folder such as data/interim/store")
    if source.is_dir() and store.is_relative_to(source):
        raise StoreError(f"--to {store}: inside the corpus folder {source}, which is never written; choose another folder")
    if store.exists() and not store.is_dir():
        raise StoreError(f"--to {store}: a file, not a folder; choose a new or existing store folder")
    if store.is_dir() and not is_store(store) and any(store.iterdir()):
        raise StoreError(f"--to {store}: a folder that is not empty and not a framing store; choose a new or empty folder")


CLEAN = "clean"  # temporary: cleaned chunks, split by partition


SPLIT = "source"  # temporary: chunks of a source table


ROW_REFERENCE = re.compile(r"^(?P<name>\S+) row (?P<line>\d+)$")


@dataclass(frozen=True)
class Chunk:
    """Part of the corpus cleaned by one task: a corpus path, and where its rows start in the source."""

    number: int
    path: str
    source: str
    offset: int = 0


def _split_table(source: Path, folder: Path, rows: int) -> list[Chunk]:
    """Cut a CSV, JSONL or Parquet table into tables of ``rows`` rows of the same format."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = source.suffix.lower()
    chunks: list[Chunk] = []

    def add(write: Any) -> None:
        path = folder / f"chunk-{len(chunks):06d}{suffix}"
        write(path)
        chunks.append(Chunk(len(chunks), str(path), str(source), offset))

    offset = 0
    if suffix == ".parquet":
        for batch in pq.ParquetFile(source).iter_batches(batch_size=rows):
            add(lambda path, batch=batch: pq.write_table(pa.Table.from_batches([batch]), path))
            offset += batch.num_rows
    elif suffix == ".csv":  # records as they are, bad ones too, so that the loader reports each one by its row
        with source.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            records = csv_records(handle)
            header = next(records, None)
            while header is not None and (part := list(itertools.islice(records, rows))):
                add(lambda path, part=part: _write_records(path, [header, *part]))
                offset += len(part)
    else:  # JSONL: lines as they are, so that bad lines are reported by the loader
        with source.open(encoding="utf-8") as handle:
            while lines := list(itertools.islice(handle, rows)):
                add(lambda path, lines=lines: path.write_text("".join(lines), encoding="utf-8"))
                offset += len(lines)
    return chunks


def _write_records(path: Path, records: list[list[str]]) -> None:
    """CSV records written back byte for byte (``surrogateescape`` keeps bytes that are not UTF-8)."""
    with path.open("w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        csv.writer(handle).writerows(records)


def _relocate(text: str | None, chunk: Chunk) -> str | None:
    """A chunk's row reference (``chunk-000003.csv row 5``) as one of the source table."""
    if text is None or chunk.path == chunk.source:
        return text
    if text == chunk.path:
        return chunk.source
    match = ROW_REFERENCE.match(text)
    if match and match["name"] == Path(chunk.path).name:
        return f"{Path(chunk.source).name} row {int(match['line']) + chunk.offset}"
    return text


def clean_chunk(chunk: Chunk, folder: str, options: dict[str, Any]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Clean one chunk and write its articles, split by partition, under ``folder``.

    Returns
    -------
    keys : DataFrame
        ``id``, ``hash``, ``outlet``, ``month``, ``chunk`` of the cleaned articles, in order.
    problems : list of dict
        The loader's problems, located in the source table (not the chunk).
    """
    articles, problems = read_corpus(chunk.path, **options, jobs=1)  # the engine runs chunks in parallel
    shift = chunk.offset if chunk.path != chunk.source else 0
    located = [
        asdict(p) | {"source": _relocate(p.source, chunk), "line": p.line + shift if p.line is not None else None}
        for p in problems
    ]
    if articles.empty:
        return pd.DataFrame(columns=["id", "hash", "outlet", "month", "chunk"]), located
    articles["source"] = [_relocate(text, chunk) for text in articles["source"]]
    months = articles["published"].dt.strftime("%Y-%m")
    for (outlet, month), part in articles.groupby([articles["outlet"], months], sort=True):
        path = Path(folder) / partition_folder(outlet, month) / f"chunk-{chunk.number:06d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(to_arrow(part), path)
    keys = articles[["id", "hash", "outlet"]].assign(month=months.to_numpy(), chunk=chunk.number)
    return keys.reset_index(drop=True), located


def write_store_partition(folder: str, relative: str, keep: dict[int, list[str]], target: str) -> int:
    """Gather the kept articles of one partition from its cleaned chunks into one file.

    ``keep`` maps a chunk number to the ids kept from it. Returns the number of articles.
    """
    tables = []
    for number, ids in sorted(keep.items()):
        table = pq.read_table(Path(folder) / relative / f"chunk-{number:06d}.parquet")
        tables.append(table.filter(pc.is_in(table["id"], pa.array(ids, pa.string()))))
    table = pa.concat_tables(tables, promote_options="permissive")
    table = table.sort_by([("published", "ascending"), ("id", "ascending")])
    write_partition(table, Path(target))
    return table.num_rows


def _new_articles(keys: pd.DataFrame, existing: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Which cleaned articles to add: masks ``new``, ``known`` (hash stored), ``conflict``
    (id stored with another body) and ``repeated`` (hash or id seen earlier in this ingest)."""
    known = keys["hash"].isin(set(existing["hash"]))
    conflict = ~known & keys["id"].isin(set(existing["id"]))
    repeated = ~known & ~conflict & (keys["hash"].duplicated() | keys["id"].duplicated())
    return ~known & ~conflict & ~repeated, known, conflict, repeated


def ingest(
    corpus: str | os.PathLike[str] | None,
    store: str | os.PathLike[str],
    *,
    engine: Literal["local", "dask"] = "local",
    scheduler: str | None = None,
    client: Any = None,
    chunk_rows: int = 5_000,
    progress: Progress = no_progress,
    **options: Any,
) -> IngestResult:
    """Add the cleaned articles of ``corpus`` to the Parquet store ``store``.

    Articles whose content ``hash`` the store already holds are skipped, so ingesting the
    same corpus twice adds nothing; an article whose id the store holds with another body is
    skipped and named in ``id_conflicts``. New articles go into new files (one per outlet
    and month), existing files are never rewritten, and the manifest is replaced last, so
    an interrupted ingest leaves the store as it was.

    Parameters
    ----------
    corpus : str or path, optional
        Any corpus :func:`analysis.corpus.load_corpus` reads (a store too); None: the seeds.
    store : str or path
        The store folder; created when missing. Never inside data/raw, seeds/ or the corpus.
    engine : {"local", "dask"}, default="local"
        ``dask`` cleans a CSV/JSONL/Parquet table in chunks of ``chunk_rows`` rows on Dask
        workers (a folder corpus is cleaned here either way). Chunks are cleaned
        independently: glued words are repaired with the chunk's vocabulary, and
        near-duplicates are reported within a chunk; exact duplicates and repeated ids are
        found across the whole ingest.
    scheduler, client
        As for :func:`analysis.engine.map_articles`.
    chunk_rows : int, default=5000
        Rows of the source table per cleaning task (``dask`` only).
    progress : callable, default=no_progress
        Passed the articles as they are cleaned (``local``) or the chunks (``dask``), then the
        partitions as they are written, as ``tqdm`` is (see :class:`analysis.options.Progress`).
    **options
        Passed to :func:`analysis.corpus.read_corpus` (``min_tokens``, ``near_duplicate``).

    Returns
    -------
    IngestResult

    Raises
    ------
    StoreError
        When ``store`` may not be written (see above) or another ingest holds its lock.
    """
    source = resolve_corpus(corpus)
    root = Path(store).expanduser().resolve()
    _check_target(root, source)
    if engine not in ("local", "dask"):
        raise StoreError(f"engine={engine!r}: choose 'local' or 'dask'")
    root.mkdir(parents=True, exist_ok=True)
    if not is_store(root):
        write_manifest(root, {"format": FORMAT, "version": VERSION, "files": [], "ingests": []})
    ingest_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    temporary = root / f"{TEMP_PREFIX}{ingest_id}"
    moved: list[Path] = []
    with _locked(root), contextlib.ExitStack() as stack:
        manifest = read_manifest(root)
        _remove_leftovers(root, manifest)
        try:
            chunked = engine == "dask" and source.is_file() and source.suffix.lower() in TABLE_SUFFIXES
            chunks = _split_table(source, temporary / SPLIT, chunk_rows) if chunked else [Chunk(0, str(source), str(source))]
            clean_folder = str(temporary / CLEAN)
            if engine == "dask":
                if client is None:
                    client = stack.enter_context(dask_client(scheduler))
                from distributed import as_completed  # imported here: only the dask engine needs it

                futures = client.map(clean_chunk, chunks, folder=clean_folder, options=options, pure=False)
                for _ in progress(as_completed(futures), desc="cleaning chunks", total=len(futures)):
                    pass
                cleaned = client.gather(futures)
            else:
                cleaned = [clean_chunk(chunk, clean_folder, options | {"progress": progress}) for chunk in chunks]
            keys = pd.concat([k for k, _ in cleaned], ignore_index=True)
            problems = [Problem(**p) for _, found in cleaned for p in found]
            existing = read_store(root, columns=["id", "hash"]) if manifest["files"] else pd.DataFrame(columns=["id", "hash"])
            new, known, conflict, repeated = _new_articles(keys, existing)
            problems += [
                Problem(
                    root.name,
                    f"article {i!r} repeats an earlier article of this ingest (same id or body); skipped",
                    "Remove one of the two rows",
                    "warning",
                    article_id=i,
                )
                for i in keys.loc[repeated, "id"]
            ]
            kept = keys[new]
            jobs = []
            for (outlet, month), part in kept.groupby(["outlet", "month"], sort=True):
                relative = f"{partition_folder(outlet, month)}/part-{ingest_id}.parquet"
                keep = {int(n): ids["id"].tolist() for n, ids in part.groupby("chunk")}
                jobs.append((relative, outlet, month, keep))
            arguments = [(clean_folder, partition_folder(o, m), keep, str(temporary / relative)) for relative, o, m, keep in jobs]
            if engine == "dask":
                rows = client.gather([client.submit(write_store_partition, *args, pure=False) for args in arguments])
            else:
                rows = [write_store_partition(*args) for args in progress(arguments, desc="writing", total=len(arguments))]
            entries = [
                {"path": relative, "rows": int(n), "outlet": outlet, "month": month, "ingest": ingest_id}
                for (relative, outlet, month, _), n in zip(jobs, rows, strict=True)
            ]
            for entry in entries:
                target = root / entry["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temporary / entry["path"], target)
                moved.append(target)
            record = {
                "id": ingest_id,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "source": str(source),
                "engine": engine,
                "added": int(new.sum()),
                "duplicates": int(known.sum()),
                "id_conflicts": keys.loc[conflict, "id"].tolist(),
                "problem_counts": {kind: sum(p.severity == kind for p in problems) for kind in ("error", "warning")},
                "problems": [asdict(p) for p in problems[:MANIFEST_PROBLEMS]],
            }
            write_manifest(root, manifest | {"files": manifest["files"] + entries, "ingests": [*manifest["ingests"], record]})
        except BaseException:
            for path in moved:  # not in the manifest: nobody reads them
                path.unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    return IngestResult(
        store=str(root),
        ingest_id=ingest_id,
        source=str(source),
        added=record["added"],
        duplicates=record["duplicates"],
        id_conflicts=record["id_conflicts"],
        files=[entry["path"] for entry in entries],
        problems=problems,
    )
