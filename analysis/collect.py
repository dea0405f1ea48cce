"""Collecting a corpus: exports and saved pages into a corpus folder, and fetching pages politely.

Three ways in, all ending in the folder format :mod:`analysis.corpus` reads:

* :func:`import_export` reads a Media Cloud, GDELT or NewsAPI export, or any CSV/JSON list of
  articles, and writes ``manifest.csv`` with one row per article (a ``.txt`` file where the
  export carries the text; only the ``url`` otherwise);
* :func:`fetch_corpus` downloads the pages of rows that have a url and no file yet, keeping the
  raw HTML under ``html/`` (the loader extracts the text with trafilatura, as for any ``.html``
  article): a per-host rate limit, robots.txt, retries with backoff and a state file that
  lets a killed fetch continue where it stopped;
* :func:`import_pages` turns a folder of saved ``.html`` pages into a corpus, the manifest built
  from each page's metadata.

Each writes only inside its corpus folder, atomically, and never touches the user's inputs.
Beside the manifest a corpus made here carries ``collect.json`` (what was imported and fetched,
when) and, once fetched, ``fetch-state.jsonl`` (one line per page tried).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import pandas as pd

from analysis import __version__
from analysis.corpus import MANIFEST, PROFILES_FILE, decode_bytes
from analysis.outlets import OutletProfile, canonical_outlet, load_profiles
from analysis.paths import SEEDS, write_atomic, write_text_atomic

Source = Literal["mediacloud", "gdelt", "newsapi", "csv"]
SOURCES: tuple[str, ...] = ("mediacloud", "gdelt", "newsapi", "csv")
Status = Literal["imported", "duplicate", "unusable"]
Outcome = Literal["fetched", "failed", "robots"]

LOG = "collect.json"
STATE = "fetch-state.jsonl"
HTML_FOLDER = "html"

#: The manifest fields an export's columns can be mapped onto (``--map field=column``).
FIELDS: tuple[str, ...] = ("url", "published", "title", "outlet", "text", "id", "language", "dek", "event")

#: Each format's columns for each field, the first present one used (matched case-insensitively).
PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    # Media Cloud story lists (the legacy API and the current search tool): no text
    "mediacloud": {
        "url": ("url",),
        "published": ("publish_date",),
        "title": ("title",),
        "outlet": ("media_name",),
        "id": ("stories_id", "id"),
        "language": ("language",),
    },
    # GDELT: the DOC API's article list (url, seendate, domain) and GKG rows (DocumentIdentifier, DATE)
    "gdelt": {
        "url": ("DocumentIdentifier", "url"),
        "published": ("seendate", "DATE"),
        "title": ("title",),
        "outlet": ("SourceCommonName", "domain"),
        "id": ("GKGRECORDID",),
        "language": ("language",),
    },
    # NewsAPI: its "content" is cut at 200 characters, so the pages are fetched instead
    "newsapi": {
        "url": ("url",),
        "published": ("publishedAt",),
        "title": ("title",),
        "outlet": ("source.name", "source_name", "source"),
        "dek": ("description",),
    },
    "csv": {
        "url": ("url", "link"),
        "published": ("published", "publish_date", "date"),
        "title": ("title", "headline"),
        "outlet": ("outlet", "media_name", "source"),
        "text": ("text", "body", "content"),
        "id": ("id",),
        "language": ("language",),
        "dek": ("dek",),
        "event": ("event",),
    },
}
#: Formats whose documentation gives times in UTC: a time without an offset is read as UTC.
UTC_SOURCES = frozenset({"mediacloud", "gdelt", "newsapi"})
_GDELT_DATE = re.compile(r"^\d{14}$")  # GKG's DATE, YYYYMMDDHHMMSS in UTC
#: The columns of a GDELT GKG 2.1 file, which comes without a header (tab-separated, named .csv).
GKG_COLUMNS = (
    "GKGRECORDID DATE SourceCollectionIdentifier SourceCommonName DocumentIdentifier Counts V2Counts Themes V2Themes "
    "Locations V2Locations Persons V2Persons Organizations V2Organizations V2Tone Dates GCAM SharingImage RelatedImages "
    "SocialImageEmbeds SocialVideoEmbeds Quotations AllNames Amounts TranslationInfo Extras"
).split()

MANIFEST_FIRST = ("file", "outlet", "published", "title", "dek", "url", "id", "event", "language")
SUMMARY_COLUMNS = ("source", "row", "status", "id", "url", "outlet", "published", "reason")


class CollectError(ValueError):
    """The export or the pages cannot be used as they are (exit 1); the message says what to do."""


class TargetError(ValueError):
    """The corpus folder named cannot be written (exit 2)."""


# ---------------------------------------------------------------------------
# Pure pieces: mapping, urls, ids, dates, outlets
# ---------------------------------------------------------------------------


def parse_mapping(text: str | None) -> dict[str, str]:
    """``"published=publish_date,outlet=media_name"`` as ``{"published": "publish_date", ...}``.

    Raises
    ------
    ValueError
        When a part is not ``field=column`` or names a field not in :data:`FIELDS`.

    Examples
    --------
    >>> parse_mapping("published=publish_date, outlet=media_name")
    {'published': 'publish_date', 'outlet': 'media_name'}
    """
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, equals, column = part.partition("=")
        name, column = name.strip().lower(), column.strip()
        if not equals or not column:
            raise ValueError(f"--map {part.strip()!r}: write FIELD=COLUMN, e.g. published=publish_date")
        if name not in FIELDS:
            raise ValueError(f"--map {part.strip()!r}: {name!r} is not a field; choose from {', '.join(FIELDS)}")
        mapping[name] = column
    return mapping


def url_key(url: str) -> str:
    """The url as compared for duplicates: courlan's normalisation (tracking parameters
    dropped, host lowercased), without scheme, ``www.``, fragment or trailing slash.

    Examples
    --------
    >>> url_key("https://WWW.Tass.com/world/1272315/?utm_source=feed#top")
    'tass.com/world/1272315'
    >>> url_key("http://tass.com/world/1272315") == url_key("https://www.tass.com/world/1272315/")
    True
    """
    from courlan import normalize_url  # imported here: only collecting needs it

    try:
        normalised = normalize_url(url.strip())
    except ValueError:
        normalised = url.strip()
    parts = urlsplit(normalised)
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{port}{parts.path.rstrip('/')}{query}"


def is_web_address(url: str) -> bool:
    """True for an absolute http(s) url with a host."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def article_id(key: str) -> str:
    """A stable article id (and file stem) from a url key or a text: 16 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def parse_published(value: str, *, assume_utc: bool) -> str:
    """A publication time as ISO 8601, keeping its time zone.

    A time with an offset keeps it (so the loader takes the day where it was published); one
    without is read as UTC when ``assume_utc`` (formats documented in UTC), else kept as
    written. A date alone stays a date. GDELT's ``YYYYMMDDHHMMSS`` is UTC.

    Raises
    ------
    ValueError
        When ``value`` is not a date.

    Examples
    --------
    >>> parse_published("2021-03-22 10:15:00", assume_utc=True)
    '2021-03-22T10:15:00+00:00'
    >>> parse_published("20210322T101500Z", assume_utc=False)
    '2021-03-22T10:15:00+00:00'
    >>> parse_published("Mon, 22 Mar 2021 23:30:00 +0300", assume_utc=True)
    '2021-03-22T23:30:00+03:00'
    >>> parse_published("2021-03-22", assume_utc=True)
    '2021-03-22'
    """
    text = value.strip()
    if _GDELT_DATE.match(text):
        text, assume_utc = f"{text[:8]}T{text[8:]}", True
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"not a date: {value!r}") from None
    if pd.isna(stamp):
        raise ValueError(f"not a date: {value!r}")
    if stamp.tzinfo is None:
        if stamp == stamp.normalize() and len(text) <= 10:
            return stamp.date().isoformat()
        if assume_utc:
            stamp = stamp.tz_localize("UTC")
    return stamp.isoformat(timespec="seconds")


def match_outlet(name: str, url: str, profiles: dict[str, OutletProfile]) -> tuple[str, bool]:
    """The outlet of an article: the profile whose domain the url is on, else the profile the
    export's name matches, else that name (or the url's host). Returns ``(outlet, profiled)``.

    Examples
    --------
    >>> match_outlet("Tass Russian News Agency", "https://tass.com/world/1", load_profiles())
    ('TASS', True)
    >>> match_outlet("", "https://www.example.org/a", load_profiles())
    ('example.org', False)
    """
    profiled = (url and canonical_outlet("", profiles, url=url)) or (name and canonical_outlet(name, profiles))
    if profiled:
        return profiled, True
    return name.strip() or (urlsplit(url).hostname or "").removeprefix("www."), False


def _day(published: str) -> date | None:
    try:
        return date.fromisoformat(published.strip()[:10])
    except ValueError:
        return None


def date_disagreement(export: str, page: str | None, *, tolerance_days: int = 1) -> str:
    """A warning when the page's date and the export's are more than ``tolerance_days`` apart, else "".

    Examples
    --------
    >>> date_disagreement("2021-03-22T10:15:00+00:00", "2021-03-25")
    'the page says 2021-03-25, the export 2021-03-22 (3 days apart)'
    >>> date_disagreement("2021-03-22", "2021-03-23")
    ''
    """
    ours, theirs = _day(export), _day(page or "")
    if ours is None or theirs is None or abs((theirs - ours).days) <= tolerance_days:
        return ""
    return f"the page says {theirs}, the export {ours} ({abs((theirs - ours).days)} days apart)"


# ---------------------------------------------------------------------------
# Reading exports
# ---------------------------------------------------------------------------


def _records_of(data: Any) -> list[Any]:
    """The list of article records in parsed JSON: the document itself, or its first list value
    (``articles`` in GDELT and NewsAPI, ``stories`` or ``results`` elsewhere)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("articles", "stories", "results", "data"):
            if isinstance(data.get(key), list):
                return data[key]
        lists = [v for v in data.values() if isinstance(v, list)]
        if lists:
            return lists[0]
    return []


