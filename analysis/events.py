"""Which articles report the same event, and what each outlet includes or leaves out.

Event grouping (:func:`group_events`) needs no event column. Two articles are linked by a
combined score in [0, 1]:

- 0.55 × cosine similarity of their TF-IDF vectors (bodies and headlines, English stop
  words removed, sublinear term frequency, IDF from the articles grouped);
- 0.20 × overlap of the words of the capitalised names they mention (``Dmitry Peskov``,
  ``White House``; a common word opening a sentence is not a name; titles such as
  "President" left out), as shared / name words of the article with fewer;
- 0.10 × overlap of the numbers they mention (``3,000``, ``120``; years and one-digit
  numbers left out), the same way;
- 0.15 × overlap of their quotations' word 4-grams (a shared quote is strong evidence);

and only when published within ``window_days`` (default 7) of each other; otherwise (or
when either is undated) the score is 0. Articles are grouped by average linkage (``scipy.cluster.hierarchy``) on
1 − score, cut at 1 − ``threshold`` (default 0.2): every group's articles are on average at
least that similar to each other. A group's label is its three top TF-IDF terms; its id is
its first publication date and top two terms. Each article's confidence is its mean score with
the other articles of its group, or, for an article alone, 1 − its highest score with any.

The manifest's ``event`` column, where present, overrides the inferred group
(``use_labels=False`` shows what inference alone gives).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from analysis.tokens import quote_spans, sentence_spans

WINDOW_DAYS = 7
THRESHOLD = 0.2
WEIGHTS = {"text": 0.55, "names": 0.20, "numbers": 0.10, "quotes": 0.15}
LABEL_TERMS = 3

EVENT_COLUMNS = ["article_id", "outlet", "published", "event", "label", "confidence", "inferred_event", "event_source"]
SCORE_COLUMNS = ["article_a", "article_b", "days", "text", "names", "numbers", "quotes", "score"]

_NAME = re.compile(r"\b[A-Z][a-zA-Z’'\-]+(?:\s+(?:[A-Z][a-zA-Z’'\-]+|of|al-|bin))*\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\d%?|\b\d%")
_QUOTE_WORD = re.compile(r"[^\W_]+")
_NOT_NAMES = (
    frozenset(
        "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
        "august september october november december mr mrs ms dr".split()
    )
    | ENGLISH_STOP_WORDS
)


class EventError(ValueError):
    """The articles or options given to an event function cannot be used."""


# ---------------------------------------------------------------------------
# Evidence per article
# ---------------------------------------------------------------------------


def names_in(text: str) -> list[str]:
    """Capitalised names in ``text``, lowercased; a capitalised word opening a sentence is not one.

    Examples
    --------
    >>> names_in("Kremlin spokesman Dmitry Peskov said. The White House did not.")
    ['kremlin', 'dmitry peskov', 'white house']
    """
    openings = {start for start, _ in sentence_spans(text)} if text else set()
    found = []
    for match in _NAME.finditer(text):
        words = match.group().split()
        if match.start() in openings or (match.start() > 0 and text[match.start() - 1] in "“\"‘'"):
            # "Kremlin" opening a sentence is still a name if it is not a common word.
            if words[0].lower() in _NOT_NAMES:
                words = words[1:]
        words = [w for w in words if w.lower() not in _NOT_NAMES or w.islower()]
        while words and words[-1].lower() in ("of", "al-", "bin"):
            words.pop()
        if words and any(w[0].isupper() for w in words):
            found.append(" ".join(words).lower().replace("’", "'").removesuffix("'s"))
    return found


# Titles and offices join names ("Russian President Vladimir Putin") but identify nobody.
_TITLE_WORDS = frozenset(
    "president presidents minister ministry foreign spokesman spokeswoman spokesperson secretary deputy press "
    "prime chief head state department russian american chinese us u.s ukrainian iranian british french "
    "european syrian turkish israeli german western".split()
)


def actor_names(names: Sequence[str]) -> list[str]:
    """Names as actors: titles and nationality words dropped, a bare surname joined to the one full name ending in it.

    Examples
    --------
    >>> actor_names(["russian president vladimir putin", "putin", "russian", "white house"])
    ['vladimir putin', 'vladimir putin', 'white house']
    """
    stripped = [" ".join(w for w in name.split() if w not in _TITLE_WORDS) for name in names]
    stripped = [name for name in stripped if name]
    full = sorted({name for name in stripped if " " in name})
    resolved = []
    for name in stripped:
        longer = [f for f in full if f.endswith(" " + name)]
        resolved.append(longer[0] if len(longer) == 1 else name)
    return resolved


def name_words(text: str) -> list[str]:
    """The distinct words of the names in ``text`` (:func:`names_in`), titles left out.

    So "Russian President Vladimir Putin" and "Vladimir Putin" share ``vladimir`` and ``putin``.
    """
    return sorted({w for name in names_in(text) for w in name.split() if w not in _TITLE_WORDS})


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
        tokens = _QUOTE_WORD.findall(text[span.start : span.end].lower())
        shingles += [" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1)]
    return shingles


def _binary(docs: list[list[str]]) -> sp.csr_matrix:
    if not any(docs):
        return sp.csr_matrix((len(docs), 1))
    vectorizer = CountVectorizer(analyzer=lambda doc: doc, binary=True)
    return vectorizer.fit_transform(docs).astype(np.float64).tocsr()


def _overlap(matrix: sp.csr_matrix) -> np.ndarray:
    """Shared items / items of the article with fewer (0 when either has none)."""
    shared = (matrix @ matrix.T).toarray()
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    smaller = np.minimum.outer(sizes, sizes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(smaller > 0, shared / smaller, 0.0)


def _texts(articles: pd.DataFrame) -> list[str]:
    headline = articles["headline"].fillna("") if "headline" in articles.columns else ""
    return (headline + "\n\n" + articles["body"].fillna("")).astype(str).tolist()


# Words of three or more letters, possessive 's dropped; "said" and honorifics say nothing about an event.
_LABEL_STOP_WORDS = sorted(ENGLISH_STOP_WORDS | {"said", "says", "mrs"})
_POSSESSIVE = re.compile(r"['’]s\b")


def _tfidf(articles: pd.DataFrame) -> tuple[sp.csr_matrix, np.ndarray]:
    vectorizer = TfidfVectorizer(
        preprocessor=lambda text: _POSSESSIVE.sub("", text.lower()),
        stop_words=_LABEL_STOP_WORDS,
        sublinear_tf=True,
        token_pattern=r"(?u)\b[^\W\d_]{3,}(?:-[^\W\d_]+)*\b",
    )
    matrix = vectorizer.fit_transform(_texts(articles))
    return matrix, vectorizer.get_feature_names_out()


def similarity_scores(articles: pd.DataFrame, *, window_days: int = WINDOW_DAYS) -> tuple[np.ndarray, pd.DataFrame]:
    """The combined score for every pair of articles, and its parts.

    Returns
    -------
    score : ndarray
        Square matrix in article order; 1 on the diagonal.
    parts : DataFrame
        One row per pair (``article_a`` before ``article_b`` in article order): ``article_a``,
        ``article_b``, ``days`` (publication dates apart, float; inf when either is undated), ``text`` (TF-IDF cosine), ``names``,
        ``numbers``, ``quotes`` (overlaps, 0–1) and ``score`` (weighted sum, 0 outside the window).
    """
    for column in ("id", "published", "body"):
        if column not in articles.columns:
            raise EventError(f"articles: no {column!r} column; pass the article table from analysis.corpus")
    if window_days < 0:
        raise EventError(f"window_days must be 0 or more, not {window_days}")
    tfidf, _ = _tfidf(articles)
    bodies = articles["body"].fillna("").astype(str).tolist()
    parts = {
        "text": (tfidf @ tfidf.T).toarray(),
        "names": _overlap(_binary([name_words(t) for t in _texts(articles)])),
        "numbers": _overlap(_binary([numbers_in(b) for b in bodies])),
        "quotes": _overlap(_binary([quote_shingles(b) for b in bodies])),
    }
    published = pd.to_datetime(articles["published"]).dt.normalize()
    days_since = (published - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float)  # NaN when undated
    days = np.abs(np.subtract.outer(days_since, days_since))
    days = np.where(np.isnan(days), np.inf, days)  # an undated article is in no one's window
    score = sum(WEIGHTS[name] * np.clip(values, 0.0, 1.0) for name, values in parts.items())
    score = np.where(days <= window_days, score, 0.0)
    np.fill_diagonal(score, 1.0)
    ids = articles["id"].astype(str).to_numpy()
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
    return score, table[SCORE_COLUMNS]


def _clusters(score: np.ndarray, threshold: float) -> np.ndarray:
    if len(score) == 1:
        return np.array([1])
    distance = squareform(np.clip(1.0 - score, 0.0, 1.0), checks=False)
    return fcluster(linkage(distance, method="average"), t=1.0 - threshold, criterion="distance")


def _label(tfidf: sp.csr_matrix, terms: np.ndarray, rows: np.ndarray) -> list[str]:
    weights = np.asarray(tfidf[rows].sum(axis=0)).ravel()
    return [str(t) for t in terms[np.argsort(-weights, kind="stable")[:LABEL_TERMS]]]


def group_events(
    articles: pd.DataFrame,
    *,
    use_labels: bool = True,
    window_days: int = WINDOW_DAYS,
    threshold: float = THRESHOLD,
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
    threshold : float, default=0.2
        Least average score within an inferred group.

    Returns
    -------
    DataFrame
        One row per article, in article order:

        - ``article_id``, ``outlet``, ``published``
        - ``event`` : the manifest's event where given and ``use_labels``, else the inferred id
        - ``label`` : the event's three top TF-IDF terms, joined by " · "
        - ``confidence`` : mean score with the other articles of its event; for an article
          alone, 1 − its highest score with any other article
        - ``inferred_event`` : the inferred id (``YYYY-MM-DD-term-term``), whatever the labels say
        - ``event_source`` : ``manifest`` or ``inferred``
    """
    if not 0 < threshold <= 1:
        raise EventError(f"threshold must be in (0, 1], not {threshold}")
    if articles.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    articles = articles.reset_index(drop=True)
    score, _ = similarity_scores(articles, window_days=window_days)
    tfidf, terms = _tfidf(articles)
    clusters = _clusters(score, threshold)
    published = pd.to_datetime(articles["published"])
    inferred = np.empty(len(articles), dtype=object)
    for cluster in np.unique(clusters):
        rows = np.flatnonzero(clusters == cluster)
        first_day = published.iloc[rows].min()
        day = first_day.strftime("%Y-%m-%d") if pd.notna(first_day) else "undated"
        inferred[rows] = "-".join([day, *_label(tfidf, terms, rows)[:2]])
    labelled = articles["event"].notna() & articles["event"].astype(str).str.strip().ne("") if "event" in articles else None
    if use_labels and labelled is not None:
        event = np.where(labelled, articles["event"].astype(str), inferred)
        source = np.where(labelled, "manifest", "inferred")
    else:
        event, source = inferred, np.full(len(articles), "inferred")
    event = pd.Series(event, dtype=object)
    labels, confidence = {}, np.zeros(len(articles))
    off_diagonal = score - np.eye(len(articles))
    for name, rows in event.groupby(event).indices.items():
        labels[name] = " · ".join(_label(tfidf, terms, rows))
        if len(rows) > 1:
            within = off_diagonal[np.ix_(rows, rows)]
            confidence[rows] = within.sum(axis=1) / (len(rows) - 1)
        else:
            confidence[rows] = 1.0 - (off_diagonal[rows[0]].max() if len(articles) > 1 else 0.0)
    return pd.DataFrame(
        {
            "article_id": articles["id"].astype(str),
            "outlet": articles["outlet"],
            "published": articles["published"],
            "event": event,
            "label": event.map(labels),
            "confidence": confidence,
            "inferred_event": inferred,
            "event_source": source,
        }
    )[EVENT_COLUMNS]


