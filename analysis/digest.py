"""What changed since the last run: a short digest for the first page of a scheduled report.

Each run keeps a *snapshot* of its corpus in ``<run>/snapshot/`` (Parquet, exact types):
which articles it held, word counts per outlet, and loaded-term rates with their intervals.
The next run compares its own snapshot with the newest successful run's that has one and
reports:

- new articles per outlet (and articles gone since);
- new events;
- words whose rate per 1,000 words in an outlet now lies outside last run's 95% interval
  (Wilson, over words; stop words left out), largest moves first;
- loaded-term categories whose rate per outlet now lies outside last run's 95% bootstrap
  interval (over articles), as :func:`analysis.measures.loaded.loaded_rates` reports it;
- new actors, new labels for known actors and new quoted sources (``analysis.actors``,
  ``analysis.quotes``; see :func:`people_tables`).

"Outside last run's interval" is a deliberately simple rule: it says the new rate is not
one the earlier articles make plausible. When a corpus grows by a few articles, rates move
little and the digest says so; with no earlier run it says that.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.paths import write_atomic, write_text_atomic
from analysis.stats import SMALL_SAMPLE_ARTICLES, SMALL_SAMPLE_TOKENS, small_sample, wilson

SNAPSHOT_DIR = "snapshot"
DIGEST_FILES = ("digest.md", "digest.html", "digest.json")
#: Words moved this few times or fewer are left out of the digest (noise at the seeds' scale).
MIN_TERM_COUNT = 3
#: At most this many rows per section of the Markdown/HTML digest (the JSON has them all).
SHOWN_ROWS = 10
#: Tables a snapshot may hold; ``actors``, ``labels`` and ``sources`` only when given.
SNAPSHOT_TABLES = ("articles", "terms", "loaded", "actors", "labels", "sources")

ARTICLE_COLUMNS = ["id", "outlet", "event", "published", "hash"]
TERM_COLUMNS = ["group", "term", "count", "tokens", "rate_per_1000", "ci_low", "ci_high"]
LOADED_COLUMNS = ["group", "category", "hits", "tokens", "rate_per_1000", "ci_low", "ci_high", "n_articles"]


class SnapshotError(ValueError):
    """A snapshot folder is damaged or was written by an incompatible version."""


# ---------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------


def term_rates(tokens: pd.DataFrame, articles: pd.DataFrame, *, by: str = "outlet") -> pd.DataFrame:
    """Counts and rates per 1,000 words of every word (stop words left out) per group.

    Parameters
    ----------
    tokens : DataFrame
        The token table (``article_id``, ``token``).
    articles : DataFrame
        The article table (``id`` and the ``by`` column).

    Returns
    -------
    DataFrame
        ``group``, ``term``, ``count``, ``tokens`` (all words of the group, the denominator),
        ``rate_per_1000``, ``ci_low``, ``ci_high`` (Wilson 95% over words, times 1,000).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from analysis.stats import group_labels

    groups = group_labels(articles, by)
    group_of_token = groups.reindex(tokens["article_id"].astype(str).to_numpy()).to_numpy()
    words = pd.DataFrame({"group": group_of_token, "term": tokens["token"].astype(str).to_numpy()})
    totals = words.groupby("group").size()
    content = words[~words["term"].isin(ENGLISH_STOP_WORDS) & words["term"].str.contains(r"[^\W\d_]", regex=True)]
    counts = content.groupby(["group", "term"]).size().rename("count").reset_index()
    counts["tokens"] = counts["group"].map(totals).astype(np.int64)
    counts["rate_per_1000"] = 1000 * counts["count"] / counts["tokens"]
    low, high = wilson(counts["count"], counts["tokens"])
    counts["ci_low"], counts["ci_high"] = 1000 * low, 1000 * high
    return counts[TERM_COLUMNS]


def people_tables(articles: pd.DataFrame, *, actors_file: str | os.PathLike[str] | None = None) -> dict[str, pd.DataFrame]:
    """Actors, their labels and quoted sources of ``articles`` (``analysis.actors``, ``analysis.quotes``).

    Returns
    -------
    dict of str to DataFrame
        ``actors``: ``actor``, ``mentions``, ``outlets``; ``labels``: ``actor``, ``group``
        (outlet), ``label``, ``mentions``, ``of_mentions``; ``sources``: ``outlet``,
        ``source`` (the speaker; unattributed quotations left out), ``affiliation``,
        ``quotes``, ``words``.
    """
    from analysis.actors import actor_mentions, label_table, load_actors
    from analysis.quotes import extract_quotes, sources_table

    actors = load_actors(actors_file)
    mentions = actor_mentions(articles, actors=actors)
    named = mentions.groupby("actor").agg(mentions=("actor", "size"), outlets=("outlet", lambda s: ", ".join(sorted(set(s)))))
    sources = sources_table(extract_quotes(articles, actors=actors))
    sources = sources[sources["speaker"] != "(unattributed)"].rename(columns={"speaker": "source"})
    return {"actors": named.reset_index(), "labels": label_table(mentions), "sources": sources.reset_index(drop=True)}