def _is_raw_gkg(path: Path) -> bool:
    """True for a GKG 2.1 file as GDELT publishes it: no header, 27 tab-separated fields, DATE second."""
    with path.open("rb") as handle:
        fields = handle.readline().decode("utf-8", "replace").rstrip("\r\n").split("\t")
    return len(fields) == len(GKG_COLUMNS) and bool(_GDELT_DATE.match(fields[1]))


def read_export(path: Path) -> pd.DataFrame:
    """An export as a table of strings, with its ``__row__`` (CSV line, or JSON record number).

    CSV and TSV by suffix (UTF-8, with or without BOM), and GDELT's header-less GKG files;
    JSON (a list of records or an object holding one) and JSONL; nested objects are flattened
    (NewsAPI's ``source.name``).

    Raises
    ------
    CollectError
        When the file cannot be read as its suffix says.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv") and _is_raw_gkg(path):
            table = pd.read_csv(
                path, sep="\t", header=None, names=GKG_COLUMNS, dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE
            )
            return table.assign(__row__=range(1, len(table) + 1))  # no header: row 1 is the first record
        if suffix in (".csv", ".tsv"):
            table = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep="\t" if suffix == ".tsv" else ","
            )
            return table.assign(__row__=range(2, len(table) + 2))  # the header is line 1
        if suffix == ".json":
            records = _records_of(json.loads(path.read_text(encoding="utf-8-sig")))
        elif suffix in (".jsonl", ".ndjson"):
            lines = path.read_text(encoding="utf-8-sig").splitlines()
            records = [json.loads(line) for line in lines if line.strip()]
        else:
            raise CollectError(f"{path}: a {suffix or 'suffix-less'} file; give a .csv, .tsv, .json or .jsonl export")
    except (UnicodeDecodeError, json.JSONDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise CollectError(f"{path}: cannot be read as {suffix[1:].upper()} ({err}); save it as UTF-8 {suffix}") from None
    if not all(isinstance(r, dict) for r in records):
        raise CollectError(f"{path}: expected a list of article objects; found {type(records[0]).__name__}s")
    table = pd.json_normalize(records) if records else pd.DataFrame()
    table = table.astype(object).where(table.notna(), "").astype(str)
    return table.assign(__row__=range(1, len(table) + 1))


def resolve_columns(columns: Iterable[str], source: Source, mapping: dict[str, str], path: Path) -> dict[str, str]:
    """Which export column holds each field: ``mapping`` first, then the format's preset.

    Raises
    ------
    CollectError
        When a mapped column is missing, or no column holds the url (nor, for ``csv``, the text).
    """
    by_folded = {c.casefold(): c for c in columns if c != "__row__"}
    listing = ", ".join(by_folded.values()) or "none"
    chosen: dict[str, str] = {}
    for name, column in mapping.items():
        if column.casefold() not in by_folded:
            raise CollectError(f"{path}: no column {column!r} (from --map {name}={column}); its columns are: {listing}")
        chosen[name] = by_folded[column.casefold()]
    for name, candidates in PRESETS[source].items():
        found = next((by_folded[c.casefold()] for c in candidates if c.casefold() in by_folded), None)
        if name not in chosen and found:
            chosen[name] = found
    if "url" not in chosen and not (source == "csv" and "text" in chosen):
        looked = "/".join(PRESETS[source]["url"])
        what = "the article's address (or 'text')" if source == "csv" else "the article's address"
        raise CollectError(f"{path}: no column {looked!r} for {what}; its columns are: {listing}. Name it with --map url=COLUMN")
    return chosen


# ---------------------------------------------------------------------------
# Planning an import: which rows become articles
# ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: the corpus folder, whether it extended an earlier import, and
    ``summary`` (one row per source row; :data:`SUMMARY_COLUMNS`)."""

    target: str
    extended: bool
    summary: pd.DataFrame
    to_fetch: int = 0  # imported rows with a url and no text: ``framing fetch`` downloads them

    def counts(self) -> dict[str, int]:
        """Rows per status: imported, duplicate, unusable."""
        return {status: int((self.summary["status"] == status).sum()) for status in ("imported", "duplicate", "unusable")}


