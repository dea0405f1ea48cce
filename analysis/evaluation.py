"""Agreement of framing's measures with what careful people marked: gold files and validity tables.

A gold file is JSON: either a list of article records or an object whose ``articles`` key holds
that list (the shape of ``shared/validation/devpages.json``). Each record names its article by
``id`` or by ``file`` (the article id is then the file's stem, as in a corpus folder) and carries
the labels of one or more kinds:

- cleaning: ``headline`` (the exact headline, or null when the page has none), optionally
  ``dek`` (the exact standfirst, or null when there is none; without the key the dek is not
  scored) and ``chrome`` (the exact lines of site furniture, each as it appears on a line of the
  page);
- later kinds read their own keys (``quotes``, ``event``, ``family``) from the same records;
  every other key is kept as metadata (``event`` lets a benchmark score a split).

Each evaluation returns an :class:`Evaluation`: a tidy ``validity`` table (``measure``, ``gold``,
``metric``, ``value``, ``ci_low``, ``ci_high``, ``n``; 95% Wilson intervals) and a ``misses``
table naming every item the measure got wrong, so that a reader can check each one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pandas as pd

from analysis.stats import wilson
from analysis.tokens import sentence_spans

EvaluationKind = Literal["cleaning"]
VALIDITY_COLUMNS = ["measure", "gold", "metric", "value", "ci_low", "ci_high", "n"]
MISS_COLUMNS = ["article_id", "metric", "expected", "got", "detail"]


class GoldError(ValueError):
    """A gold file cannot be used; the message names the file, the record and the field."""


class Evaluation(NamedTuple):
    """Validity figures and the items behind every error."""

    validity: pd.DataFrame
    misses: pd.DataFrame


# ---------------------------------------------------------------------------
# Gold files
# ---------------------------------------------------------------------------

_CLEANING_FIELDS = ("headline", "dek", "chrome")


def _check_record(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise GoldError(f"{where}: expected an object with 'file' or 'id' and labels")
    name = record.get("id") or record.get("file")
    if not isinstance(name, str) or not name.strip():
        raise GoldError(f"{where}: no 'file' or 'id'; name the article each record labels")
    where = f"{where} ({name})"
    for key in ("headline", "dek"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise GoldError(f"{where}, field '{key}': expected a string or null, got {type(record[key]).__name__}")
    chrome = record.get("chrome", [])
    if not isinstance(chrome, list) or not all(isinstance(line, str) for line in chrome):
        raise GoldError(f"{where}, field 'chrome': expected a list of strings (the furniture lines)")
    article_id = str(record["id"]).strip() if record.get("id") else Path(record["file"].strip()).stem
    return {"article_id": article_id, **record, "chrome": list(chrome), "dek_labelled": "dek" in record}


def read_gold(path: str | Path) -> pd.DataFrame:
    """Read a gold file into one row per labelled article.

    Returns
    -------
    DataFrame
        ``article_id`` (``id``, or the stem of ``file``), ``headline`` (str or None), ``dek``
        (str or None), ``dek_labelled`` (bool: the record has a ``dek`` key), ``chrome`` (list
        of str), then every other key of the records (``file``, ``event``, ``quotes``, ...).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    GoldError
        When the file is not JSON of the documented shape; the message names the record and field.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"gold file {path} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise GoldError(f"{path}: not valid UTF-8 JSON ({err})") from None
    entries = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise GoldError(f"{path}: expected a list of article records, or an object with an 'articles' list")
    rows = [_check_record(record, f"{path}, article {i + 1}") for i, record in enumerate(entries)]
    gold = pd.DataFrame.from_records(rows)
    duplicated = gold["article_id"][gold["article_id"].duplicated()]
    if not duplicated.empty:
        raise GoldError(f"{path}: article {duplicated.iloc[0]!r} is labelled twice; keep one record per article")
    for key in ("headline", "dek"):
        gold[key] = gold[key].astype(object).where(gold[key].notna(), None) if key in gold else None
    return gold


