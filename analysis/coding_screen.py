"""The coding screen of notebook 09: one unit at a time, in its article, with a button per code.

Every click goes straight to the annotation file (:class:`analysis.coding.AnnotationLog`), so a
closed browser tab or a killed kernel loses nothing but the click being written, and opening
the screen again continues with the first unit this coder has not decided (``u`` then undoes
the last decision in the file, also one from an earlier session). Keyboard: the text box takes
code numbers (``1 3`` then Enter), ``s`` to skip, ``u`` to undo, and Enter alone to save the
codes toggled (several-code codebooks) or to say "none of the codes"; anything else is refused
and nothing is saved. Tab moves between the buttons, and Space or Enter presses one.
"""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

import pandas as pd

from analysis.coding import AnnotationLog, Codebook

#: Characters of the article shown before and after the unit.
CONTEXT_CHARS = 400


def highlight(text: str, cues: list[str]) -> str:
    """``text`` as HTML with every cue (a word or phrase, case-insensitive, whole words) in ``<mark>``."""
    escaped = html.escape(text)
    words = sorted({html.escape(cue) for cue in cues if cue.strip()}, key=len, reverse=True)
    if not words:
        return escaped
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b", re.IGNORECASE)
    return pattern.sub(r"<mark>\1</mark>", escaped)


def unit_html(unit: Any, body: str | None, codebook: Codebook, *, context: int = CONTEXT_CHARS) -> str:
    """The unit in bold inside its article's surrounding text, cues of every code highlighted."""
    cues = [cue for code in codebook.codes.values() for cue in code.cues]
    start, end = int(unit["start"]), int(unit["end"])
    if body is None or body[start:end] != unit["text"]:
        before = after = ""  # the corpus changed since the sample was drawn: show the unit alone
        middle = str(unit["text"])
    else:
        before, middle, after = body[max(0, start - context) : start], body[start:end], body[end : end + context]
    where = " · ".join(str(unit[c]) for c in ("outlet", "event", "article_id") if c in unit and str(unit[c]) not in ("", "nan"))
    paragraphs = (
        f"<span style='color:#666'>{'…' if before else ''}{highlight(before, cues)}</span>"
        f"<b style='background:#fff6d5'>{highlight(middle, cues)}</b>"
        f"<span style='color:#666'>{highlight(after, cues)}{'…' if after else ''}</span>"
    ).replace("\n\n", "<br><br>")
    return f"<div style='font-size:0.8em;color:#666'>{html.escape(where)}</div><div style='max-width:50em;line-height:1.5'>{paragraphs}</div>"