def plan_import(
    table: pd.DataFrame,
    columns: dict[str, str],
    *,
    source: Source,
    source_name: str,
    profiles: dict[str, OutletProfile],
    known: dict[str, str] | None = None,
    event: str = "",
) -> tuple[list[dict[str, str]], list[str], pd.DataFrame]:
    """Decide each export row's fate; pure (reads and writes nothing).

    Parameters
    ----------
    table : DataFrame
        From :func:`read_export`.
    columns : dict
        From :func:`resolve_columns`.
    known : dict, optional
        ``{url key or article id: article id}`` already in the corpus (an extended import).
    event : str, optional
        The event of rows whose export gives none (an export is often one story's coverage).

    Returns
    -------
    manifest_rows : list of dict
        The new manifest rows: ``file`` ("" until fetched, ``ID.txt`` with text), ``outlet``,
        ``published``, ``title``, ``dek``, ``url``, ``id``, ``event``, ``language``, then the
        export's other columns (lowercased).
    texts : list of str
        The text of each manifest row ("" without).
    summary : DataFrame
        :data:`SUMMARY_COLUMNS`; ``reason`` says why a row is a duplicate or unusable, or that its
        outlet has no profile.
    """
    seen: dict[str, tuple[str, str]] = {
        key: (article, "an article already in the corpus") for key, article in (known or {}).items()
    }
    mapped = set(columns.values()) | {"__row__"}
    reserved = {*MANIFEST_FIRST, "text"}
    rows, texts, summary = [], [], []
    for record in table.to_dict("records"):
        value = {name: str(record.get(column, "")).strip() for name, column in columns.items()}
        url, text = value.get("url", ""), value.get("text", "")
        entry = {"source": source_name, "row": int(record["__row__"]), "url": url, "id": "", "outlet": "", "published": ""}
        if url and not is_web_address(url):
            summary.append(entry | {"status": "unusable", "reason": f"{url!r} is not a web address (http or https)"})
            continue
        if not url and not text:
            summary.append(entry | {"status": "unusable", "reason": "no url and no text"})
            continue
        try:
            published = parse_published(value["published"], assume_utc=source in UTC_SOURCES) if value.get("published") else ""
        except ValueError:
            column = columns["published"]
            summary.append(entry | {"status": "unusable", "reason": f"bad date {value['published']!r} in column {column!r}"})
            continue
        key = url_key(url) if url else "text:" + " ".join(text.split())
        identifier = article_id(key)
        if key in seen or identifier in seen:
            earlier, where = seen.get(key) or seen[identifier]
            reason = f"same {'url' if url else 'text'} as {where} ({earlier})"
            summary.append(entry | {"id": earlier, "status": "duplicate", "reason": reason})
            continue
        outlet, profiled = match_outlet(value.get("outlet", ""), url, profiles)
        if not outlet:
            summary.append(entry | {"status": "unusable", "reason": "no outlet, and no url to tell it by"})
            continue
        seen[key] = (identifier, f"row {entry['row']}")
        extra = {
            str(c).lower(): str(v) for c, v in record.items() if c not in mapped and str(c).lower() not in reserved and str(v)
        }
        rows.append(
            {
                "file": f"{identifier}.txt" if text else "",
                "outlet": outlet,
                "published": published,
                "title": value.get("title", ""),
                "dek": value.get("dek", ""),
                "url": url,
                "id": identifier,
                "event": value.get("event", "") or event,
                "language": value.get("language", ""),
            }
            | ({"source_id": value["id"]} if value.get("id") else {})
            | extra
        )
        texts.append(text)
        reason = "" if profiled else f"outlet {outlet!r} has no profile; add one to {PROFILES_FILE} in the corpus folder"
        if not published:
            missing = "no date: fill in 'published' in manifest.csv" if text else "no date: taken from the page when fetched"
            reason = "; ".join(filter(None, [reason, missing]))
        summary.append(
            entry | {"id": identifier, "outlet": outlet, "published": published, "status": "imported", "reason": reason}
        )
    return rows, texts, pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS))


