"""Which articles report the same event: grouping by text, leads, numbers and quotations.

What each outlet includes or leaves out of an event is :mod:`analysis.omission`.

Event grouping (:func:`group_events`) needs no event column. Two articles are linked by a
combined score in [0, 1]:

- 0.45 × cosine similarity of their TF-IDF vectors (bodies and headlines, English stop
  words removed, sublinear term frequency, IDF from the articles grouped);
- 0.35 × how far each one's lead (headline and first sentence: what happened) is told in the
  other: the IDF-weighted share of its lead's terms that occur in the other article's text,
  the mean of the two directions. A lead names the event, so two agencies' differently worded
  reports of one summit share it while a story about the same people doing something else
  does not;
- 0.10 × overlap of the numbers they mention (``3,000``, ``120``; years and one-digit
  numbers left out), as shared / numbers of the article with fewer;
- 0.10 × overlap of their quotations' word 4-grams (a shared quote is strong evidence);

and only when published within ``window_days`` (default 7) of each other; otherwise (or
when either is undated) the score is 0. Names are in the TF-IDF words; counted again on their
own they joined stories of the same people on different events (the development pages and the
hand-made ``tests/fixtures/reuse``). Articles are grouped by average linkage
(``scipy.cluster.hierarchy``) on 1 − score, cut at 1 − ``threshold`` (default 0.12, chosen on
the development pages of three events; README, Validity): every group's articles are on average at
least that similar to each other. A group's label is its three top TF-IDF terms; its id is
its first publication date and top two terms
(``-2``, ``-3``… appended when two groups would share an id). Each article's ``cohesion`` is its mean score with
the other articles of its group, or, for an article alone, 1 − its highest score with any: how
tightly it sits in its event, not a probability that the grouping is right (an article alone
with nothing near it has a cohesion close to 1).

The manifest's ``event`` column, where present, overrides the inferred group
(``use_labels=False`` shows what inference alone gives). Events are renamed and merged by a small
YAML file (:func:`load_event_names`: a corpus folder's ``events.yaml`` or ``framing events
--events FILE``) mapping an event id to the name to show; two ids given one name are one event.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from analysis.options import Progress, no_progress
from analysis.tokens import quote_spans, sentence_spans

if TYPE_CHECKING:
    from analysis.engine import Engine

WINDOW_DAYS = 7
THRESHOLD = 0.12
WEIGHTS = {"text": 0.45, "lead": 0.35, "numbers": 0.10, "quotes": 0.10}
LABEL_TERMS = 3

EVENT_COLUMNS = ["article_id", "outlet", "published", "event", "label", "cohesion", "inferred_event", "event_source"]
SCORE_COLUMNS = ["article_a", "article_b", "days", "text", "lead", "numbers", "quotes", "score"]

_NUMBER = re.compile(r"\b\d[\d,.]*\d%?|\b\d%")
QUOTE_WORD = re.compile(r"[^\W_]+")


class EventError(ValueError):
    """The articles or options given to an event function cannot be used."""


# ---------------------------------------------------------------------------
# Evidence per article
# ---------------------------------------------------------------------------


def numbers_in(text: str) -> list[str]:
    """Numbers in ``text`` as written without separators; years (1900–2099) and single digits left out.

    Examples
    --------
    >>> numbers_in("More than 3,000 people, 90% of them, on Feb. 5, 2021, in 27 cities")
    ['3000', '90%', '27']
    """
    found = []
    for match in _NUMBER.finditer(text):
        value = match.group().replace(",", "").rstrip(".")
        if re.fullmatch(r"(?:19|20)\d\d", value):
            continue
        found.append(value)
    return found


def quote_shingles(text: str, *, words: int = 4) -> list[str]:
    """Word ``words``-grams (lowercased) inside the quotations of ``text``."""
    shingles = []
    for span in quote_spans(text):
        tokens = QUOTE_WORD.findall(text[span.start : span.end].lower())
        shingles += [" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1)]
    return shingles


def _binary(docs: list[list[str]]) -> sp.csr_matrix:
    if not any(docs):
        return sp.csr_matrix((len(docs), 1))
    vectorizer = CountVectorizer(analyzer=lambda doc: doc, binary=True)
    return vectorizer.fit_transform(docs).astype(np.float64).tocsr()


def _overlap(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """Shared items / items of the article with fewer (0 when either has none), ``left`` rows × ``right`` rows."""
    shared = (left @ right.T).toarray()
    smaller = np.minimum.outer(np.asarray(left.sum(axis=1)).ravel(), np.asarray(right.sum(axis=1)).ravel())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(smaller > 0, shared / smaller, 0.0)


def _headlines(articles: pd.DataFrame) -> pd.Series | str:
    return articles["headline"].fillna("") if "headline" in articles.columns else ""


def article_texts(articles: pd.DataFrame) -> list[str]:
    """Each article's headline and body, as the event measures read it."""
    return (_headlines(articles) + "\n\n" + articles["body"].fillna("")).astype(str).tolist()