# ---------------------------------------------------------------------------
# Text keys: what must match for a label to count as found
# ---------------------------------------------------------------------------

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
_NON_ALNUM = re.compile(r"[\W_]+")


_DASH_RUN = re.compile(r"\s*-{2,}\s*")


def _typographic(text: str) -> str:
    """Whitespace collapsed, quote marks straight, dashes as hyphens (cleaning curls quotes and spaces dashes)."""
    return " ".join(_DASH_RUN.sub(" - ", text.translate(_QUOTES)).split())


def _letters(text: str) -> str:
    """Letters and digits only, casefolded; for a line of symbols only ("↧", "•"), its non-space characters.

    Spaces are dropped too, so a word glued or un-glued by cleaning still matches.
    """
    key = _NON_ALNUM.sub("", text.casefold())
    return key or "".join(text.split())


# ---------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------


@dataclass
class _Page:
    """One gold page split into what the annotator marked: headline lines, furniture lines, story lines."""

    furniture: dict[str, int]  # letters key -> lines of the page that are this piece of furniture
    furniture_text: dict[str, str]
    story: list[str]  # sentences of the story, as on the page


def _page_lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _headline_lines(lines: list[str], headline: str) -> tuple[set[int], set[int]]:
    """Lines carrying the first copy of ``headline`` (it may wrap or run into other text) and later whole-line copies."""
    target = _letters(headline)
    keys = [_letters(line) if line else "" for line in lines]
    stream, starts = "", []
    for key in keys:
        starts.append(len(stream))
        stream += key
    first = stream.find(target)
    if first < 0:
        return set(), set()
    spanned = {i for i, s in enumerate(starts) if keys[i] and s < first + len(target) and s + len(keys[i]) > first}
    copies = {i for i, key in enumerate(keys) if key == target and i not in spanned}
    return spanned, copies


def _split_page(raw: str, record: dict[str, Any]) -> _Page:
    lines = _page_lines(raw)
    headline = record.get("headline")
    headline_lines, copies = _headline_lines(lines, headline) if headline else (set(), set())
    chrome = {line.strip() for line in record["chrome"] if line.strip()}
    dek = record.get("dek") if record.get("dek_labelled") else None
    dek_key = _letters(dek) if dek else None
    furniture: dict[str, int] = {}
    furniture_text: dict[str, str] = {}
    story: list[str] = []
    for i, line in enumerate(lines):
        if not line or i in headline_lines:
            continue
        if line in chrome or i in copies:
            key = _letters(line)
            furniture[key] = furniture.get(key, 0) + 1
            furniture_text[key] = line
        elif dek_key is None or _letters(line) != dek_key:
            story += [line[s:e] for s, e in sentence_spans(line)]
    for line in chrome:  # listed but not found as a whole line: still one piece of furniture to look for
        furniture.setdefault(_letters(line), 1)
        furniture_text.setdefault(_letters(line), line)
    return _Page(furniture=furniture, furniture_text=furniture_text, story=story)


# A furniture key this long is specific enough to count wherever it appears; shorter ones
# ("Russia", "World") count only as a whole paragraph of the output.
_SPECIFIC_KEY = 20


def _surviving(key: str, units: list[str], output: str, kept_story: str) -> int:
    whole = sum(_letters(unit) == key for unit in units)
    if len(key) < _SPECIFIC_KEY:
        return whole
    return max(whole, output.count(key) - kept_story.count(key))


def _removal_reason(sentence_key: str, article: dict[str, Any]) -> str:
    if sentence_key in _letters(article.get("headline") or ""):
        return "taken as the headline"
    for removal in article.get("removed") or []:
        removed_key = _NON_ALNUM.sub("", str(removal.get("text", "")).casefold())
        if removed_key and (sentence_key in removed_key or removed_key in sentence_key):
            return f"removed: {removal.get('reason', '')}"
    return "not found in the output"


