"""Sources and actors per group: whose voice an outlet carries and how it names people.

Map steps count per article (:func:`quote_counts`, :func:`mention_counts`, :func:`actor_sentences`);
reduce steps turn the counts into group statistics with intervals and small-sample flags (each
takes the quotations or mentions themselves, or their per-article counts concatenated from
partitions):

- :func:`voice_share`: share of quoted speech words by speaker affiliation (bootstrap over articles);
- :func:`distinct_sources`: distinct named speakers and the attributed share of quotations (Wilson);
- :func:`verb_mix`: reporting verbs as shares of attributed quotations (Wilson);
- :func:`actor_salience`: mentions per 1,000 words, headline and lead mentions, share of
  articles naming the actor (Wilson);
- :func:`label_matrix`: the labels each group attaches to each actor, actor × group;
- :func:`actor_tone`: VADER tone of the sentences that mention an actor, narration only and all.

A handful of articles is not a population: every table carries ``n_articles`` and
``small_sample``; read the quotations and labels behind a number before quoting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.stats import bootstrap_ratios, group_labels, small_sample, wilson

QuoteKind = Literal["speech", "scare", "all"]
UNATTRIBUTED = "(unattributed)"
VOICE_SHARE_COLUMNS = [
    "group",
    "affiliation",
    "words",
    "quoted_words",
    "share",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
]
SOURCES_COLUMNS = [
    "group",
    "sources",
    "affiliations",
    "quotes",
    "attributed",
    "attributed_share",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
]
VERB_COLUMNS = ["group", "verb", "quotes", "attributed", "share", "ci_low", "ci_high", "n_articles", "n_tokens", "small_sample"]
SALIENCE_COLUMNS = [
    "group",
    "actor",
    "affiliation",
    "mentions",
    "per_1000",
    "headline",
    "lead",
    "articles",
    "share_of_articles",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
]
ACTOR_TONE_COLUMNS = [
    "group",
    "actor",
    "voice",
    "sentences",
    "compound_mean",
    "ci_low",
    "ci_high",
    "n_articles",
    "n_tokens",
    "small_sample",
]


def _group_sizes(articles: pd.DataFrame, by: str) -> tuple[pd.Series, pd.DataFrame]:
    """Group label per article id, and ``n_articles``/``n_tokens`` per group."""
    groups = group_labels(articles, by)
    tokens = articles["n_tokens"].to_numpy() if "n_tokens" in articles else np.zeros(len(articles), dtype=np.int64)
    sizes = (
        pd.DataFrame({"group": groups.to_numpy(), "n_tokens": tokens})
        .groupby("group")
        .agg(n_articles=("n_tokens", "size"), n_tokens=("n_tokens", "sum"))
    )
    return groups, sizes


def _with_sizes(table: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    table = table.join(sizes, on="group")
    table["small_sample"] = small_sample(table["n_articles"].to_numpy(), table["n_tokens"].to_numpy())
    if not len(table):
        table["small_sample"] = pd.Series(dtype=bool)
    return table


def _of_kind(quotes: pd.DataFrame, kind: QuoteKind) -> pd.DataFrame:
    if kind not in ("speech", "scare", "all"):
        raise ValueError(f"kind={kind!r}: use 'speech', 'scare' or 'all'")
    return quotes if kind == "all" else quotes[quotes["kind"] == kind]


# ---------------------------------------------------------------------------
# Map: counts per article
# ---------------------------------------------------------------------------


def quote_counts(quotes: pd.DataFrame) -> pd.DataFrame:
    """Quotations and quoted words per article, speaker, affiliation, verb and kind (a map step).

    Returns
    -------
    DataFrame
        ``article_id``, ``speaker``, ``affiliation`` (``(unattributed)`` when no speaker was
        found), ``verb``, ``kind``, ``quotes``, ``words``; sums over articles add up.
    """
    named = quotes.assign(
        speaker=quotes["speaker"].replace("", UNATTRIBUTED), affiliation=quotes["affiliation"].replace("", UNATTRIBUTED)
    )
    keys = ["article_id", "speaker", "affiliation", "verb", "kind"]
    counts = named.groupby(keys, sort=True).agg(quotes=("quote_id", "size"), words=("words", "sum"))
    return counts.reset_index()


def mention_counts(mentions: pd.DataFrame) -> pd.DataFrame:
    """Mentions per article and actor, in all and by position (a map step).

    Returns
    -------
    DataFrame
        ``article_id``, ``actor``, ``affiliation``, ``kind``, ``mentions``, ``headline``,
        ``lead``, ``body`` (mentions in each position).
    """
    keys = [mentions["article_id"], mentions["actor"], mentions["affiliation"], mentions["kind"]]
    positions = pd.crosstab(keys, mentions["position"]).reindex(columns=["headline", "lead", "body"], fill_value=0)
    positions.columns.name = None
    positions.insert(0, "mentions", positions.sum(axis=1))
    return positions.reset_index()


def as_quote_counts(quotes: pd.DataFrame) -> pd.DataFrame:
    """``quotes`` as :func:`quote_counts` (unchanged when it already is: the reduce takes either)."""
    return quotes if "quote_id" not in quotes.columns and "quotes" in quotes.columns else quote_counts(quotes)


def as_mention_counts(mentions: pd.DataFrame) -> pd.DataFrame:
    """``mentions`` as :func:`mention_counts` (unchanged when it already is: the reduce takes either)."""
    return mentions if "mentions" in mentions.columns else mention_counts(mentions)


def actor_sentences(mentions: pd.DataFrame, sentences: pd.DataFrame) -> pd.DataFrame:
    """The body sentences that mention each actor, once per actor and sentence (a map step).

    Parameters
    ----------
    mentions : DataFrame
        From :func:`analysis.actors.actor_mentions` (headline mentions are left out).
    sentences : DataFrame
        From :func:`analysis.measures.tone.sentence_tone`.

    Returns
    -------
    DataFrame
        ``article_id``, ``actor``, ``sentence``, ``voice`` (the sentence's), ``compound``.
    """
    columns = ["article_id", "actor", "sentence", "voice", "compound"]
    body = mentions[mentions["position"] != "headline"]
    body = body[body["article_id"].isin(sentences["article_id"])]
    if body.empty:
        return pd.DataFrame(columns=columns)
    # One sorted key over all articles (article code, offset): a single searchsorted places
    # every mention in its sentence.
    order = sentences.sort_values(["article_id", "start"], kind="stable")
    codes, uniques = pd.factorize(order["article_id"], sort=False)
    code_of = pd.Series(np.arange(len(uniques)), index=uniques.astype(str))
    span = int(max(order["end"].max(), body["end"].max())) + 1
    sentence_keys = codes.astype(np.int64) * span + order["start"].to_numpy(dtype=np.int64)
    mention_keys = code_of.reindex(body["article_id"].astype(str)).to_numpy(dtype=np.int64) * span + body["start"].to_numpy(
        dtype=np.int64
    )
    index = np.clip(np.searchsorted(sentence_keys, mention_keys, side="right") - 1, 0, None)
    table = pd.DataFrame(
        {
            "article_id": body["article_id"].to_numpy(),
            "actor": body["actor"].to_numpy(),
            "sentence": order["sentence"].to_numpy()[index],
            "voice": order["voice"].to_numpy()[index],
            "compound": order["compound"].to_numpy()[index],
        }
    )
    return table.drop_duplicates(["article_id", "actor", "sentence"], ignore_index=True)


# ---------------------------------------------------------------------------
# Reduce: group statistics
# ---------------------------------------------------------------------------


def voice_share(
    quotes: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet", kind: QuoteKind = "speech", seed: int = 0
) -> pd.DataFrame:
    """Whose voice each group carries: share of its quoted words by speaker affiliation.

    Parameters
    ----------
    quotes : DataFrame
        From :func:`analysis.quotes.extract_quotes`, or its :func:`quote_counts` (e.g.
        concatenated from partitions).
    articles : DataFrame
        The article table (``id``, the ``by`` column, ``n_tokens``).
    by : str, default="outlet"
        Any article column.
    kind : {"speech", "scare", "all"}, default="speech"
    seed : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        ``group``, ``affiliation`` (``(unattributed)`` for quotes without a speaker),
        ``words`` (quoted words of that affiliation), ``quoted_words`` (all the group's quoted
        words: the denominator), ``share``, ``ci_low``/``ci_high`` (95% bootstrap over the
        group's articles; NaN with fewer than two articles quoting), ``n_articles``,
        ``n_tokens``, ``small_sample``. Shares of a group add up to 1.
    """
    groups, sizes = _group_sizes(articles, by)
    counts = _of_kind(as_quote_counts(quotes), kind)
    counts = counts[counts["article_id"].isin(groups.index)]
    per_article = counts.pivot_table(index="article_id", columns="affiliation", values="words", aggfunc="sum", fill_value=0)
    rows = []
    for group, ids in groups.groupby(groups).groups.items():
        table = per_article.reindex(pd.Index(ids, name="article_id")).fillna(0)
        table = table.loc[:, table.sum() > 0]
        if table.empty:
            continue
        total = table.sum(axis=1).to_numpy()
        low, high = bootstrap_ratios(table.to_numpy(), total, seed=seed)
        words = table.sum()
        for i, affiliation in enumerate(table.columns):
            rows.append((group, affiliation, int(words.iloc[i]), int(total.sum()), words.iloc[i] / total.sum(), low[i], high[i]))
    result = pd.DataFrame(rows, columns=VOICE_SHARE_COLUMNS[:7])
    result = _with_sizes(result, sizes).sort_values(["group", "share"], ascending=[True, False], ignore_index=True)
    return result[VOICE_SHARE_COLUMNS]


def distinct_sources(quotes: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """How many different voices each group quotes, and how many of its quotations it attributes.

    Returns
    -------
    DataFrame
        ``group``, ``sources`` (distinct named speakers of speech quotations),
        ``affiliations`` (distinct affiliations among them), ``quotes`` (speech quotations),
        ``attributed`` (with a named speaker), ``attributed_share`` with its 95% Wilson
        interval ``ci_low``/``ci_high``, ``n_articles``, ``n_tokens``, ``small_sample``.
        Groups without quotations have zeros.
    """
    groups, sizes = _group_sizes(articles, by)
    counts = as_quote_counts(quotes)
    speech = counts[(counts["kind"] == "speech") & counts["article_id"].isin(groups.index)]
    speech = speech.assign(group=groups.reindex(speech["article_id"]).to_numpy())
    named = speech[speech["speaker"] != UNATTRIBUTED]
    table = pd.DataFrame(
        {
            "sources": named.groupby("group")["speaker"].nunique(),
            "affiliations": named.groupby("group")["affiliation"].nunique(),
            "quotes": speech.groupby("group")["quotes"].sum(),
            "attributed": named.groupby("group")["quotes"].sum(),
        }
    ).reindex(sizes.index, fill_value=0)
    table = table.fillna(0).astype("int64").rename_axis("group").reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["attributed_share"] = table["attributed"] / table["quotes"].replace(0, np.nan)
    table["ci_low"], table["ci_high"] = wilson(table["attributed"], table["quotes"])
    return _with_sizes(table, sizes)[SOURCES_COLUMNS]


def verb_mix(quotes: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet", kind: QuoteKind = "speech") -> pd.DataFrame:
    """The reporting verbs each group uses, as shares of its attributed quotations.

    "Said" is neutral; "claimed", "insisted", "admitted" and "accused" carry the outlet's
    judgement of the speaker.

    Returns
    -------
    DataFrame
        ``group``, ``verb``, ``quotes`` (quotations with that verb), ``attributed``
        (quotations with any verb: the denominator), ``share`` with its 95% Wilson interval
        ``ci_low``/``ci_high``, ``n_articles``, ``n_tokens``, ``small_sample``.
    """
    groups, sizes = _group_sizes(articles, by)
    chosen = _of_kind(as_quote_counts(quotes), kind)
    chosen = chosen[(chosen["verb"] != "") & chosen["article_id"].isin(groups.index)]
    chosen = chosen.assign(group=groups.reindex(chosen["article_id"]).to_numpy())
    table = chosen.groupby(["group", "verb"])["quotes"].sum().reset_index()
    table["attributed"] = table.groupby("group")["quotes"].transform("sum")
    table["share"] = table["quotes"] / table["attributed"]
    table["ci_low"], table["ci_high"] = wilson(table["quotes"], table["attributed"])
    table = table.sort_values(["group", "quotes", "verb"], ascending=[True, False, True], ignore_index=True)
    return _with_sizes(table, sizes)[VERB_COLUMNS]


def actor_salience(
    mentions: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet", kinds: Sequence[str] | None = None
) -> pd.DataFrame:
    """How prominent each actor is in each group's coverage.

    Parameters
    ----------
    mentions : DataFrame
        From :func:`analysis.actors.actor_mentions`.
    articles : DataFrame
        The article table (``id``, ``by``, ``n_tokens``).
    by : str, default="outlet"
    kinds : sequence of str, optional
        Only actors of these kinds (``person``, ``institution``, ``group``, ``media``,
        ``country``); default all. Countries ("Russia", "Washington") are named in nearly
        every sentence of international news and crowd out the people.

    Returns
    -------
    DataFrame
        ``group``, ``actor``, ``affiliation``, ``mentions`` (headline and body),
        ``per_1000`` (mentions per 1,000 words of the group's bodies), ``headline`` and
        ``lead`` (mentions there), ``articles`` (articles naming the actor),
        ``share_of_articles`` with its 95% Wilson interval ``ci_low``/``ci_high``,
        ``n_articles``, ``n_tokens``, ``small_sample``; most mentioned first.
    """
    groups, sizes = _group_sizes(articles, by)
    counts = as_mention_counts(mentions)
    if kinds is not None:
        counts = counts[counts["kind"].isin(list(kinds))]
    counts = counts[counts["article_id"].isin(groups.index)]
    counts = counts.assign(group=groups.reindex(counts["article_id"]).to_numpy())
    table = (
        counts.groupby(["group", "actor", "affiliation"])
        .agg(
            mentions=("mentions", "sum"),
            headline=("headline", "sum"),
            lead=("lead", "sum"),
            articles=("article_id", "nunique"),
        )
        .reset_index()
    )
    table = _with_sizes(table, sizes)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["per_1000"] = table["mentions"] / table["n_tokens"].replace(0, np.nan) * 1000
    table["share_of_articles"] = table["articles"] / table["n_articles"]
    table["ci_low"], table["ci_high"] = wilson(table["articles"], table["n_articles"])
    table = table.sort_values(["group", "mentions", "actor"], ascending=[True, False, True], ignore_index=True)
    return table[SALIENCE_COLUMNS]


def label_matrix(mentions: pd.DataFrame, articles: pd.DataFrame | None = None, *, by: str = "outlet") -> pd.DataFrame:
    """The labels each group gives each actor, as a wide actor × group table for reading.

    Parameters
    ----------
    mentions : DataFrame
        From :func:`analysis.actors.actor_mentions`.
    articles : DataFrame, optional
        Needed when ``by`` is not ``outlet`` (to look the column up).

    Returns
    -------
    DataFrame
        Index ``actor`` (labelled actors only), one column per group; each cell lists the
        labels with their counts, most frequent first ("kremlin spokesman (2); putin spokesman
        (1)"), '' when the group never labels the actor. The long form is
        :func:`analysis.actors.label_table`.
    """
    from analysis.actors import label_table

    if by != "outlet" or "outlet" not in mentions:
        if articles is None:
            raise ValueError(f"label_matrix(by={by!r}) needs the article table to look up {by!r}")
        mentions = mentions.assign(**{by: group_labels(articles, by).reindex(mentions["article_id"]).to_numpy()})
    long = label_table(mentions, by=by)
    long["cell"] = long["label"] + " (" + long["mentions"].astype(str) + ")"
    wide = long.groupby(["actor", "group"], sort=True)["cell"].agg("; ".join).unstack("group", fill_value="")
    wide.columns.name = None
    return wide


def actor_tone(
    actor_sentences_table: pd.DataFrame,
    articles: pd.DataFrame,
    *,
    by: str = "outlet",
    min_sentences: int = 1,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean VADER tone of the sentences that mention each actor, per group: narration only and all.

    Parameters
    ----------
    actor_sentences_table : DataFrame
        From :func:`actor_sentences`.
    articles : DataFrame
        The article table (``id``, ``by``, ``n_tokens``).
    min_sentences : int, default=1
        Rows resting on fewer sentences are dropped.

    Returns
    -------
    DataFrame
        ``group``, ``actor``, ``voice`` (``narration``: the outlet's own sentences; ``all``:
        quoted sentences too), ``sentences``, ``compound_mean`` (-1 to +1) with its 95%
        bootstrap interval over articles ``ci_low``/``ci_high`` (NaN with fewer than two
        articles), ``n_articles``, ``n_tokens``, ``small_sample``.

    Notes
    -----
    The tone of a sentence is not the outlet's stance towards the actor: a sentence naming
    an actor also carries everything else it says. Read the sentences.
    """
    groups, sizes = _group_sizes(articles, by)
    table = actor_sentences_table[actor_sentences_table["article_id"].isin(groups.index)]
    both = pd.concat([table[table["voice"] == "narration"].assign(voice="narration"), table.assign(voice="all")])
    both = both.assign(group=groups.reindex(both["article_id"]).to_numpy())
    per_article = both.groupby(["group", "actor", "voice", "article_id"]).agg(
        sentences=("compound", "size"), compound_sum=("compound", "sum")
    )
    rows = []
    for (group, actor, voice), part in per_article.groupby(level=[0, 1, 2], sort=True):
        n = int(part["sentences"].sum())
        if n < min_sentences:
            continue
        low, high = bootstrap_ratios(part["compound_sum"].to_numpy(), part["sentences"].to_numpy(), seed=seed)
        rows.append((group, actor, voice, n, part["compound_sum"].sum() / n, low[0], high[0]))
    result = pd.DataFrame(rows, columns=ACTOR_TONE_COLUMNS[:7])
    return _with_sizes(result, sizes)[ACTOR_TONE_COLUMNS]