_LEAD_CHARACTERS = 1_000  # where a first sentence is sought: a lead is rarely longer


def lead_texts(articles: pd.DataFrame) -> list[str]:
    r"""Each article's headline and the first sentence of its body: the news it reports.

    Examples
    --------
    >>> lead_texts(pd.DataFrame({"headline": ["Court jails critic"], "body": ["A court jailed him. He appealed."]}))
    ['Court jails critic\n\nA court jailed him.']
    """
    bodies = articles["body"].fillna("").astype(str)
    firsts = []
    for body in bodies:
        body = body[:_LEAD_CHARACTERS]
        spans = sentence_spans(body)
        firsts.append(body[spans[0][0] : spans[0][1]] if spans else body)
    return (_headlines(articles) + "\n\n" + pd.Series(firsts, index=bodies.index)).astype(str).tolist()


# Words of three or more letters, possessive 's dropped; "said" and honorifics say nothing about an event.
_LABEL_STOP_WORDS = sorted(ENGLISH_STOP_WORDS | {"said", "says", "mrs"})
_POSSESSIVE = re.compile(r"['’]s\b")


def _without_possessive(text: str) -> str:
    return _POSSESSIVE.sub("", text.lower())


_TERM_OPTIONS = {
    "preprocessor": _without_possessive,  # a module function, so that Dask workers can unpickle it
    "stop_words": _LABEL_STOP_WORDS,
    "token_pattern": r"(?u)\b[^\W\d_]{3,}(?:-[^\W\d_]+)*\b",
}


def document_frequencies(articles: pd.DataFrame) -> pd.DataFrame:
    """Articles containing each term of the event TF-IDF (a map: the tables of chunks add up).

    Returns
    -------
    DataFrame
        ``term``, ``articles``; one row per term found, sorted by term.
    """
    counter = CountVectorizer(binary=True, **_TERM_OPTIONS)
    try:
        counts = counter.fit_transform(article_texts(articles))
    except ValueError:  # no term at all: empty or stop-word-only texts
        return pd.DataFrame({"term": pd.Series([], dtype=object), "articles": np.zeros(0, dtype=np.int64)})
    return pd.DataFrame(
        {
            "term": counter.get_feature_names_out().astype(object),
            "articles": np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.int64),
        }
    )