def _rate_row(gold_name: str, metric: str, count: int, n: int) -> dict[str, Any]:
    low, high = wilson(count, n)
    return {
        "measure": "cleaning",
        "gold": gold_name,
        "metric": metric,
        "value": count / n if n else float("nan"),
        "ci_low": float(low),
        "ci_high": float(high),
        "n": n,
    }


def evaluate_cleaning(
    articles: pd.DataFrame, gold: pd.DataFrame, *, gold_name: str = "gold", skipped: Mapping[str, str] | None = None
) -> Evaluation:
    """Headline, dek and furniture of the cleaned articles against the gold labels.

    Parameters
    ----------
    articles : DataFrame
        The loader's article table (``id``, ``headline``, ``dek``, ``dateline``, ``body``,
        ``raw``, ``removed``; ``byline`` when present). ``raw`` is the page text the gold's
        lines refer to.
    gold : DataFrame
        From :func:`read_gold`. Articles it labels that are not in ``articles`` are listed in
        the misses (metric ``not_loaded``) and left out of every denominator.
    gold_name : str, default="gold"
        Written in the ``gold`` column (a file name, or a split such as ``devpages DEV1-DEV3``).
    skipped : mapping of str to str, optional
        Why the loader skipped an article (id -> its problem), written in the ``not_loaded`` miss.

    Returns
    -------
    Evaluation
        ``validity`` rows (measure ``cleaning``), each a share with its 95% Wilson interval:

        - ``headline_accuracy``: headlines equal to the gold one (whitespace collapsed, quote
          marks and dashes unified; an empty headline is right when the gold says none), n articles;
        - ``headline_invented``: a headline given where the gold says there is none, n such articles;
        - ``dek_accuracy``: deks equal to the gold one, n articles whose record has a ``dek`` key;
        - ``furniture_surviving``: furniture lines still in the body or dek, n furniture lines
          (the ``chrome`` lines and whole-line copies of the headline, counted per line of the page);
        - ``story_removed``: story sentences (every other sentence of the page, outside the
          headline's line and the gold dek) found in none of body, dateline, dek and byline,
          n story sentences;
        - ``story_outside_body``: story sentences not in the dateline and body (the text every
          measure reads), n story sentences.

        ``misses``: ``article_id``, ``metric``, ``expected``, ``got``, ``detail`` (where the
        text went, with the removal reason).

    Notes
    -----
    Text is matched on its letters and digits, casefolded, so quote curling, dash spacing and
    repaired glued words do not count as differences. A furniture line of fewer than 20 letters
    counts as surviving only where it is a whole paragraph of the output (such short keys occur
    inside story text); a longer one wherever it appears more often than in the kept story.
    """
    by_id = {str(row["id"]): row for row in articles.to_dict("records")}
    counts = dict.fromkeys(
        ("headline_right", "headlines", "invented", "no_headline", "dek_right", "deks", "surviving", "furniture"), 0
    )
    counts |= {"removed": 0, "outside": 0, "story": 0}
    misses: list[dict[str, Any]] = []
    for record in gold.to_dict("records"):
        article_id = record["article_id"]
        article = by_id.get(article_id)
        if article is None:
            misses.append(
                {
                    "article_id": article_id,
                    "metric": "not_loaded",
                    "expected": "an article row",
                    "got": "",
                    "detail": (skipped or {}).get(article_id)
                    or "not in the article table: skipped by the loader (run framing validate) or not in the corpus",
                }
            )
            continue
        miss = {"article_id": article_id}
        got_headline = str(article.get("headline") or "")
        expected_headline = record.get("headline") or ""
        counts["headlines"] += 1
        if _typographic(got_headline) == _typographic(expected_headline):
            counts["headline_right"] += 1
        else:
            detail = "invented: the page has no headline" if not expected_headline else ("none given" if not got_headline else "")
            misses.append(miss | {"metric": "headline", "expected": expected_headline, "got": got_headline, "detail": detail})
        if not expected_headline:
            counts["no_headline"] += 1
            counts["invented"] += bool(got_headline)
        got_dek = str(article.get("dek") or "")
        if record.get("dek_labelled"):
            counts["deks"] += 1
            expected_dek = record.get("dek") or ""
            if _typographic(got_dek) == _typographic(expected_dek):
                counts["dek_right"] += 1
            else:
                misses.append(miss | {"metric": "dek", "expected": expected_dek, "got": got_dek, "detail": ""})

        page = _split_page(str(article.get("raw") or ""), record)
        dateline, body = str(article.get("dateline") or ""), str(article.get("body") or "")
        byline = str(article.get("byline") or "") if "byline" in article else ""
        body_key = _letters(f"{dateline} {body}")
        kept_key = body_key + "|" + _letters(got_dek) + "|" + _letters(byline)
        kept_story = []
        for sentence in page.story:
            key = _letters(sentence)
            counts["story"] += 1
            if key in body_key:
                kept_story.append(key)
                continue
            counts["outside"] += 1
            if key in kept_key:
                kept_story.append(key)
                where = "in the dek" if key in _letters(got_dek) else "in the byline"
                misses.append(miss | {"metric": "story_outside_body", "expected": sentence, "got": "", "detail": where})
            else:
                counts["removed"] += 1
                reason = _removal_reason(key, article)
                misses.append(miss | {"metric": "story_removed", "expected": sentence, "got": "", "detail": reason})
        units = [got_dek, *(p for p in body.split("\n\n") if p.strip())]
        output = _letters(got_dek) + "|" + body_key
        for key, lines in page.furniture.items():
            counts["furniture"] += lines
            left = min(lines, _surviving(key, units, output, "|".join(kept_story)))
            counts["surviving"] += left
            if left:
                where = "in the dek" if key in _letters(got_dek) else "in the body"
                times = f" ({left} of {lines} copies)" if lines > 1 else ""
                misses.append(
                    miss
                    | {"metric": "furniture_surviving", "expected": page.furniture_text[key], "got": "", "detail": where + times}
                )

    validity = pd.DataFrame(
        [
            _rate_row(gold_name, "headline_accuracy", counts["headline_right"], counts["headlines"]),
            _rate_row(gold_name, "headline_invented", counts["invented"], counts["no_headline"]),
            _rate_row(gold_name, "dek_accuracy", counts["dek_right"], counts["deks"]),
            _rate_row(gold_name, "furniture_surviving", counts["surviving"], counts["furniture"]),
            _rate_row(gold_name, "story_removed", counts["removed"], counts["story"]),
            _rate_row(gold_name, "story_outside_body", counts["outside"], counts["story"]),
        ],
        columns=VALIDITY_COLUMNS,
    )
    return Evaluation(validity=validity, misses=pd.DataFrame(misses, columns=MISS_COLUMNS))


#: Each kind of evaluation: ``(articles, gold, gold_name=...) -> Evaluation``. Later issues add
#: quotes, events and provenance here, reading their own keys of the same gold records.
EVALUATIONS: dict[str, Callable[..., Evaluation]] = {"cleaning": evaluate_cleaning}


def evaluate(kind: EvaluationKind, articles: pd.DataFrame, gold: pd.DataFrame, **options: Any) -> Evaluation:
    """Run the evaluation ``kind`` (one of :data:`EVALUATIONS`) of ``articles`` against ``gold``; options go to it."""
    if kind not in EVALUATIONS:
        raise ValueError(f"evaluate: kind must be one of {', '.join(EVALUATIONS)}, got {kind!r}")
    return EVALUATIONS[kind](articles, gold, **options)


def skipped_articles(problems: Iterable[Any]) -> dict[str, str]:
    """``{article id: message}`` of the loader's problems that skipped an article (for the ``not_loaded`` misses)."""
    return {p.article_id: p.message for p in problems if p.article_id and (p.severity == "error" or "skipped" in p.message)}
