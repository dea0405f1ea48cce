"""What each outlet includes or leaves out of an event: shared facts, omissions, actors.

Works on the articles of one event (the manifest's, or one inferred by
:func:`analysis.events.group_events`): sentences that several outlets report become facts
(:func:`event_facts`), :func:`omission_matrix` says which outlet left which fact out, and
:func:`actor_inclusion` which actors each outlet mentions.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from analysis.actors import TITLE_WORDS, actor_names, names_in
from analysis.events import QUOTE_WORD, EventError, article_texts, linkage_clusters
from analysis.tokens import sentence_spans

ActorSource = Literal["profiles", "names"]

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
            if len(QUOTE_WORD.findall(text)) >= MIN_SENTENCE_WORDS:
                rows.append((article_id, outlet, start, end, text))
    return pd.DataFrame(rows, columns=["article_id", "outlet", "start", "end", "text"])


def _stem_analyzer():
    from nltk.stem import PorterStemmer

    stem = PorterStemmer().stem
    cache: dict[str, str] = {}

    def analyze(text: str) -> list[str]:
        words = [w for w in QUOTE_WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS and not w.isdigit()]
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
    sentences["cluster"] = linkage_clusters(np.clip(similarity, 0, 1), threshold)
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


def _name_mentions(articles: pd.DataFrame) -> pd.DataFrame:
    mentions = pd.DataFrame(
        [
            (outlet, article_id, name)
            for article_id, outlet, text in zip(
                articles["id"].astype(str), articles["outlet"], article_texts(articles), strict=True
            )
            for name in names_in(text)
        ],
        columns=["outlet", "article_id", "actor"],
    )
    # Resolve over the whole event, so "Putin" in one outlet meets "Vladimir Putin" in another.
    mentions = mentions[mentions["actor"].map(lambda n: any(w not in TITLE_WORDS for w in n.split()))]
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
        (:func:`analysis.actors.names_in`, resolved by :func:`analysis.actors.actor_names`), for actors no profile covers.
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
