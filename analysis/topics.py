"""Frames as topics: a topic model of the cleaned bodies, and each topic's prevalence per outlet and period.

No annotation is needed: :func:`fit_topics` finds ``k`` topics in the articles' words (stop words
out), each with its top words and the sentences that load on it most
(:func:`representative_sentences`); :func:`topic_prevalence` gives each outlet's (and period's)
mean share of each topic with bootstrap intervals over articles, and :func:`prevalence_contrasts`
how far each outlet stands from the others; :func:`suggest_k` compares
values of ``k`` by the coherence of their topics. :func:`topics` runs the whole of ``framing
topics`` in one call. The model needs every article's words at once, so it runs in this
process (no ``engine="dask"``): tens of thousands of articles fit in memory as a sparse matrix.

The model, and why not stm
--------------------------
Papers that compare outlets by topic mostly report R's ``stm`` (Roberts, Stewart & Tingley):
a structural topic model whose prevalence covariates (outlet, period) enter the estimation
itself. The Python candidates were evaluated (December 2026) before writing anything:

- ``structural-topic-model`` (PyPI, 1.0.0, a port of R's stm with a scikit-learn API) requires
  Python 3.12 or later; this project supports 3.11, so it cannot be installed here.
- ``topica`` (PyPI, 0.62.0, a Rust core with an STM) installs, but it is a beta that has
  published some sixty minor versions within a year, ships a compiled wheel per platform and has
  one maintainer: too young an API to put under published numbers, and a new binary dependency.
- ``pystm`` (0.1, 2018) and ``strutopy`` (a thesis's code, not on PyPI) are not maintained.

So the model is scikit-learn's NMF (non-negative matrix factorisation) of the articles'
TF-IDF matrix, with prevalence estimated *afterwards*: each article's topic shares are
computed once, and a group's prevalence is the mean share over its articles, with a
percentile bootstrap over articles. This is **not** stm's joint estimation: the outlet does not
inform the topics, and the intervals carry the sampling of articles, not the uncertainty of
the topics themselves (stm's "method of composition" would add that). When a maintained port
runs on the project's Python, it can slot in behind :func:`fit_topics`.

Determinism
-----------
The factorisation starts from NNDSVDA (an SVD of the TF-IDF matrix) and runs coordinate descent
without shuffling, so the same articles, options and seed give the same topics, words, shares
and intervals (a test checks). ``seed`` enters the model only through scikit-learn's randomised
SVD solver, which on corpora like these converges to the same vectors whatever the seed (seeds 0
and 7 give shares within 1e-13 on the seeds and on the planted test corpus); it mainly seeds the
bootstrap. Topics are numbered by decreasing corpus share, so their order is stable too; on
another corpus, or another version of scikit-learn, a different seed may still shift the topics
slightly, or number two topics of nearly equal share the other way round.

Choosing K
----------
:func:`suggest_k` fits a model for each candidate ``k`` and scores it the way Dieng, Ruiz and
Blei (2020) score topic quality: the mean NPMI coherence of each topic's top words (how much
more often they share a document than chance, -1 to 1, over the corpus's own documents;
Bouma 2009, Lau et al. 2014) times topic diversity (the share of distinct words among all
topics' top words). Too few topics merge words that never meet (coherence falls); too many
split a topic into near-copies (diversity falls).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.measures.tfidf import CountMatrix, StopWords, count_matrix, stop_word_set, term_counts
from analysis.stats import BOOTSTRAP_CELLS, bootstrap_ratios, group_labels, small_sample
from analysis.tokens import sentence_spans, tokenize
from analysis.trends import INTERVALS, Interval, period_start

#: Fewest articles a topic model is fitted on: below this, "topics" are single articles.
MIN_ARTICLES = 3
#: Candidate values of k tried by ``k="auto"``, capped by the number of articles.
AUTO_K = tuple(range(2, 11))
#: Top words per topic scored for coherence and diversity (the literature's usual 10).
COHERENCE_WORDS = 10

TOPIC_COLUMNS = ["topic", "label", "words", "share", "coherence"]
TOPIC_WORD_COLUMNS = ["topic", "label", "rank", "term", "weight"]
DOCUMENT_TOPIC_COLUMNS = ["article_id", "topic", "share"]
SENTENCE_COLUMNS = ["topic", "label", "rank", "article_id", "outlet", "sentence", "start", "end", "loading", "text"]
PREVALENCE_COLUMNS = ["group", "topic", "label", "share", "ci_low", "ci_high", "n_articles", "n_tokens", "small_sample"]
SUGGESTION_COLUMNS = ["k", "coherence", "diversity", "quality", "suggested"]
CONTRAST_COLUMNS = [
    "group",
    "reference",
    "topic",
    "label",
    "share",
    "share_reference",
    "difference",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_articles_reference",
    "distinct",
    "small_sample",
]

KChoice = int | Literal["auto"]


class TopicsError(ValueError):
    """The articles cannot support the topic model asked for (too few articles, k too large, no words)."""


@dataclass(frozen=True, eq=False)
class TopicModel:
    """A fitted topic model of a set of articles (:func:`fit_topics`).

    Attributes
    ----------
    k, seed : int
        Topics and the seed they were fitted with.
    counts : CountMatrix
        Articles × vocabulary counts the model was fitted on (stop words and rare words out);
        rows in the article table's order.
    components : ndarray of shape (k, n_terms)
        Each topic's word weights, rows summing to 1 (topics in :attr:`order`).
    shares : ndarray of shape (n_articles, k)
        Each article's topic shares (:func:`word_shares`), rows summing to 1; NaN for an
        article with no word of the vocabulary.
    outlets : ndarray
        Each row's outlet (``""`` without an outlet column).
    stop_words : frozenset of str
        The words left out.
    nmf, transformer
        The fitted ``sklearn.decomposition.NMF`` and ``TfidfTransformer`` (for new text).
    order : ndarray
        Topic ``t`` is the factorisation's component ``order[t]`` (by decreasing corpus share).
    """

    k: int
    seed: int
    counts: CountMatrix
    components: np.ndarray
    shares: np.ndarray
    outlets: np.ndarray
    stop_words: frozenset[str]
    nmf: object = field(repr=False)
    transformer: object = field(repr=False)
    order: np.ndarray = field(repr=False)

    @property
    def terms(self) -> np.ndarray:
        return self.counts.terms

    def top_term_indices(self, n: int = COHERENCE_WORDS) -> np.ndarray:
        """The ``n`` heaviest words of each topic, as column indices (k × n; ties alphabetical)."""
        n = min(n, len(self.terms))
        # lexsort on (term position, -weight): the vocabulary is sorted, so ties are alphabetical
        return np.stack([np.lexsort((np.arange(len(row)), -row))[:n] for row in self.components])

    def labels(self) -> list[str]:
        """Each topic's label: its three heaviest words joined by `` / ``."""
        return [" / ".join(self.terms[row].tolist()) for row in self.top_term_indices(3)]

    def loadings(self, counts: sp.spmatrix) -> np.ndarray:
        """Topic loadings of new rows of counts over :attr:`terms` (TF-IDF with the fitted IDF, l2 norm),
        in topic order and on the scale of :attr:`shares` before normalisation."""
        weights = self.transformer.transform(sp.csr_matrix(counts, dtype=float))
        raw = self.nmf.transform(weights)[:, self.order]
        return raw * self._scale

    @property
    def _scale(self) -> np.ndarray:
        return np.asarray(self.nmf.components_, dtype=float).sum(axis=1)[self.order]


