"""Reading a corpus source into the article table, and validating it.

A corpus is either

* a folder with ``manifest.csv`` (columns ``file``, ``outlet``, ``published``; optional
  ``title``, ``dek``, ``url``, ``event``, ``language``; any other column is kept as metadata) and
  article files ``.txt``, ``.md`` or ``.html`` (in the folder or below it, as ``html/`` of
  a fetched import); a row with a ``url`` and no ``file`` is a page ``framing fetch`` has not
  downloaded yet (reported, not loaded); the folder may carry an ``outlets.yaml`` that adds or
  overrides outlet profiles; or
* one table file, CSV, JSONL or Parquet, with columns ``id``, ``outlet``, ``published``,
  ``text`` and optionally ``title``, ``dek``, ``url``, ``event``.

The loader never writes anything next to the corpus.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import clean, paths
from analysis.options import Progress, no_progress
from analysis.outlets import OutletProfile, canonical_outlet, closest_outlet, load_profiles
from analysis.paths import PACKAGE_DIR, corpus_fingerprint, decode_bytes, hash_files, resolve_corpus, write_atomic
from analysis.schema import ARTICLE_COLUMNS, STORE_MARKER, TABLE_SUFFIXES
from analysis.tokens import count_words, shingle_hashes, word_character_runs

#: Articles whose cleaned body has fewer words are skipped as near-empty (``--min-words``).
MIN_WORDS = 25
MANIFEST = "manifest.csv"
PROFILES_FILE = "outlets.yaml"
MANIFEST_REQUIRED = ("file", "outlet", "published")
TABLE_REQUIRED = ("id", "outlet", "published", "text")
OPTIONAL = ("title", "dek", "url", "event", "language")
ARTICLE_KINDS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html"}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")

Severity = Literal["error", "warning"]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a corpus, located as precisely as possible.

    ``error`` means the article (or the whole corpus) cannot be used; ``warning`` means
    it was used but should be checked.
    """

    source: str
    message: str
    hint: str
    severity: Severity = "error"
    line: int | None = None
    field: str | None = None
    article_id: str | None = None

    @property
    def kind(self) -> str:
        """The message with its particulars (quoted names, numbers, paths, asides) taken out:
        problems of one kind share it, so that a long list can be shown grouped."""
        text = re.sub(r"\s*\([^()]*\)", "", re.sub(r"\s*\([^()]*\)", "", self.message))
        text = re.sub(r"'[^']*'|\"[^\"]*\"|\S*/\S*|\S+\.\w+ (?:row|line) \d+", "…", text)
        return f"{self.severity}: " + re.sub(r"(?<![\w-])\d[\d,.]*%?", "N", text).strip()

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{self.severity}: {where}: {self.message}. {self.hint}"


class CorpusError(ValueError):
    """The corpus cannot be read at all; ``problems`` says why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class CorpusWarning(UserWarning):
    """Some articles were skipped or need checking."""


@dataclass
class _Entry:
    """An article as listed by its source, before cleaning."""

    id: str
    outlet: str
    published: str
    source: str
    line: int | None
    raw: str = ""
    kind: str = "txt"
    encoding: str = "utf-8"
    title: str = ""
    dek: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


#: Columns the loader computes: a source's own column of that name is kept as ``meta_<name>``.
COMPUTED_COLUMNS = frozenset(ARTICLE_COLUMNS) - {"id", "outlet", "published", "url", "event", "language", "country", "ownership"}


def _undo_mojibake(value: str) -> str:
    """Text decoded as UTF-8 with ``surrogateescape`` whose bad bytes are really cp1252, decoded so."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("cp1252")
    except UnicodeDecodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def csv_records(lines: Iterable[str]) -> Iterator[list[str]]:
    """The records of CSV text (lines decoded with ``surrogateescape``), blank rows left out.

    The unit a spreadsheet numbers as a row (a cell may span lines); the reader and the
    chunked ingest both count rows with it. Raises :class:`csv.Error` on broken quoting.
    """
    import csv

    for cells in csv.reader(lines, strict=False):
        if any(cell.strip() for cell in cells):
            yield cells


#: A byte that was not UTF-8, as ``surrogateescape`` decodes it.
_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")


def _csv_rows(path: Path, problems: list[Problem]) -> tuple[list[str], list[tuple[int, dict[str, str]]]] | None:
    """Header and ``(row number, row)`` of a CSV file, reading on past bad rows.

    Rows are numbered as a spreadsheet shows them: the header is row 1, blank rows are not
    counted (a cell may hold several lines).

    A row with more cells than the header is skipped with an error naming its line; a row
    with fewer gets empty cells. Bytes that are not UTF-8 are decoded as cp1252 in that row
    only, with a warning. Returns None (and an error) when the file has no header.
    """
    import csv

    with path.open("rb") as file:
        binary = b"\x00" in file.read(8192)
    if binary:
        problems.append(Problem(str(path), "is a binary file, not CSV", "Save it as UTF-8 CSV with a header row"))
        return None
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    line = 0
    # Read line by line: the file's bytes, its text and its lines are never held whole beside the cells.
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        try:
            for cells in csv_records(text):
                line += 1
                if any(map(_SURROGATE_ESCAPE.search, cells)):
                    cells = [_undo_mojibake(cell) for cell in cells]
                    problems.append(
                        Problem(
                            str(path),
                            "not UTF-8; this row decoded as cp1252 (Windows-1252)",
                            "Re-save the file as UTF-8",
                            "warning",
                            line,
                        )
                    )
                if header is None:
                    header = [cell.strip().lower() for cell in cells]
                    continue
                if len(cells) > len(header):
                    problems.append(
                        Problem(
                            str(path),
                            f"{len(cells)} cells where the header has {len(header)}; row skipped",
                            "Quote cells that contain commas, or remove the extra cells",
                            line=line,
                        )
                    )
                    continue
                rows.append((line, dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=True))))
        except csv.Error as err:
            problems.append(Problem(str(path), f"cannot be read as CSV after row {line} ({err})", "Fix the quoting"))
    if header is None:
        problems.append(Problem(str(path), "is empty", "Save it as UTF-8 CSV with a header row"))
        return None
    return header, rows