# ---------------------------------------------------------------------------
# The corpus folder: target checks, manifest and log
# ---------------------------------------------------------------------------


def _is_import(folder: Path) -> bool:
    return (folder / LOG).is_file() and (folder / MANIFEST).is_file()


def _check_target(target: Path, inputs: Path) -> bool:
    """Raise :class:`TargetError` unless ``target`` may be written; True when it extends an import."""
    if target.is_relative_to(SEEDS.resolve()):
        raise TargetError(f"--to {target}: the seeds are never written; choose a folder such as data/raw/NAME")
    if target.exists() and not target.is_dir():
        raise TargetError(f"--to {target}: a file, not a folder; choose a new folder such as data/raw/NAME")
    if inputs == target or inputs.is_relative_to(target):
        raise TargetError(f"--to {target}: holds the input {inputs}, which is never changed; choose another folder")
    if target.is_dir() and any(target.iterdir()):
        if _is_import(target):
            return True
        raise TargetError(
            f"--to {target}: a folder that is not empty and not a previous framing import; choose a new or empty folder"
        )
    return False


def read_manifest_table(folder: Path) -> pd.DataFrame:
    """``manifest.csv`` of a corpus folder as strings (empty table when there is none)."""
    path = folder / MANIFEST
    if not path.is_file():
        return pd.DataFrame(columns=list(MANIFEST_FIRST))
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def write_manifest_table(folder: Path, table: pd.DataFrame) -> None:
    """Write ``manifest.csv`` atomically, the loader's columns first."""
    ordered = [c for c in MANIFEST_FIRST if c in table.columns] + [c for c in table.columns if c not in MANIFEST_FIRST]
    write_atomic(folder / MANIFEST, lambda temporary: table[ordered].to_csv(temporary, index=False))


def _read_log(folder: Path) -> dict[str, Any]:
    path = folder / LOG
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"imports": [], "fetches": []}


def _append_log(folder: Path, kind: Literal["imports", "fetches"], record: dict[str, Any]) -> None:
    log = _read_log(folder)
    log.setdefault(kind, []).append({"at": datetime.now(UTC).isoformat(timespec="seconds"), **record})
    write_text_atomic(folder / LOG, json.dumps(log, ensure_ascii=False, indent=1) + "\n")