def _check_k(k: int, n_articles: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TopicsError(f"k must be a whole number of topics (2 or more) or 'auto', not {k!r}")
    if k < 2:
        raise TopicsError(f"k must be 2 or more topics, not {k}")
    if n_articles < MIN_ARTICLES:
        raise TopicsError(f"a topic model needs at least {MIN_ARTICLES} articles with text; these are {n_articles}: add articles")
    if k > n_articles:
        raise TopicsError(f"k={k} topics is more than the {n_articles} articles: choose k of {n_articles} or fewer")


def document_matrix(
    articles: pd.DataFrame,
    *,
    tokens: pd.DataFrame | None = None,
    stop_words: StopWords = "english",
    min_df: int = 2,
    max_df: float = 0.95,
) -> CountMatrix:
    """The articles × words count matrix a topic model is fitted on.

    Words are the project's tokens (``analysis.tokens.tokenize`` of the bodies), lowercased;
    stop words, words without a letter (numbers, dates), words in fewer than ``min_df``
    articles and words in more than ``max_df`` of them are left out.

    Parameters
    ----------
    articles : DataFrame
        The article table: ``id`` and ``body``.
    tokens : DataFrame, optional
        Its token table, when already made.
    stop_words : "english", collection of str or None, default="english"
        ``"english"``: ``analysis.measures.tfidf.ENGLISH_NEWS_STOP_WORDS`` (scikit-learn's list
        and the reporting verbs of news).
    min_df : int, default=2
        Least articles a word must appear in (a word of one article says nothing about topics).
    max_df : float, default=0.95
        Largest share of articles a word may appear in (such words are in every topic).

    Returns
    -------
    CountMatrix
        ``matrix`` (CSR, int64; one row per article, in the table's order), ``rows`` (ids),
        ``terms`` (sorted).
    """
    if min_df < 1:
        raise TopicsError(f"min_df must be 1 or more articles, not {min_df}")
    if not 0 < max_df <= 1:
        raise TopicsError(f"max_df must be a share of articles in (0, 1], not {max_df}")
    ids = articles["id"].astype(str).tolist()
    tokens = tokenize(articles) if tokens is None else tokens
    everything = count_matrix(term_counts(tokens), rows=ids, stop_words=stop_words)
    df = np.asarray((everything.matrix > 0).sum(axis=0)).ravel()
    has_letter = np.array([any(ch.isalpha() for ch in term) for term in everything.terms], dtype=bool)
    keep = np.flatnonzero(has_letter & (df >= min_df) & (df <= max_df * len(ids)))
    return CountMatrix(everything.matrix[:, keep].tocsr(), everything.rows, everything.terms[keep])


def fit_topics(
    articles: pd.DataFrame,
    *,
    k: int,
    tokens: pd.DataFrame | None = None,
    counts: CountMatrix | None = None,
    stop_words: StopWords = "english",
    min_df: int = 2,
    max_df: float = 0.95,
    seed: int = 0,
    max_iter: int = 500,
) -> TopicModel:
    """Fit ``k`` topics to the articles' bodies: NMF of their TF-IDF matrix (see the module's notes).

    Parameters
    ----------
    articles : DataFrame
        The article table (``analysis.corpus.read_corpus``, ``analysis.run.load_articles``):
        ``id``, ``body`` and, for prevalence and sentences, ``outlet`` and ``published``.
    k : int
        Topics, 2 or more and at most the number of articles.
    tokens : DataFrame, optional
        The articles' token table, when already made.
    counts : CountMatrix, optional
        :func:`document_matrix` of the articles, when already made (``tokens``, ``stop_words``,
        ``min_df`` and ``max_df`` are then not used).
    stop_words, min_df, max_df
        As for :func:`document_matrix`.
    seed : int, default=0
        Seeds the randomised SVD that starts the factorisation: same inputs and seed, same model
        (see the module's notes on determinism).
    max_iter : int, default=500

    Returns
    -------
    TopicModel

    Raises
    ------
    TopicsError
        ``k`` below 2 or above the number of articles, fewer than :data:`MIN_ARTICLES` articles,
        or fewer words left than topics.
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfTransformer

    _check_k(k, len(articles))
    if counts is None:
        counts = document_matrix(articles, tokens=tokens, stop_words=stop_words, min_df=min_df, max_df=max_df)
    n_words = len(counts.terms)
    if n_words < k:
        raise TopicsError(
            f"only {n_words} word(s) appear in {min_df} or more of the {len(articles)} articles once stop words are out: "
            f"too few for {k} topics (add articles, or lower k)"
        )
    transformer = TfidfTransformer().fit(counts.matrix)
    weights = transformer.transform(counts.matrix.astype(float))
    nmf = NMF(n_components=int(k), init="nndsvda", solver="cd", max_iter=max_iter, random_state=seed, tol=1e-5)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter bounds the work; the fit is used as it stands
        raw = nmf.fit_transform(weights)
    scale = np.asarray(nmf.components_, dtype=float).sum(axis=1)
    shares = word_shares(raw, np.asarray(nmf.components_, dtype=float), counts.matrix)
    corpus_share = np.nansum(shares, axis=0)
    components = np.asarray(nmf.components_, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        components = np.where(scale[:, None] > 0, components / np.where(scale > 0, scale, 1)[:, None], 0.0)
    heaviest = np.array([counts.terms[int(np.argmax(row))] if row.any() else "" for row in components], dtype=object)
    order = np.lexsort((heaviest.astype(str), -np.round(corpus_share, 12)))
    outlets = articles["outlet"].astype(str).to_numpy(dtype=object) if "outlet" in articles else np.full(len(articles), "")
    return TopicModel(
        k=int(k),
        seed=seed,
        counts=counts,
        components=components[order],
        shares=shares[:, order],
        outlets=outlets,
        stop_words=stop_word_set(stop_words),
        nmf=nmf,
        transformer=transformer,
        order=order,
    )


def word_shares(loadings: np.ndarray, components: np.ndarray, counts: sp.spmatrix, *, chunk: int = 2000) -> np.ndarray:
    """Each document's share of words per topic, from a factorisation ``X ≈ loadings @ components``.

    Each occurrence of word ``w`` in document ``d`` is split between the topics in proportion to
    their part of the reconstruction, ``loadings[d, t] * components[t, w]``; a topic's share is
    the words so attributed to it over the document's words. It does not depend on how TF-IDF
    weighted the words, so a rare topic's high-IDF words do not inflate its share.

    Returns
    -------
    ndarray of shape (n_documents, n_topics)
        Rows summing to 1; NaN for a document none of whose words the topics reconstruct.

    Examples
    --------
    >>> word_shares(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), sp.csr_matrix([[3, 1]])).tolist()
    [[0.75, 0.25]]
    """
    counts = sp.csr_matrix(counts)
    n_docs, k = counts.shape[0], components.shape[0]
    attributed = np.zeros((n_docs, k))
    for begin in range(0, n_docs, chunk):
        block = counts[begin : begin + chunk].tocoo()
        parts = loadings[begin + block.row] * components[:, block.col].T  # one row per nonzero: its topics' parts
        total = parts.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            split = np.where(total > 0, parts / np.where(total > 0, total, 1), 0.0) * block.data[:, None]
        rows = sp.csr_matrix((np.ones(block.nnz), (block.row, np.arange(block.nnz))), shape=(block.shape[0], block.nnz))
        attributed[begin : begin + block.shape[0]] = rows @ split
    totals = attributed.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, attributed / np.where(totals > 0, totals, 1), np.nan)


# ---------------------------------------------------------------------------
# Coherence and the choice of k
# ---------------------------------------------------------------------------


def npmi_coherence(matrix: sp.spmatrix, top: np.ndarray) -> np.ndarray:
    """Mean NPMI of each topic's top words over the documents of ``matrix`` (document co-occurrence).

    For two words, ``NPMI = log(P(a, b) / (P(a) P(b))) / -log P(a, b)`` with ``P`` the share of
    documents holding the word(s): 1 when the words always appear together, 0 when independent,
    -1 when they never share a document.

    Parameters
    ----------
    matrix : sparse matrix of shape (n_documents, n_terms)
        Counts (or anything positive where a word occurs).
    top : int array of shape (n_topics, n_words)
        Each topic's top words, as column indices.

    Returns
    -------
    ndarray of shape (n_topics,)
        Mean over the word pairs of each topic (NaN with fewer than two words).

    Examples
    --------
    >>> m = sp.csr_matrix([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
    >>> npmi_coherence(m, np.array([[0, 1], [0, 2]])).round(3).tolist()
    [1.0, -1.0]
    """
    top = np.asarray(top, dtype=np.int64)
    n_docs = matrix.shape[0]
    if top.ndim != 2 or top.shape[1] < 2 or n_docs == 0:
        return np.full(top.shape[0] if top.ndim == 2 else 0, np.nan)
    words, position = np.unique(top, return_inverse=True)
    position = position.reshape(top.shape)
    present = (sp.csc_matrix(matrix)[:, words] > 0).astype(np.float64)
    joint = (present.T @ present).toarray() / n_docs
    single = np.diag(joint)
    first, second = np.triu_indices(top.shape[1], 1)
    a, b = position[:, first], position[:, second]
    p_ab, p_a, p_b = joint[a, b], single[a], single[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)
    npmi = np.where(p_ab <= 0, -1.0, np.where(p_ab >= 1, 1.0, npmi))
    return npmi.mean(axis=1)


def topic_diversity(top: np.ndarray) -> float:
    """Share of distinct words among all topics' top words (1: no topic shares a top word)."""
    top = np.asarray(top)
    return float(len(np.unique(top)) / top.size) if top.size else float("nan")


def topic_quality(model: TopicModel, *, n_words: int = COHERENCE_WORDS) -> tuple[float, float, float]:
    """``(coherence, diversity, quality)`` of a model: mean NPMI of its topics' top words, topic
    diversity, and their product (Dieng, Ruiz & Blei 2020)."""
    top = model.top_term_indices(n_words)
    coherence = float(np.nanmean(npmi_coherence(model.counts.matrix, top)))
    diversity = topic_diversity(top)
    return coherence, diversity, coherence * diversity


def candidate_ks(n_articles: int, ks: Iterable[int] = AUTO_K) -> list[int]:
    """The values of ``ks`` a corpus of ``n_articles`` supports (2 to the number of articles less one)."""
    return [k for k in ks if 2 <= k <= max(2, n_articles - 1)]


def suggest_k(
    articles: pd.DataFrame,
    *,
    ks: Iterable[int] | None = None,
    tokens: pd.DataFrame | None = None,
    counts: CountMatrix | None = None,
    stop_words: StopWords = "english",
    min_df: int = 2,
    max_df: float = 0.95,
    seed: int = 0,
    n_words: int = COHERENCE_WORDS,
) -> pd.DataFrame:
    """Score candidate numbers of topics by coherence × diversity, fitting one model per ``k``.

    Parameters
    ----------
    articles : DataFrame
        The article table (``id``, ``body``).
    ks : iterable of int, optional
        Candidates; default: 2 to 10, less than the number of articles (:func:`candidate_ks`).
    tokens, counts, stop_words, min_df, max_df, seed
        As for :func:`fit_topics`.
    n_words : int, default=10
        Top words per topic scored.

    Returns
    -------
    DataFrame
        One row per candidate, by increasing ``k``:

        - ``k`` : number of topics
        - ``coherence`` : mean NPMI of the topics' top ``n_words`` words over the articles (-1 to 1)
        - ``diversity`` : share of distinct words among all topics' top words (0 to 1)
        - ``quality`` : ``coherence × diversity``
        - ``suggested`` : True for the ``k`` of highest quality (the smallest on a tie)

    Raises
    ------
    TopicsError
        No candidate fits the articles (fewer than :data:`MIN_ARTICLES`, or none of ``ks`` ≥ 2).
    """
    ks = candidate_ks(len(articles)) if ks is None else sorted({int(k) for k in ks})
    if len(articles) < MIN_ARTICLES:
        _check_k(2, len(articles))
    if not ks:
        raise TopicsError(f"no candidate k between 2 and {len(articles) - 1} (the articles less one) to compare")
    if counts is None:
        counts = document_matrix(articles, tokens=tokens, stop_words=stop_words, min_df=min_df, max_df=max_df)
    rows = []
    for k in ks:
        model = fit_topics(articles, k=k, counts=counts, seed=seed)
        rows.append((k, *topic_quality(model, n_words=n_words)))
    table = pd.DataFrame(rows, columns=SUGGESTION_COLUMNS[:-1])
    best = table["quality"].fillna(-np.inf).to_numpy()
    table["suggested"] = np.arange(len(table)) == int(np.argmax(best))
    return table.astype({"k": np.int64})


# ---------------------------------------------------------------------------
# Tables of a fitted model
# ---------------------------------------------------------------------------


def topic_words(model: TopicModel, *, top_words: int = 10) -> pd.DataFrame:
    """Each topic's heaviest words.

    Returns
    -------
    DataFrame
        One row per topic and word, topics in order, words by decreasing weight (ties
        alphabetical):

        - ``topic`` : topic number, 0 the largest by corpus share
        - ``label`` : the topic's three heaviest words
        - ``rank`` : 1 for the heaviest word
        - ``term`` : the word
        - ``weight`` : the word's share of the topic's word weights (a topic's weights sum to 1)
    """
    if top_words < 1:
        raise TopicsError(f"top_words must be 1 or more, not {top_words}")
    top = model.top_term_indices(top_words)
    labels = model.labels()
    rows = [
        (t, labels[t], rank + 1, model.terms[j], float(model.components[t, j]))
        for t in range(model.k)
        for rank, j in enumerate(top[t])
    ]
    return pd.DataFrame(rows, columns=TOPIC_WORD_COLUMNS).astype({"topic": np.int64, "rank": np.int64})


def topic_table(model: TopicModel, *, top_words: int = 10) -> pd.DataFrame:
    """One row per topic: its label, top words with weights, corpus share and coherence.

    Returns
    -------
    DataFrame
        - ``topic`` : topic number, 0 the largest by corpus share
        - ``label`` : its three heaviest words, joined by `` / ``
        - ``words`` : its ``top_words`` heaviest words with their weights, ``"word (0.052), …"``
          (weights as in :func:`topic_words`)
        - ``share`` : the topic's mean share of an article, over the articles with words
          (the shares of all topics sum to 1)
        - ``coherence`` : mean NPMI of its top :data:`COHERENCE_WORDS` words over the articles
    """
    words = topic_words(model, top_words=top_words)
    listed = words.groupby("topic", sort=True).apply(
        lambda part: ", ".join(f"{t} ({w:.3f})" for t, w in zip(part["term"], part["weight"], strict=True)),
        include_groups=False,
    )
    coherence = npmi_coherence(model.counts.matrix, model.top_term_indices(COHERENCE_WORDS))
    with np.errstate(invalid="ignore"):
        share = np.nanmean(model.shares, axis=0) if np.isfinite(model.shares).any() else np.full(model.k, np.nan)
    return pd.DataFrame(
        {
            "topic": np.arange(model.k, dtype=np.int64),
            "label": model.labels(),
            "words": listed.reindex(range(model.k)).to_numpy(dtype=object),
            "share": share,
            "coherence": coherence,
        },
        columns=TOPIC_COLUMNS,
    )


def document_topics(model: TopicModel) -> pd.DataFrame:
    """Each article's topic shares, long.

    Returns
    -------
    DataFrame
        One row per article and topic, articles in the table's order:

        - ``article_id`` : str
        - ``topic`` : topic number
        - ``share`` : the topic's share of the article's words (of the vocabulary; see
          :func:`word_shares`); an article's shares sum to 1, NaN for an article with no word
          of the vocabulary
    """
    n, k = model.shares.shape
    return pd.DataFrame(
        {
            "article_id": np.repeat(model.counts.rows.astype(str), k),
            "topic": np.tile(np.arange(k, dtype=np.int64), n),
            "share": model.shares.ravel(),
        },
        columns=DOCUMENT_TOPIC_COLUMNS,
    )


def representative_sentences(
    model: TopicModel,
    articles: pd.DataFrame,
    *,
    tokens: pd.DataFrame | None = None,
    per_topic: int = 3,
    min_words: int = 8,
    candidates: int = 20,
) -> pd.DataFrame:
    """The sentences that load most on each topic, for reading what a topic is about.

    Each topic's candidates are the sentences of its ``candidates`` articles with the highest
    share of it; a sentence's loading is the model's reading of that sentence alone (its
    TF-IDF with the corpus IDF, factorised with the topics fixed). A sentence counts for the
    topic it loads on most, sentences under ``min_words`` words are skipped, and each topic
    takes its best sentence from different articles before a second from the same one.

    Parameters
    ----------
    model : TopicModel
    articles : DataFrame
        The article table the model was fitted on: ``id``, ``body``, ``outlet``.
    tokens : DataFrame, optional
        Its token table, when already made.
    per_topic : int, default=3
    min_words : int, default=8
    candidates : int, default=20
        Articles per topic whose sentences are read (bounds the work on a large corpus).

    Returns
    -------
    DataFrame
        Up to ``per_topic`` rows per topic, by decreasing loading:

        - ``topic``, ``label`` : as in :func:`topic_table`
        - ``rank`` : 1 for the sentence loading most
        - ``article_id``, ``outlet`` : where the sentence is
        - ``sentence`` : its number in the article (as ``analysis.tokens.sentence_spans``)
        - ``start``, ``end`` : its offsets in the article's body
        - ``loading`` : its loading on the topic (scale of the model's TF-IDF mass; compare
          within a topic)
        - ``text`` : the sentence
    """
    if per_topic < 1:
        raise TopicsError(f"per_topic must be 1 or more, not {per_topic}")
    ids = model.counts.rows.astype(str)
    filled = np.nan_to_num(model.shares, nan=-1.0)
    chosen_rows = {t: np.argsort(-filled[:, t], kind="stable")[:candidates] for t in range(model.k)}
    chosen_rows = {t: rows[filled[rows, t] > 0] for t, rows in chosen_rows.items()}
    wanted = np.unique(np.concatenate([*chosen_rows.values(), np.array([], dtype=np.int64)])).astype(np.int64)
    labels = model.labels()
    if wanted.size == 0:
        return pd.DataFrame(columns=SENTENCE_COLUMNS)
    wanted_ids = set(ids[wanted].tolist())
    if tokens is None:
        tokens = tokenize(articles[articles["id"].astype(str).isin(wanted_ids)])
    else:
        tokens = tokens[tokens["article_id"].astype(str).isin(wanted_ids).to_numpy()]
    column = pd.Index(model.terms.astype(str)).get_indexer(tokens["token"].astype(str))
    sentence_key = pd.MultiIndex.from_arrays([tokens["article_id"].astype(str).to_numpy(), tokens["sentence"].to_numpy()])
    codes, keys = pd.factorize(sentence_key)
    words = np.bincount(codes, minlength=len(keys))
    known = column >= 0
    matrix = sp.csr_matrix((np.ones(int(known.sum())), (codes[known], column[known])), shape=(len(keys), len(model.terms)))
    loadings = model.loadings(matrix) if len(keys) else np.zeros((0, model.k))
    best_topic = np.argmax(loadings, axis=1) if len(keys) else np.array([], dtype=np.int64)
    key_articles = np.asarray(keys.get_level_values(0), dtype=object)
    key_sentences = np.asarray(keys.get_level_values(1), dtype=np.int64)
    bodies = articles.assign(_id=articles["id"].astype(str)).drop_duplicates("_id").set_index("_id")
    spans: dict[str, list[tuple[int, int]]] = {}
    rows = []
    for t in range(model.k):
        allowed = set(ids[chosen_rows[t]].tolist())
        eligible = np.flatnonzero(
            (best_topic == t) & (words >= min_words) & (loadings[:, t] > 0) & np.isin(key_articles, list(allowed))
        )
        ranked = eligible[np.lexsort((key_sentences[eligible], key_articles[eligible].astype(str), -loadings[eligible, t]))]
        seen: set[str] = set()
        first, later = [], []
        for i in ranked.tolist():
            (later if key_articles[i] in seen else first).append(i)
            seen.add(key_articles[i])
        picked = sorted((first + later)[:per_topic], key=lambda i: (-loadings[i, t], key_articles[i], key_sentences[i]))
        for rank, i in enumerate(picked, start=1):
            article_id, number = str(key_articles[i]), int(key_sentences[i])
            body = str(bodies.at[article_id, "body"])
            if article_id not in spans:
                spans[article_id] = sentence_spans(body)
            start, end = spans[article_id][number]
            outlet = str(bodies.at[article_id, "outlet"]) if "outlet" in bodies else ""
            text = " ".join(body[start:end].split())
            rows.append((t, labels[t], rank, article_id, outlet, number, start, end, float(loadings[i, t]), text))
    table = pd.DataFrame(rows, columns=SENTENCE_COLUMNS)
    return table.astype({c: np.int64 for c in ("topic", "rank", "sentence", "start", "end")})


# ---------------------------------------------------------------------------
# Prevalence per outlet and period
# ---------------------------------------------------------------------------


def parse_by(by: str | Sequence[str]) -> tuple[str | None, bool]:
    """``(column, per_period)`` of a ``by`` option: ``"outlet"``, ``"period"``, ``"outlet,period"``
    or any article column, alone or with ``period``.

    Examples
    --------
    >>> parse_by("outlet"), parse_by("period"), parse_by("outlet,period"), parse_by(["event", "period"])
    (('outlet', False), (None, True), ('outlet', True), ('event', True))
    """
    parts = [p.strip() for p in (by.split(",") if isinstance(by, str) else by) if p.strip()]
    columns = [p for p in parts if p != "period"]
    if not parts or len(columns) > 1 or len(parts) != len(set(parts)):
        raise TopicsError(
            f"by={by!r}: give one article column (outlet, event…), 'period', or a column and period ('outlet,period')"
        )
    return (columns[0] if columns else None), "period" in parts


def topic_prevalence(
    model: TopicModel,
    articles: pd.DataFrame,
    *,
    by: str | Sequence[str] = "outlet",
    interval: Interval = "week",
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Each group's mean topic shares, with percentile bootstrap intervals over its articles.

    Prevalence is estimated after the model is fitted, from each article's topic shares (not
    jointly with the topics, as stm does): the intervals carry the sampling of articles, not
    the uncertainty of the topics themselves.

    Parameters
    ----------
    model : TopicModel
        Fitted on ``articles`` (rows are matched by id).
    articles : DataFrame
        The article table: ``id``, the ``by`` column, ``published`` for periods, ``n_tokens``
        (else the model's counts are summed).
    by : str or sequence of str, default="outlet"
        ``"outlet"``, ``"period"``, ``"outlet,period"``, or another article column (``event``…),
        alone or with ``period`` (see :func:`parse_by`).
    interval : {"day", "week", "month"}, default="week"
        Period length when ``by`` has ``period`` (``analysis.trends.period_start``).
    n_boot, confidence, seed
        Bootstrap replicates, interval level and seed (same seed, same intervals).

    Returns
    -------
    DataFrame
        One row per group (and period) and topic; groups sorted, then periods, then topics.
        Only articles with words of the model's vocabulary count:

        - ``group`` : value of the ``by`` column (``"all"`` when ``by`` is ``"period"``)
        - ``period`` : first day of the period (Timestamp); only when ``by`` has ``period``
        - ``topic``, ``label`` : as in :func:`topic_table`
        - ``share`` : mean share of the topic in the group's articles (a group's shares sum to 1)
        - ``ci_low``, ``ci_high`` : percentile bootstrap interval over the group's articles;
          NaN with fewer than two articles
        - ``n_articles`` : the group's articles
        - ``n_tokens`` : their words (stop words included)
        - ``small_sample`` : too few articles or words to compare (``analysis.stats.small_sample``)

    Raises
    ------
    TopicsError
        ``by`` is not one of the forms above, or names no article column.
    """
    column, per_period = parse_by(by)
    if per_period and interval not in INTERVALS:
        raise TopicsError(f"interval={interval!r}: use one of {', '.join(INTERVALS)}")
    table = articles.assign(_id=articles["id"].astype(str)).drop_duplicates("_id").set_index("_id")
    ids = model.counts.rows.astype(str)
    missing = ids[~pd.Index(ids).isin(table.index)]
    if len(missing):
        raise TopicsError(f"the model was fitted on other articles ({len(missing)} not here, e.g. {missing[0]!r})")
    table = table.loc[ids]
    if column is None:
        groups = np.full(len(ids), "all", dtype=object)
    else:
        try:
            groups = group_labels(table.reset_index(drop=True).assign(id=ids), column).to_numpy(dtype=object)
        except KeyError as err:
            raise TopicsError(str(err.args[0])) from None
    keys = pd.DataFrame({"group": groups})
    if per_period:
        periods = period_start(table["published"].reset_index(drop=True), interval=interval)
        if periods.isna().any():
            bad = [str(i) for i in ids[periods.isna().to_numpy()][:5]]
            raise TopicsError(f"articles without a usable 'published' date: {bad}; fix their dates in the manifest")
        keys["period"] = periods.to_numpy()
    if "n_tokens" in table:
        n_tokens = pd.to_numeric(table["n_tokens"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
    else:
        n_tokens = np.asarray(model.counts.matrix.sum(axis=1)).ravel().astype(np.int64)
    usable = np.isfinite(model.shares).all(axis=1)
    labels = model.labels()
    key_columns = list(keys.columns)
    rows = []
    for cell, part in keys[usable].groupby(key_columns, sort=True):
        index = part.index.to_numpy()
        shares = model.shares[index]
        low, high = bootstrap_ratios(shares, np.ones(len(index)), n_boot=n_boot, confidence=confidence, seed=seed)
        cell = cell if isinstance(cell, tuple) else (cell,)
        for t in range(model.k):
            rows.append(
                (*cell, t, labels[t], float(shares[:, t].mean()), low[t], high[t], len(index), int(n_tokens[index].sum()))
            )
    columns = ["group", *(["period"] if per_period else []), *PREVALENCE_COLUMNS[1:-1]]
    result = pd.DataFrame(rows, columns=columns)
    result["small_sample"] = np.asarray(small_sample(result["n_articles"].to_numpy(), result["n_tokens"].to_numpy()), bool)
    return result.astype({"group": "str", "topic": np.int64, "n_articles": np.int64, "n_tokens": np.int64})


def _bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` column means of ``values`` (rows resampled with replacement), in bounded memory."""
    n = len(values)
    means = np.empty((n_boot, values.shape[1]))
    step = max(1, BOOTSTRAP_CELLS // n)
    for begin in range(0, n_boot, step):
        size = min(step, n_boot - begin)
        weights = rng.multinomial(n, np.full(n, 1 / n), size=size)
        means[begin : begin + size] = weights @ values / n
    return means


def prevalence_contrasts(
    model: TopicModel,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    reference: str | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """How far each group's topic shares stand from the other groups' (or one reference group's).

    The comparison a page that "compares outlets by topic" needs: the difference of mean shares,
    with a percentile bootstrap interval that resamples the articles of each side apart.

    Parameters
    ----------
    model : TopicModel
        Fitted on ``articles``.
    articles : DataFrame
        The article table: ``id`` and the ``by`` column.
    by : str, default="outlet"
        One article column (no period).
    reference : str, optional
        Compare every other group with this one; default: each group with all the others pooled.
    n_boot, confidence, seed
        Bootstrap replicates, interval level and seed.

    Returns
    -------
    DataFrame
        One row per group and topic (the reference group itself left out):

        - ``group`` : value of ``by``
        - ``reference`` : the group compared with, or ``(rest)``
        - ``topic``, ``label`` : as in :func:`topic_table`
        - ``share``, ``share_reference`` : mean share of the topic in each side's articles
        - ``difference`` : ``share - share_reference``
        - ``ci_low``, ``ci_high`` : bootstrap interval of the difference; NaN unless each side
          has two or more articles
        - ``n_articles``, ``n_articles_reference`` : articles on each side
        - ``distinct`` : the interval excludes 0 and neither side is a small sample
        - ``small_sample`` : either side has fewer than ``analysis.stats.SMALL_SAMPLE_ARTICLES``

    Raises
    ------
    TopicsError
        ``by`` has a period or names no article column, or ``reference`` is not one of its groups.
    """
    column, per_period = parse_by(by)
    if column is None or per_period:
        raise TopicsError(f"by={by!r}: contrasts compare the groups of one article column (outlet, event…), without period")
    table = articles.assign(_id=articles["id"].astype(str)).drop_duplicates("_id").set_index("_id")
    ids = model.counts.rows.astype(str)
    if not pd.Index(ids).isin(table.index).all():
        raise TopicsError("the model was fitted on other articles than these")
    try:
        groups = group_labels(table.loc[ids].reset_index(drop=True).assign(id=ids), column).to_numpy(dtype=object)
    except KeyError as err:
        raise TopicsError(str(err.args[0])) from None
    usable = np.isfinite(model.shares).all(axis=1)
    shares, groups = model.shares[usable], groups[usable]
    names = sorted(set(groups.tolist()))
    if reference is not None and reference not in names:
        raise TopicsError(f"reference {reference!r} is not among the {column} values of these articles: {', '.join(names)}")
    rng = np.random.default_rng(seed)
    tail = (1 - confidence) / 2 * 100
    labels = model.labels()
    rows = []
    for name in names:
        if name == reference:
            continue
        mine = shares[groups == name]
        other = shares[groups == reference] if reference is not None else shares[groups != name]
        if not len(other):
            continue
        low = high = np.full(model.k, np.nan)
        if len(mine) >= 2 and len(other) >= 2:
            draws = _bootstrap_means(mine, n_boot, rng) - _bootstrap_means(other, n_boot, rng)
            low, high = np.percentile(draws, [tail, 100 - tail], axis=0)
        difference = mine.mean(axis=0) - other.mean(axis=0)
        small = bool(small_sample(len(mine)) or small_sample(len(other)))
        for t in range(model.k):
            excludes_zero = bool(low[t] > 0 or high[t] < 0)  # False for NaN
            rows.append(
                (
                    name,
                    reference if reference is not None else "(rest)",
                    t,
                    labels[t],
                    float(mine[:, t].mean()),
                    float(other[:, t].mean()),
                    float(difference[t]),
                    float(low[t]),
                    float(high[t]),
                    len(mine),
                    len(other),
                    excludes_zero and not small,
                    small,
                )
            )
    result = pd.DataFrame(rows, columns=CONTRAST_COLUMNS)
    return result.astype({"topic": np.int64, "n_articles": np.int64, "n_articles_reference": np.int64})


# ---------------------------------------------------------------------------
# The entry point of ``framing topics``
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TopicResult:
    """Everything ``framing topics`` prints (:func:`topics`).

    Attributes
    ----------
    model : TopicModel
    topics : DataFrame
        :func:`topic_table`.
    words : DataFrame
        :func:`topic_words`.
    sentences : DataFrame
        :func:`representative_sentences`.
    prevalence : DataFrame
        :func:`topic_prevalence`.
    suggestion : DataFrame or None
        :func:`suggest_k`, when ``k="auto"``.
    """

    model: TopicModel
    topics: pd.DataFrame
    words: pd.DataFrame
    sentences: pd.DataFrame
    prevalence: pd.DataFrame
    suggestion: pd.DataFrame | None


def topics(
    articles: pd.DataFrame,
    *,
    k: KChoice = "auto",
    by: str | Sequence[str] = "outlet",
    interval: Interval = "week",
    top_words: int = 10,
    per_topic: int = 3,
    stop_words: StopWords = "english",
    min_df: int = 2,
    max_df: float = 0.95,
    seed: int = 0,
    n_boot: int = 2000,
    ks: Iterable[int] | None = None,
) -> TopicResult:
    """The topics of ``articles``, their top words, representative sentences and prevalence per group.

    ``k="auto"`` fits every candidate of :func:`suggest_k` (``ks``) and keeps the one of highest
    quality. The articles are tokenized once. ``seed`` seeds both the model and the bootstrap.

    Returns
    -------
    TopicResult
    """
    if top_words < 1:
        raise TopicsError(f"top_words must be 1 or more, not {top_words}")
    if isinstance(k, str) and k != "auto":
        raise TopicsError(f"k must be a whole number of topics (2 or more) or 'auto', not {k!r}")
    if k != "auto":
        _check_k(k, len(articles))  # before the work of counting
    parse_by(by)
    tokens = tokenize(articles)
    counts = document_matrix(articles, tokens=tokens, stop_words=stop_words, min_df=min_df, max_df=max_df)
    suggestion = None
    if k == "auto":
        suggestion = suggest_k(articles, ks=ks, counts=counts, seed=seed)
        k = int(suggestion.loc[suggestion["suggested"], "k"].iloc[0])
    model = fit_topics(articles, k=int(k), counts=counts, stop_words=stop_words, seed=seed)
    return TopicResult(
        model=model,
        topics=topic_table(model, top_words=top_words),
        words=topic_words(model, top_words=top_words),
        sentences=representative_sentences(model, articles, tokens=tokens, per_topic=per_topic),
        prevalence=topic_prevalence(model, articles, by=by, interval=interval, n_boot=n_boot, seed=seed),
        suggestion=suggestion,
    )
