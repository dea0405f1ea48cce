"""Option types shared across the package, and the one check of a choice.

Imports nothing of the package, so every module may use it. As scikit-learn's parameter
constraints do, a wrong option is refused with a message naming the parameter and every
allowed value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Literal, Protocol, TypeVar

#: Which words a measure counts: all of them, the outlet's own narration, or quotations.
Voice = Literal["all", "narration", "quoted"]
VOICE_OPTIONS: tuple[Voice, ...] = ("all", "narration", "quoted")
#: The voice of a token (``analysis.tokens``): the outlet's own words or words it quotes.
TOKEN_VOICES: tuple[Voice, ...] = ("narration", "quoted")
#: The voices of a group statistic's rows, in the order tables list them.
REPORTED_VOICES: tuple[Voice, ...] = (*TOKEN_VOICES, "all")

Item = TypeVar("Item")


class Progress(Protocol):
    """What a long loop is passed through to show progress: ``tqdm``'s call (the CLI gives one
    on a terminal), or :func:`no_progress`, every function's default so notebooks stay quiet."""

    def __call__(self, items: Iterable[Item], *, desc: str, total: int | None = None) -> Iterable[Item]: ...


def no_progress(items: Iterable[Item], *, desc: str, total: int | None = None) -> Iterable[Item]:
    """The items, as they are: no progress shown."""
    return items


def check_choice(parameter: str, value: object, allowed: Collection[object]) -> None:
    """Raise ``ValueError`` naming ``parameter`` and the allowed values unless ``value`` is one of them.

    Examples
    --------
    >>> check_choice("voice", "narrated", VOICE_OPTIONS)
    Traceback (most recent call last):
    ...
    ValueError: voice='narrated': choose one of 'all', 'narration', 'quoted'
    """
    if value not in allowed:
        raise ValueError(f"{parameter}={value!r}: choose one of {', '.join(repr(a) for a in allowed)}")


def check_voice(voice: str) -> None:
    """:func:`check_choice` for a ``voice`` option."""
    check_choice("voice", voice, VOICE_OPTIONS)
