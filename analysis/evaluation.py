"""Agreement of framing's measures with what careful people marked: gold files and validity tables.

Two families of gold, one validity shape (``ARCHITECTURE.md``: ``measure``, ``gold``, ``metric``,
``value``, ``ci_low``, ``ci_high``, ``n``; 95% intervals).

**Labelled pages** (:func:`read_page_gold`). JSON: either a list of article records or an object
whose ``articles`` key holds that list (the shape of ``shared/validation/devpages.json``). Each
record names its article by ``id`` or by ``file`` (the article id is then the file's stem, as in
a corpus folder) and carries the labels of one or more kinds:

- cleaning: ``headline`` (the exact headline, or null when the page has none), optionally
  ``dek`` (the exact standfirst, or null when there is none; without the key the dek is not
  scored) and ``chrome`` (the exact lines of site furniture, each as it appears on a line of the
  page);
- later kinds read their own keys (``quotes``, ``event``, ``family``) from the same records;
  every other key is kept as metadata (``event`` lets a benchmark score a split).

Each page evaluation returns an :class:`Evaluation`: the ``validity`` table and a ``misses``
table naming every item the measure got wrong, so that a reader can check each one.

**Annotated text for loaded language** (:func:`read_gold`): three published formats read into one
:class:`Gold` (documents, their sentences with a Biased / Non-biased label, and the marked spans):

* BABE-style CSV (Spinde et al. 2021): one sentence per row, ``text``, ``label_bias``
  (``Biased`` / ``Non-biased``) and ``biased_words``, a Python-list string of the words the
  experts marked (``"['criminals', 'fringe']"``);
* PTC-style folder (Da San Martino et al. 2019): ``articles/article<ID>.txt`` (title, blank
  line, one sentence per line) and ``labels.tsv`` with ``article_id, technique, start, end``
  (character offsets, end exclusive); the techniques that count as loaded are chosen;
* BASIL-style JSON (Fan et al. 2019): events, each with articles of several outlets holding
  ``sentences`` and ``spans`` with ``bias`` ``lex`` (lexical) or ``inf`` (informational).

A lexicon's output is scored as **hits** (``article_id, start, end, term, category``) and
**sentence predictions** (loaded or not).
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from analysis.stats import wilson
from analysis.tokens import WORD_PATTERN, sentence_spans

EvaluationKind = Literal["cleaning", "quotes", "events", "provenance"]
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


def read_page_gold(path: str | Path) -> pd.DataFrame:
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


def _rate_row(gold_name: str, metric: str, count: int, n: int, *, measure: str = "cleaning") -> dict[str, Any]:
    low, high = wilson(count, n)
    return {
        "measure": measure,
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
        From :func:`read_page_gold`. Articles it labels that are not in ``articles`` are listed in
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


# ---------------------------------------------------------------------------
# Quotations, events and copies on labelled pages
# ---------------------------------------------------------------------------


_PARENTHESIS = re.compile(r"\([^)]*\)")


def _same_person(gold_speaker: str, got: Sequence[str]) -> bool:
    """Whether one of ``got`` (speaker, attributed name, actor) names the gold speaker.

    Names are compared on their words (letters and digits, casefolded; a gold note in
    parentheses such as "(Navalny's lawyer)" left out): right when either name's last word is
    a word of the other ("Putin" and "Vladimir Putin"; "Mikhailova" and "Olga Mikhailova"; "US
    State Department" and "US State Department spokesperson").

    Examples
    --------
    >>> _same_person("Olga Mikhailova (Navalny's lawyer)", ["Mikhailova"]), _same_person("Blinken", ["United States"])
    (True, False)
    """
    expected = [_letters(w) for w in _PARENTHESIS.sub(" ", gold_speaker).split()]
    for name in got:
        words = [_letters(w) for w in str(name or "").split()]
        if expected and words and (expected[-1] in words or words[-1] in expected):
            return True
    return False


def _not_loaded(gold: pd.DataFrame, articles: pd.DataFrame, skipped: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """A ``not_loaded`` miss for each labelled article the corpus table lacks, with the loader's reason."""
    missing = sorted(set(gold["article_id"]) - set(articles["id"].astype(str)))
    return [
        {"article_id": a, "metric": "not_loaded", "expected": "", "got": "", "detail": (skipped or {}).get(a, "")}
        for a in missing
    ]


def evaluate_quotes(
    articles: pd.DataFrame,
    gold: pd.DataFrame,
    *,
    quotes: pd.DataFrame | None = None,
    gold_name: str = "gold",
    skipped: Mapping[str, str] | None = None,
) -> Evaluation:
    """Quotations and their speakers against the gold ``quotes`` ([first words, speaker]) of each page.

    A gold quotation is found when an extracted quotation of its article contains its first
    words (compared on letters and digits only); its speaker is right when the extraction's
    ``speaker``, ``attributed_to`` or actor names the gold speaker (equal, or sharing the gold
    name's last word), or when both are empty.

    Returns
    -------
    Evaluation
        ``validity`` rows (measure ``quotes``): ``quotes_found`` (n gold quotations),
        ``speaker_right`` (n gold quotations: a quotation not found counts as wrong) and
        ``speaker_right_when_found`` (n found), each with its Wilson interval; the misses name
        every gold quotation not found or given another speaker.
    """
    from analysis.quotes import extract_quotes

    loaded = set(articles["id"].astype(str))
    labelled = gold[gold["article_id"].isin(loaded)]
    quotes = extract_quotes(articles[articles["id"].astype(str).isin(set(labelled["article_id"]))]) if quotes is None else quotes
    by_article = {key: rows for key, rows in quotes.groupby(quotes["article_id"].astype(str))}
    found = right = n = 0
    misses = _not_loaded(gold[gold["quotes"].map(bool)], articles, skipped)
    for article_id, labels in zip(labelled["article_id"], labelled["quotes"], strict=True):
        rows = by_article.get(article_id, quotes.iloc[0:0])
        texts = [_letters(text) for text in rows["text"].astype(str)]
        for first_words, speaker in labels or []:
            n += 1
            key = _letters(first_words)
            match = next((i for i, text in enumerate(texts) if key and key in text), None)
            if match is None:
                misses.append(
                    {
                        "article_id": article_id,
                        "metric": "quote_not_found",
                        "expected": first_words,
                        "got": "",
                        "detail": speaker or "",
                    }
                )
                continue
            found += 1
            row = rows.iloc[match]
            names = [row.get("speaker", ""), row.get("attributed_to", ""), row.get("actor", "")]
            names = ["" if pd.isna(v) else str(v) for v in names]
            ok = _same_person(speaker, names) if speaker else not any(names)
            right += ok
            if not ok:
                got = next((v for v in names if v), "")
                misses.append(
                    {
                        "article_id": article_id,
                        "metric": "speaker_wrong",
                        "expected": speaker or "(none)",
                        "got": got or "(none)",
                        "detail": first_words,
                    }
                )
    validity = pd.DataFrame(
        [
            _rate_row(gold_name, "quotes_found", found, n, measure="quotes"),
            _rate_row(gold_name, "speaker_right", right, n, measure="quotes"),
            _rate_row(gold_name, "speaker_right_when_found", right, found, measure="quotes"),
        ],
        columns=VALIDITY_COLUMNS,
    )
    return Evaluation(validity=validity, misses=pd.DataFrame(misses, columns=MISS_COLUMNS))


def _pair_scores(
    gold_name: str, measure: str, predicted: set[tuple[str, str]], expected: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Pair precision and recall (Wilson intervals) and F1 of two sets of article pairs."""
    hit = len(predicted & expected)
    f1 = 2 * hit / (len(predicted) + len(expected)) if predicted or expected else float("nan")
    n = len(predicted | expected)
    return [
        _rate_row(gold_name, "pair_precision", hit, len(predicted), measure=measure),
        _rate_row(gold_name, "pair_recall", hit, len(expected), measure=measure),
        {"measure": measure, "gold": gold_name, "metric": "pair_f1", "value": f1, "ci_low": np.nan, "ci_high": np.nan, "n": n},
    ]


def _pairs_of(labels: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Pairs of articles (sorted ids) that share a label; articles without a label pair with none."""
    groups: dict[Any, list[str]] = {}
    for article_id, label in labels.items():
        if label is not None and not (isinstance(label, float) and np.isnan(label)):
            groups.setdefault(label, []).append(article_id)
    return {tuple(sorted(pair)) for members in groups.values() for pair in combinations(members, 2)}


def evaluate_events(
    articles: pd.DataFrame,
    gold: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    gold_name: str = "gold",
    skipped: Mapping[str, str] | None = None,
    **options: Any,
) -> Evaluation:
    """Inferred events (:func:`analysis.events.group_events` without the corpus's labels) against the gold ``event``.

    Returns
    -------
    Evaluation
        ``validity`` rows (measure ``events``): ``adjusted_rand`` (n articles; no interval),
        ``pair_precision`` (pairs put in one event that the gold puts in one), ``pair_recall``
        and ``pair_f1``; the misses list each article whose inferred event mixes gold events
        or splits one.
    """
    from sklearn.metrics import adjusted_rand_score

    from analysis.events import group_events

    labelled = gold[gold["article_id"].isin(set(articles["id"].astype(str)))]
    chosen = articles[articles["id"].astype(str).isin(set(labelled["article_id"]))]
    if events is None:
        events = group_events(chosen, use_labels=False, **options)
    inferred = dict(zip(events["article_id"].astype(str), events["inferred_event"].astype(str), strict=True))
    truth = dict(zip(labelled["article_id"], labelled["event"], strict=True))
    ids = sorted(set(inferred) & set(truth))
    ari = adjusted_rand_score([truth[i] for i in ids], [inferred[i] for i in ids]) if ids else float("nan")
    rows = [
        {
            "measure": "events",
            "gold": gold_name,
            "metric": "adjusted_rand",
            "value": ari,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": len(ids),
        }
    ]
    rows += _pair_scores(gold_name, "events", _pairs_of({i: inferred[i] for i in ids}), _pairs_of({i: truth[i] for i in ids}))
    misses = _not_loaded(gold, articles, skipped)
    for event_id, members in pd.Series({i: inferred[i] for i in ids}).groupby(lambda i: inferred[i]):
        gold_events = sorted({truth[i] for i in members.index})
        if len(gold_events) > 1:
            misses += [
                {
                    "article_id": i,
                    "metric": "mixed_event",
                    "expected": truth[i],
                    "got": event_id,
                    "detail": ", ".join(gold_events),
                }
                for i in members.index
            ]
    for event_id, members in pd.Series({i: truth[i] for i in ids}).groupby(lambda i: truth[i]):
        split = sorted({inferred[i] for i in members.index})
        if len(split) > 1:
            misses += [
                {
                    "article_id": i,
                    "metric": "split_event",
                    "expected": event_id,
                    "got": inferred[i],
                    "detail": f"{len(split)} inferred events",
                }
                for i in members.index
            ]
    return Evaluation(validity=pd.DataFrame(rows, columns=VALIDITY_COLUMNS), misses=pd.DataFrame(misses, columns=MISS_COLUMNS))


def evaluate_provenance(
    articles: pd.DataFrame,
    gold: pd.DataFrame,
    *,
    pairs: pd.DataFrame | None = None,
    gold_name: str = "gold",
    skipped: Mapping[str, str] | None = None,
    **options: Any,
) -> Evaluation:
    """Copy pairs (:func:`analysis.provenance.text_reuse`, relation ``copy``) against the gold wire ``family``.

    Two articles are a gold copy pair when both are labelled copies of the same upstream story
    (same ``family``); a pair the provenance step reports as a ``copy`` counts as a predicted
    copy, while pairs that only share a quoted statement (``common_source``) or a stock phrase
    (``shared_phrase``) do not (pairs without a ``relation`` column all count).

    Returns
    -------
    Evaluation
        ``validity`` rows (measure ``provenance``): ``pair_precision``, ``pair_recall``,
        ``pair_f1``; the misses list each reported copy of different families (``not_a_copy``,
        with the share of text they share), each family pair not reported as a copy
        (``copy_missed``, with the relation given instead, if any).
    """
    from analysis.provenance import text_reuse

    labelled = gold[gold["article_id"].isin(set(articles["id"].astype(str)))]
    chosen = articles[articles["id"].astype(str).isin(set(labelled["article_id"]))]
    if pairs is None:
        pairs = text_reuse(chosen, **options)
    relations = pairs["relation"] if "relation" in pairs.columns else pd.Series("copy", index=pairs.index)
    given = {
        tuple(sorted((str(a), str(b)))): relation
        for a, b, relation in zip(pairs["article_a"], pairs["article_b"], relations, strict=True)
    }
    predicted = {pair for pair, relation in given.items() if relation == "copy"}
    expected = _pairs_of(dict(zip(labelled["article_id"], labelled["family"], strict=True)))
    shared = {
        tuple(sorted((str(a), str(b)))): max(sa, sb)
        for a, b, sa, sb in zip(pairs["article_a"], pairs["article_b"], pairs["shared_a"], pairs["shared_b"], strict=True)
    }
    misses = _not_loaded(gold[gold["family"].notna()], articles, skipped)
    misses += [
        {"article_id": a, "metric": "not_a_copy", "expected": "", "got": b, "detail": f"shares {shared[(a, b)]:.0%}"}
        for a, b in sorted(predicted - expected)
    ]
    misses += [
        {"article_id": a, "metric": "copy_missed", "expected": b, "got": "", "detail": given.get((a, b), "")}
        for a, b in sorted(expected - predicted)
    ]
    rows = _pair_scores(gold_name, "provenance", predicted, expected)
    return Evaluation(validity=pd.DataFrame(rows, columns=VALIDITY_COLUMNS), misses=pd.DataFrame(misses, columns=MISS_COLUMNS))


#: Each kind of evaluation: ``(articles, gold, gold_name=...) -> Evaluation``. Later issues add
#: quotes, events and provenance here, reading their own keys of the same gold records.
EVALUATIONS: dict[str, Callable[..., Evaluation]] = {
    "cleaning": evaluate_cleaning,
    "quotes": evaluate_quotes,
    "events": evaluate_events,
    "provenance": evaluate_provenance,
}


def evaluate(kind: EvaluationKind, articles: pd.DataFrame, gold: pd.DataFrame, **options: Any) -> Evaluation:
    """Run the evaluation ``kind`` (one of :data:`EVALUATIONS`) of ``articles`` against ``gold``; options go to it."""
    if kind not in EVALUATIONS:
        raise ValueError(f"evaluate: kind must be one of {', '.join(EVALUATIONS)}, got {kind!r}")
    return EVALUATIONS[kind](articles, gold, **options)


def skipped_articles(problems: Iterable[Any]) -> dict[str, str]:
    """``{article id: message}`` of the loader's problems that skipped an article (for the ``not_loaded`` misses)."""
    return {p.article_id: p.message for p in problems if p.article_id and (p.severity == "error" or "skipped" in p.message)}


# ---------------------------------------------------------------------------
# Loaded language: BABE, PTC and BASIL
# ---------------------------------------------------------------------------

GoldFormat = Literal["babe", "ptc", "basil"]
GOLD_FORMATS: tuple[GoldFormat, ...] = ("babe", "ptc", "basil")
#: PTC techniques that are loaded wording (the rest are argument moves: doubt, slogans, fallacies).
PTC_LOADED_TECHNIQUES = ("Loaded_Language", "Name_Calling,Labeling")
BABE_LABELS = {"Biased": True, "Non-biased": False}
PRECISION_COLUMNS = ["hits", "inside", "precision", "ci_low", "ci_high"]
DOCUMENT_COLUMNS = ["id", "outlet", "event", "body"]
SENTENCE_COLUMNS = ["article_id", "sentence", "start", "end", "label"]
SPAN_COLUMNS = ["article_id", "gold_id", "start", "end", "label"]


@dataclass(frozen=True)
class Gold:
    """Annotated text in one shape, whatever format it was published in.

    Attributes
    ----------
    name : {"babe", "ptc", "basil"}
        The format it was read from.
    source : str
        The file or folder.
    documents : DataFrame
        ``id``, ``outlet``, ``event`` (empty strings where the format has none), ``body``.
    sentences : DataFrame
        ``article_id``, ``sentence`` (number within the document), ``start``, ``end``
        (offsets into the body), ``label`` (True: the annotators call it biased / loaded).
    spans : DataFrame
        ``article_id``, ``gold_id`` (one marked item; a BABE word that occurs twice in its
        sentence has two spans of one id), ``start``, ``end``, ``label`` (technique or bias).
    """

    name: GoldFormat
    source: str
    documents: pd.DataFrame
    sentences: pd.DataFrame
    spans: pd.DataFrame


# ---------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------


def infer_gold_format(path: str | os.PathLike[str]) -> GoldFormat:
    """The gold format a path holds: a folder with ``labels.tsv`` is PTC, ``.json`` BASIL, ``.csv`` BABE.

    Raises
    ------
    GoldError
        The path says nothing about its format; the message asks for ``--format``.
    """
    path = Path(path)
    if path.is_dir() and (path / "labels.tsv").is_file():
        return "ptc"
    if path.suffix.lower() == ".json":
        return "basil"
    if path.suffix.lower() in (".csv", ".tsv") and path.name != "labels.tsv":
        return "babe"
    if path.name == "labels.tsv":
        return "ptc"
    raise GoldError(f"{path}: cannot tell the gold format from the path; pass --format babe, ptc or basil")


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().replace("’", "'").lower()) for m in WORD_PATTERN.finditer(text)]