@dataclass(frozen=True)
class EventVocabulary:
    """The terms of the event TF-IDF (sorted) and their IDF over the whole corpus.

    Built from :func:`document_frequencies` summed over the corpus, with sklearn's smoothed IDF
    (ln((1 + n) / (1 + df)) + 1), so that any subset of articles is weighted as in the whole.
    """

    terms: np.ndarray
    idf: np.ndarray

    @classmethod
    def from_frequencies(cls, frequencies: pd.DataFrame, n_articles: int) -> EventVocabulary:
        """From a ``term``, ``articles`` table covering ``n_articles`` articles."""
        if frequencies.empty:
            raise EventError("the articles have no words to compare (empty bodies, or only stop words)")
        terms = np.array(frequencies["term"].tolist(), dtype=object)
        order = np.argsort(terms, kind="stable")  # Python string order, as sklearn sorts its vocabulary
        df = frequencies["articles"].to_numpy(dtype=np.float64)[order] + 1.0
        idf = np.full_like(df, n_articles + 1.0)
        idf /= df
        np.log(idf, out=idf)
        return cls(terms=terms[order], idf=idf + 1.0)

    @cached_property
    def _vectorizer(self) -> TfidfVectorizer:
        vectorizer = TfidfVectorizer(
            sublinear_tf=True, vocabulary=dict(zip(self.terms, range(len(self.terms)), strict=True)), **_TERM_OPTIONS
        )
        vectorizer.idf_ = self.idf
        return vectorizer

    def transform(self, articles: pd.DataFrame) -> sp.csr_matrix:
        """TF-IDF rows of ``articles`` (headline and body; sublinear tf, l2-normalised)."""
        if articles.empty:
            return sp.csr_matrix((0, len(self.terms)))
        return self._vectorizer.transform(article_texts(articles)).tocsr()

    def term_weights(self, texts: list[str]) -> sp.csr_matrix:
        """The IDF of each vocabulary term present in each of ``texts`` (0 where absent)."""
        if not texts:
            return sp.csr_matrix((0, len(self.terms)))
        present = self._vectorizer.transform(texts).tocsr()
        present.data = self.idf[present.indices]
        return present

    def label(self, tfidf: sp.csr_matrix) -> list[str]:
        """The :data:`LABEL_TERMS` terms of highest summed weight over the rows of ``tfidf``.

        Ties go to the term first in alphabetical order, as a stable sort over all terms would.
        """
        summed = (sp.csr_matrix(np.ones((1, tfidf.shape[0]))) @ tfidf).tocsr()
        summed.sum_duplicates()
        columns = summed.indices[np.lexsort((summed.indices, -summed.data))][:LABEL_TERMS].tolist()
        for column in range(len(self.terms)):  # fewer weighted terms than wanted: the first terms of weight 0
            if len(columns) == LABEL_TERMS:
                break
            if column not in summed.indices:
                columns.append(column)
        return [str(self.terms[c]) for c in columns]


def _day_numbers(articles: pd.DataFrame) -> np.ndarray:
    """Each article's publication day as days since 1970-01-01 (float; NaN when undated)."""
    published = pd.to_datetime(articles["published"]).dt.normalize()
    return (published - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)


@dataclass(frozen=True)
class _Features:
    """What the score compares, article by article (rows in the order given): computed once."""

    tfidf: sp.csr_matrix
    lead: sp.csr_matrix  # IDF of each term of the lead (EventVocabulary.term_weights)
    numbers: list[list[str]]
    quotes: list[list[str]]
    days: np.ndarray  # days since 1970-01-01; NaN when undated

    @classmethod
    def of(cls, articles: pd.DataFrame, vocabulary: EventVocabulary) -> _Features:
        bodies = articles["body"].fillna("").astype(str).tolist()
        return cls(
            tfidf=vocabulary.transform(articles),
            lead=vocabulary.term_weights(lead_texts(articles)),
            numbers=[numbers_in(b) for b in bodies],
            quotes=[quote_shingles(b) for b in bodies],
            days=_day_numbers(articles),
        )

    def take(self, rows: np.ndarray) -> _Features:
        return _Features(
            tfidf=self.tfidf[rows],
            lead=self.lead[rows],
            numbers=[self.numbers[r] for r in rows],
            quotes=[self.quotes[r] for r in rows],
            days=self.days[rows],
        )

    def append(self, other: _Features) -> _Features:
        return _Features(
            tfidf=sp.vstack([self.tfidf, other.tfidf], format="csr"),
            lead=sp.vstack([self.lead, other.lead], format="csr"),
            numbers=self.numbers + other.numbers,
            quotes=self.quotes + other.quotes,
            days=np.concatenate([self.days, other.days]),
        )