def assign_events(articles: pd.DataFrame, **options) -> pd.DataFrame:
    """``articles`` with ``event`` (and ``event_label``) from :func:`group_events` (same options)."""
    events = group_events(articles, **options)
    return articles.reset_index(drop=True).assign(event=events["event"].to_numpy(), event_label=events["label"].to_numpy())


# ---------------------------------------------------------------------------
# Inclusion and omission
# ---------------------------------------------------------------------------

FACT_THRESHOLD = 0.35
MIN_SENTENCE_WORDS = 6
FACT_COLUMNS = ["fact", "text", "n_outlets", "n_articles", "outlets"]
INCLUSION_COLUMNS = ["fact", "outlet", "included", "article_id", "sentence_text"]
ACTOR_COLUMNS = ["outlet", "actor", "mentions", "articles", "n_outlets"]


def _sentences(articles: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for article_id, outlet, body in zip(articles["id"].astype(str), articles["outlet"], articles["body"].fillna(""), strict=True):
        for start, end in sentence_spans(body):
            text = body[start:end].strip()
            if len(_QUOTE_WORD.findall(text)) >= MIN_SENTENCE_WORDS:
                rows.append((article_id, outlet, start, end, text))
    return pd.DataFrame(rows, columns=["article_id", "outlet", "start", "end", "text"])


def _stem_analyzer():
    from nltk.stem import PorterStemmer

    stem = PorterStemmer().stem
    cache: dict[str, str] = {}

    def analyze(text: str) -> list[str]:
        words = [w for w in _QUOTE_WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS and not w.isdigit()]
        return [cache.setdefault(w, stem(w)) for w in words]

    return analyze


def event_facts(articles: pd.DataFrame, *, threshold: float = FACT_THRESHOLD) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facts of an event (sentences clustered across articles) and which outlet reports each.

    Sentences of at least six words are compared by TF-IDF cosine over Porter stems (stop words
    and bare numbers left out, IDF from these sentences) and grouped by average linkage cut at
    1 − ``threshold`` (default 0.35): a fact's sentences say much the same in the same words
    or close to them. A fact's text is its sentence with the highest mean similarity to the
    others (the first published when tied).

    Parameters
    ----------
    articles : DataFrame
        The articles of one event (``id``, ``outlet``, ``published``, ``body``).
    threshold : float, default=0.35
        Least average cosine similarity within a fact.

    Returns
    -------
    facts : DataFrame
        ``fact`` (int, from 0, most widely reported first), ``text``, ``n_outlets``,
        ``n_articles``, ``outlets`` (list of str).
    inclusion : DataFrame
        One row per fact × outlet: ``fact``, ``outlet``, ``included`` (bool),
        ``article_id`` and ``sentence_text`` (the outlet's first sentence for the fact, or "").
    """
    if not 0 < threshold <= 1:
        raise EventError(f"threshold must be in (0, 1], not {threshold}")
    ordered = articles.sort_values(["published", "id"]) if "published" in articles else articles
    sentences = _sentences(ordered)
    outlets = sorted(articles["outlet"].dropna().unique())
    if sentences.empty:
        return pd.DataFrame(columns=FACT_COLUMNS), pd.DataFrame(columns=INCLUSION_COLUMNS)
    matrix = TfidfVectorizer(analyzer=_stem_analyzer()).fit_transform(sentences["text"])
    similarity = (matrix @ matrix.T).toarray()
    sentences["cluster"] = _clusters(np.clip(similarity, 0, 1), threshold)
    facts, inclusion = [], []
    for _, members in sentences.groupby("cluster", sort=False):
        rows = members.index.to_numpy()
        centrality = similarity[np.ix_(rows, rows)].mean(axis=1)
        facts.append(
            {
                "text": members["text"].iloc[int(np.argmax(centrality))],
                "n_outlets": members["outlet"].nunique(),
                "n_articles": members["article_id"].nunique(),
                "outlets": sorted(members["outlet"].unique()),
                "_first": rows.min(),
                "_members": members,
            }
        )
    facts.sort(key=lambda f: (-f["n_outlets"], -f["n_articles"], f["_first"]))
    for number, fact in enumerate(facts):
        firsts = fact["_members"].groupby("outlet", sort=False).first()
        for outlet in outlets:
            present = outlet in firsts.index
            inclusion.append(
                {
                    "fact": number,
                    "outlet": outlet,
                    "included": present,
                    "article_id": firsts.at[outlet, "article_id"] if present else "",
                    "sentence_text": firsts.at[outlet, "text"] if present else "",
                }
            )
    fact_table = pd.DataFrame([{k: f[k] for k in FACT_COLUMNS[1:]} for f in facts]).rename_axis("fact").reset_index()
    return fact_table[FACT_COLUMNS], pd.DataFrame(inclusion, columns=INCLUSION_COLUMNS)


def omission_matrix(inclusion: pd.DataFrame, *, min_outlets: int = 2) -> pd.DataFrame:
    """Outlet × fact table of included (1) / left out (0), for facts reported by ``min_outlets`` or more.

    A fact only one outlet reports is that outlet's addition, not the others' omission; pass
    ``min_outlets=1`` to see every fact.
    """
    wide = inclusion.pivot(index="outlet", columns="fact", values="included").astype(int)
    return wide.loc[:, wide.sum(axis=0) >= min_outlets]


ActorSource = Literal["profiles", "names"]


def _name_mentions(articles: pd.DataFrame) -> pd.DataFrame:
    mentions = pd.DataFrame(
        [
            (outlet, article_id, name)
            for article_id, outlet, text in zip(articles["id"].astype(str), articles["outlet"], _texts(articles), strict=True)
            for name in names_in(text)
        ],
        columns=["outlet", "article_id", "actor"],
    )
    # Resolve over the whole event, so "Putin" in one outlet meets "Vladimir Putin" in another.
    mentions = mentions[mentions["actor"].map(lambda n: any(w not in _TITLE_WORDS for w in n.split()))]
    return mentions.assign(actor=actor_names(mentions["actor"].tolist()))


def actor_inclusion(articles: pd.DataFrame, *, source: ActorSource = "profiles", min_outlets: int = 1) -> pd.DataFrame:
    """Which actors each outlet mentions in an event's articles, and how often.

    Parameters
    ----------
    articles : DataFrame
        The articles of one event.
    source : {"profiles", "names"}, default="profiles"
        ``profiles``: mentions of the actors in the actor profiles (``analysis.actors``:
        names, surnames, aliases, canonical names); ``names``: every capitalised name
        (:func:`names_in`, resolved by :func:`actor_names`), for actors no profile covers.
    min_outlets : int, default=1
        Leave out actors fewer outlets mention.

    Returns
    -------
    DataFrame
        One row per outlet × actor it mentions: ``outlet``, ``actor``, ``mentions`` (int),
        ``articles`` (articles of the outlet mentioning it), ``n_outlets`` (outlets
        mentioning the actor at all). Most widely named actors first.
    """
    if source == "profiles":
        from analysis.actors import actor_mentions

        mentions = actor_mentions(articles)[["outlet", "article_id", "actor"]]
    elif source == "names":
        mentions = _name_mentions(articles)
    else:
        raise EventError(f"source must be 'profiles' or 'names', not {source!r}")
    if mentions.empty:
        return pd.DataFrame(columns=ACTOR_COLUMNS)
    table = (
        mentions.groupby(["outlet", "actor"])
        .agg(mentions=("article_id", "size"), articles=("article_id", "nunique"))
        .reset_index()
    )
    table["n_outlets"] = table.groupby("actor")["outlet"].transform("nunique")
    table = table[table["n_outlets"] >= min_outlets]
    return table.sort_values(["n_outlets", "actor", "outlet"], ascending=[False, True, True], ignore_index=True)[ACTOR_COLUMNS]