def _marked_word_spans(text: str, marked: Sequence[str]) -> list[tuple[int, int, int]]:
    """(gold_id, start, end) of every occurrence of each marked word (or words) in ``text``."""
    words = _words(text)
    forms = [w for _, _, w in words]
    spans = []
    for gold_id, item in enumerate(marked):
        wanted = [w for _, _, w in _words(item)]
        if not wanted:
            continue
        for i in range(len(forms) - len(wanted) + 1):
            if forms[i : i + len(wanted)] == wanted:
                spans.append((gold_id, words[i][0], words[i + len(wanted) - 1][1]))
    return spans


def read_babe(path: str | os.PathLike[str]) -> Gold:
    """A BABE-style CSV: one document (and one sentence) per row.

    Needs ``text``, ``label_bias`` (``Biased`` / ``Non-biased``; rows labelled otherwise, such
    as ``No agreement``, are left out) and ``biased_words`` (a Python-list string, ``[]``
    when none); ``outlet`` is read when present. A marked word is located by word tokens,
    case-insensitively; ``gold_id`` numbers the marked words of the whole file.

    Raises
    ------
    GoldError
        A column is missing or a ``biased_words`` cell is not a list; the message names the row.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise GoldError(f"{path}: cannot read the CSV ({err})") from None
    missing = [c for c in ("text", "label_bias", "biased_words") if c not in table.columns]
    if missing:
        raise GoldError(f"{path}: no column {', '.join(missing)}; a BABE-style CSV needs text, label_bias, biased_words")
    table = table[table["label_bias"].isin(list(BABE_LABELS))].reset_index(drop=True)
    if table.empty:
        raise GoldError(f"{path}: no row has label_bias Biased or Non-biased")
    ids = table["source_row"] if "source_row" in table.columns else pd.Series(range(len(table))).astype(str)
    spans, next_id = [], 0
    for row, (doc_id, text, cell) in enumerate(zip(ids, table["text"], table["biased_words"], strict=True)):
        try:
            marked = ast.literal_eval(cell.strip() or "[]")
        except (ValueError, SyntaxError):
            marked = None
        if not isinstance(marked, list) or not all(isinstance(w, str) for w in marked):
            raise GoldError(f"{path}: row {row + 2}: biased_words {cell!r} is not a list of words such as \"['crime']\"")
        for gold_id, start, end in _marked_word_spans(text, marked):
            spans.append((doc_id, next_id + gold_id, start, end, "biased_word"))
        next_id += len(marked)
    documents = pd.DataFrame(
        {
            "id": ids.astype(str).to_numpy(),
            "outlet": table["outlet"].to_numpy() if "outlet" in table.columns else "",
            "event": table["topic"].to_numpy() if "topic" in table.columns else "",
            "body": table["text"].to_numpy(),
        }
    )
    sentences = pd.DataFrame(
        {
            "article_id": documents["id"],
            "sentence": 0,
            "start": 0,
            "end": documents["body"].str.len(),
            "label": table["label_bias"].map(BABE_LABELS).astype(bool).to_numpy(),
        }
    )
    return Gold("babe", str(path), documents, sentences, _span_table(spans))


def _span_table(rows: list[tuple]) -> pd.DataFrame:
    spans = pd.DataFrame(rows, columns=SPAN_COLUMNS)
    return spans.astype({"article_id": str, "gold_id": np.int64, "start": np.int64, "end": np.int64, "label": str})


def _line_sentences(article_id: str, body: str) -> list[tuple[str, int, int, int]]:
    """(article_id, number, start, end) of each non-blank line: PTC articles hold one sentence a line."""
    rows, offset = [], 0
    for line in body.split("\n"):
        if line.strip():
            rows.append((article_id, len(rows), offset, offset + len(line)))
        offset += len(line) + 1
    return rows


def _sentence_labels(sentences: pd.DataFrame, spans: pd.DataFrame) -> np.ndarray:
    """Whether each sentence overlaps one of ``spans`` (same article, shared characters)."""
    labels = np.zeros(len(sentences), dtype=bool)
    if spans.empty:
        return labels
    position = {key: i for i, key in enumerate(sentences["article_id"].unique())}
    hit = overlapping(sentences, spans, position)
    labels[hit] = True
    return labels


def overlapping(left: pd.DataFrame, right: pd.DataFrame, articles: dict[str, int] | None = None) -> np.ndarray:
    """Row numbers of ``left`` whose ``[start, end)`` shares a character with a row of ``right`` in the same article.

    Examples
    --------
    >>> left = pd.DataFrame({"article_id": ["a", "a", "b"], "start": [0, 10, 0], "end": [5, 15, 5]})
    >>> right = pd.DataFrame({"article_id": ["a", "b"], "start": [4, 5], "end": [11, 9]})
    >>> overlapping(left, right).tolist()
    [0, 1]
    """
    if left.empty or right.empty:
        return np.empty(0, dtype=np.int64)
    pairs = left[["article_id", "start", "end"]].reset_index(drop=True).reset_index(names="row")
    merged = pairs.merge(right[["article_id", "start", "end"]], on="article_id", suffixes=("", "_other"))
    shared = (merged["start"] < merged["end_other"]) & (merged["start_other"] < merged["end"])
    return np.unique(merged.loc[shared, "row"].to_numpy(dtype=np.int64))


def read_ptc(path: str | os.PathLike[str], *, techniques: Sequence[str] = PTC_LOADED_TECHNIQUES) -> Gold:
    """A PTC-style folder: ``articles/article<ID>.txt`` and ``labels.tsv`` of technique spans.

    Parameters
    ----------
    path : path
        The folder (or its ``labels.tsv``).
    techniques : sequence of str, default=("Loaded_Language", "Name_Calling,Labeling")
        Techniques whose spans count as loaded wording; a sentence is loaded when it
        overlaps one of them.

    Raises
    ------
    GoldError
        A missing file or column, a span outside its article, or a technique no row has.
    """
    folder = Path(path)
    folder = folder.parent if folder.name == "labels.tsv" else folder
    labels_file, article_dir = folder / "labels.tsv", folder / "articles"
    if not labels_file.is_file() or not article_dir.is_dir():
        raise GoldError(f"{folder}: a PTC-style gold needs labels.tsv and an articles/ folder of article<ID>.txt files")
    with labels_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    if rows and rows[0][:4] == ["article_id", "technique", "start", "end"]:
        rows = rows[1:]
    documents, bodies = [], {}
    for file in sorted(article_dir.glob("article*.txt")):
        article_id = file.stem.removeprefix("article")
        bodies[article_id] = file.read_text(encoding="utf-8")
        documents.append((article_id, "", "", bodies[article_id]))
    if not documents:
        raise GoldError(f"{article_dir}: no article<ID>.txt files")
    spans, seen = [], set()
    for number, row in enumerate(rows, start=1):
        if len(row) != 4 or not row[2].isdigit() or not row[3].isdigit():
            raise GoldError(f"{labels_file}:{number}: expected 'article_id<TAB>technique<TAB>start<TAB>end', got {row!r}")
        article_id, technique, start, end = row[0], row[1], int(row[2]), int(row[3])
        seen.add(technique)
        if article_id not in bodies:
            raise GoldError(f"{labels_file}:{number}: no file articles/article{article_id}.txt for this span")
        if not 0 <= start < end <= len(bodies[article_id]):
            raise GoldError(
                f"{labels_file}:{number}: span {start}-{end} is outside article {article_id} ({len(bodies[article_id])} characters)"
            )
        if technique in techniques:
            spans.append((article_id, number, start, end, technique))
    unknown = sorted(set(techniques) - seen)
    if unknown:
        raise GoldError(f"{labels_file}: no span of technique {', '.join(unknown)}; the file has {', '.join(sorted(seen))}")
    docs = pd.DataFrame(documents, columns=DOCUMENT_COLUMNS)
    sentences = pd.DataFrame(
        [s for article_id, body in bodies.items() for s in _line_sentences(article_id, body)],
        columns=SENTENCE_COLUMNS[:-1],
    )
    span_table = _span_table(spans)
    return Gold("ptc", str(folder), docs, sentences.assign(label=_sentence_labels(sentences, span_table)), span_table)


def read_basil(path: str | os.PathLike[str], *, bias: Sequence[str] = ("lex",)) -> Gold:
    """A BASIL-style JSON: ``events``, each with ``articles`` (``outlet``, ``title``, ``sentences``
    or ``paragraphs``, ``spans``).

    A document's body is its title, a blank line, then its sentences, one paragraph a
    line pair (a blank line between paragraphs, a space between sentences). Spans with
    ``bias`` in ``bias`` (default lexical only) are gold; ``location: title`` spans are placed
    in the title. Documents are ``<event_id>/<outlet>``, with the event id as ``event``.

    Raises
    ------
    GoldError
        A missing key or a span outside its sentence; the message names the event and outlet.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise GoldError(f"{path}: not readable JSON ({err})") from None
    events = data.get("events") if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise GoldError(f"{path}: expected a list of events (or an object with 'events')")
    documents, sentences, spans = [], [], []
    for e_number, event in enumerate(events):
        event_id = str(event.get("event_id", e_number))
        for article in event.get("articles", []):
            where = f"{path}: event {event_id}, outlet {article.get('outlet')!r}"
            if "outlet" not in article or not ("sentences" in article or "paragraphs" in article):
                raise GoldError(f"{where}: an article needs 'outlet' and 'sentences' (or 'paragraphs')")
            doc_id = f"{event_id}/{article['outlet']}"
            paragraphs = article.get("paragraphs") or [[s] for s in article["sentences"]]
            title = article.get("title") or ""
            body, offsets = title + "\n\n", []
            for p_number, paragraph in enumerate(paragraphs):
                for s_number, sentence in enumerate(paragraph):
                    body += "" if s_number == 0 else " "
                    offsets.append(len(body))
                    sentences.append((doc_id, len(offsets) - 1, len(body), len(body) + len(sentence)))
                    body += sentence
                body += "\n\n" if p_number < len(paragraphs) - 1 else ""
            document_sentences = [s for p in paragraphs for s in p]
            for span in article.get("spans", []):
                if span.get("bias") not in bias:
                    continue
                start, end = int(span["start"]), int(span["end"])
                if span.get("location") == "title":
                    base, length = 0, len(title)
                else:
                    index = span.get("sentence_index")
                    if not isinstance(index, int) or not 0 <= index < len(offsets):
                        raise GoldError(f"{where}: span {span.get('text')!r} has sentence_index {index!r}, outside the article")
                    base, length = offsets[index], len(document_sentences[index])
                if not 0 <= start < end <= length:
                    raise GoldError(f"{where}: span {span.get('text')!r} ({start}-{end}) is outside its sentence")
                spans.append((doc_id, len(spans), base + start, base + end, span["bias"]))
            documents.append((doc_id, str(article["outlet"]), event_id, body))
    if not documents:
        raise GoldError(f"{path}: no articles")
    sentence_table = pd.DataFrame(sentences, columns=SENTENCE_COLUMNS[:-1])
    span_table = _span_table(spans)
    return Gold(
        "basil",
        str(path),
        pd.DataFrame(documents, columns=DOCUMENT_COLUMNS),
        sentence_table.assign(label=_sentence_labels(sentence_table, span_table)),
        span_table,
    )


