"""Synthetic corpora for benchmarks: any number of articles built from the seed sentences.

The text is real news prose (sentences of the seed articles, quotations included) shuffled
into new articles, so tokens, voice and loaded terms exercise the same code paths at the same
rates as on real articles. It measures speed and memory, not meaning: never report its
statistics as findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.schema import ARTICLE_COLUMNS
from analysis.tokens import WORD_PATTERN, sentence_spans

#: Start of the synthetic publication dates; articles spread over :data:`DAYS` days after it.
FIRST_DAY = np.datetime64("2021-01-01")
DAYS = 730
#: Days per synthetic event: articles published in the same window share an event id.
DAYS_PER_EVENT = 30


def seed_sentences(articles: pd.DataFrame) -> pd.DataFrame:
    """The sentences of ``articles``' bodies: the material synthetic articles are made of.

    Returns
    -------
    DataFrame
        One row per sentence: ``article`` (position of its article in ``articles``),
        ``text`` and ``words`` (word tokens, as ``analysis.tokens.WORD_PATTERN`` counts them).
    """
    rows = [
        (position, body[start:end])
        for position, body in enumerate(articles["body"].fillna("").astype(str))
        for start, end in sentence_spans(body)
    ]
    sentences = pd.DataFrame(rows, columns=["article", "text"])
    sentences["words"] = [sum(1 for _ in WORD_PATTERN.finditer(text)) for text in sentences["text"]]
    return sentences[sentences["words"] > 0].reset_index(drop=True)


def _body(texts: np.ndarray, breaks: np.ndarray) -> str:
    """Sentences joined by a space, or by a blank line where ``breaks`` starts a paragraph."""
    separators = ["\n\n" if paragraph_ends else " " for paragraph_ends in breaks[:-1]] + [""]
    return "".join(text + separator for text, separator in zip(texts, separators, strict=True))


def synthetic_articles(
    n_articles: int,
    *,
    source: pd.DataFrame | None = None,
    words_per_article: int = 600,
    outlets: Sequence[str] | None = None,
    own_share: float = 0.5,
    paragraph_break: float = 0.35,
    seed: int = 0,
) -> pd.DataFrame:
    """``n_articles`` articles of about ``words_per_article`` words, sampled from real sentences.

    Each article belongs to an outlet and takes sentences with replacement until it has at
    least ``words_per_article`` words: a share ``own_share`` from its outlet's "home" source
    article, the rest from all of them, so outlets differ in vocabulary the way keyness and
    TF-IDF should detect. Paragraph breaks fall after a sentence with probability
    ``paragraph_break``. The same arguments give the same table.

    Parameters
    ----------
    n_articles : int
        Articles to build (0 or more).
    source : DataFrame, optional
        Article table whose bodies supply the sentences; default: the seed corpus
        (``analysis.corpus.load_corpus()``).
    words_per_article : int, default=600
        Minimum words per article (the last sentence overshoots by up to one sentence).
    outlets : sequence of str, optional
        Outlet names, assigned uniformly at random; default: the source's outlets. Outlet
        ``k`` takes its home sentences from source article ``k`` modulo their number.
    own_share : float, default=0.5
        Probability that a sentence comes from the outlet's home article (0 to 1).
    paragraph_break : float, default=0.35
        Probability that a paragraph ends after a sentence.
    seed : int, default=0

    Returns
    -------
    DataFrame
        The loader's article schema (``analysis.schema.ARTICLE_COLUMNS``), sorted by
        ``published`` then ``id``, with cleaning bypassed: ``id`` (``syn-00000042``),
        ``outlet``, ``published`` (days in 2021–2022), ``headline`` (the first sentence),
        ``dek``, ``dateline`` and ``byline`` (empty), ``body``, ``raw`` (empty: there is no source page),
        ``source`` (``synthetic seed=S row=N``), ``removed`` and ``repairs`` (empty lists),
        ``n_tokens``, ``hash`` (as the loader computes it), ``url`` (empty), ``event``
        (``synthetic-NNN``, one per 30 days), ``language`` (``en``), ``country`` and
        ``ownership`` (from the outlet profiles, None for unknown outlets), ``encoding``
        (``utf-8``).

    Raises
    ------
    ValueError
        A parameter is out of range, or ``source`` has no sentences.

    Examples
    --------
    >>> seeds = pd.DataFrame({"body": ["One two three. Four five.", "Six seven eight nine."], "outlet": ["A", "B"]})
    >>> table = synthetic_articles(3, source=seeds, words_per_article=5, seed=1)
    >>> len(table), bool((table["n_tokens"] >= 5).all()), sorted(set(table["outlet"])) <= ["A", "B"]
    (3, True, True)
    """
    if n_articles < 0:
        raise ValueError(f"n_articles must be 0 or more, not {n_articles}")
    if words_per_article < 1:
        raise ValueError(f"words_per_article must be at least 1, not {words_per_article}")
    for name, value in (("own_share", own_share), ("paragraph_break", paragraph_break)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} is a probability between 0 and 1, not {value}")
    if source is None:
        from analysis.corpus import load_corpus

        source = load_corpus()
    sentences = seed_sentences(source)
    if sentences.empty:
        raise ValueError("the source articles have no sentences to sample: pass articles with non-empty bodies")
    outlet_names = list(outlets) if outlets is not None else list(pd.unique(source["outlet"].astype(str)))
    if not outlet_names:
        raise ValueError("outlets is empty: name at least one outlet")

    rng = np.random.default_rng(seed)
    texts = sentences["text"].to_numpy(dtype=object)
    words = sentences["words"].to_numpy()
    home_article = np.arange(len(outlet_names)) % len(source)
    by_article = [np.flatnonzero(sentences["article"].to_numpy() == a) for a in range(len(source))]
    # Sentences drawn per article at once: twice the expected need; rarely, more are drawn.
    draws = 2 * int(np.ceil(words_per_article / words.mean())) + 4

    outlet = rng.integers(0, len(outlet_names), size=n_articles)
    days = rng.integers(0, DAYS, size=n_articles)
    bodies, headlines, n_tokens = [], [], np.zeros(n_articles, dtype=np.int64)
    for row in range(n_articles):
        home = by_article[home_article[outlet[row]]]
        picks = rng.integers(0, len(sentences), size=draws)
        if home.size:
            own = rng.random(draws) < own_share
            picks[own] = home[rng.integers(0, home.size, size=int(own.sum()))]
        total = np.cumsum(words[picks])
        while total[-1] < words_per_article:  # a run of short sentences: draw more
            more = rng.integers(0, len(sentences), size=draws)
            picks, total = np.concatenate([picks, more]), np.concatenate([total, total[-1] + np.cumsum(words[more])])
        used = int(np.searchsorted(total, words_per_article)) + 1
        bodies.append(_body(texts[picks[:used]], rng.random(used) < paragraph_break))
        headlines.append(str(texts[picks[0]]).strip("“”\"' "))
        n_tokens[row] = total[used - 1]

    profiles = _profiles()
    names = np.asarray(outlet_names, dtype=object)[outlet]
    published = FIRST_DAY + days.astype("timedelta64[D]")
    articles = pd.DataFrame(
        {
            "id": [f"syn-{row:08d}" for row in range(n_articles)],
            "outlet": names,
            "published": pd.to_datetime(published),
            "headline": headlines,
            "dek": "",
            "dateline": "",
            "byline": "",
            "body": bodies,
            "raw": "",
            "source": [f"synthetic seed={seed} row={row}" for row in range(n_articles)],
            "removed": [[] for _ in range(n_articles)],
            "repairs": [[] for _ in range(n_articles)],
            "n_tokens": n_tokens,
            "hash": [hashlib.sha256(" ".join(b.casefold().split()).encode()).hexdigest()[:16] for b in bodies],
            "url": "",
            "event": [f"synthetic-{d // DAYS_PER_EVENT:03d}" for d in days],
            "language": "en",
            "country": [getattr(profiles.get(n), "country", None) for n in names],
            "ownership": [getattr(profiles.get(n), "ownership", None) for n in names],
            "encoding": "utf-8",
        },
        columns=list(ARTICLE_COLUMNS),
    )
    return articles.sort_values(["published", "id"], kind="stable").reset_index(drop=True)


def _profiles() -> dict:
    from analysis.outlets import load_profiles

    return load_profiles()


def as_source_table(articles: pd.DataFrame) -> pd.DataFrame:
    """``articles`` as a corpus table the loader reads (CSV, JSONL or Parquet input).

    Returns
    -------
    DataFrame
        ``id``, ``outlet``, ``published`` (ISO date), ``title``, ``text``, ``event``.
    """
    return pd.DataFrame(
        {
            "id": articles["id"].astype(str),
            "outlet": articles["outlet"].astype(str),
            "published": pd.to_datetime(articles["published"]).dt.strftime("%Y-%m-%d"),
            "title": articles["headline"].astype(str),
            "text": articles["body"].astype(str),
            "event": articles["event"].astype(str),
        }
    )
