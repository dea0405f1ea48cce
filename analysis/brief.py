"""The event brief: each article of one event summarised in a line per measure, for a side-by-side page.

Each function turns a tidy table of one measure (loaded-term hits, keyness, quotations, shared
passages) into a Series ``article_id -> text`` that :func:`analysis.overview.side_by_side`
lays out next to the headlines. Counts stay visible in the text ("dialogue ×2").
"""

from __future__ import annotations

import pandas as pd


def _text(series: pd.Series, name: str) -> pd.Series:
    """Text values (also when empty, where pandas would default to float), named."""
    return series.astype("str").rename(name)


def article_labels(articles: pd.DataFrame) -> dict[str, str]:
    """Short readable names for articles: the outlet, with the publication day when an outlet
    has several articles, and the id when that is still ambiguous.

    Examples
    --------
    >>> a = pd.DataFrame({"id": ["x1", "x2", "y1"], "outlet": ["TASS", "TASS", "RT"],
    ...     "published": pd.to_datetime(["2021-01-01", "2021-01-02", "2021-01-01"])})
    >>> article_labels(a)
    {'x1': 'TASS 2021-01-01', 'x2': 'TASS 2021-01-02', 'y1': 'RT'}
    """
    ids = articles["id"].astype(str)
    outlets = articles["outlet"].astype(str)
    labels = outlets.where(~outlets.duplicated(keep=False), outlets + " " + articles["published"].dt.strftime("%Y-%m-%d"))
    labels = labels.where(~labels.duplicated(keep=False), labels + " " + ids)
    return dict(zip(ids, labels, strict=True))


def counted(values: pd.Series) -> str:
    """``"a ×2, b"``: distinct values, most frequent first, then alphabetical.

    Examples
    --------
    >>> counted(pd.Series(["threat", "dialogue", "threat"]))
    'threat ×2, dialogue'
    >>> counted(pd.Series([], dtype=str))
    ''
    """
    counts = values.astype(str).value_counts()
    order = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{value} ×{n}" if n > 1 else value for value, n in order)


def loaded_terms_by_article(hits: pd.DataFrame, *, voice: str) -> pd.Series:
    """The loaded terms each article uses in ``voice`` (``narration`` or ``quoted``), counted.

    Parameters
    ----------
    hits : DataFrame
        From :func:`analysis.measures.loaded.loaded_hits` (``article_id``, ``term``, ``voice``).

    Returns
    -------
    Series
        ``article_id -> "term ×n, ..."``; articles without hits in that voice are absent.
    """
    chosen = hits[hits["voice"] == voice]
    return _text(chosen.groupby(chosen["article_id"].astype(str))["term"].agg(counted), f"loaded terms ({voice})")


def distinctive_by_article(keyness_table: pd.DataFrame, *, top: int = 8, min_z: float = 1.96) -> pd.Series:
    """Each article's most distinctive words against the event's other articles.

    Parameters
    ----------
    keyness_table : DataFrame
        :func:`analysis.measures.keyness.keyness` with ``by="id"`` (``group`` is the article id).
    top : int, default=8
        Words per article.
    min_z : float, default=1.96
        Only words at least this distinctive.

    Returns
    -------
    Series
        ``article_id -> "word (z 2.3), ..."`` by decreasing z.
    """
    strong = keyness_table[keyness_table["z"] >= min_z].sort_values(["group", "z", "term"], ascending=[True, False, True])
    best = strong.groupby("group").head(top)
    text = best["term"].astype(str) + " (z " + best["z"].map("{:.1f}".format).astype(str) + ")"
    return _text(text.groupby(best["group"].astype(str)).agg(", ".join), "distinctive words")


def speakers_by_article(quotes: pd.DataFrame) -> pd.Series:
    """Who each article quotes (speech quotations only, not scare quotes), counted.

    Parameters
    ----------
    quotes : DataFrame
        From :func:`analysis.quotes.extract_quotes` (``article_id``, ``speaker``, ``kind``).

    Returns
    -------
    Series
        ``article_id -> "Dmitry Peskov ×3, (unattributed)"``.
    """
    speech = quotes[quotes["kind"] == "speech"]
    speakers = speech["speaker"].astype(str).replace("", "(unattributed)")
    return _text(speakers.groupby(speech["article_id"].astype(str)).agg(counted), "sources quoted")