def read_gold(
    path: str | os.PathLike[str], *, format: GoldFormat | None = None, techniques: Sequence[str] = PTC_LOADED_TECHNIQUES
) -> Gold:
    """Read a gold file or folder in ``format`` (inferred from the path when None).

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    GoldError
        The format cannot be inferred or the file cannot be read.
    """
    if not Path(path).exists():
        raise FileNotFoundError(f"gold {str(path)!r} not found: give a BABE CSV, a PTC folder or a BASIL JSON file")
    chosen = format or infer_gold_format(path)
    if chosen == "ptc":
        return read_ptc(path, techniques=techniques)
    return read_basil(path) if chosen == "basil" else read_babe(path)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def confusion_counts(gold: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int, int]:
    """True positives, false positives, false negatives, true negatives of two boolean arrays."""
    gold, predicted = np.asarray(gold, dtype=bool), np.asarray(predicted, dtype=bool)
    return (
        int(np.sum(gold & predicted)),
        int(np.sum(~gold & predicted)),
        int(np.sum(gold & ~predicted)),
        int(np.sum(~gold & ~predicted)),
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def binary_scores(gold: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of the positive class, and macro-F1 (mean F1 of both classes).

    Examples
    --------
    >>> scores = binary_scores([1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 0, 1, 0, 0, 0, 0])
    >>> {k: round(v, 4) for k, v in scores.items()}
    {'precision': 0.6667, 'recall': 0.6667, 'f1': 0.6667, 'macro_f1': 0.7333}
    """
    tp, fp, fn, tn = confusion_counts(gold, predicted)
    negative_f1 = _ratio(2 * tn, 2 * tn + fn + fp)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": f1,
        "macro_f1": (f1 + negative_f1) / 2,
    }


def bootstrap_macro_f1(
    gold: np.ndarray, predicted: np.ndarray, groups: np.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> tuple[tuple[float, float], tuple[float, float]]:
    """95% percentile intervals of F1 and macro-F1, resampling ``groups`` (documents) with replacement.

    Sentences of one article are not independent: the article is the unit resampled.
    """
    codes, _ = pd.factorize(pd.Series(groups))
    n = int(codes.max()) + 1 if len(codes) else 0
    gold, predicted = np.asarray(gold, dtype=bool), np.asarray(predicted, dtype=bool)
    cells = np.column_stack([gold & predicted, ~gold & predicted, gold & ~predicted, ~gold & ~predicted]).astype(float)
    per_group = np.zeros((n, 4))
    np.add.at(per_group, codes, cells)
    if n < 2:
        nan = (float("nan"), float("nan"))
        return nan, nan
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]).astype(float)
    tp, fp, fn, tn = (weights @ per_group).T
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = 2 * tp / (2 * tp + fp + fn)
        macro = (f1 + 2 * tn / (2 * tn + fn + fp)) / 2
    bounds = [tuple(float(b) for b in np.nanpercentile(values, [2.5, 97.5])) for values in (f1, macro)]
    return bounds[0], bounds[1]


def precision_table(inside: pd.Series, by: pd.Series) -> pd.DataFrame:
    """Hits and the share inside gold spans per value of ``by`` (term or category), with Wilson intervals.

    Returns
    -------
    DataFrame
        Indexed by ``by``'s values, most hits first: ``hits``, ``inside``, ``precision``,
        ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> table = precision_table(pd.Series([True, False, True, True]), pd.Series(["a", "a", "b", "b"]))
    >>> table[["hits", "inside", "precision"]].to_dict("index")
    {'b': {'hits': 2, 'inside': 2, 'precision': 1.0}, 'a': {'hits': 2, 'inside': 1, 'precision': 0.5}}
    """
    grouped = pd.DataFrame({"key": by.to_numpy(), "inside": inside.to_numpy(dtype=bool)}).groupby("key", sort=True)["inside"]
    table = pd.DataFrame({"hits": grouped.size(), "inside": grouped.sum().astype(np.int64)})
    table.index.name = by.name
    table["precision"] = table["inside"] / table["hits"]
    table["ci_low"], table["ci_high"] = wilson(table["inside"].to_numpy(), table["hits"].to_numpy())
    return table.sort_values(["hits", "precision"], ascending=[False, False], kind="stable")


def pair_order_agreement(densities: pd.DataFrame) -> tuple[int, int]:
    """Within each event, outlet pairs the measure orders as the gold does: (agreeing, pairs).

    Parameters
    ----------
    densities : DataFrame
        One row per document: ``event``, ``gold`` (e.g. lexical-bias spans per word),
        ``measure`` (e.g. loaded hits per word of narration).

    Notes
    -----
    Pairs the gold ties are left out (nothing to order); a pair the measure ties while the
    gold does not counts as not agreeing.

    Examples
    --------
    >>> table = pd.DataFrame({"event": ["e"] * 3, "gold": [3, 1, 1], "measure": [0.5, 0.1, 0.2]})
    >>> pair_order_agreement(table)
    (2, 2)
    """
    agree = pairs = 0
    for _, event in densities.groupby("event", sort=False):
        for (_, a), (_, b) in combinations(event.iterrows(), 2):
            gold_sign = np.sign(a["gold"] - b["gold"])
            if gold_sign == 0:
                continue
            pairs += 1
            agree += int(np.sign(a["measure"] - b["measure"]) == gold_sign)
    return agree, pairs


# ---------------------------------------------------------------------------
# Scoring a measure
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedEvaluation:
    """A loaded-language measure against one gold.

    Attributes
    ----------
    validity : DataFrame
        The tidy validity table: ``measure``, ``gold``, ``metric``, ``value``, ``ci_low``,
        ``ci_high``, ``n`` (sentences, hits, gold items or outlet pairs counted).
    categories, terms : DataFrame
        Per lexicon category and per term: ``category`` (and ``term``) and the
        :func:`precision_table` columns; empty for a model.
    """

    validity: pd.DataFrame
    categories: pd.DataFrame
    terms: pd.DataFrame


def _row(measure: str, gold: str, metric: str, value: float, low: float, high: float, n: int) -> dict:
    return {"measure": measure, "gold": gold, "metric": metric, "value": value, "ci_low": low, "ci_high": high, "n": n}


def sentence_validity(gold: Gold, predicted: np.ndarray, *, measure: str, n_boot: int = 1000, seed: int = 0) -> list[dict]:
    """Validity rows of sentence predictions (one bool per ``gold.sentences`` row)."""
    labels = gold.sentences["label"].to_numpy(dtype=bool)
    scores = binary_scores(labels, predicted)
    tp, fp, fn, _ = confusion_counts(labels, predicted)
    (p_low, p_high), (r_low, r_high) = (tuple(map(float, wilson(tp, d))) for d in (tp + fp, tp + fn))
    f1_ci, macro_ci = bootstrap_macro_f1(labels, predicted, gold.sentences["article_id"].to_numpy(), n_boot=n_boot, seed=seed)
    n = len(labels)
    return [
        _row(measure, gold.name, "sentence_precision", scores["precision"], p_low, p_high, tp + fp),
        _row(measure, gold.name, "sentence_recall", scores["recall"], r_low, r_high, tp + fn),
        _row(measure, gold.name, "sentence_f1", scores["f1"], *f1_ci, n),
        _row(measure, gold.name, "sentence_macro_f1", scores["macro_f1"], *macro_ci, n),
    ]


def sentences_with_hits(gold: Gold, hits: pd.DataFrame) -> np.ndarray:
    """Whether each gold sentence holds the start of a hit."""
    flagged = np.zeros(len(gold.sentences), dtype=bool)
    if hits.empty:
        return flagged
    starts = hits[["article_id", "start"]].assign(end=hits["start"] + 1)
    flagged[overlapping(gold.sentences, starts)] = True
    return flagged


def lexicon_hits(gold: Gold, matcher) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lexicon's hits in the gold documents, and the documents' token table (project tokenizer)."""
    from analysis.measures.loaded import loaded_hits
    from analysis.tokens import tokenize

    tokens = tokenize(gold.documents)
    return loaded_hits(tokens, matcher), tokens


def _narration_words(gold: Gold, tokens: pd.DataFrame) -> pd.Series:
    words = tokens.loc[tokens["voice"] == "narration"].groupby("article_id", observed=True).size()
    return words.reindex(gold.documents["id"].astype(str), fill_value=0)


def _outlet_order_row(gold: Gold, measure_counts: pd.Series, tokens: pd.DataFrame, *, measure: str) -> dict:
    """Outlet-pair order agreement within events: measure per narration word vs gold spans per word."""
    ids = gold.documents["id"].astype(str)
    words = tokens.groupby("article_id", observed=True).size().reindex(ids, fill_value=0)
    narration = _narration_words(gold, tokens)
    gold_counts = gold.spans.groupby("article_id").size().reindex(ids, fill_value=0)
    densities = pd.DataFrame(
        {
            "event": gold.documents["event"].to_numpy(),
            "gold": (gold_counts / words.clip(lower=1)).to_numpy(),
            "measure": (measure_counts.reindex(ids, fill_value=0) / narration.clip(lower=1)).to_numpy(),
        }
    )
    agree, pairs = pair_order_agreement(densities)
    low, high = wilson(agree, pairs)
    return _row(measure, gold.name, "outlet_order_agreement", _ratio(agree, pairs), float(low), float(high), pairs)


def evaluate_lexicon(gold: Gold, matcher, *, n_boot: int = 1000, seed: int = 0) -> LoadedEvaluation:
    """Score a lexicon (an ``analysis.lexicons.Matcher``) against ``gold``.

    Returns
    -------
    LoadedEvaluation
        Validity metrics: ``sentence_precision``, ``sentence_recall``, ``sentence_f1``,
        ``sentence_macro_f1`` (a sentence is predicted loaded when a hit starts in it);
        ``hit_precision`` (share of hits, a passage matched in two categories counting once,
        overlapping a gold span: a marked word for BABE, a
        technique span for PTC, a lexical-bias span for BASIL) and ``gold_recall`` (share of
        marked items a hit overlaps), with Wilson intervals; for a gold with events (BASIL),
        ``outlet_order_agreement``: outlet pairs within an event that the hits per word of
        narration order as the gold spans per word do. Per category and per term: hits and
        precision with Wilson intervals.
    """
    hits, tokens = lexicon_hits(gold, matcher)
    measure = f"lexicon:{matcher.lexicon.name}"
    rows = sentence_validity(gold, sentences_with_hits(gold, hits), measure=measure, n_boot=n_boot, seed=seed)
    inside = np.zeros(len(hits), dtype=bool)
    inside[overlapping(hits, gold.spans)] = True
    passage = ~hits.duplicated(["article_id", "start", "end"]).to_numpy()  # matched in two categories: one hit
    found = overlapping(gold.spans, hits)
    n_items = gold.spans["gold_id"].nunique()
    n_found = gold.spans["gold_id"].iloc[found].nunique()
    for metric, k, n in (("hit_precision", int(inside[passage].sum()), int(passage.sum())), ("gold_recall", n_found, n_items)):
        low, high = wilson(k, n)
        rows.append(_row(measure, gold.name, metric, _ratio(k, n), float(low), float(high), n))
    if gold.name == "basil":
        narration_hits = hits.loc[passage & hits["voice"].eq("narration").to_numpy()].groupby("article_id").size()
        rows.append(_outlet_order_row(gold, narration_hits, tokens, measure=measure))
    flags = pd.Series(inside)
    categories = precision_table(flags, hits["category"].rename("category")).reset_index()
    terms = precision_table(flags, (hits["term"] + "\t" + hits["category"]).rename("key")).reset_index()
    terms[["term", "category"]] = terms.pop("key").str.split("\t", expand=True)
    return LoadedEvaluation(
        validity=pd.DataFrame(rows, columns=VALIDITY_COLUMNS),
        categories=categories[["category", *PRECISION_COLUMNS]],
        terms=terms[["term", "category", *PRECISION_COLUMNS]],
    )


def evaluate_model(gold: Gold, model, *, n_boot: int = 1000, seed: int = 0) -> LoadedEvaluation:
    """Score one code's sentence classifier (``analysis.coding.TrainedModel``) against ``gold``.

    A gold sentence is predicted loaded when the model's calibrated probability is 0.5 or
    more. Validity metrics: the four sentence metrics of :func:`evaluate_lexicon`, and for a
    gold with events (BASIL) ``outlet_order_agreement`` of loaded narration sentences per
    word of narration. A model marks no words: there are no hit, category or term figures.
    """
    from analysis.measures.loaded_sentences import score_sentences
    from analysis.tokens import text_units, tokenize

    bodies = gold.documents.set_index(gold.documents["id"].astype(str))["body"]
    texts = [
        bodies[a][s:e]
        for a, s, e in zip(gold.sentences["article_id"], gold.sentences["start"], gold.sentences["end"], strict=True)
    ]
    predicted = model.probabilities(texts) >= 0.5
    measure = f"model:{model.codebook}/{model.code}"
    rows = sentence_validity(gold, predicted, measure=measure, n_boot=n_boot, seed=seed)
    if gold.name == "basil":
        tokens = tokenize(gold.documents)
        units = text_units(tokens, gold.documents, unit="sentence")
        scored = score_sentences(units.loc[units["voice"] == "narration"], model)
        rows.append(_outlet_order_row(gold, scored.groupby("article_id")["predicted"].sum(), tokens, measure=measure))
    empty = pd.DataFrame(columns=["category", *PRECISION_COLUMNS])
    return LoadedEvaluation(pd.DataFrame(rows, columns=VALIDITY_COLUMNS), empty, empty.assign(term=pd.Series(dtype=str)))