def _known(manifest: pd.DataFrame) -> dict[str, str]:
    """``{url key or article id: article id}`` of the rows a corpus holds (an id also finds a repeated text or page)."""
    if "id" not in manifest.columns:
        return {}
    urls = manifest["url"] if "url" in manifest.columns else pd.Series("", index=manifest.index)
    return {i: i for i in manifest["id"] if i} | {url_key(u): i for u, i in zip(urls, manifest["id"], strict=True) if u}


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _save_import(target: Path, manifest: pd.DataFrame, rows: list[dict[str, str]], texts: list[str], record: dict) -> None:
    """Write the article files, then the manifest, then the log: a crash leaves the old manifest."""
    for row, text in zip(rows, texts, strict=True):
        if text:
            write_text_atomic(target / row["file"], text if text.endswith("\n") else text + "\n")
    combined = pd.concat([manifest, pd.DataFrame(rows, dtype=str)], ignore_index=True).fillna("")
    write_manifest_table(target, combined)
    _append_log(target, "imports", record)


def import_export(
    path: str | Path, target: str | Path, *, source: Source, mapping: dict[str, str] | None = None, event: str = ""
) -> ImportResult:
    """Import an export into the corpus folder ``target`` (created, or extended if a previous import).

    Parameters
    ----------
    path : str or path
        A CSV, TSV, JSON or JSONL export; read, never changed.
    target : str or path
        The corpus folder: new, empty, or one this function wrote before (new rows are added;
        urls it already holds are reported as duplicates).
    source : {"mediacloud", "gdelt", "newsapi", "csv"}
        The export's format: which columns hold url, date, title, outlet (:data:`PRESETS`).
    mapping : dict, optional
        ``{field: column}`` overriding the preset (:func:`parse_mapping`).
    event : str, optional
        The ``event`` of every row the export gives none (the notebooks compare outlets within
        an event).

    Returns
    -------
    ImportResult
        Its ``summary`` accounts for every row of the export.

    Raises
    ------
    FileNotFoundError, CollectError, TargetError
    """
    path, root = Path(path).expanduser().resolve(), Path(target).expanduser().resolve()
    if source not in SOURCES:
        raise TargetError(f"--from {source!r}: choose one of {', '.join(SOURCES)} or html")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such export file")
    extended = _check_target(root, path)
    table = read_export(path)
    columns = resolve_columns(table.columns, source, mapping or {}, path)
    manifest = read_manifest_table(root)
    profiles = load_profiles(root / PROFILES_FILE)
    rows, texts, summary = plan_import(
        table, columns, source=source, source_name=path.name, profiles=profiles, known=_known(manifest), event=event
    )
    result = ImportResult(str(root), extended, summary, to_fetch=sum(not row["file"] for row in rows))
    record = {"source": str(path), "from": source, "sha256": _sha256(path), "columns": columns, "rows": len(table)}
    _save_import(root, manifest, rows, texts, record | result.counts())
    return result


# ---------------------------------------------------------------------------
# Saved pages
# ---------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


def decode_page(data: bytes, charset: str | None = None) -> str:
    """Decode an HTML page: the HTTP charset, else its ``<meta charset>``, else UTF-8 or cp1252."""
    declared = charset or next(iter(_META_CHARSET.findall(data[:4096])), b"").decode("ascii", "ignore")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: guess as for any article file
    return decode_bytes(data)[0]


def page_metadata(html: str, *, url: str | None = None) -> dict[str, str]:
    """``url`` (canonical), ``sitename``, ``published`` (YYYY-MM-DD) and ``title`` found in a page ("" if not)."""
    import trafilatura  # imported here: only pages need it

    found = trafilatura.extract_metadata(html, default_url=url)
    if found is None:
        return {"url": url or "", "sitename": "", "published": "", "title": ""}
    return {
        "url": found.url or url or "",
        "sitename": found.sitename or "",
        "published": found.date or "",
        "title": found.title or "",
    }


def page_date(html: str, *, url: str | None = None) -> str | None:
    """The publication date htmldate finds in the page's markup and url (YYYY-MM-DD), or None."""
    from htmldate import find_date  # imported here: only fetching needs it

    try:
        return find_date(html, original_date=True, extensive_search=False, url=url)
    except ValueError:  # markup lxml cannot parse
        return None


def _saved_pages(folder: Path) -> Iterator[Path]:
    """The .html pages under ``folder``, not those in the ``NAME_files`` folders browsers save beside a page."""
    for path in sorted(folder.rglob("*")):
        inside_assets = any(part.endswith("_files") for part in path.relative_to(folder).parts[:-1])
        if path.is_file() and path.suffix.lower() in (".html", ".htm") and not inside_assets:
            yield path