def shared_text_by_article(passages: pd.DataFrame) -> pd.Series:
    """For each article, the share of its words found in another article of the event.

    Parameters
    ----------
    passages : DataFrame
        :func:`analysis.reuse.event_shared_text` (``article_a``, ``article_b``,
        ``outlet_a``, ``outlet_b``, ``shared_a``, ``shared_b``, ``kind``, one row per passage).

    Returns
    -------
    Series
        ``article_id -> "41% of its words shared with TASS (exact)"``, one clause per other
        article, largest share first.
    """
    if passages.empty:
        return _text(pd.Series(dtype=str), "shared text")
    pairs = passages.groupby(["article_a", "article_b"], sort=True).agg(
        outlet_a=("outlet_a", "first"),
        outlet_b=("outlet_b", "first"),
        shared_a=("shared_a", "first"),
        shared_b=("shared_b", "first"),
        kinds=("kind", lambda k: "/".join(sorted(set(k)))),
    )
    pairs = pairs.reset_index()
    sides = pd.concat(
        [
            pd.DataFrame(
                {"article_id": pairs["article_a"], "other": pairs["outlet_b"], "share": pairs["shared_a"], "kind": pairs["kinds"]}
            ),
            pd.DataFrame(
                {"article_id": pairs["article_b"], "other": pairs["outlet_a"], "share": pairs["shared_b"], "kind": pairs["kinds"]}
            ),
        ],
        ignore_index=True,
    ).sort_values(["article_id", "share", "other"], ascending=[True, False, True])
    clause = sides["share"].map(lambda s: f"{s:.0%}") + " of its words shared with " + sides["other"] + " (" + sides["kind"] + ")"
    return _text(clause.groupby(sides["article_id"].astype(str)).agg("; ".join), "shared text")


def frames_by_article(scored: pd.DataFrame, *, codes: list[str] | None = None) -> pd.Series:
    """The frames a model finds in each article: of its units, how many it predicts carry each code.

    Parameters
    ----------
    scored : DataFrame
        From :func:`analysis.coding.score_units` (``article_id``, ``unit``, ``code``, ``predicted``).
    codes : list of str, optional
        The codes to show (``analysis.frames.usable_codes``: not those too close to chance).

    Returns
    -------
    Series
        ``article_id -> "conflict 3 of 12 paragraphs, economic 1 of 12"``, named
        ``frames (model)``; "none of 12 paragraphs" when the model finds no code.
    """
    chosen = scored if codes is None else scored[scored["code"].isin(codes)]
    units = chosen.groupby("article_id")["unit_id"].nunique()
    unit = str(chosen["unit"].iat[0]) if len(chosen) else "unit"
    found = chosen[chosen["predicted"].astype(bool)].groupby(["article_id", "code"]).size()
    lines = {}
    for article, n in units.items():
        if article in found.index.get_level_values(0):
            mine = found.loc[article].sort_values(ascending=False, kind="stable")
            parts = [f"{code} {k} of {n} {unit}s" if i == 0 else f"{code} {k}" for i, (code, k) in enumerate(mine.items())]
            lines[str(article)] = ", ".join(parts)
        else:
            lines[str(article)] = f"none of {n} {unit}s"
    return _text(pd.Series(lines, dtype=object), "frames (model)")


def attach(table: pd.DataFrame, summaries: list[pd.Series], *, missing: str = "—") -> pd.DataFrame:
    """``table`` (one row per article, ``article_id``) with one text column per summary.

    Articles a summary does not mention get ``missing``.

    Examples
    --------
    >>> t = pd.DataFrame({"article_id": ["a", "b"]})
    >>> attach(t, [pd.Series({"a": "threat"}, name="loaded")]).to_dict("records")
    [{'article_id': 'a', 'loaded': 'threat'}, {'article_id': 'b', 'loaded': '—'}]
    """
    ids = table["article_id"].astype(str)
    columns = {s.name: [s.get(i, missing) for i in ids] for s in summaries}
    return table.assign(**{name: pd.Series(values, index=table.index, dtype="str") for name, values in columns.items()})