def take_snapshot(
    articles: pd.DataFrame,
    *,
    tokens: pd.DataFrame | None = None,
    lexicon: str = "default",
    actors: pd.DataFrame | None = None,
    labels: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
    n_boot: int = 1000,
) -> dict[str, pd.DataFrame]:
    """The tables the next run compares itself with.

    Parameters
    ----------
    articles : DataFrame
        The whole corpus (not an event or outlet selection): the article table.
    tokens : DataFrame, optional
        ``analysis.tokens.tokenize(articles)``, when already computed.
    lexicon : str, default="default"
        Loaded-language lexicon (name or file).
    actors, labels, sources : DataFrame, optional
        The corpus's actors (column ``actor``), labels of actors (``actor``, ``label``) and
        quoted sources (``source``), e.g. from ``analysis.actors`` and ``analysis.quotes``;
        extra columns (``outlet``, counts) are kept.

    Returns
    -------
    dict of str to DataFrame
        ``articles`` (id, outlet, event, published, hash), ``terms`` (see :func:`term_rates`),
        ``loaded`` (group, category, hits, tokens, rate_per_1000, ci_low, ci_high, n_articles;
        all voices), and ``actors``, ``labels``, ``sources`` when given.
    """
    from analysis.lexicons import load_matcher
    from analysis.measures.loaded import loaded_hits, loaded_rates
    from analysis.tokens import tokenize

    tokens = tokenize(articles) if tokens is None else tokens
    matcher = load_matcher(lexicon)
    rates = loaded_rates(loaded_hits(tokens, matcher), tokens, articles, categories=matcher.lexicon.categories, n_boot=n_boot)
    table = articles.reindex(columns=ARTICLE_COLUMNS).copy()
    table["id"] = table["id"].astype(str)
    snapshot = {
        "articles": table,
        "terms": term_rates(tokens, articles),
        "loaded": rates[rates["voice"] == "all"][LOADED_COLUMNS].reset_index(drop=True),
    }
    for name, extra, needed in (
        ("actors", actors, ["actor"]),
        ("labels", labels, ["actor", "label"]),
        ("sources", sources, ["source"]),
    ):
        if extra is not None:
            missing = [c for c in needed if c not in extra.columns]
            if missing:
                raise KeyError(f"{name}: needs column(s) {missing}; it has {list(extra.columns)}")
            snapshot[name] = extra.reset_index(drop=True)
    return snapshot


def write_snapshot(snapshot: Mapping[str, pd.DataFrame], run_folder: str | os.PathLike[str]) -> Path:
    """Write ``snapshot`` to ``<run_folder>/snapshot/<table>.parquet``, each file atomically."""
    folder = Path(run_folder) / SNAPSHOT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in snapshot.items():
        write_atomic(folder / f"{name}.parquet", lambda temporary, table=table: table.to_parquet(temporary, index=False))
    return folder


def read_snapshot(run_folder: str | os.PathLike[str]) -> dict[str, pd.DataFrame] | None:
    """The snapshot kept in ``run_folder``, or None when it has none.

    Raises
    ------
    SnapshotError
        A snapshot file cannot be read; the message names it.
    """
    folder = Path(run_folder) / SNAPSHOT_DIR
    if not (folder / "articles.parquet").is_file():
        return None
    snapshot = {}
    for name in SNAPSHOT_TABLES:
        path = folder / f"{name}.parquet"
        if path.is_file():
            try:
                snapshot[name] = pd.read_parquet(path)
            except Exception as err:  # pyarrow raises several types for a damaged file
                raise SnapshotError(f"{path}: cannot be read ({err}); delete the run's snapshot folder to skip it") from err
    return snapshot