class CodingScreen:
    """Code a sample of units into an annotation file, resuming where this coder left off.

    Parameters
    ----------
    sample : DataFrame
        From ``framing code sample`` / :func:`analysis.coding.sample_units` (``unit_id``,
        ``article_id``, ``start``, ``end``, ``text``; ``outlet``, ``event`` shown when present).
    log : AnnotationLog
        The coder's annotation file.
    bodies : dict of str to str, optional
        Article id to body, to show each unit in its context.

    Attributes
    ----------
    queue : list of int
        Positions in ``sample`` still to decide, in sample order.
    """

    def __init__(self, sample: pd.DataFrame, log: AnnotationLog, *, bodies: dict[str, str] | None = None):
        self.sample = sample.reset_index(drop=True)
        self.log, self.codebook, self.bodies = log, log.codebook, bodies or {}
        position = {unit_id: i for i, unit_id in enumerate(self.sample["unit_id"])}
        decided = [position[unit_id] for unit_id in log.decided() if unit_id in position]
        self.queue = [i for i in range(len(self.sample)) if i not in set(decided)]
        self.decided = decided  # the coder's standing decisions on this sample, in order: what undo takes back
        self.message = ""
        self._widget = None

    @property
    def current(self) -> pd.Series | None:
        """The unit on screen, or None when the sample is done."""
        return self.sample.iloc[self.queue[0]] if self.queue else None

    def code(self, codes: list[str] | tuple[str, ...]) -> None:
        """Record the codes of the unit on screen (none: an empty list) and show the next."""
        if self.current is None:
            return
        self.log.record(self.current, list(codes))
        self.decided.append(self.queue.pop(0))
        self._refresh()

    def skip(self) -> None:
        """Record that the coder skipped the unit on screen and show the next."""
        if self.current is None:
            return
        self.log.skip(self.current)
        self.decided.append(self.queue.pop(0))
        self._refresh()

    def undo(self) -> None:
        """Take back this session's last decision and show that unit again."""
        if not self.decided:
            return
        position = self.decided.pop()
        self.log.undo(self.sample.iloc[position])
        self.queue.insert(0, position)
        self._refresh()

    def keys(self, typed: str) -> bool:
        """What the text box does with a line: code numbers, ``s``, ``u``, or nothing (save / none).

        Returns False, and saves nothing, for anything else: a number that is no code's, a
        letter, or several codes for a codebook of one code per unit (``message`` says why).
        """
        typed = typed.strip().lower()
        names = list(self.codebook.codes)
        self.message = ""
        if typed == "s":
            self.skip()
        elif typed == "u":
            self.undo()
        elif not typed:
            self.code(self._toggled())
        elif not re.fullmatch(r"\d+(?:[\s,]+\d+)*", typed) or not all(
            1 <= int(n) <= len(names) for n in re.findall(r"\d+", typed)
        ):
            self.message = f"{typed!r} not saved: type code numbers 1 to {len(names)}, s to skip or u to undo"
        elif not self.codebook.multi_label and len(set(re.findall(r"\d+", typed))) > 1:
            self.message = f"{typed!r} not saved: this codebook takes one code per unit"
        else:
            self.code(list(dict.fromkeys(names[int(n) - 1] for n in re.findall(r"\d+", typed))))
            return True
        self._refresh()
        return not self.message

    # -- widgets ---------------------------------------------------------

    def _toggled(self) -> list[str]:
        if self._widget is None or not self.codebook.multi_label:
            return []
        return [name for name, toggle in zip(self.codebook.codes, self._toggles, strict=True) if toggle.value]

    def widget(self):
        """The screen as an ipywidgets box (display it in JupyterLab)."""
        import ipywidgets as widgets

        names = list(self.codebook.codes)
        self._text = widgets.HTML()
        self._status = widgets.HTML()
        self._definitions = widgets.HTML(
            "<ol style='font-size:0.8em'>"
            + "".join(
                f"<li><b>{html.escape(n)}</b>: {html.escape(c.definition)} <i>{html.escape(c.guidance)}</i></li>"
                for n, c in self.codebook.codes.items()
            )
            + "</ol>"
        )
        if self.codebook.multi_label:
            self._toggles = [widgets.ToggleButton(description=f"{i + 1} {n}", tooltip=n) for i, n in enumerate(names)]
            save = widgets.Button(description="save ↵", button_style="primary", tooltip="save the toggled codes (none: none)")
            save.on_click(lambda _: self.code(self._toggled()))
            choices = [*self._toggles, save]
        else:
            self._toggles = []
            choices = []
            for i, name in enumerate(names):
                button = widgets.Button(description=f"{i + 1} {name}", tooltip=name)
                button.on_click(lambda _, name=name: self.code([name]))
                choices.append(button)
            none = widgets.Button(description="none ↵", tooltip="none of the codes")
            none.on_click(lambda _: self.code([]))
            choices.append(none)
        skip = widgets.Button(description="skip (s)")
        skip.on_click(lambda _: self.skip())
        undo = widgets.Button(description="undo (u)")
        undo.on_click(lambda _: self.undo())
        self._keys = widgets.Text(placeholder="code numbers, s, u, then Enter")
        with warnings.catch_warnings():  # Enter only, never a click elsewhere, commits the line (ipywidgets 8 deprecates it)
            warnings.simplefilter("ignore", DeprecationWarning)
            self._keys.on_submit(self._typed)
        self._widget = widgets.VBox(
            [
                self._status,
                self._text,
                widgets.HBox(choices, layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox([skip, undo, self._keys]),
                self._definitions,
            ]
        )
        self._refresh()
        return self._widget

    def _typed(self, box: Any) -> None:
        line = box.value
        if self.keys(line):
            box.value = ""

    def _refresh(self) -> None:
        if self._widget is None:
            return
        for toggle in self._toggles:
            toggle.value = False
        total = len(self.sample)
        done = total - len(self.queue)
        warning = f" · <span style='color:#b00'>{html.escape(self.message)}</span>" if self.message else ""
        self._status.value = f"<b>{html.escape(self.log.coder)}</b> · {done} of {total} decided · saved to {html.escape(str(self.log.path))}{warning}"
        unit = self.current
        if unit is None:
            self._text.value = "<p><b>All units of the sample are decided.</b> Check agreement below, then train a model.</p>"
        else:
            self._text.value = unit_html(unit, self.bodies.get(str(unit["article_id"])), self.codebook)