class _Evidence:
    """:class:`_Features` as matrices, for scoring rows against every article of the set."""

    def __init__(self, features: _Features) -> None:
        self.tfidf, self.lead, self.days = features.tfidf, features.lead, features.days
        self.present = (features.tfidf != 0).astype(np.float64)  # each article's terms, headline and body
        self.lead_weight = np.asarray(features.lead.sum(axis=1)).ravel()
        self.numbers, self.quotes = _binary(features.numbers), _binary(features.quotes)

    def _lead_told(self, rows: slice) -> np.ndarray:
        """Mean of the IDF-weighted shares of the ``rows``' lead terms in every article and back."""
        with np.errstate(invalid="ignore", divide="ignore"):
            told_in = (self.lead[rows] @ self.present.T).toarray() / self.lead_weight[rows, None]
            told_by = (self.present[rows] @ self.lead.T).toarray() / self.lead_weight[None, :]
        return (np.nan_to_num(told_in) + np.nan_to_num(told_by)) / 2

    def scores(self, rows: slice, window_days: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """``score``, ``days`` apart and the score's parts of ``rows`` × every article (diagonal not set)."""
        parts = {
            "text": (self.tfidf[rows] @ self.tfidf.T).toarray(),
            "lead": self._lead_told(rows),
            "numbers": _overlap(self.numbers[rows], self.numbers),
            "quotes": _overlap(self.quotes[rows], self.quotes),
        }
        days = np.abs(np.subtract.outer(self.days[rows], self.days))
        days = np.where(np.isnan(days), np.inf, days)  # an undated article is in no one's window
        score = sum(WEIGHTS[name] * np.clip(values, 0.0, 1.0) for name, values in parts.items())
        return np.where(days <= window_days, score, 0.0), days, parts


def _check(articles: pd.DataFrame, window_days: int) -> None:
    for column in ("id", "published", "body"):
        if column not in articles.columns:
            raise EventError(f"articles: no {column!r} column; pass the article table from analysis.corpus")
    if window_days < 0:
        raise EventError(f"window_days must be 0 or more, not {window_days}")


#: Most articles one linked set (or one manifest event) may have: its scores are one dense matrix.
MAX_GROUP_ARTICLES = 25_000
_ROWS_PER_STEP = 500  # rows of a score matrix computed at once


def _square_scores(features: _Features, window_days: int) -> np.ndarray:
    """Scores of every pair of articles; 1 on the diagonal."""
    n = len(features.days)
    if n > MAX_GROUP_ARTICLES:
        raise EventError(
            f"{n:,} articles are linked into one set to cluster (at most {MAX_GROUP_ARTICLES:,}: "
            f"8·n² bytes); raise --threshold, narrow --window-days, or group one period at a time"
        )
    evidence = _Evidence(features)
    score = np.empty((n, n))
    for start in range(0, n, _ROWS_PER_STEP):
        rows = slice(start, min(start + _ROWS_PER_STEP, n))
        score[rows], _, _ = evidence.scores(rows, window_days)
    np.fill_diagonal(score, 1.0)
    return score


def similarity_scores(articles: pd.DataFrame, *, window_days: int = WINDOW_DAYS) -> tuple[np.ndarray, pd.DataFrame]:
    """The combined score for every pair of articles, and its parts.

    Memory grows with the square of the number of articles: for a corpus of thousands, read
    :func:`event_pair_scores` instead.

    Returns
    -------
    score : ndarray
        Square matrix in article order; 1 on the diagonal.
    parts : DataFrame
        One row per pair (``article_a`` before ``article_b`` in article order): ``article_a``,
        ``article_b``, ``days`` (publication dates apart, float; inf when either is undated), ``text`` (TF-IDF cosine), ``lead`` (lead told in the other, 0–1),
        ``numbers``, ``quotes`` (overlaps, 0–1) and ``score`` (weighted sum, 0 outside the window).
    """
    _check(articles, window_days)
    vocabulary = EventVocabulary.from_frequencies(document_frequencies(articles), len(articles))
    score, days, parts = _Evidence(_Features.of(articles, vocabulary)).scores(slice(0, len(articles)), window_days)
    np.fill_diagonal(score, 1.0)
    return score, _pair_table(articles["id"].astype(str).to_numpy(), score, days, parts)


def _pair_table(ids: np.ndarray, score: np.ndarray, days: np.ndarray, parts: dict[str, np.ndarray]) -> pd.DataFrame:
    """The pairs above the diagonal of square score matrices, in the columns of ``SCORE_COLUMNS``."""
    upper_a, upper_b = np.triu_indices(len(ids), k=1)
    table = pd.DataFrame(
        {
            "article_a": ids[upper_a],
            "article_b": ids[upper_b],
            "days": days[upper_a, upper_b],
            **{name: values[upper_a, upper_b] for name, values in parts.items()},
            "score": score[upper_a, upper_b],
        }
    )
    return table[SCORE_COLUMNS]


def event_pair_scores(
    articles: pd.DataFrame, events: pd.DataFrame, *, by: str = "event", window_days: int = WINDOW_DAYS
) -> pd.DataFrame:
    """The combined score and its parts for every pair of articles in the same event.

    What to read before trusting a grouping. The values are those of :func:`similarity_scores`
    (IDF from all of ``articles``), but only pairs within an event are scored, so the table
    grows with the events' sizes, not with the square of the corpus.

    Parameters
    ----------
    articles : DataFrame
        The article table given to :func:`group_events`.
    events : DataFrame
        Its result (``article_id`` and the ``by`` column).
    by : {"event", "inferred_event"}, default="event"
        Which grouping: the reported event (the manifest's where it has one) or the inferred one.
    window_days : int, default=7
        As for :func:`group_events`: pairs further apart score 0.

    Returns
    -------
    DataFrame
        ``event`` (the ``by`` value), then the columns of :func:`similarity_scores`'s pair table;
        events in order of their first article, pairs in article order within each.
    """
    _check(articles, window_days)
    if by not in events.columns:
        raise EventError(f"events: no {by!r} column; pass the table of group_events")
    articles = articles.reset_index(drop=True)
    event = articles["id"].astype(str).map(events.set_index(events["article_id"].astype(str))[by])
    vocabulary = EventVocabulary.from_frequencies(document_frequencies(articles), len(articles))
    ids = articles["id"].astype(str).to_numpy()
    tables = []
    for name, rows in sorted(event.groupby(event).indices.items(), key=lambda item: item[1][0]):
        if len(rows) > MAX_GROUP_ARTICLES:
            raise EventError(
                f"event {name!r} has {len(rows):,} articles: too many to score every pair (at most {MAX_GROUP_ARTICLES:,})"
            )
        if len(rows) > 1:
            evidence = _Evidence(_Features.of(articles.iloc[rows], vocabulary))
            pairs = _pair_table(ids[rows], *evidence.scores(slice(0, len(rows)), window_days))
            tables.append(pairs.assign(event=name)[["event", *SCORE_COLUMNS]])
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["event", *SCORE_COLUMNS])