def _jsonl_records(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file with their line numbers; bad lines are skipped one by one."""
    records = []
    for number, data in enumerate(path.read_bytes().splitlines(), start=1):
        if not data.strip():
            continue
        try:
            text, encoding = decode_bytes(data)
            record = json.loads(text)
        except UnicodeDecodeError as err:
            problems.append(Problem(str(path), f"undecodable bytes ({err.reason})", "Re-save the file as UTF-8", line=number))
            continue
        except json.JSONDecodeError as err:
            problems.append(Problem(str(path), f"not valid JSON ({err.msg})", "Fix or remove the line", line=number))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(str(path), "not a JSON object", "Write one object per line", line=number))
            continue
        if encoding == "cp1252":
            problems.append(Problem(str(path), "not UTF-8; decoded as cp1252", "Re-save the file as UTF-8", "warning", number))
        records.append(record | {"__line__": number})
    return records


def _as_text(value: Any) -> Any:
    """A metadata value as the loader keeps it: text (as a CSV gives it), or None when missing."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _metadata(
    row: dict[str, Any], used: tuple[str, ...], source: str, problems: list[Problem], renamed: set[str]
) -> dict[str, Any]:
    """The metadata of a source row: every column not in ``used``, as text, renamed where it
    would replace a column the loader computes (warned once per column in ``renamed``)."""
    fields = {}
    for key, value in row.items():
        if key in used or key == "__line__":
            continue
        if key in COMPUTED_COLUMNS:
            if key not in renamed:
                renamed.add(key)
                problems.append(
                    Problem(
                        source,
                        f"column {key!r} is one the loader computes; the source's own is kept as 'meta_{key}'",
                        "Rename the column if that is not what you want"
                        + (" (the headline goes in 'title')" if key == "headline" else ""),
                        severity="warning",
                        field=key,
                    )
                )
            key = f"meta_{key}"
        fields[key] = _as_text(value)
    return fields


def _read_manifest(folder: Path, problems: list[Problem]) -> list[_Entry]:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        problems.append(
            Problem(
                str(folder),
                f"no {MANIFEST} in the folder",
                f"Add {MANIFEST} with columns {', '.join(MANIFEST_REQUIRED)} and a row per article file",
            )
        )
        return []
    read = _csv_rows(manifest, problems)
    if read is None:
        return []
    header, table = read
    missing = [c for c in MANIFEST_REQUIRED if c not in header]
    if missing:
        problems.append(
            Problem(
                str(manifest),
                f"missing column(s) {', '.join(missing)}",
                f"The header must include {', '.join(MANIFEST_REQUIRED)}",
                field=missing[0],
            )
        )
        return []

    root = folder.resolve()
    entries: list[_Entry] = []
    listed: set[Path] = set()
    renamed: set[str] = set()
    for line, row in table:
        row = _with_title(row)
        name = row["file"].strip()
        path = (folder / name).resolve()
        where = str(manifest)
        if not name and row.get("url", "").strip():  # listed by `framing import`, page not downloaded yet
            problems.append(
                Problem(
                    where,
                    f"not fetched yet (only its url, {row['url'].strip()})",
                    f"Run 'framing fetch {folder}' to download it, or delete the row",
                    line=line,
                    field="file",
                )
            )
            continue
        if not name:
            problems.append(Problem(where, "empty file name", "Name the article file or delete the row", line=line, field="file"))
            continue
        if not path.is_relative_to(root):
            problems.append(
                Problem(
                    where,
                    f"path {name!r} leaves the corpus folder",
                    "Copy the file into the corpus folder and name it relative to it",
                    line=line,
                    field="file",
                )
            )
            continue
        listed.add(path)
        entry = _Entry(
            id=Path(name).stem,
            outlet=row["outlet"].strip(),
            published=row["published"].strip(),
            source=f"{folder / name} ({MANIFEST} line {line})",
            line=line,
            title=row.get("title", "").strip(),
            dek=row.get("dek", "").strip(),
            fields=_metadata(row, (*MANIFEST_REQUIRED, "title", "dek"), str(manifest), problems, renamed),
        )
        if path.suffix.lower() not in ARTICLE_KINDS:
            problems.append(
                Problem(
                    where,
                    f"{name!r} is not a .txt, .md or .html file",
                    "Convert it to one of those formats",
                    line=line,
                    field="file",
                    article_id=entry.id,
                )
            )
            continue
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            problems.append(
                Problem(
                    where,
                    f"file {name!r} does not exist",
                    "Check the name (case matters) or delete the row",
                    line=line,
                    field="file",
                    article_id=entry.id,
                )
            )
            continue
        except OSError as err:
            problems.append(
                Problem(
                    where,
                    f"file {name!r} cannot be read ({err.strerror})",
                    "Check its permissions",
                    line=line,
                    field="file",
                    article_id=entry.id,
                )
            )
            continue
        try:
            entry.raw, entry.encoding = decode_bytes(data)
        except UnicodeDecodeError as err:
            problems.append(
                Problem(
                    str(path),
                    f"undecodable bytes at offset {err.start} ({err.reason}); tried {', '.join(ENCODINGS)}",
                    "Re-save the article as UTF-8 text, or remove the row if it is not an article",
                    article_id=entry.id,
                )
            )
            continue
        if entry.encoding == "cp1252":
            problems.append(
                Problem(
                    str(path),
                    "not UTF-8; decoded as cp1252 (Windows-1252)",
                    "Check its accented letters and quotes, and re-save it as UTF-8",
                    severity="warning",
                    article_id=entry.id,
                )
            )
        entry.kind = ARTICLE_KINDS[path.suffix.lower()]
        entries.append(entry)

    for path in sorted(folder.iterdir()):
        documentation = path.stem.isupper()  # README.md, SOURCES.md and the like
        if path.suffix.lower() in ARTICLE_KINDS and path.resolve() not in listed and not documentation:
            problems.append(
                Problem(
                    str(path),
                    f"not listed in {MANIFEST}, so not loaded",
                    f"Add a row for it to {MANIFEST} if it is an article",
                    severity="warning",
                )
            )
    return entries