def import_pages(folder: str | Path, target: str | Path, *, event: str = "") -> ImportResult:
    """Turn a folder of saved ``.html`` pages into a corpus, the manifest built from their metadata.

    Each page is copied (as UTF-8) to ``html/ID.html`` in ``target``, its manifest row filled
    from the page: ``url`` (canonical link or og:url), ``outlet`` (the profile of its domain or
    site name, else the site name or host), ``published``, ``title``, and ``saved_as`` (its
    path in ``folder``), and ``event`` if given. ``summary`` lists every page; ``reason`` names
    what was not found.

    Raises
    ------
    FileNotFoundError, TargetError
    """
    source, root = Path(folder).expanduser().resolve(), Path(target).expanduser().resolve()
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: not a folder of saved .html pages")
    extended = _check_target(root, source)
    manifest = read_manifest_table(root)
    profiles = load_profiles(root / PROFILES_FILE)
    seen = {key: (article, "an article already in the corpus") for key, article in _known(manifest).items()}
    rows, pages, summary = [], [], []
    for path in _saved_pages(source):
        name = path.relative_to(source).as_posix()
        entry = {"source": name, "row": len(summary) + 1, "url": "", "id": "", "outlet": "", "published": ""}
        try:
            html = decode_page(path.read_bytes())
        except UnicodeDecodeError as err:
            summary.append(entry | {"status": "unusable", "reason": f"undecodable ({err.reason})"})
            continue
        if not html.strip():
            summary.append(entry | {"status": "unusable", "reason": "empty file"})
            continue
        meta = page_metadata(html)
        url = meta["url"] if is_web_address(meta["url"]) else ""
        key = url_key(url) if url else "page:" + hashlib.sha256(html.encode()).hexdigest()
        identifier = article_id(key)
        if key in seen or identifier in seen:
            earlier, where = seen.get(key) or seen[identifier]
            summary.append(
                entry | {"url": url, "id": earlier, "status": "duplicate", "reason": f"same page as {where} ({earlier})"}
            )
            continue
        seen[key] = (identifier, name)
        outlet, profiled = match_outlet(meta["sitename"], url, profiles)
        missing = [
            what
            for what, value in (("url", url), ("site name", outlet), ("date", meta["published"]), ("title", meta["title"]))
            if not value
        ]
        notes = [f"not found: {', '.join(missing)}; fill in manifest.csv"] if missing else []
        if outlet and not profiled:
            notes.append(f"outlet {outlet!r} has no profile; add one to {PROFILES_FILE} in the corpus folder")
        rows.append(
            {
                "file": f"{HTML_FOLDER}/{identifier}.html",
                "outlet": outlet,
                "published": meta["published"],
                "title": meta["title"],
                "url": url,
                "id": identifier,
                "event": event,
                "saved_as": name,
            }
        )
        pages.append(html)
        summary.append(
            entry
            | {"url": url, "id": identifier, "outlet": outlet, "published": meta["published"], "status": "imported"}
            | {"reason": "; ".join(notes)}
        )
    if not summary:
        raise CollectError(f"{source}: no .html or .htm pages in the folder; save the pages as 'Web page, HTML only'")
    result = ImportResult(str(root), extended, pd.DataFrame(summary, columns=list(SUMMARY_COLUMNS)))
    for row, html in zip(rows, pages, strict=True):
        write_text_atomic(root / row["file"], html)
    combined = pd.concat([manifest, pd.DataFrame(rows, dtype=str)], ignore_index=True).fillna("")
    write_manifest_table(root, combined)
    _append_log(root, "imports", {"source": str(source), "from": "html", "rows": len(summary)} | result.counts())
    return result


# ---------------------------------------------------------------------------
# Fetching
# ---------------------------------------------------------------------------

USER_AGENT = f"framing/{__version__} (news framing research; fetches each page once, obeys robots.txt)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True)
class FetchSettings:
    """How politely to fetch.

    ``delay`` seconds between two requests to one host (a robots.txt ``Crawl-delay`` longer
    than it wins, up to ``max_wait``); ``timeout`` seconds per request; ``retries`` more tries
    after a timeout, connection error, 429 or 5xx, waiting ``backoff`` seconds and doubling (or
    the server's ``Retry-After``, up to ``max_wait``); pages over ``max_bytes`` are refused;
    ``retry_failed`` tries again the pages an earlier run could not fetch (robots.txt
    refusals are kept).
    """

    delay: float = 2.0
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 2.0
    max_wait: float = 60.0
    max_bytes: int = 20_000_000
    user_agent: str = USER_AGENT
    retry_failed: bool = False


@dataclass
class FetchRecord:
    """One page's fetch: ``outcome`` fetched, failed (``status``: HTTP status, or ``error``) or
    robots (refused by robots.txt); ``page_published`` is the date found in the page, and
    ``date_warning`` says when it is more than a day from the export's."""

    id: str
    url: str
    outcome: Outcome
    status: int | None = None
    error: str = ""
    final_url: str = ""
    attempts: int = 0
    page_published: str = ""
    date_warning: str = ""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


FETCH_COLUMNS = tuple(f.name for f in fields(FetchRecord))


@dataclass
class FetchResult:
    """What a fetch did: ``records`` of the pages tried in this run; ``earlier`` pages done
    by a previous run (skipped)."""

    corpus: str
    records: list[FetchRecord]
    earlier: int

    def table(self) -> pd.DataFrame:
        """One row per page tried: :data:`FETCH_COLUMNS`."""
        return pd.DataFrame([asdict(r) for r in self.records], columns=list(FETCH_COLUMNS))

    def counts(self) -> dict[str, int]:
        """Pages fetched, failed and skipped by robots.txt in this run, and done earlier."""
        outcomes = [r.outcome for r in self.records]
        return {o: outcomes.count(o) for o in ("fetched", "failed", "robots")} | {"earlier": self.earlier}


