"""Aligned passages of text reuse as a table and as side-by-side HTML (notebook 05).

Reads the pairs of :func:`analysis.provenance.text_reuse`; the HTML escapes every text, so a
page's markup never runs in a report.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.paths import write_text_atomic
from analysis.provenance import PASSAGE_COLUMNS


def passage_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per aligned passage of :func:`text_reuse`'s pairs.

    Returns
    -------
    DataFrame
        ``article_a``, ``article_b``, ``outlet_a``, ``outlet_b``, ``direction``, ``passage``
        (number within the pair, from 0), ``kind``, ``a_start``, ``a_end``, ``b_start``,
        ``b_end``, ``a_text``, ``b_text``, ``changes`` (list of dict).
    """
    rows = [
        {
            **{k: pair[k] for k in ("article_a", "article_b", "outlet_a", "outlet_b", "direction")},
            "passage": number,
            **{k: passage[k] for k in PASSAGE_COLUMNS[6:]},
        }
        for pair in pairs.to_dict("records")
        for number, passage in enumerate(pair["passages"])
    ]
    return pd.DataFrame(rows, columns=PASSAGE_COLUMNS)


def _marked(text: str, offset: int, marks: Iterable[tuple[int, int]], tag: str) -> str:
    """``text`` (starting at ``offset`` in its body) escaped, with ``marks`` wrapped in ``tag``."""
    out, cursor = [], 0
    for start, end in sorted(marks):
        start, end = start - offset, end - offset
        if end <= start or start < cursor:
            continue
        out += [html.escape(text[cursor:start]), f"<{tag}>", html.escape(text[start:end]), f"</{tag}>"]
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


_HTML_STYLE = (
    "<style>.reuse{border-collapse:collapse;width:100%}.reuse td,.reuse th{border:1px solid #ccc;padding:6px;"
    "vertical-align:top;text-align:left}.reuse del{background:#fdd;text-decoration:none}"
    ".reuse ins{background:#dfd;text-decoration:none}</style>"
)


def passages_html(passages: pd.DataFrame, *, title: str = "Aligned passages") -> str:
    """Side-by-side HTML of aligned passages; words changed from a to b highlighted.

    Article text is HTML-escaped; nothing runs and nothing is loaded, so the page can be
    saved and shared. Changed words are ``<del>`` on side a and ``<ins>`` on side b.
    """
    rows = []
    for p in passages.to_dict("records"):
        changes = p["changes"]
        a_html = _marked(p["a_text"], p["a_start"], [(c["a_start"], c["a_end"]) for c in changes], "del")
        b_html = _marked(p["b_text"], p["b_start"], [(c["b_start"], c["b_end"]) for c in changes], "ins")
        summary = html.escape("; ".join(f"{c['a'] or '∅'} → {c['b'] or '∅'}" for c in changes) or "none")
        rows.append(
            f"<tr><td>{html.escape(str(p['article_a']))}<br><small>{html.escape(str(p['outlet_a']))}</small></td>"
            f"<td>{a_html}</td><td>{b_html}</td>"
            f"<td>{html.escape(str(p['article_b']))}<br><small>{html.escape(str(p['outlet_b']))}</small></td>"
            f"<td>{html.escape(str(p['kind']))}<br><small>{summary}</small></td></tr>"
        )
    return (
        f"{_HTML_STYLE}<h3>{html.escape(title)}</h3><table class='reuse'><tr><th>article a</th><th>text in a</th>"
        f"<th>text in b</th><th>article b</th><th>kind and changes</th></tr>{''.join(rows)}</table>"
    )


def save_passages_html(passages: pd.DataFrame, path: str | Path, *, title: str = "Aligned passages") -> Path:
    """Write :func:`passages_html` as a standalone page (UTF-8), atomically; returns the path."""
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
    page += passages_html(passages, title=title) + "</body></html>"
    return write_text_atomic(path, page)