def previous_run(root: str | os.PathLike[str], *, current: str | os.PathLike[str] | None = None) -> Path | None:
    """The newest successful run under ``root`` (other than ``current``) that kept a snapshot.

    Reads each run's ``run.json`` (see :mod:`analysis.suite`); failed or running runs never count.
    """
    root = Path(root)
    current_path = Path(current).resolve() if current is not None else None
    found: list[tuple[str, Path]] = []
    for run_file in root.glob("*/run.json"):
        folder = run_file.parent
        if current_path is not None and folder.resolve() == current_path:
            continue
        try:
            run = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(run, dict) and run.get("status") == "ok" and (folder / SNAPSHOT_DIR / "articles.parquet").is_file():
            found.append((str(run.get("started", "")), folder))
    return max(found)[1] if found else None


# ---------------------------------------------------------------------------
# Comparing two snapshots
# ---------------------------------------------------------------------------


@dataclass
class Digest:
    """What changed between two snapshots; ``previous`` is None when there was no earlier run.

    Attributes
    ----------
    previous : str or None
        The earlier run's folder name.
    articles_before, articles_now : int
    new_articles : DataFrame
        ``outlet``, ``before``, ``now``, ``new``, ``gone`` (outlets with a change only).
    new_events : DataFrame
        ``event``, ``articles``, ``outlets``.
    moved_terms, moved_loaded : DataFrame
        ``group``, ``term`` or ``category``, ``rate_before``, ``ci_low_before``,
        ``ci_high_before``, ``rate_now``, ``count_now`` or ``hits_now``, ``direction``
        (``up``/``down``).
    new_actors, new_labels, new_sources : DataFrame or None
        Rows of the current tables not in the earlier ones; None when either run lacks them.
    notes : list of str
        Caveats (no earlier run, sections not computed, small samples).
    """

    previous: str | None
    articles_before: int
    articles_now: int
    new_articles: pd.DataFrame
    new_events: pd.DataFrame
    moved_terms: pd.DataFrame
    moved_loaded: pd.DataFrame
    new_actors: pd.DataFrame | None = None
    new_labels: pd.DataFrame | None = None
    new_sources: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def _article_changes(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    added = now[~now["id"].isin(before["id"])]
    gone = before[~before["id"].isin(now["id"])]
    table = pd.DataFrame(
        {
            "before": before.groupby("outlet").size(),
            "now": now.groupby("outlet").size(),
            "new": added.groupby("outlet").size(),
            "gone": gone.groupby("outlet").size(),
        }
    )
    table = table.fillna(0).astype(np.int64).rename_axis("outlet").reset_index()
    return table[(table["new"] > 0) | (table["gone"] > 0)].reset_index(drop=True)


def _new_events(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    known = set(before["event"].dropna().astype(str))
    fresh = now[now["event"].notna() & ~now["event"].astype(str).isin(known)]
    table = fresh.groupby("event").agg(articles=("id", "size"), outlets=("outlet", lambda s: ", ".join(sorted(set(s)))))
    return table.reset_index().sort_values(["articles", "event"], ascending=[False, True], ignore_index=True)


def small_groups(snapshot: Mapping[str, pd.DataFrame]) -> list[str]:
    """Outlets of ``snapshot`` too small to judge a change against (``analysis.stats.small_sample``)."""
    n_articles = snapshot["articles"].groupby("outlet").size()
    n_tokens = snapshot["terms"].groupby("group")["tokens"].first().reindex(n_articles.index).fillna(0)
    return sorted(n_articles.index[np.asarray(small_sample(n_articles.to_numpy(), n_tokens.to_numpy()), dtype=bool)])


def _moved(before: pd.DataFrame, now: pd.DataFrame, key: str, count: str, *, skip: list[str], min_count: int = 0) -> pd.DataFrame:
    """Rows whose current rate lies outside the earlier interval, largest move (in half-widths) first.

    Groups in ``skip`` (small samples in the earlier run) are not judged.
    """
    joined = now[~now["group"].isin(skip)].merge(before, on=["group", key], how="left", suffixes=("_now", "_before"))
    columns = ["group", key, "rate_before", "ci_low_before", "ci_high_before", "rate_now", f"{count}_now", "direction"]
    if joined.empty:
        return pd.DataFrame(columns=columns)
    if key == "term":
        # A word absent before had count 0 over the group's earlier words (when the group existed).
        group_tokens = before.groupby("group")["tokens"].first()
        earlier_tokens = joined["group"].map(group_tokens)
        absent = joined["rate_per_1000_before"].isna() & earlier_tokens.notna()
        low, high = wilson(np.zeros(int(absent.sum())), earlier_tokens[absent].to_numpy())
        joined.loc[absent, ["rate_per_1000_before", "ci_low_before", "ci_high_before"]] = np.column_stack(
            [np.zeros(int(absent.sum())), 1000 * low, 1000 * high]
        )
    joined = joined.rename(columns={"rate_per_1000_before": "rate_before", "rate_per_1000_now": "rate_now"})
    up = joined["rate_now"] > joined["ci_high_before"]
    down = joined["rate_now"] < joined["ci_low_before"]
    keep = (up | down) & (joined[f"{count}_now"] >= min_count)
    moved = joined[keep].assign(direction=np.where(up[keep], "up", "down"))
    half_width = ((moved["ci_high_before"] - moved["ci_low_before"]) / 2).replace(0, np.nan)
    order = ((moved["rate_now"] - moved["rate_before"]).abs() / half_width).fillna(np.inf)
    moved = moved.assign(_order=order).sort_values(["_order", "group", key], ascending=[False, True, True])
    return moved[columns].reset_index(drop=True)


def _new_rows(before: Mapping[str, pd.DataFrame], now: Mapping[str, pd.DataFrame], name: str, keys: list[str]):
    if name not in before or name not in now:
        return None
    known = before[name][keys].astype(str).drop_duplicates()
    current = now[name].astype({k: str for k in keys})
    merged = current.merge(known, on=keys, how="left", indicator=True)
    return merged[merged["_merge"] == "left_only"].drop(columns="_merge").reset_index(drop=True)


def compare_snapshots(
    before: Mapping[str, pd.DataFrame] | None, now: Mapping[str, pd.DataFrame], *, previous: str | None = None
) -> Digest:
    """The :class:`Digest` of what changed from ``before`` (None: no earlier run) to ``now``.

    Parameters
    ----------
    before, now : mapping of table name to DataFrame
        Snapshots from :func:`take_snapshot` or :func:`read_snapshot`.
    previous : str, optional
        The earlier run's name, for the digest's first line.
    """
    empty = pd.DataFrame()
    if before is None:
        return Digest(
            previous=None,
            articles_before=0,
            articles_now=len(now["articles"]),
            new_articles=empty,
            new_events=empty,
            moved_terms=empty,
            moved_loaded=empty,
            notes=["No earlier successful run with a snapshot: this run is the baseline the next one compares with."],
        )
    notes = []
    actors = _new_rows(before, now, "actors", ["actor"])
    labels = _new_rows(before, now, "labels", ["actor", "label"])
    if labels is not None and actors is not None:
        labels = labels[~labels["actor"].isin(actors["actor"].astype(str))].reset_index(drop=True)  # only known actors
    sources = _new_rows(before, now, "sources", ["source"])
    if actors is None or sources is None:
        notes.append("Actors, labels and quoted sources were not compared: one of the runs has no actor or quotation tables.")
    skip = small_groups(before)
    if skip:
        notes.append(
            f"Not judged for moved rates (fewer than {SMALL_SAMPLE_ARTICLES} articles or {SMALL_SAMPLE_TOKENS:,} words "
            f"in the earlier run): {', '.join(skip)}."
        )
    return Digest(
        previous=previous,
        articles_before=len(before["articles"]),
        articles_now=len(now["articles"]),
        new_articles=_article_changes(before["articles"], now["articles"]),
        new_events=_new_events(before["articles"], now["articles"]),
        moved_terms=_moved(before["terms"], now["terms"], "term", "count", skip=skip, min_count=MIN_TERM_COUNT),
        moved_loaded=_moved(before["loaded"], now["loaded"], "category", "hits", skip=skip),
        new_actors=actors,
        new_labels=labels,
        new_sources=sources,
        notes=notes,
    )


# ---------------------------------------------------------------------------
# Writing the digest
# ---------------------------------------------------------------------------

_SECTIONS = (
    ("new_articles", "New articles per outlet"),
    ("new_events", "New events"),
    ("moved_terms", "Words whose rate moved outside last run's 95% interval"),
    ("moved_loaded", "Loaded-term categories whose rate moved outside last run's 95% interval"),
    ("new_actors", "New actors"),
    ("new_labels", "New labels for known actors"),
    ("new_sources", "New quoted sources"),
)


def _headline(digest: Digest) -> str:
    if digest.previous is None:
        return f"No earlier run to compare with; {digest.articles_now} article(s) in this run's corpus."
    added = int(digest.new_articles["new"].sum()) if not digest.new_articles.empty else 0
    return (
        f"Since run {digest.previous}: {digest.articles_before} → {digest.articles_now} article(s), "
        f"{added} new; {len(digest.new_events)} new event(s); {len(digest.moved_terms)} word rate(s) and "
        f"{len(digest.moved_loaded)} loaded-term rate(s) moved outside their interval."
    )


def _sections(digest: Digest) -> list[tuple[str, pd.DataFrame | None]]:
    if digest.previous is None:
        return []
    return [(title, getattr(digest, name)) for name, title in _SECTIONS]


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    return table.head(SHOWN_ROWS).round(2)


def digest_markdown(digest: Digest) -> str:
    """The digest as Markdown: one line of totals, then one short table per section."""
    lines = ["## What changed since the last run", "", _headline(digest), ""]
    for title, table in _sections(digest):
        if table is None:
            continue
        lines.append(f"**{title}**: {'none' if table.empty else len(table)}")
        if not table.empty:
            shown = _shown(table).astype(str)
            lines += ["", "| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
            lines += ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in shown.to_numpy()]
            if len(table) > SHOWN_ROWS:
                lines.append(f"\n… and {len(table) - SHOWN_ROWS} more (digest.json has them all).")
        lines.append("")
    lines += [f"_{note}_" for note in digest.notes]
    lines += ["", "_A handful of articles is not a population: changes describe these texts, not the outlets._"]
    return "\n".join(lines).rstrip() + "\n"


def digest_html(digest: Digest) -> str:
    """The digest as an HTML fragment (a ``<section>``; every text escaped)."""
    parts = ['<section class="digest"><h2>What changed since the last run</h2>', f"<p>{html.escape(_headline(digest))}</p>"]
    for title, table in _sections(digest):
        if table is None:
            continue
        parts.append(f"<h3>{html.escape(title)}: {'none' if table.empty else len(table)}</h3>")
        if not table.empty:
            shown = _shown(table)
            header = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in shown.to_numpy())
            parts.append(f"<table><tr>{header}</tr>{rows}</table>")
    parts += [f"<p><em>{html.escape(note)}</em></p>" for note in digest.notes]
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def _json_ready(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return json.loads(value.to_json(orient="records", date_format="iso"))
    return value


def digest_records(digest: Digest) -> dict[str, Any]:
    """The digest as a JSON-ready dict: ``summary``, ``previous``, counts, every section in full, ``notes``."""
    record: dict[str, Any] = {
        "summary": _headline(digest),
        "previous": digest.previous,
        "articles_before": digest.articles_before,
        "articles_now": digest.articles_now,
    }
    for name, _title in _SECTIONS:
        table = getattr(digest, name)
        record[name] = None if table is None else _json_ready(table)
    record["notes"] = digest.notes
    return record


def write_digest(digest: Digest, run_folder: str | os.PathLike[str]) -> list[Path]:
    """Write ``digest.md``, ``digest.html`` and ``digest.json`` into ``run_folder``, atomically."""
    folder = Path(run_folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_text_atomic(folder / "digest.md", digest_markdown(digest)),
        write_text_atomic(folder / "digest.html", digest_html(digest)),
        write_text_atomic(folder / "digest.json", json.dumps(digest_records(digest), indent=1, ensure_ascii=False) + "\n"),
    ]


def since_last(
    articles: pd.DataFrame,
    run_folder: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    people: bool = True,
    **snapshot_options: Any,
) -> Digest:
    """Snapshot this run's corpus, compare it with the last successful run's, write the digest.

    Parameters
    ----------
    articles : DataFrame
        The whole corpus of this run.
    run_folder : path
        This run's folder: gets ``snapshot/`` and ``digest.md``/``.html``/``.json``.
    root : path, optional
        Where earlier runs are; default: ``run_folder``'s parent.
    people : bool, default=True
        Also compare actors, their labels and quoted sources (:func:`people_tables`).
    **snapshot_options
        Passed to :func:`take_snapshot` (``tokens``, ``lexicon``, ``n_boot``).

    Returns
    -------
    Digest
    """
    folder = Path(run_folder)
    earlier = previous_run(root if root is not None else folder.parent, current=folder)
    before = read_snapshot(earlier) if earlier is not None else None
    now = take_snapshot(articles, **(people_tables(articles) if people else {}), **snapshot_options)
    digest = compare_snapshots(before, now, previous=earlier.name if earlier is not None else None)
    write_snapshot(now, folder)
    write_digest(digest, folder)
    return digest