def linkage_clusters(score: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster labels from average linkage on 1 - ``score``, cut at 1 - ``threshold``."""
    if len(score) == 1:
        return np.array([1])
    distance = squareform(np.clip(1.0 - score, 0.0, 1.0), checks=False)
    return fcluster(linkage(distance, method="average"), t=1.0 - threshold, criterion="distance")


# ---------------------------------------------------------------------------
# The pair step, in blocks of articles (a map that either engine runs)
# ---------------------------------------------------------------------------

#: Articles whose pairs one block scores (with every article up to ``window_days`` after them).
ARTICLES_PER_BLOCK = 2_000
# A link is kept a hair below the cut, so that rounding in the linkage's averages never loses one.
_LINK_SLACK = 1e-9


@dataclass(frozen=True)
class EventBlock:
    """Articles in date order with their ``position`` in the whole table; the first ``owned``
    are scored against every later one (the block holds all articles within the window after them)."""

    articles: pd.DataFrame
    owned: int


def event_blocks(articles: pd.DataFrame, *, window_days: int, articles_per_block: int = ARTICLES_PER_BLOCK) -> list[EventBlock]:
    """Cut ``articles`` into :class:`EventBlock` s: every pair within the window is in exactly one
    block's owned rows × later rows; undated articles (in no window) are blocks of their own."""
    days = _day_numbers(articles)
    days = np.where(np.isnan(days), np.inf, days)
    order = np.argsort(days, kind="stable")
    ordered_days = days[order]
    columns = [c for c in ("id", "published", "headline", "body") if c in articles.columns]
    table = articles.iloc[order][columns].assign(position=order).reset_index(drop=True)
    blocks = []
    for start in range(0, len(table), articles_per_block):
        stop = min(start + articles_per_block, len(table))
        last = ordered_days[stop - 1]
        end = stop if np.isinf(last) else max(stop, int(np.searchsorted(ordered_days, last + window_days, side="right")))
        blocks.append(EventBlock(table.iloc[start:end], owned=stop - start))
    return blocks


def score_block(
    block: EventBlock, *, vocabulary: EventVocabulary, window_days: int, threshold: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pair step of :func:`group_events` for one block (the map; :func:`group_events` reduces).

    Returns
    -------
    links : DataFrame
        ``position_a``, ``position_b``, ``score``: the pairs close enough for average linkage
        to join (1 − score within the cut); every group's articles are connected by such links.
    articles : DataFrame
        ``position``, ``best`` (highest score with another article, over this block's pairs),
        ``label`` (the owned articles' own top terms, None for the others).
    """
    features = _Features.of(block.articles, vocabulary)
    evidence = _Evidence(features)
    positions = block.articles["position"].to_numpy()
    columns = np.arange(len(positions))
    best = np.zeros(len(positions))
    links = []
    for start in range(0, block.owned, _ROWS_PER_STEP):
        rows = np.arange(start, min(start + _ROWS_PER_STEP, block.owned))
        score, _, _ = evidence.scores(slice(rows[0], rows[-1] + 1), window_days)
        score[rows - start, rows] = 0.0  # an article's score with itself is no evidence
        best[rows] = np.maximum(best[rows], score.max(axis=1))
        best = np.maximum(best, score.max(axis=0))
        linked = (columns[None, :] > rows[:, None]) & (np.clip(1.0 - score, 0.0, 1.0) <= 1.0 - threshold + _LINK_SLACK)
        a, b = np.nonzero(linked)
        links.append(pd.DataFrame({"position_a": positions[rows[a]], "position_b": positions[b], "score": score[a, b]}))
    labels = [vocabulary.label(features.tfidf[row]) for row in range(block.owned)]
    return (
        pd.concat(links, ignore_index=True),
        pd.DataFrame({"position": positions, "best": best, "label": labels + [None] * (len(positions) - block.owned)}),
    )


EVENT_NAMES_FILE = "events.yaml"


def load_event_names(path: str | os.PathLike[str]) -> dict[str, str]:
    """The event renames of a YAML file: ``{event id: name to show}``; ids given one name are merged.

    The file holds an ``events`` mapping::

        events:
          2021-02-02-navalny-court: Navalny jailed
          2021-02-02-navalny-diplomats: Navalny jailed   # merged with the one above
          DEV2: New START extended                        # a manifest event can be renamed too

    Raises
    ------
    EventError
        When the file is missing or is not such a mapping of text to text; the message names it.
    """
    path = Path(path)
    if not path.is_file():
        raise EventError(f"event names file {path} not found: give a YAML file with an 'events' mapping (id: name)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise EventError(f"{path}: not valid YAML ({err})") from None
    names = data.get("events") if isinstance(data, dict) else None
    if not isinstance(names, dict) or not all(isinstance(v, (str, int)) and str(v).strip() for v in names.values()):
        raise EventError(f"{path}: expected an 'events' mapping of event id to the name to show, e.g. 'events: {{E1: Summit}}'")
    return {str(key): str(value).strip() for key, value in names.items()}


def corpus_event_names(corpus: str | os.PathLike[str] | None) -> dict[str, str]:
    """A corpus folder's own event renames (``events.yaml``), ``{}`` when it has none."""
    if corpus is None or not Path(corpus).is_dir() or not (Path(corpus) / EVENT_NAMES_FILE).is_file():
        return {}
    return load_event_names(Path(corpus) / EVENT_NAMES_FILE)


def group_events(
    articles: pd.DataFrame,
    *,
    use_labels: bool = True,
    window_days: int = WINDOW_DAYS,
    threshold: float = THRESHOLD,
    engine: Engine = "local",
    scheduler: str | None = None,
    client: Any = None,
    articles_per_block: int = ARTICLES_PER_BLOCK,
    names: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
) -> pd.DataFrame:
    """Group articles that report the same event; see the module docstring for the score.

    Parameters
    ----------
    articles : DataFrame
        Article table (``id``, ``outlet``, ``published``, ``body``; ``headline`` and ``event``
        used when present).
    use_labels : bool, default=True
        Let the ``event`` column override the inferred group where it is filled in.
    window_days : int, default=7
        Articles published further apart never share an inferred event.
    threshold : float, default=0.12
        Least average score within an inferred group.
    engine : {"local", "dask"}, default="local"
        Where the document frequencies and the pair step (:func:`score_block`) run; ``dask``
        runs them on the workers of ``client`` or ``scheduler`` (see :mod:`analysis.engine`)
        and gives the same table.
    articles_per_block : int, default=2000
        Articles whose pairs one task scores.
    names : mapping, optional
        Event id (inferred or the manifest's) to the name shown in ``event``; ids given the
        same name are one event (labels and cohesion then count them together). See
        :func:`load_event_names`.
    progress : callable, default=no_progress
        Passed the blocks as they are scored and the linked sets as they are clustered, as
        ``tqdm`` is (see :class:`analysis.options.Progress`).

    Returns
    -------
    DataFrame
        One row per article, in article order:

        - ``article_id``, ``outlet``, ``published``
        - ``event`` : the manifest's event where given and ``use_labels``, else the inferred id;
          renamed by ``names``
        - ``label`` : the event's three top TF-IDF terms, joined by " · "
        - ``cohesion`` : mean score with the other articles of its event; for an article
          alone, 1 − its highest score with any other article (not a probability)
        - ``inferred_event`` : the inferred id (``YYYY-MM-DD-term-term``, then ``-2``, ``-3`` for
          later groups that would get the same id), whatever the labels say
        - ``event_source`` : ``manifest`` or ``inferred``

    Notes
    -----
    No pair-by-pair matrix of the whole corpus is built. The pair step keeps only the pairs
    close enough to be joined (links); average linkage only ever merges two groups when some
    pair across them is that close (an average never exceeds its largest member), and it
    merges in order of increasing distance, so clustering each connected set of linked
    articles on its own gives exactly the groups of clustering all articles at once.
    """
    from analysis import engine as engines

    if not 0 < threshold <= 1:
        raise EventError(f"threshold must be in (0, 1], not {threshold}")
    if articles_per_block < 1:
        raise EventError(f"articles_per_block must be at least 1, not {articles_per_block}")
    _check(articles, window_days)
    if articles.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    articles = articles.reset_index(drop=True)
    with contextlib.ExitStack() as stack:
        if engine == "dask" and client is None:
            client = stack.enter_context(engines.dask_client(scheduler))
        run = {"engine": engine, "client": client}
        frequencies = engines.pool_articles(articles, document_frequencies, keys=["term"], **run)
        vocabulary = EventVocabulary.from_frequencies(frequencies, len(articles))
        blocks = event_blocks(articles, window_days=window_days, articles_per_block=articles_per_block)
        pieces = engines.map_blocks(
            score_block, blocks, vocabulary=vocabulary, window_days=window_days, threshold=threshold, progress=progress, **run
        )
    links = pd.concat([links for links, _ in pieces], ignore_index=True)
    scored = pd.concat([scored for _, scored in pieces], ignore_index=True)
    best = scored.groupby("position")["best"].max().reindex(range(len(articles)), fill_value=0.0).to_numpy()
    own_label = scored.dropna(subset=["label"]).set_index("position")["label"].reindex(range(len(articles))).tolist()

    # Average linkage within each connected set of linked articles (see Notes).
    graph = sp.coo_matrix((np.ones(len(links)), (links["position_a"], links["position_b"])), shape=(len(articles),) * 2)
    _, component = connected_components(graph, directed=False)
    linked = np.flatnonzero(np.bincount(component)[component] > 1)
    features = _Features.of(articles.iloc[linked], vocabulary)  # articles with a link, computed once
    feature_row = np.full(len(articles), -1)
    feature_row[linked] = np.arange(len(linked))
    cluster = np.arange(len(articles))
    component_scores: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # component: (members, their scores)
    components = pd.Series(component).groupby(component).indices
    for number, members in progress(components.items(), desc="clustering", total=len(components)):
        if len(members) > 1:
            members = np.sort(members)
            score = _square_scores(features.take(feature_row[members]), window_days)
            component_scores[number] = (members, score)
            local = linkage_clusters(score, threshold)
            values, first = np.unique(local, return_index=True)
            cluster[members] = members[first[np.searchsorted(values, local)]]  # a cluster is named by its first member

    def event_label(rows: np.ndarray) -> list[str]:
        if len(rows) == 1:
            return own_label[rows[0]]
        return vocabulary.label(features.tfidf[feature_row[rows]])

    published = pd.to_datetime(articles["published"])
    inferred = np.empty(len(articles), dtype=object)
    named: Counter[str] = Counter()
    for rows in pd.Series(cluster).groupby(cluster).indices.values():  # in order of first article
        first_day = published.iloc[rows].min()
        day = first_day.strftime("%Y-%m-%d") if pd.notna(first_day) else "undated"
        name = "-".join([day, *event_label(rows)[:2]])
        named[name] += 1
        inferred[rows] = name if named[name] == 1 else f"{name}-{named[name]}"  # two groups never share an id
    labelled = articles["event"].notna() & articles["event"].astype(str).str.strip().ne("") if "event" in articles else None
    if use_labels and labelled is not None:
        event = np.where(labelled, articles["event"].astype(str), inferred)
        source = np.where(labelled, "manifest", "inferred")
    else:
        event, source = inferred, np.full(len(articles), "inferred")
    event = pd.Series(event, dtype=object).replace(dict(names or {}))
    groups = event.groupby(event).indices
    unlinked = [rows[feature_row[rows] < 0] for rows in groups.values() if len(rows) > 1]  # manifest events
    if unlinked:
        missing = np.unique(np.concatenate(unlinked))
        features = features.append(_Features.of(articles.iloc[missing], vocabulary))
        feature_row[missing] = np.arange(len(features.days) - len(missing), len(features.days))

    def _event_scores(rows: np.ndarray) -> np.ndarray:
        """Scores within an event: cut from its component's, where clustering computed them."""
        numbers = np.unique(component[rows])
        if len(numbers) == 1 and numbers[0] in component_scores:
            members, score = component_scores[numbers[0]]
            at = np.searchsorted(members, rows)
            return score[np.ix_(at, at)]
        return _square_scores(features.take(feature_row[rows]), window_days)

    labels, cohesion = {}, 1.0 - best
    for name, rows in groups.items():
        labels[name] = " · ".join(event_label(rows))
        if len(rows) > 1:
            within = _event_scores(rows)
            np.fill_diagonal(within, 0.0)
            cohesion[rows] = within.sum(axis=1) / (len(rows) - 1)
    return pd.DataFrame(
        {
            "article_id": articles["id"].astype(str),
            "outlet": articles["outlet"],
            "published": articles["published"],
            "event": event,
            "label": event.map(labels),
            "cohesion": cohesion,
            "inferred_event": inferred,
            "event_source": source,
        }
    )[EVENT_COLUMNS]


def assign_events(articles: pd.DataFrame, **options) -> pd.DataFrame:
    """``articles`` with ``event`` (and ``event_label``) from :func:`group_events` (same options)."""
    events = group_events(articles, **options)
    return articles.reset_index(drop=True).assign(event=events["event"].to_numpy(), event_label=events["label"].to_numpy())