def read_state(folder: Path) -> dict[str, dict[str, Any]]:
    """The last record of each article id in ``fetch-state.jsonl``; a line cut by a kill is ignored."""
    path = folder / STATE
    state: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return state
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "id" in record:
            state[record["id"]] = record
    return state


def _append_state(folder: Path, record: FetchRecord) -> None:
    # one line per page, appended and flushed: a killed fetch loses at most the page in flight
    with (folder / STATE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        handle.flush()


class _Pacer:
    """Per-host timing: when each host may be asked again."""

    def __init__(self, delay: float):
        self.delay = delay
        self.delays: dict[str, float] = {}
        self.next_at: dict[str, float] = {}

    def wait(self, host: str) -> None:
        pause = self.next_at.get(host, 0.0) - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def done(self, host: str) -> None:
        self.next_at[host] = time.monotonic() + self.delays.get(host, self.delay)


@dataclass
class _Response:
    status: int | None
    body: bytes = b""
    charset: str | None = None
    final_url: str = ""
    error: str = ""
    retry_after: float | None = None
    kind: str = ""  # the Content-Type, without parameters
    refused: bool = False  # a redirect robots.txt disallows


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff applies


class _Refused(Exception):
    """A redirect to a url that robots.txt disallows (or whose robots.txt could not be read)."""


def _opener(robots: _Robots | None) -> urllib.request.OpenerDirector:
    """An opener whose redirects go only where robots.txt allows (the redirect target's own rules)."""

    class Redirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
            verdict = robots.allows(newurl) if robots is not None else True
            if verdict is not True:
                raise _Refused(f"redirected to {newurl}, which {verdict if verdict else 'robots.txt disallows'}")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(Redirects)


def _request(url: str, settings: FetchSettings, robots: _Robots | None = None) -> _Response:
    """One GET: the body of a 2xx, or the status or error of anything else. Redirects are followed where robots.txt allows."""
    request = urllib.request.Request(url, headers={"User-Agent": settings.user_agent, "Accept": "text/html,*/*;q=0.5"})
    try:
        with _opener(robots).open(request, timeout=settings.timeout) as response:
            body = response.read(settings.max_bytes + 1)
            if len(body) > settings.max_bytes:
                return _Response(response.status, error=f"larger than {settings.max_bytes:,} bytes")
            headers = response.headers
            return _Response(
                response.status, body, headers.get_content_charset(), response.geturl(), kind=headers.get_content_type()
            )
    except _Refused as refused:
        return _Response(None, error=str(refused), refused=True)
    except urllib.error.HTTPError as err:
        return _Response(
            err.code, error=f"HTTP {err.code} {err.reason}", retry_after=_retry_after(err.headers.get("Retry-After"))
        )
    except urllib.error.URLError as err:
        return _Response(None, error=str(err.reason))
    except (TimeoutError, OSError) as err:
        return _Response(None, error=str(err) or type(err).__name__)


def _retryable(response: _Response) -> bool:
    return not response.refused and (response.status in RETRY_STATUSES or (response.status is None and bool(response.error)))


def _get(url: str, settings: FetchSettings, pacer: _Pacer, robots: _Robots | None = None) -> tuple[_Response, int]:
    """GET with the host's pacing, retrying with backoff; returns the last response and the attempts made."""
    host = urlsplit(url).netloc.lower()
    attempts = 0
    while True:
        pacer.wait(host)
        response = _request(url, settings, robots)
        pacer.done(host)
        attempts += 1
        if response.error == "" or not _retryable(response) or attempts > settings.retries:
            return response, attempts
        wait = settings.backoff * 2 ** (attempts - 1)
        time.sleep(min(max(wait, response.retry_after or 0.0), settings.max_wait))


class _Robots:
    """Each host's robots.txt, read once, as :mod:`urllib.robotparser` reads it: 401 or 403
    forbid everything, another 4xx allows everything; a host whose robots.txt cannot be read
    (5xx, no answer) is not asked for pages in this run."""

    def __init__(self, settings: FetchSettings, pacer: _Pacer):
        self.settings, self.pacer = settings, pacer
        self.hosts: dict[str, RobotFileParser | str] = {}

    def _read(self, base: str) -> RobotFileParser | str:
        rules = RobotFileParser(f"{base}/robots.txt")
        response, _ = _get(f"{base}/robots.txt", self.settings, self.pacer)
        if response.status is not None and 200 <= response.status < 300:
            rules.parse(decode_page(response.body, response.charset).splitlines())
        elif response.status in (401, 403):
            rules.disallow_all = True
        elif response.status is not None and 400 <= response.status < 500:
            rules.allow_all = True
        else:
            return f"robots.txt could not be read ({response.error})"
        crawl_delay = rules.crawl_delay(self.settings.user_agent)
        if crawl_delay:
            host = urlsplit(base).netloc.lower()
            self.pacer.delays[host] = min(max(float(crawl_delay), self.settings.delay), self.settings.max_wait)
        return rules

    def allows(self, url: str) -> bool | str:
        """True, False (disallowed), or why the host's robots.txt could not be read."""
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        if base not in self.hosts:
            self.hosts[base] = self._read(base)
        rules = self.hosts[base]
        return rules if isinstance(rules, str) else rules.can_fetch(self.settings.user_agent, url)


def _fetch_one(row: dict[str, str], folder: Path, settings: FetchSettings, pacer: _Pacer, robots: _Robots) -> FetchRecord:
    url, identifier = row["url"], row["id"]
    verdict = robots.allows(url)
    if isinstance(verdict, str):
        return FetchRecord(identifier, url, "failed", error=verdict)
    if not verdict:
        return FetchRecord(identifier, url, "robots", error="disallowed by robots.txt")
    response, attempts = _get(url, settings, pacer, robots)
    if response.refused:
        return FetchRecord(identifier, url, "robots", error=response.error, attempts=attempts)
    if response.error:
        return FetchRecord(identifier, url, "failed", response.status, response.error, attempts=attempts)
    if response.kind not in PAGE_TYPES:
        return FetchRecord(identifier, url, "failed", response.status, f"not a web page ({response.kind})", attempts=attempts)
    html = decode_page(response.body, response.charset)
    write_text_atomic(folder / HTML_FOLDER / f"{identifier}.html", html)
    found = page_date(html, url=response.final_url or url)
    return FetchRecord(
        identifier,
        url,
        "fetched",
        response.status,
        final_url=response.final_url if response.final_url != url else "",
        attempts=attempts,
        page_published=found or "",
        date_warning=date_disagreement(row.get("published", ""), found),
    )


def _interleaved(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows taken one host at a time in turn, so that one host's delay is spent on the others."""
    by_host: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_host.setdefault(urlsplit(row["url"]).netloc.lower(), []).append(row)
    queues = list(by_host.values())
    return [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]


def _reconcile(folder: Path, manifest: pd.DataFrame, state: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The manifest with ``file`` set for every page saved under html/, and ``page_published``
    (the page's date; also ``published`` where the export had none)."""
    table = manifest.copy()
    for column in ("file", "published", "page_published"):
        if column not in table.columns:
            table[column] = ""
    for index, row in table.iterrows():
        relative = f"{HTML_FOLDER}/{row['id']}.html"
        if row["file"] or not row.get("id") or not (folder / relative).is_file():
            continue
        found = state.get(row["id"], {}).get("page_published", "")
        table.loc[index, "file"] = relative
        table.loc[index, "page_published"] = found
        if not row["published"] and found:
            table.loc[index, "published"] = found
    return table


def pending_rows(manifest: pd.DataFrame) -> pd.DataFrame:
    """Manifest rows with a url and no file yet: what :func:`fetch_corpus` downloads."""
    if "url" not in manifest.columns or "file" not in manifest.columns:
        return manifest.iloc[0:0]
    return manifest[(manifest["url"].str.strip() != "") & (manifest["file"].str.strip() == "")]


def fetch_corpus(
    corpus: str | Path, *, settings: FetchSettings | None = None, progress: Callable[[FetchRecord, int], None] | None = None
) -> FetchResult:
    """Download the pages of the rows of ``corpus`` that have a url and no file.

    Pages are saved as ``html/ID.html`` and the manifest's ``file`` points at them; the loader
    then extracts their text with trafilatura like any ``.html`` article. Every page tried is
    appended to ``fetch-state.jsonl``, so a killed fetch, run again, continues: saved pages are
    never downloaded again, and pages that failed are tried again only with
    ``settings.retry_failed``. The manifest is rewritten (atomically) at the end, and also when
    the fetch is interrupted.

    Parameters
    ----------
    corpus : str or path
        A corpus folder written by :func:`import_export` or :func:`import_pages`.
    settings : FetchSettings, optional
    progress : callable, optional
        Called with each :class:`FetchRecord` as it is made and the number of pages this run
        tries (for a progress bar).

    Returns
    -------
    FetchResult

    Raises
    ------
    FileNotFoundError, TargetError
        When ``corpus`` is not a folder written by ``framing import``.
    """
    settings = settings or FetchSettings()
    folder = Path(corpus).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such corpus folder")
    if not _is_import(folder):
        raise TargetError(
            f"{folder}: not a folder written by 'framing import', whose manifest fetch may update; "
            f"import the list first: framing import {folder / MANIFEST} --from csv --to NEW_FOLDER"
        )
    state = read_state(folder)
    manifest = _reconcile(folder, read_manifest_table(folder), state)
    pending = pending_rows(manifest).to_dict("records")
    final = {"robots"} if settings.retry_failed else {"robots", "failed"}
    todo = [row for row in pending if state.get(row["id"], {}).get("outcome") not in final]
    result = FetchResult(str(folder), [], earlier=len(pending) - len(todo))
    pacer = _Pacer(settings.delay)
    robots = _Robots(settings, pacer)
    try:
        for row in _interleaved(todo):
            record = _fetch_one(row, folder, settings, pacer, robots)
            _append_state(folder, record)
            state[record.id] = asdict(record)
            result.records.append(record)
            if progress is not None:
                progress(record, len(todo))
    finally:
        write_manifest_table(folder, _reconcile(folder, manifest, state))
        _append_log(folder, "fetches", result.counts())
    return result