def _table_records(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]] | None:
    """``(line or row number, record)`` of a CSV, JSONL or Parquet table; None when it cannot be read at all."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        read = _csv_rows(path, problems)
        return None if read is None else read[1]
    if suffix in (".jsonl", ".ndjson"):
        return [(record.pop("__line__"), record) for record in _jsonl_records(path, problems)]
    if suffix == ".parquet":
        try:
            table = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises many kinds for a damaged or foreign file
            problems.append(
                Problem(str(path), f"cannot be read as Parquet ({type(err).__name__})", "Check that the file is a Parquet table")
            )
            return None
        table.columns = [str(c) for c in table.columns]
        return list(enumerate(table.to_dict("records"), start=1))
    problems.append(
        Problem(
            str(path),
            f"unsupported corpus file type {suffix!r}",
            f"Give a folder with {MANIFEST}, or a {', '.join(TABLE_SUFFIXES)} table",
        )
    )
    return None


def _with_title(row: dict[str, Any]) -> dict[str, Any]:
    """Lower-case keys; a ``headline`` column is the title when there is no ``title``."""
    row = {str(k).strip().lower(): v for k, v in row.items()}
    if "title" not in row and "headline" in row:
        row["title"] = row.pop("headline")
    return row


def _read_table(path: Path, problems: list[Problem]) -> list[_Entry]:
    records = _table_records(path, problems)
    if records is None:
        return []
    columns = set(_with_title(records[0][1])) if records else set()
    missing = [c for c in TABLE_REQUIRED if c not in columns]
    if missing:
        problems.append(
            Problem(
                str(path),
                f"missing column(s) {', '.join(missing)}",
                f"The table needs {', '.join(TABLE_REQUIRED)}",
                field=missing[0],
            )
        )
        return []
    entries = []
    renamed: set[str] = set()
    for line, record in records:
        row = _with_title(record)
        published = row.get("published")
        published = published.date().isoformat() if hasattr(published, "date") else (_as_text(published) or "").strip()
        entries.append(
            _Entry(
                id=(_as_text(row.get("id")) or "").strip(),
                outlet=(_as_text(row.get("outlet")) or "").strip(),
                published=published,
                source=f"{path.name} row {line}",
                line=line,
                raw=_as_text(row.get("text")) or "",
                title=(_as_text(row.get("title")) or "").strip(),
                dek=(_as_text(row.get("dek")) or "").strip(),
                fields=_metadata(row, (*TABLE_REQUIRED, "title", "dek"), str(path), problems, renamed),
            )
        )
    return entries


# ---------------------------------------------------------------------------
# Cleaning and checks
# ---------------------------------------------------------------------------


def _text_of(entry: _Entry) -> tuple[str, str]:
    """Plain text and a title found in the markup (or "")."""
    if entry.kind == "html":
        import trafilatura  # imported here: only HTML corpora need it

        text = trafilatura.extract(entry.raw, include_comments=False, include_tables=False, favor_precision=True) or ""
        metadata = trafilatura.extract_metadata(entry.raw)
        return text, (metadata.title or "") if metadata else ""
    if entry.kind == "md":
        return clean.markdown_to_text(entry.raw)
    return entry.raw, ""


_SHINGLE_WORD = re.compile(r"\w\w+")  # scikit-learn's default token pattern (its \b…\b changes no match, only the speed)
SHINGLE_SIZE = 5
#: MinHash functions per text; the bands × rows split is chosen per threshold (:func:`_lsh_rows`).
MINHASH_FUNCTIONS = 64
#: The recall in theory of pairs at the threshold the banding is chosen for.
LSH_RECALL = 0.99


def _shingle_chunks(bodies: list[str], *, chunk: int = 500) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(text numbers, shingle hashes)`` of the 5-word shingles (lowercased) of each text, ``chunk`` texts at a time.

    Words are numbered over all texts (in order of first appearance) and each run of five
    numbers is hashed to 64 bits in numpy, so no string is built per shingle and only a
    chunk's words are held at a time. A shingle seen twice in a text comes twice.
    """
    vocabulary: dict[str, int] = {}
    for first in range(0, len(bodies), chunk):
        # the words of _SHINGLE_WORD, numbered in order of first appearance (Arrow's dictionary order)
        words, counts = word_character_runs([body.lower() for body in bodies[first : first + chunk]])
        encoded = words.dictionary_encode()
        local = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        distinct = encoded.dictionary.to_pylist()
        numbers = np.array([vocabulary.setdefault(word, len(vocabulary)) for word in distinct], dtype=np.uint64)
        starts = np.flatnonzero(np.arange(local.size) + SHINGLE_SIZE <= np.repeat(np.cumsum(counts), counts))
        hashes = shingle_hashes(numbers[local] if local.size else local, SHINGLE_SIZE, starts=starts)
        yield np.repeat(np.arange(first, first + counts.size), counts)[starts], hashes


