"""The corpus at a glance and the cleaning audit: tidy tables over the article table.

Everything here reads columns the loader already made (``removed``, ``repairs``,
``n_tokens``, ``raw``); nothing re-reads files. Notebook 01 shows these tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.stats import wilson
from analysis.tokens import count_words


def coverage(articles: pd.DataFrame, *, by: Sequence[str] = ("outlet", "event")) -> pd.DataFrame:
    """Articles and words per combination of ``by`` columns.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``n_articles`` and ``n_tokens`` (words in the bodies),
        ``first`` and ``last`` (publication dates); sorted by the ``by`` columns.

    Examples
    --------
    >>> articles = pd.DataFrame({"outlet": ["A", "A", "B"], "event": ["e", "e", "e"],
    ...     "n_tokens": [10, 20, 5], "published": pd.to_datetime(["2021-01-02", "2021-01-01", "2021-01-03"])})
    >>> coverage(articles)[["outlet", "n_articles", "n_tokens"]].to_dict("records")
    [{'outlet': 'A', 'n_articles': 2, 'n_tokens': 30}, {'outlet': 'B', 'n_articles': 1, 'n_tokens': 5}]
    """
    by = list(by)
    missing = [c for c in by if c not in articles.columns]
    if missing:
        raise KeyError(f"coverage(by={by}): the article table has no column(s) {missing}")
    grouped = articles.assign(**{c: articles[c].fillna("(none)") for c in by}).groupby(by, sort=True)
    table = grouped.agg(
        n_articles=("n_tokens", "size"), n_tokens=("n_tokens", "sum"), first=("published", "min"), last=("published", "max")
    )
    return table.reset_index()


def article_lengths(articles: pd.DataFrame) -> pd.DataFrame:
    """Length of each article before and after cleaning.

    Returns
    -------
    DataFrame
        ``article_id``, ``outlet``, ``event``, ``headline``, ``n_tokens`` (words in the
        clean body), ``raw_words`` (words in the text as read), ``n_paragraphs``,
        ``removed_lines``, ``repairs``; in article table order.
    """
    return pd.DataFrame(
        {
            "article_id": articles["id"].astype(str),
            "outlet": articles["outlet"].astype(str),
            "event": articles["event"].astype(str),
            "headline": articles["headline"].astype(str),
            "n_tokens": articles["n_tokens"].astype("int64"),
            "raw_words": articles["raw"].map(count_words).astype("int64"),
            "n_paragraphs": articles["body"].map(lambda body: sum(1 for p in body.split("\n\n") if p.strip())).astype("int64"),
            "removed_lines": articles["removed"].map(len).astype("int64"),
            "repairs": articles["repairs"].map(len).astype("int64"),
        }
    ).reset_index(drop=True)


def removals(articles: pd.DataFrame) -> pd.DataFrame:
    """Every piece of text cleaning took out, with its reason: one row per removal.

    Returns
    -------
    DataFrame
        ``article_id``, ``outlet``, ``reason``, ``text`` (what was removed), ``words``
        (its word count); in article order, then the order cleaning removed them.
    """
    rows = [
        {
            "article_id": str(a.id),
            "outlet": str(a.outlet),
            "reason": r["reason"],
            "text": r["text"],
            "words": count_words(r["text"]),
        }
        for a in articles[["id", "outlet", "removed"]].itertuples(index=False)
        for r in a.removed
    ]
    columns = ["article_id", "outlet", "reason", "text", "words"]
    return pd.DataFrame(rows, columns=columns).astype({"words": "int64"})


def removal_reasons(articles: pd.DataFrame) -> pd.DataFrame:
    """What cleaning removed, by reason, as a share of the words read.

    The reason of an outlet's own chrome pattern ("site furniture (TASS profile)") is kept
    apart from the generic patterns, so an over-eager profile shows up.

    Returns
    -------
    DataFrame
        ``reason``, ``n_removals``, ``n_articles`` (articles with at least one),
        ``words`` (removed), ``raw_words`` (all words read, the denominator),
        ``share_of_raw_words``, ``ci_low``, ``ci_high`` (95 % Wilson interval of the share,
        words treated as independent, so a lower bound on the real uncertainty); largest
        ``words`` first.
    """
    table = removals(articles)
    raw_words = int(articles["raw"].map(count_words).sum())
    if table.empty:
        return pd.DataFrame(
            columns=["reason", "n_removals", "n_articles", "words", "raw_words", "share_of_raw_words", "ci_low", "ci_high"]
        )
    summary = (
        table.groupby("reason", sort=True)
        .agg(n_removals=("text", "size"), n_articles=("article_id", "nunique"), words=("words", "sum"))
        .reset_index()
        .sort_values(["words", "reason"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    low, high = wilson(summary["words"].to_numpy(), raw_words)
    share = summary["words"] / raw_words if raw_words else float("nan")
    return summary.assign(raw_words=raw_words, share_of_raw_words=share, ci_low=low, ci_high=high)


def repairs(articles: pd.DataFrame) -> pd.DataFrame:
    """Every glued word the loader split, with the article it was in.

    Returns
    -------
    DataFrame
        ``article_id``, ``outlet``, ``original``, ``repaired``, ``reason``.
    """
    rows = [
        {"article_id": str(a.id), "outlet": str(a.outlet), **{k: r[k] for k in ("original", "repaired", "reason")}}
        for a in articles[["id", "outlet", "repairs"]].itertuples(index=False)
        for r in a.repairs
    ]
    return pd.DataFrame(rows, columns=["article_id", "outlet", "original", "repaired", "reason"])


def loading_problems(articles: pd.DataFrame) -> pd.DataFrame:
    """Problems the loader reported (skipped articles, warnings), from ``articles.attrs``.

    Returns
    -------
    DataFrame
        ``severity``, ``source``, ``line``, ``field``, ``message``, ``hint``.
    """
    columns = ["severity", "source", "line", "field", "message", "hint"]
    return pd.DataFrame(articles.attrs.get("problems", []), columns=columns)


def leads(articles: pd.DataFrame) -> pd.DataFrame:
    """How each article opens: headline, standfirst, dateline and first paragraph.

    Returns
    -------
    DataFrame
        ``article_id``, ``outlet``, ``published``, ``headline``, ``dek``, ``dateline``,
        ``lead`` (the body's first paragraph), ``n_tokens``; sorted by publication date,
        then outlet.

    Examples
    --------
    >>> articles = pd.DataFrame({"id": ["a"], "outlet": ["TASS"], "published": pd.to_datetime(["2021-01-01"]),
    ...     "headline": ["H"], "dek": [""], "dateline": [""], "body": ["First.\\n\\nSecond."], "n_tokens": [2]})
    >>> leads(articles)["lead"].tolist()
    ['First.']
    """
    table = pd.DataFrame(
        {
            "article_id": articles["id"].astype(str),
            "outlet": articles["outlet"].astype(str),
            "published": articles["published"],
            "headline": articles["headline"].astype(str),
            "dek": articles["dek"].fillna("").astype(str),
            "dateline": articles["dateline"].fillna("").astype(str),
            "lead": articles["body"].map(lambda body: next((p.strip() for p in body.split("\n\n") if p.strip()), "")),
            "n_tokens": articles["n_tokens"].astype("int64"),
        }
    )
    return table.sort_values(["published", "outlet", "article_id"], kind="stable").reset_index(drop=True)


def main_event(articles: pd.DataFrame) -> str:
    """The event covered by the most outlets (then the most articles, then by name).

    Raises
    ------
    ValueError
        When no article has an event; give the corpus an ``event`` column.

    Examples
    --------
    >>> main_event(pd.DataFrame({"event": ["a", "b", "b"], "outlet": ["X", "X", "Y"]}))
    'b'
    """
    events = articles.dropna(subset=["event"])
    events = events[events["event"].astype(str).str.strip() != ""]
    if events.empty:
        raise ValueError("no article has an event: add an 'event' column to the manifest or table")
    counts = events.groupby("event").agg(outlets=("outlet", "nunique"), articles=("outlet", "size")).reset_index()
    return str(counts.sort_values(["outlets", "articles", "event"], ascending=[False, False, True]).iloc[0]["event"])


def side_by_side(table: pd.DataFrame, *, fields: Sequence[str], by: str = "outlet") -> pd.DataFrame:
    """One column per article (labelled by ``by``), one row per field: coverage compared across.

    Parameters
    ----------
    table : DataFrame
        One row per article with ``article_id``, ``by`` and the ``fields`` columns.
    fields : sequence of str
        The rows of the result, in order.
    by : str, default="outlet"
        Column naming each article's column; repeated names get the article id appended.

    Returns
    -------
    DataFrame
        Index ``field``; one column per article, in ``table`` order; values as text.

    Examples
    --------
    >>> t = pd.DataFrame({"article_id": ["1", "2"], "outlet": ["A", "B"], "headline": ["h1", "h2"]})
    >>> side_by_side(t, fields=["headline"]).to_dict("records")
    [{'A': 'h1', 'B': 'h2'}]
    """
    _require_columns(table, ["article_id", by, *fields], "side_by_side")
    labels = table[by].astype(str)
    repeated = labels.duplicated(keep=False)
    labels = labels.where(~repeated, labels + " · " + table["article_id"].astype(str))
    wide = table[list(fields)].astype(str).set_axis(labels.tolist(), axis=0).T
    wide.index.name = "field"
    wide.columns.name = None
    return wide


def _require_columns(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"{what}: table has no column(s) {missing}; it has {list(table.columns)}")
