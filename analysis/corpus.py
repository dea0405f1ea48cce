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

import hashlib
import json
import re
import warnings
from dataclasses import asdict, dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import clean
from analysis.outlets import OutletProfile, canonical_outlet, closest_outlet, load_profiles
from analysis.paths import resolve_corpus
from analysis.schema import ARTICLE_COLUMNS, STORE_MARKER, TABLE_SUFFIXES
from analysis.tokens import count_words, shingle_hashes

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
# Reading bytes
# ---------------------------------------------------------------------------


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode article bytes, trying UTF-8, UTF-8 with BOM, then cp1252.

    Returns
    -------
    text, encoding : str, str

    Raises
    ------
    UnicodeDecodeError
        When none of the encodings fits, or the bytes look binary.
    """
    if b"\x00" in data[:8192]:
        raise UnicodeDecodeError("binary", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte: a binary file")
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as first:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise first from None
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t")
        if controls > 0.05 * max(len(text), 1):
            raise UnicodeDecodeError("binary", data, 0, 1, "control characters: a binary file") from None
        return text, "cp1252"


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------


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
    try:
        table = pd.read_csv(manifest, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        problems.append(Problem(str(manifest), f"cannot be read as CSV ({err})", "Save it as UTF-8 CSV with a header row"))
        return []
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in MANIFEST_REQUIRED if c not in table.columns]
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
    for index, row in table.iterrows():
        line = int(index) + 2  # header is line 1
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
            fields={k: v for k, v in row.items() if k not in (*MANIFEST_REQUIRED, "title", "dek")},
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


def _read_table(path: Path, problems: list[Problem]) -> list[_Entry]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            first_line = 2
        elif suffix in (".jsonl", ".ndjson"):
            records = []
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as err:
                    problems.append(Problem(str(path), f"not valid JSON ({err.msg})", "Fix or remove the line", line=number))
                    continue
                if not isinstance(record, dict):
                    problems.append(Problem(str(path), "not a JSON object", "Write one object per line", line=number))
                    continue
                records.append(record | {"__line__": number})
            table = pd.DataFrame.from_records(records).fillna("")
            first_line = 1
        elif suffix == ".parquet":
            table = pd.read_parquet(path).fillna("")
            first_line = 1
        else:
            problems.append(
                Problem(
                    str(path),
                    f"unsupported corpus file type {suffix!r}",
                    f"Give a folder with {MANIFEST}, or a {', '.join(TABLE_SUFFIXES)} table",
                )
            )
            return []
    except Exception as err:
        problems.append(
            Problem(
                str(path),
                f"cannot be read ({type(err).__name__}: {err})",
                "Check that the file is a valid table of the type its name says",
            )
        )
        return []
    table.columns = [str(c).strip().lower() for c in table.columns]
    missing = [c for c in TABLE_REQUIRED if c not in table.columns]
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
    for index, row in enumerate(table.to_dict("records")):
        line = int(row.pop("__line__", index + first_line))
        published = row["published"]
        published = published.date().isoformat() if hasattr(published, "date") else str(published).strip()
        entries.append(
            _Entry(
                id=str(row["id"]).strip(),
                outlet=str(row["outlet"]).strip(),
                published=published,
                source=f"{path.name} row {line}",
                line=line,
                raw=str(row["text"]),
                title=str(row.get("title", "")).strip(),
                dek=str(row.get("dek", "")).strip(),
                fields={k: v for k, v in row.items() if k not in (*TABLE_REQUIRED, "title", "dek")},
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


_SHINGLE_WORD = re.compile(r"\b\w\w+\b")  # scikit-learn's default token pattern
SHINGLE_SIZE = 5


def _shingle_sets(bodies: list[str]) -> sp.csr_matrix:
    """Binary texts × shingles matrix of the 5-word shingles (lowercased) of each text.

    Words are numbered once over all texts and each run of five numbers is hashed to 64 bits
    in numpy, so no string is built per shingle.
    """
    words = [_SHINGLE_WORD.findall(body.lower()) for body in bodies]
    counts = np.array([len(w) for w in words], dtype=np.int64)
    vocabulary: dict[str, int] = {}
    codes = np.fromiter(
        (vocabulary.setdefault(word, len(vocabulary)) for word in chain.from_iterable(words)),
        dtype=np.uint64,
        count=int(counts.sum()),
    )
    article = np.repeat(np.arange(len(bodies)), counts)
    starts = np.flatnonzero(np.arange(codes.size) + SHINGLE_SIZE <= np.repeat(np.cumsum(counts), counts))
    hashes = shingle_hashes(codes, SHINGLE_SIZE, starts=starts)
    columns, distinct = pd.factorize(hashes)
    matrix = sp.csr_matrix(
        (np.ones(starts.size, dtype=np.int32), (article[starts], columns)), shape=(len(bodies), max(len(distinct), 1))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1  # a shingle seen twice in a text counts once
    return matrix


def _shingle_jaccard_pairs(bodies: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """Pairs of texts whose 5-word shingle sets have Jaccard similarity ≥ threshold."""
    if len(bodies) < 2:
        return []
    shingles = _shingle_sets(bodies)
    sizes = np.diff(shingles.indptr)
    pairs = []
    for start in range(0, len(bodies), 2000):
        overlap = (shingles[start : start + 2000] @ shingles.T).tocoo()
        i, j, shared = overlap.row + start, overlap.col, overlap.data
        i, j, shared = i[i < j], j[i < j], shared[i < j]
        jaccard = shared / (sizes[i] + sizes[j] - shared)
        similar = jaccard >= threshold
        pairs += zip(i[similar].tolist(), j[similar].tolist(), jaccard[similar].tolist(), strict=True)
    return sorted(pairs)


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


def _build_articles(
    entries: list[_Entry], profiles: dict[str, OutletProfile], problems: list[Problem], *, min_tokens: int, near_duplicate: float
) -> pd.DataFrame:
    seen_ids: dict[str, str] = {}
    rows = []
    texts = {id(entry): _text_of(entry) for entry in entries}
    boilerplate = clean.repeated_lines((_site(entry), texts[id(entry)][0]) for entry in entries)
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
        url = str(entry.fields.get("url", "") or "")
        outlet = canonical_outlet(entry.outlet, profiles, url=url)
        if outlet is None:
            suggestion = closest_outlet(entry.outlet, profiles)
            hint = f"Did you mean {suggestion!r}? " if suggestion else ""
            problem(
                f"unknown outlet {entry.outlet!r}",
                hint + "Add a profile for it to outlets.yaml in the corpus folder",
                severity="warning",
                field_name="outlet",
            )
            if not entry.outlet:
                continue
            outlet = entry.outlet
        profile = profiles.get(outlet)
        text, markup_title = texts[id(entry)]
        parts = clean.clean_article(
            text,
            profile=profile,
            title=entry.title or markup_title or None,
            dek=entry.dek or None,
            boilerplate=boilerplate.get(_site(entry)),
            site_names=_site_names(entry, outlet, profile),
            language=str(entry.fields.get("language", "") or "") or None,
        )
        if entry.kind == "html":
            parts.removed.insert(
                0,
                {
                    "text": f"{len(entry.raw) - len(text):,} characters of markup, scripts and page furniture",
                    "reason": _EXTRACTION,
                },
            )
        seen_ids[entry.id] = entry.source
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
                "country": profile.country if profile else None,
                "ownership": profile.ownership if profile else None,
                **{k: v for k, v in entry.fields.items() if k not in ("id",)},
            }
        )

    vocabulary = clean.vocabulary_of([r["body"] for r in rows] + [r["dek"] for r in rows])
    kept = []
    hashes: dict[str, str] = {}
    for row in rows:
        repairs = []
        for part in ("headline", "dek", "body"):
            row[part], fixed = clean.repair_glued_words(row[part], vocabulary)
            repairs += fixed
        row["repairs"] = repairs
        row["n_tokens"] = count_words(row["body"])
        row["hash"] = hashlib.sha256(" ".join(row["body"].casefold().split()).encode()).hexdigest()[:16]
        if row["n_tokens"] < min_tokens:
            empty = "empty body" if row["n_tokens"] == 0 else f"near-empty body ({row['n_tokens']} words after cleaning)"
            problems.append(
                Problem(
                    row["source"],
                    f"{empty}; skipped",
                    "Check that the file holds the article text and not only page furniture",
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

    articles = pd.DataFrame.from_records(kept)
    for column in ARTICLE_COLUMNS:
        if column not in articles.columns:
            articles[column] = pd.Series(dtype="object")
    extra = [c for c in articles.columns if c not in ARTICLE_COLUMNS]
    articles = articles[[*ARTICLE_COLUMNS, *extra]]
    articles["published"] = pd.to_datetime(articles["published"])
    articles["n_tokens"] = articles["n_tokens"].astype("int64")
    return articles.sort_values(["published", "id"], kind="stable").reset_index(drop=True)


def read_corpus(
    corpus: str | Path | None = None, *, min_tokens: int = 25, near_duplicate: float = 0.8
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
    if path.is_dir():
        profiles = load_profiles(path / PROFILES_FILE)
        entries = _read_manifest(path, problems)
    else:
        profiles = load_profiles()
        entries = _read_table(path, problems)
    articles = _build_articles(entries, profiles, problems, min_tokens=min_tokens, near_duplicate=near_duplicate)
    return articles, problems


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
    """Every problem in ``corpus``, at once. An empty list means it is clean."""
    return read_corpus(corpus, **options)[1]