def _shingle_sets(bodies: list[str], *, chunk: int = 500) -> sp.csr_matrix:
    """Binary texts × shingles matrix of the 5-word shingles (lowercased) of each text
    (:func:`_shingle_chunks`); each row's columns are sorted."""
    rows, hashes = zip(*_shingle_chunks(bodies, chunk=chunk), strict=True) if bodies else ((), ())
    columns, distinct_shingles = pd.factorize(np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64))
    matrix = sp.csr_matrix(
        (np.ones(columns.size, dtype=np.int32), (np.concatenate(rows) if rows else columns, columns)),
        shape=(len(bodies), max(len(distinct_shingles), 1)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1  # a shingle seen twice in a text counts once
    return matrix


def _lsh_rows(threshold: float, functions: int = MINHASH_FUNCTIONS) -> int:
    """Rows per band: the most (fewest false candidates) that still find a pair at ``threshold``
    with probability ≥ ``LSH_RECALL``, which is ``1 - (1 - threshold**rows) ** (functions // rows)``.

    Examples
    --------
    >>> _lsh_rows(0.8), MINHASH_FUNCTIONS // _lsh_rows(0.8)  # recall at 0.8: 1 - (1 - 0.8**5)**12 = 0.991
    (5, 12)
    """
    fitting = [r for r in range(1, functions + 1) if 1 - (1 - threshold**r) ** (functions // r) >= LSH_RECALL]
    return max(fitting, default=1)


def _minhash_signatures(bodies: list[str], functions: int) -> tuple[np.ndarray, np.ndarray]:
    """Texts × ``functions`` MinHash signature (uint64) of each text's shingle set, and the sets' sizes.

    Per hash function, the least hash of a text's distinct shingles: each shingle's 64-bit
    hash is first scrambled by splitmix64's finaliser, then hashed by ``a * x + b`` modulo
    2**64 (fixed seed, ``a`` odd), whose high bits, the ones that decide a minimum, order the
    shingles as a random permutation would. Texts without shingles get the largest value.
    Texts are read 500 at a time (:func:`_shingle_chunks`), so memory holds the signatures
    and one chunk's shingles, never the corpus's.
    """
    rng = np.random.default_rng(20)
    multipliers = rng.integers(0, 2**63, size=functions, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    offsets = rng.integers(0, 2**63, size=functions, dtype=np.uint64)
    signatures = np.full((len(bodies), functions), np.iinfo(np.uint64).max, dtype=np.uint64)
    sizes = np.zeros(len(bodies), dtype=np.int64)
    for rows, hashes in _shingle_chunks(bodies):
        order = np.lexsort((hashes, rows))
        rows, hashes = rows[order], hashes[order]
        distinct = np.r_[True, (rows[1:] != rows[:-1]) | (hashes[1:] != hashes[:-1])] if rows.size else rows.astype(bool)
        rows, scrambled = rows[distinct], hashes[distinct]
        sizes += np.bincount(rows, minlength=len(bodies))
        with np.errstate(over="ignore"):
            for shift, multiplier in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
                scrambled = (scrambled ^ (scrambled >> np.uint64(shift))) * np.uint64(multiplier)
            scrambled ^= scrambled >> np.uint64(31)
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else rows
            for k in range(functions):
                signatures[rows[starts], k] = np.minimum.reduceat(scrambled * multipliers[k] + offsets[k], starts)
    return signatures, sizes


def _pairs_within_groups(order: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Every pair (as ``i * n + j``, ``i < j``) of the items ``order`` whose sorted ``keys`` are equal."""
    n_items = order.size
    group_start = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    group_end = np.r_[group_start[1:], n_items]
    sizes = group_end - group_start
    group_of = np.repeat(np.arange(group_start.size), sizes)
    later = group_end[group_of] - np.arange(n_items) - 1  # items after each one in its group
    first = np.repeat(np.arange(n_items), later)
    # The k-th partner of item p is item p + 1 + k: k counts up within each run of ``first``.
    run_starts = np.repeat(np.cumsum(later) - later, later)
    second = first + 1 + np.arange(first.size) - run_starts
    i, j = order[first], order[second]
    return np.minimum(i, j).astype(np.int64) * np.int64(len(order)) + np.maximum(i, j)


def _shingle_jaccard_pairs(bodies: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs of texts whose 5-word shingle sets have Jaccard similarity ≥ threshold.

    MinHash with locality-sensitive banding proposes candidates (pairs agreeing on all rows of
    some band; :func:`_lsh_rows` sets the banding so a pair at the threshold is proposed with
    probability ≥ 0.99, more similar pairs more surely), candidates whose signatures agree far
    less than the threshold are dropped, and each remaining candidate's exact Jaccard
    similarity decides, so no pair below the threshold is reported. Time and memory grow with
    the texts and the candidates, not with all pairs; the corpus's shingles are never held
    whole, only the signatures and the likely pairs' own texts' shingles.
    """
    if len(bodies) < 2:
        return []
    rows = _lsh_rows(threshold)
    signatures, sizes = _minhash_signatures(bodies, rows * (MINHASH_FUNCTIONS // rows))
    filled = np.flatnonzero(sizes > 0)  # a text under five words has no shingles and no near-duplicate
    if filled.size < 2:
        return []
    signatures = signatures[filled]
    # The share of equal signature values estimates a pair's similarity: a pair at the threshold
    # falls five standard errors below it with probability under 1e-6, so candidates under that
    # (texts that only share their subject: many in a corpus of one event) go before the exact
    # check, band by band, so that memory holds one band's candidates at a time.
    functions = signatures.shape[1]
    floor = threshold - 5 * np.sqrt(threshold * (1 - threshold) / functions)
    likely = []
    for band in range(MINHASH_FUNCTIONS // rows):  # a band's rows hashed to one key; equal keys are candidates
        keys = shingle_hashes(signatures[:, band * rows : (band + 1) * rows].ravel(), rows, starts=np.arange(filled.size) * rows)
        order = np.argsort(keys, kind="stable")
        candidates = _pairs_within_groups(order, keys[order])
        for chunk in np.array_split(candidates, max(1, candidates.size // 100_000)):
            agreement = (signatures[chunk // filled.size] == signatures[chunk % filled.size]).mean(axis=1)
            likely.append(chunk[agreement >= floor])
    pairs = np.unique(np.concatenate(likely))
    i, j = filled[pairs // filled.size], filled[pairs % filled.size]
    # The exact similarity of each likely pair, from the shingle sets of its texts only, built
    # for 1,000 pairs at a time (texts of one subject can make many likely pairs).
    shared = np.zeros(i.size, dtype=np.int64)
    for chunk in range(0, i.size, 1_000):
        a, b = i[chunk : chunk + 1_000], j[chunk : chunk + 1_000]
        texts, position = np.unique(np.concatenate([a, b]), return_inverse=True)
        shingles = _shingle_sets([bodies[t] for t in texts.tolist()])
        left, right = shingles[position[: a.size]], shingles[position[a.size :]]
        shared[chunk : chunk + 1_000] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
    jaccard = shared / (sizes[i] + sizes[j] - shared)
    similar = jaccard >= threshold
    return sorted(zip(i[similar].tolist(), j[similar].tolist(), jaccard[similar].tolist(), strict=True))


def _add_problem(
    problems: list[Problem], entry: _Entry, message: str, hint: str, severity: Severity = "error", field_name: str | None = None
) -> None:
    problems.append(Problem(entry.source, message, hint, severity, field=field_name, article_id=entry.id))


def _site(entry: _Entry) -> str:
    """The web domain of the entry's url (without ``www.``), else its outlet as written: the pages that share furniture."""
    host = urlparse(str(entry.fields.get("url", "") or "")).hostname or ""
    return host.removeprefix("www.") or entry.outlet.casefold()


def _site_names(entry: _Entry, outlet: str, profile: OutletProfile | None) -> tuple[str, ...]:
    host = _site(entry)
    return (entry.outlet, outlet, host, *(profile.aliases if profile else ()), *(profile.domains if profile else ()))


#: Above this share of an article's characters removed as furniture, ``validate`` warns.
MOSTLY_FURNITURE = 0.5
_EXTRACTION = "HTML extraction (trafilatura)"


def _furniture_share(row: dict[str, Any]) -> float:
    """Share of the article's text (markup aside) that cleaning removed."""
    removed = sum(len(r["text"]) for r in row["removed"] if r["reason"] != _EXTRACTION)
    kept = sum(len(row[part]) for part in ("headline", "dek", "dateline", "byline", "body"))
    return removed / (removed + kept) if removed else 0.0


#: Publication dates before this year, or after tomorrow, are warned about.
EARLIEST_YEAR = 1900


def article_boilerplate(text: str, boilerplate: dict[str, str] | None) -> dict[str, str]:
    """The entries of a site's repeated lines (:func:`analysis.clean.repeated_lines`) for the lines
    of ``text``: all :func:`analysis.clean.clean_article` looks up, in key order, so that it is a
    small part of the article's cleaning options and of its :class:`ArticleMemo` key."""
    if not boilerplate:
        return {}
    longest = max(map(len, boilerplate), default=0)
    return {key: boilerplate[key] for key in sorted(clean.line_keys(text, longest=longest)) if key in boilerplate}


#: Characters still to clean from which the cleaning runs in parallel processes (``jobs``): below it,
#: starting the processes costs more than it saves.
PARALLEL_CHARACTERS = 4_000_000
#: Articles a cleaning process is given at a time.
CLEANING_CHUNK = 100


def _clean_articles(
    work: list[tuple[str, dict[str, Any]]], *, memo: ArticleMemo | None, progress: Progress, jobs: int
) -> list[clean.CleanArticle]:
    """:func:`analysis.clean.clean_article` of each ``(text, options)``: kept ones from ``memo``,
    the others cleaned (by ``jobs`` processes when there is much to clean) and kept there."""
    keys = [memo.key(text, options) for text, options in work] if memo is not None else []
    cleaned = [memo.get(key) for key in keys] if memo is not None else [None] * len(work)
    todo = [n for n, parts in enumerate(cleaned) if parts is None]
    if sum(len(work[n][0]) for n in todo) < PARALLEL_CHARACTERS:
        jobs = 1
    done = _cleaned((work[n] for n in todo), jobs=jobs)
    for n, parts in zip(todo, progress(done, desc="cleaning", total=len(todo)), strict=True):
        cleaned[n] = parts
        if memo is not None:
            memo.put(keys[n], parts)
    return cleaned


def _usable_cores() -> int:
    """Cores this process may run on (all of the machine's where the system cannot say)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _clean_chunk(chunk: list[tuple[str, dict[str, Any]]]) -> list[clean.CleanArticle]:
    return [clean.clean_article(text, **options) for text, options in chunk]


def _cleaned(work: Iterator[tuple[str, dict[str, Any]]], *, jobs: int) -> Iterator[clean.CleanArticle]:
    """Each article of ``work`` cleaned, in order: in this process, or by ``jobs`` processes given
    :data:`CLEANING_CHUNK` articles at a time, a few chunks ahead (the texts are not all sent at
    once). A pool that cannot start or breaks leaves the rest to this process."""
    chunks = iter(lambda: list(islice(work, CLEANING_CHUNK)), [])
    if jobs < 2 or not sys.platform.startswith("linux"):
        for chunk in chunks:
            yield from _clean_chunk(chunk)
        return
    import gc
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Forked, so that no main module (a notebook's, a script's) is run again, as spawning would;
    # the objects held so far are frozen, so the processes' garbage collection leaves their pages shared.
    gc.freeze()
    pending: deque[tuple[list[tuple[str, dict[str, Any]]], Any]] = deque()
    with contextlib.ExitStack() as stack:
        stack.callback(gc.unfreeze)
        pool = stack.enter_context(ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")))
        broken = False
        for chunk in chunks:
            if broken:
                pending.append((chunk, None))
            else:
                try:
                    pending.append((chunk, pool.submit(_clean_chunk, chunk)))
                except (BrokenProcessPool, OSError):
                    broken = True
                    pending.append((chunk, None))
            while len(pending) > (0 if broken else 2 * jobs):
                yield from _chunk_result(*pending.popleft())
        while pending:
            yield from _chunk_result(*pending.popleft())


def _chunk_result(chunk: list[tuple[str, dict[str, Any]]], future: Any) -> list[clean.CleanArticle]:
    from concurrent.futures.process import BrokenProcessPool

    if future is not None:
        try:
            return future.result()
        except (BrokenProcessPool, OSError):
            pass  # a process died (out of memory, killed): this chunk is cleaned here
    return _clean_chunk(chunk)


def plausible_date(published: pd.Timestamp) -> bool:
    """Whether a publication date is from ``EARLIEST_YEAR`` on and no later than tomorrow (UTC)."""
    day = (published.tz_convert(None) if published.tzinfo else published).normalize()
    tomorrow = pd.Timestamp(datetime.now(UTC).date() + timedelta(days=1))
    return pd.Timestamp(EARLIEST_YEAR, 1, 1) <= day <= tomorrow


def _build_articles(
    entries: list[_Entry],
    profiles: dict[str, OutletProfile],
    problems: list[Problem],
    *,
    min_tokens: int,
    near_duplicate: float,
    profiles_hint: str,
    progress: Progress,
    memo: ArticleMemo | None = None,
    jobs: int = 1,
) -> pd.DataFrame:
    seen_ids: dict[str, str] = {}
    rows = []
    text_of = memo.text_of if memo is not None else _text_of
    texts = {id(entry): text_of(entry) for entry in progress(entries, desc="reading", total=len(entries))}
    boilerplate = clean.repeated_lines((_site(entry), texts[id(entry)][0]) for entry in entries)
    usable: list[tuple[_Entry, pd.Timestamp, str, OutletProfile | None]] = []
    work: list[tuple[str, dict[str, Any]]] = []  # what cleans each usable article
    for entry in entries:
        problem = partial(_add_problem, problems, entry)
        if not entry.id:
            problem("empty id", "Give every article a unique id", field_name="id")
            continue
        if entry.id in seen_ids:
            problem(f"id {entry.id!r} already used by {seen_ids[entry.id]}", "Give every article a unique id", field_name="id")
            continue
        try:
            published = pd.Timestamp(entry.published) if ISO_DATE.match(entry.published) else None
        except ValueError:
            published = None
        if published is None or pd.isna(published):
            problem(
                f"bad date {entry.published!r}" if entry.published else "no publication date",
                "Write the publication date as YYYY-MM-DD (not the day the page was saved)",
                field_name="published",
            )
            continue
        if not plausible_date(published):
            problem(
                f"publication date {entry.published!r} is before {EARLIEST_YEAR} or in the future",
                "Check the date (the article is used; periods without articles are not listed)",
                severity="warning",
                field_name="published",
            )
        url = str(entry.fields.get("url", "") or "")
        outlet = canonical_outlet(entry.outlet, profiles, url=url)
        if outlet is None and not entry.outlet:
            problem("no outlet", "Name the outlet of every article (or give its url, for a profiled site)", field_name="outlet")
            continue
        if outlet is None:
            suggestion = closest_outlet(entry.outlet, profiles)
            hint = f"Did you mean {suggestion!r}? " if suggestion else ""
            problem(
                f"unknown outlet {entry.outlet!r}",
                hint + profiles_hint,
                severity="warning",
                field_name="outlet",
            )
            outlet = entry.outlet
        profile = profiles.get(outlet)
        text, markup_title = texts.pop(id(entry))
        seen_ids[entry.id] = entry.source
        usable.append((entry, published, outlet, profile))
        options = {
            "profile": profile,
            "title": entry.title or markup_title or None,
            "dek": entry.dek or None,
            # of the site's repeated lines, only this article's: all that clean_article looks up
            "boilerplate": article_boilerplate(text, boilerplate.get(_site(entry))),
            "site_names": _site_names(entry, outlet, profile),
            "language": str(entry.fields.get("language", "") or "") or None,
        }
        work.append((text, options))
    del texts

    cleaned = _clean_articles(work, memo=memo, progress=progress, jobs=jobs)
    del work
    for (entry, published, outlet, profile), parts in zip(usable, cleaned, strict=True):
        if entry.kind == "html":
            parts.removed.insert(
                0,
                {
                    "text": f"{len(entry.raw) - len(text):,} characters of markup, scripts and page furniture",
                    "reason": _EXTRACTION,
                },
            )
        rows.append(
            {
                "id": entry.id,
                "outlet": outlet,
                "published": published.normalize().tz_localize(None),
                "headline": parts.headline,
                "dek": parts.dek,
                "dateline": parts.dateline,
                "byline": parts.byline,
                "body": parts.body,
                "raw": entry.raw,
                "source": entry.source,
                "removed": parts.removed,
                "encoding": entry.encoding,
                **{k: v for k, v in entry.fields.items() if k not in ("id",)},
                # The profile's, where it has one; else the source's own column.
                "country": (profile.country if profile else None) or entry.fields.get("country") or None,
                "ownership": (profile.ownership if profile else None) or entry.fields.get("ownership") or None,
            }
        )

    vocabulary, words = clean.word_counts([*(r["body"] for r in rows), *(r["dek"] for r in rows)])
    repair = clean.glued_word_repair(vocabulary)
    kept = []
    hashes: dict[str, str] = {}
    for n, row in enumerate(progress(rows, desc="repairing words", total=len(rows))):
        body = row["body"]
        repairs = []
        for part in ("headline", "dek", "body"):
            row[part], fixed = repair(row[part], counted=part != "headline")  # the vocabulary is of deks and bodies
            repairs += fixed
        row["repairs"] = repairs
        row["n_tokens"] = words[n] if row["body"] == body else count_words(row["body"])  # counted with the vocabulary
        row["hash"] = hashlib.sha256(" ".join(row["body"].casefold().split()).encode()).hexdigest()[:16]
        if row["n_tokens"] < min_tokens:
            empty = (
                "empty body"
                if row["n_tokens"] == 0
                else f"near-empty body ({row['n_tokens']} words after cleaning, fewer than {min_tokens})"
            )
            problems.append(
                Problem(
                    row["source"],
                    f"{empty}; skipped",
                    "Check that the file holds the article text and not only page furniture"
                    + ("" if row["n_tokens"] == 0 else " (or lower --min-words for short units such as single sentences)"),
                    article_id=row["id"],
                )
            )
            continue
        if row["hash"] in hashes:
            problems.append(
                Problem(
                    row["source"],
                    f"duplicate of {hashes[row['hash']]} (same body); skipped",
                    "Remove one of the two rows",
                    severity="warning",
                    article_id=row["id"],
                )
            )
            continue
        hashes[row["hash"]] = row["source"]
        share = _furniture_share(row)
        if share > MOSTLY_FURNITURE:
            problems.append(
                Problem(
                    row["source"],
                    f"{share:.0%} of its text was removed as furniture",
                    "Check its 'removed' list (framing corpus --json): a rule may have taken story text, "
                    "or the file holds mostly page furniture",
                    severity="warning",
                    article_id=row["id"],
                )
            )
        kept.append(row)

    for i, j, jaccard in _shingle_jaccard_pairs([r["body"] for r in kept], near_duplicate):
        problems.append(
            Problem(
                kept[j]["source"],
                f"near-duplicate of {kept[i]['source']} ({jaccard:.0%} of 5-word shingles shared)",
                "Keep both if one republishes the other (framing provenance compares them); else remove one",
                severity="warning",
                article_id=kept[j]["id"],
            )
        )

    kept.sort(key=lambda row: (row["published"], row["id"]))  # before the table: sorting it would copy every text
    # Column by column, each taken out of the rows as it goes in: the table's copy of the bodies
    # is made while their Python strings go, not beside all of them.
    names = list(dict.fromkeys(name for row in kept for name in row))
    articles = pd.DataFrame({name: pd.Series([row.pop(name, np.nan) for row in kept]) for name in names}, index=range(len(kept)))
    for column in ARTICLE_COLUMNS:
        if column not in articles.columns:
            articles[column] = pd.Series(dtype="object")
    extra = [c for c in articles.columns if c not in ARTICLE_COLUMNS]
    articles = articles[[*ARTICLE_COLUMNS, *extra]]
    articles["published"] = pd.to_datetime(articles["published"])
    articles["n_tokens"] = articles["n_tokens"].astype("int64")
    return articles


def read_corpus(
    corpus: str | Path | None = None,
    *,
    min_tokens: int = MIN_WORDS,
    near_duplicate: float = 0.8,
    outlets: str | Path | None = None,
    progress: Progress = no_progress,
    cache: bool = False,
    jobs: int | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and clean a corpus; return the article table and every problem found.

    Parameters
    ----------
    corpus : str or path, optional
        A folder with manifest.csv, a CSV/JSONL/Parquet table, a store written by
        ``framing ingest`` (read as stored, options ignored), or None for the seeds.
    min_tokens : int, default=25
        Articles whose cleaned body has fewer words are skipped as near-empty.
    near_duplicate : float, default=0.8
        Jaccard similarity of 5-word shingles from which two bodies are reported as
        near-duplicates (reported, not skipped: republication is what provenance studies).
    outlets : path, optional
        An outlet profiles file (``outlets.yaml`` format) that adds to and overrides the
        shipped profiles and a corpus folder's own ``outlets.yaml``; how a table corpus
        gets profiles of its own.
    progress : callable, default=no_progress
        Passed each per-article loop (reading, cleaning, repairing words), as ``tqdm`` is;
        the CLI gives a progress bar on a terminal (see :class:`analysis.options.Progress`).
    cache : bool, default=False
        Read the cleaned table from ``data/interim/cache/`` when an entry for this corpus,
        these options and this loader is there and intact, else clean and keep it there
        (:func:`cache_key`; every command and notebook passes True, ``--no-cache`` False).
        The table then carries its key in ``attrs[CACHE_KEY_ATTR]``, under which entries
        derived from it are kept (``analysis.measures.tfidf.cached_article_counts``), and its
        rows in ``attrs[CACHE_ROWS_ATTR]``.
    jobs : int, optional
        Processes that clean at once when there is much to clean (:data:`PARALLEL_CHARACTERS`);
        default: one per core this process may use. The table is the same for any number.

    Returns
    -------
    articles : DataFrame
        One row per usable article, sorted by publication date and id. Columns:
        ``id`` (file stem or id column), ``outlet`` (canonical name), ``published``
        (datetime64, the day), ``headline``, ``dek``, ``dateline``, ``byline`` (bylines and
        agency credits found, ``; ``-separated), ``body`` (clean text, paragraphs separated
        by a blank line), ``raw`` (as read), ``source`` (file and
        manifest line, or table row), ``removed`` (list of ``{"text", "reason"}``),
        ``repairs`` (list of ``{"original", "repaired", "reason"}``), ``n_tokens`` (words
        in the body), ``hash`` (of the whitespace- and case-folded body), ``url``,
        ``event``, ``language``, ``country`` and ``ownership`` (from the outlet profile),
        ``encoding``, then any other metadata column of the source.
    problems : list of Problem
        Errors (article skipped) and warnings (article used), in source order.

    Raises
    ------
    FileNotFoundError
        When ``corpus`` does not exist.
    """
    path = resolve_corpus(corpus)
    problems: list[Problem] = []
    if (path / STORE_MARKER).is_file():  # a store from `framing ingest`: already cleaned
        from analysis.store import read_store

        return read_store(path), problems
    if outlets is not None and not Path(outlets).is_file():
        raise FileNotFoundError(f"outlet profiles {str(outlets)!r} not found: give a YAML file like analysis/outlets.yaml")
    extra = [Path(outlets)] if outlets is not None else []
    key = cache_key(path, min_tokens=min_tokens, near_duplicate=near_duplicate, outlets=extra) if cache else ""
    cached = _read_cache(key) if cache else None
    if cached is not None:
        cached[0].attrs |= {CACHE_KEY_ATTR: key, CACHE_ROWS_ATTR: len(cached[0])}
        return cached
    if path.is_dir():
        profiles = load_profiles(path / PROFILES_FILE, *extra)
        entries = _read_manifest(path, problems)
        hint = f"Add a profile for it to {PROFILES_FILE} in the corpus folder"
    else:
        profiles = load_profiles(*extra)
        entries = _read_table(path, problems)
        hint = "Add a profile for it to an outlets.yaml and pass that with --outlets FILE"
    memo = ArticleMemo.open() if cache else None
    try:
        articles = _build_articles(
            entries,
            profiles,
            problems,
            min_tokens=min_tokens,
            near_duplicate=near_duplicate,
            profiles_hint=hint,
            progress=progress,
            memo=memo,
            jobs=jobs or _usable_cores(),
        )
    finally:
        if memo is not None:
            memo.close()
    if cache and len(articles):
        _write_cache(key, articles, problems)
        articles.attrs |= {CACHE_KEY_ATTR: key, CACHE_ROWS_ATTR: len(articles)}
    return articles, problems


# ---------------------------------------------------------------------------
# The clean-once cache: the cleaned article table as Parquet under data/interim/cache/
# ---------------------------------------------------------------------------

#: Files of the package whose content decides what the loader returns: a change is a new cache key.
LOADER_FILES = (
    "corpus.py",
    "clean.py",
    "outlets.py",
    "outlets.yaml",
    "furniture.yaml",
    "tokens.py",
    "paths.py",
    "store.py",
    "schema.py",
)
#: Libraries whose version changes what the loader returns (HTML extraction, the word list, the table's types).
LOADER_LIBRARIES = ("pandas", "pyarrow", "trafilatura", "wordfreq", "justext")
_CACHE_METADATA = b"framing.cache"
#: ``articles.attrs`` entry naming the cache key of the cleaned table the articles came from:
#: what entries derived from that table (each article's word counts) are kept under.
CACHE_KEY_ATTR = "cache_key"
#: ``articles.attrs`` entry giving the rows of that cleaned table: a selection (``--query``) keeps
#: both entries, so a table of fewer rows is a part of it.
CACHE_ROWS_ATTR = "cache_rows"
#: Name prefixes of the cache's files: cleaned tables, and entries derived from them (word counts).
CACHE_ENTRY_PREFIXES = ("articles", "counts")


def cache_key(path: Path, *, min_tokens: int, near_duplicate: float, outlets: list[Path]) -> str:
    """The cache key of a corpus read with these options.

    A hash of the corpus files' content (names and bytes: a folder's ``outlets.yaml`` too),
    the cleaning options, the ``outlets`` profile files, the loader's own files
    (:data:`LOADER_FILES`, shipped profiles and furniture patterns among them), the package
    version and those of :data:`LOADER_LIBRARIES`: any change is a new key.
    """
    parts = {
        "corpus": corpus_fingerprint(path),
        "options": {"min_tokens": min_tokens, "near_duplicate": near_duplicate},
        "profiles": [hashlib.sha256(file.read_bytes()).hexdigest() for file in outlets],
        "loader": loader_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def loader_fingerprint() -> str:
    """A hash of the loader's own files (:data:`LOADER_FILES`), the package version and those of
    :data:`LOADER_LIBRARIES`: what, besides its input, decides what cleaning returns."""
    from importlib.metadata import version

    from analysis import __version__

    loader = [PACKAGE_DIR / name for name in LOADER_FILES if (PACKAGE_DIR / name).exists()]
    parts = {"loader": hash_files(loader, PACKAGE_DIR), "version": [__version__, *(version(lib) for lib in LOADER_LIBRARIES)]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


class ArticleMemo:
    """The per-article part of cleaning, kept between loads so that a changed or added file
    cleans only itself (issue 20): an SQLite file in ``data/interim/cache/`` per loader
    (:func:`loader_fingerprint`), with two kinds of entry.

    * ``text:``: the plain text and title extracted from an article file (HTML through
      trafilatura), keyed by the file's kind and bytes;
    * ``clean:``: :func:`analysis.clean.clean_article`'s result, keyed by everything it reads:
      the text, title, dek, site names, language, the outlet profile's name, chrome patterns,
      headline suffix and dek flag, and, of the corpus-level furniture found by repetition
      (:func:`analysis.clean.repeated_lines`), the entries for this article's own lines, reasons
      (with their page counts) included: a change elsewhere in the corpus that changes how one of
      its lines is judged is a new key, so the article is cleaned again.

    The corpus-level steps after it (the vocabulary and glued words, word counts, duplicates,
    near-duplicates) always run on the whole corpus. Each value is stored with its SHA-256 and
    used only when it matches; a file SQLite cannot read is deleted and started again. Writing
    fails quietly (a read-only or busy cache costs speed, not results).
    """

    #: Entries held before they are written: a corpus's cleaned texts are not all held twice.
    BATCH = 1_000

    def __init__(self, connection: Any) -> None:
        self._db = connection
        self._new: dict[str, bytes] = {}

    @classmethod
    def open(cls) -> ArticleMemo | None:
        import sqlite3

        file = paths.CACHE / f"parts-{loader_fingerprint()}.sqlite"
        for _ in range(2):
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(file, timeout=5)
                connection.execute("CREATE TABLE IF NOT EXISTS parts (key TEXT PRIMARY KEY, value BLOB, sha256 TEXT)")
                connection.execute("SELECT key FROM parts LIMIT 1").fetchone()
                return cls(connection)
            except sqlite3.OperationalError:  # locked by another process, or not writable: do without
                return None
            except sqlite3.DatabaseError:  # not a database, or a damaged one: start again
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)
            except OSError:
                return None
        return None

    def _get(self, key: str) -> Any:
        import sqlite3

        try:
            row = self._db.execute("SELECT value, sha256 FROM parts WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        if row is None or hashlib.sha256(row[0]).hexdigest() != row[1]:
            return None
        return json.loads(row[0])

    def _put(self, key: str, value: Any) -> None:
        self._new[key] = json.dumps(value).encode()  # ASCII: a lone surrogate is escaped, not an error
        if len(self._new) >= self.BATCH:
            self._write()

    def _write(self) -> None:
        """Write the entries not yet written, in one transaction."""
        import sqlite3

        try:
            if self._new:
                with self._db:
                    rows = ((key, value, hashlib.sha256(value).hexdigest()) for key, value in self._new.items())
                    self._db.executemany("INSERT OR REPLACE INTO parts VALUES (?, ?, ?)", rows)
        except (sqlite3.Error, OSError):
            pass  # costs speed, not results
        finally:
            self._new.clear()

    def text_of(self, entry: _Entry) -> tuple[str, str]:
        """:func:`_text_of`, kept for files whose extraction is not trivial (HTML and Markdown)."""
        if entry.kind == "txt":
            return _text_of(entry)
        key = "text:" + hashlib.sha256(json.dumps([entry.kind, entry.raw]).encode("utf-8", "surrogatepass")).hexdigest()
        found = self._get(key)
        if found is None:
            found = list(_text_of(entry))
            self._put(key, found)
        return found[0], found[1]

    def key(self, text: str, options: dict[str, Any]) -> str:
        """The key of :func:`analysis.clean.clean_article` of ``text`` with ``options`` (whose
        ``boilerplate`` is :func:`article_boilerplate`'s)."""
        profile: OutletProfile | None = options["profile"]
        described = {
            "text": text,
            "title": options.get("title"),
            "dek": options.get("dek"),
            "site_names": list(options.get("site_names", ())),
            "language": options.get("language", "en"),
            "boilerplate": sorted((options.get("boilerplate") or {}).items()),
            "profile": None
            if profile is None
            else [
                profile.name,
                profile.has_dek,
                [[p.pattern, p.flags] for p in profile.chrome],
                None if profile.headline_suffix is None else [profile.headline_suffix.pattern, profile.headline_suffix.flags],
            ],
        }
        return "clean:" + hashlib.sha256(json.dumps(described, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> clean.CleanArticle | None:
        """The cleaned article kept under ``key`` (:meth:`key`), or None."""
        found = self._get(key)
        return None if found is None else clean.CleanArticle(**found)

    def put(self, key: str, parts: clean.CleanArticle) -> None:
        """Keep a cleaned article under ``key`` (:meth:`key`)."""
        self._put(key, asdict(parts))

    def close(self) -> None:
        """Write the new entries and close the file."""
        try:
            self._write()
        finally:
            self._db.close()


#: Rows of the cleaned table converted and written at a time (one Parquet row group each).
CACHE_SLICE = 5_000


def _cache_file(key: str) -> Path:
    return paths.CACHE / f"articles-{key}.parquet"


def _write_cache(key: str, articles: pd.DataFrame, problems: list[Problem]) -> None:
    """Keep the cleaned table under ``key``, written atomically with page checksums (see :func:`_read_cache`).

    Every slice has the same column types: metadata columns hold text or nothing (``_as_text``).
    """
    import pyarrow.parquet as pq

    from analysis.store import to_arrow

    record = {"key": key, "rows": len(articles), "problems": [asdict(p) for p in problems]}
    metadata = {_CACHE_METADATA: json.dumps(record).encode()}
    starts = range(0, max(len(articles), 1), CACHE_SLICE)

    def write(path: Path) -> None:
        # Slice by slice, so that the Arrow copy of the text is one slice's, not the corpus's.
        first = to_arrow(articles.iloc[:CACHE_SLICE])
        schema = first.schema.with_metadata(metadata)
        with pq.ParquetWriter(path, schema, compression="zstd", write_page_checksum=True) as writer:
            writer.write_table(first.replace_schema_metadata(metadata))
            for start in starts[1:]:
                writer.write_table(to_arrow(articles.iloc[start : start + CACHE_SLICE]).cast(schema))

    try:
        write_atomic(_cache_file(key), write)
    except OSError:
        pass  # a read-only or full disk costs speed, not results


def _read_cache(key: str) -> tuple[pd.DataFrame, list[Problem]] | None:
    """The cached table and problems under ``key``, or None when there is none or it fails a check.

    A file is trusted only when it reads whole with every page checksum verified and its own
    record names this key and its row count; anything else (truncated, corrupt, someone
    else's) is deleted, and the corpus is cleaned again.
    """
    import pyarrow.parquet as pq

    from analysis.store import articles_from_arrow

    file = _cache_file(key)
    if not file.is_file():
        return None
    try:
        table = pq.read_table(file, page_checksum_verification=True)
        record = json.loads((table.schema.metadata or {})[_CACHE_METADATA])
        if record["key"] != key or record["rows"] != table.num_rows:
            raise ValueError("cache entry does not match its key")
        problems = [Problem(**p) for p in record["problems"]]
    except Exception:  # any failure means the entry cannot be trusted
        file.unlink(missing_ok=True)
        return None
    return articles_from_arrow(table.replace_schema_metadata(None)), problems


def clear_cache() -> int:
    """Delete every cached article table, the entries derived from them (each article's word
    counts), any half-written one, and the per-article entries (:class:`ArticleMemo`); return how
    many article tables went."""
    folder = paths.CACHE
    if not folder.is_dir():
        return 0
    tables = [*folder.glob("articles-*.parquet")]
    for prefix in CACHE_ENTRY_PREFIXES:
        for file in [*folder.glob(f"{prefix}-*"), *folder.glob(f".{prefix}-*.tmp")]:
            file.unlink(missing_ok=True)
    for file in folder.glob("parts-*.sqlite*"):
        file.unlink(missing_ok=True)
    return len(tables)


def load_corpus(corpus: str | Path | None = None, **options: Any) -> pd.DataFrame:
    """Return the clean article table of ``corpus`` (the seeds by default).

    Bad articles are skipped and named in a :class:`CorpusWarning`; the full list of
    problems is in ``articles.attrs["problems"]``. Raises :class:`CorpusError` when no
    article can be read. Options and columns are those of :func:`read_corpus`.

    Examples
    --------
    >>> articles = load_corpus()
    >>> articles.loc[articles.id.str.startswith("003"), "published"].dt.date.astype(str).item()
    '2021-01-25'
    """
    articles, problems = read_corpus(corpus, **options)
    errors = [p for p in problems if p.severity == "error"]
    if articles.empty:
        raise CorpusError(errors or [Problem(str(resolve_corpus(corpus)), "no articles", "Add articles to the corpus")])
    if errors:
        warnings.warn(
            CorpusWarning(f"{len(errors)} problem(s); skipped what could not be used:\n" + "\n".join(map(str, errors))),
            stacklevel=2,
        )
    articles.attrs["problems"] = [asdict(p) for p in problems]
    return articles


def validate_corpus(corpus: str | Path | None = None, **options: Any) -> list[Problem]:
    """Every problem in ``corpus``, at once; a corpus without a usable article is an error.

    An empty list means it is clean. Options are those of :func:`read_corpus`.
    """
    articles, problems = read_corpus(corpus, **options)
    if articles.empty and not any(p.severity == "error" for p in problems):
        problems.append(Problem(str(resolve_corpus(corpus)), "no articles", "Add rows (articles) to the corpus"))
    return problems
