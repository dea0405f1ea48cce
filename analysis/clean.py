"""Cleaning text pasted from web pages: small pure functions and the removal record.

Each step takes text and returns text; steps that take something out return what they took
and why, so that no body text is ever dropped silently. :func:`clean_article` runs them in
order; :func:`repair_glued_words` runs afterwards with the whole corpus's vocabulary.

A removal is a dict ``{"text": str, "reason": str}``; a repair is
``{"original": str, "repaired": str, "reason": str}``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from analysis.outlets import OutletProfile
from analysis.paths import FURNITURE_PATTERNS
from analysis.tokens import word_frequencies

Removal = dict[str, str]

# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------

_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE_CLASS = r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
_SPACES = re.compile(rf"{_SPACE_CLASS}+")
# The runs of ``_SPACES`` that are not already one plain space (the others need no replacing):
# a run with another space character in it, or of two or more spaces.
_SPACES_TO_REPLACE = re.compile(rf" ?[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]{_SPACE_CLASS}*| {_SPACE_CLASS}+")
_BLANK_LINES = re.compile(r"\n{3,}")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_ODD_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def normalize_whitespace(text: str) -> str:
    """Unify line endings and spaces, drop invisible characters, trim every line.

    Examples
    --------
    >>> normalize_whitespace("a\\u00a0 b \\r\\n\\r\\n\\r\\n c\\u200b")
    'a b\\n\\nc'
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # the invisible characters and the odd spaces are none of them ASCII
        if any(char in text for char in _INVISIBLE_CHARS):
            text = _INVISIBLE.sub("", text)
        if any(char in text for char in _ODD_SPACES):
            text = _SPACES_TO_REPLACE.sub(" ", text)
    if "  " in text or "\t" in text:
        text = _SPACES_TO_REPLACE.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return (_BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text).strip()


_QUOTE_VARIANTS = str.maketrans(
    {"«": "“", "»": "”", "„": "“", "‟": "“", "″": "”", "‹": "‘", "›": "’", "‚": "‘", "‛": "‘", "`": "‘"}
)
_OPENING_CONTEXT = " \n([{—–-“‘/"
_STRAIGHT_QUOTE = re.compile("[\"']")
_QUOTE_VARIANT = re.compile("[«»„‟″‹›‚‛`]")


def normalize_quotes(text: str) -> str:
    """Turn every quotation mark into its curly form, with direction from context.

    Straight quotes open after a space, a line start or an opening bracket and close
    elsewhere; an apostrophe between letters becomes ’. Guillemets, low-9 quotes,
    primes and TeX-style doubled marks become “ ” ‘ ’.

    Examples
    --------
    >>> normalize_quotes('He said "it\\'s over," and left. \\'Yes\\'')
    'He said “it’s over,” and left. ‘Yes’'
    """
    if "`" in text or "''" in text:
        text = text.replace("``", "“").replace("''", "”")
    if _QUOTE_VARIANT.search(text):
        text = text.translate(_QUOTE_VARIANTS)

    def curly(match: re.Match[str]) -> str:
        i, char = match.start(), match.group()
        before = text[i - 1] if i else " "
        opening = before in _OPENING_CONTEXT
        if char == '"':
            return "“" if opening else "”"
        after = text[i + 1] if i + 1 < len(text) else " "
        if before.isalnum() and after.isalnum():
            return "’"
        return "‘" if opening else "’"

    return _STRAIGHT_QUOTE.sub(curly, text) if '"' in text or "'" in text else text


@lru_cache(maxsize=16_384)
def _normalize_marks(paragraph: str) -> str:
    return normalize_dashes(normalize_quotes(paragraph))


def normalize_dashes(text: str) -> str:
    """Spaced hyphens and en dashes, and double hyphens, become a spaced em dash.

    Examples
    --------
    >>> normalize_dashes("reporters. – He said -- no - near-fatal")
    'reporters. — He said — no — near-fatal'
    """
    if "--" in text:
        text = _DOUBLE_HYPHEN.sub(" — ", text)
    if "- " not in text and "– " not in text and "— " not in text:
        return text
    return _SPACED_DASH.sub(_em_dash, text)


_DOUBLE_HYPHEN = re.compile(r"\s*--+\s*")
_SPACED_DASH = re.compile(r"(?<=\S) [-–—] (?=\S)|^[-–] (?=\S)", flags=re.M)


def _em_dash(match: re.Match[str]) -> str:
    return " — " if match.start() else "— "


# ---------------------------------------------------------------------------
# Site chrome
# ---------------------------------------------------------------------------

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_DATE = (
    rf"(?:{_WEEKDAY},?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})"
    r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,4}|\s*GMT[+-]\d+)?)?"
)

# Full-line patterns for furniture most news sites share, each with the reason recorded.
_BUILT_IN_CHROME: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(rf"\s*(?:{pattern})\s*", re.IGNORECASE))
    for reason, pattern in (
        (
            "date line (page or scrape date, not the publication date)",
            rf"(?:(?:published|updated|posted|last updated|date)\s*:?\s*)?{_DATE}",
        ),
        (
            "share buttons",
            r"share(?: this)?(?: article| story| post| page)?(?: on| via)?\s*:?"
            r"|(?:share on |share via )?(?:facebook|twitter|x|whatsapp|telegram|linkedin|reddit|email|e-mail|print|copy link|vk)"
            r"(?:\s*[|,/•·]?\s*(?:facebook|twitter|x|whatsapp|telegram|linkedin|reddit|email|e-mail|print|copy link|vk))*"
            r"|tweet|pin it",
        ),
        (
            "comment form",
            r"leave a (?:comment|reply)|please enter your (?:comment|name|email|website)(?: (?:address )?here)?\s*!?"
            r"|post (?:a )?comment|add (?:a )?comment|\d*\s*comments?|you must be logged in to post a comment\.?.*"
            r"|save my name,? email.*|cancel reply|your email address will not be published\.?.*",
        ),
        (
            "advertisement",
            r"[-–—]?\s*advertisement\s*[-–—]?\s*(?:spot_img)?|sponsored(?: content)?|ad(?:vert)?|spot_img|scroll to continue(?: with content)?",
        ),
        (
            "related-story link",
            r"(?:also read|read also|read more|see also|related(?: articles?| news| stories| posts| content)?"
            r"|recommended(?: for you)?|you may also like|more on this(?: topic| story)?|more from .{1,40})(?:\s*:.*)?",
        ),
        (
            "navigation",
            r"all news|must read|more (?:articles|news|stories)|latest(?: articles?| news| stories)?|most (?:read|popular|viewed)"
            r"|trending(?: now)?|top stories|home|menu|search|skip to (?:main )?content|subscribe(?: now)?|sign (?:in|up)"
            r"|log ?in|newsletter|follow us.*|back to top|next (?:article|story|post)|previous (?:article|story|post)|prev|next",
        ),
        (
            "photo caption",
            r".{0,400}\((?:photo|image|picture|file photo|photograph)\b[^)]{0,80}\)\.?"
            r"|(?:photo|image|picture|file photo|photograph|image copyright|caption)\s*(?::|by\b|credit\b).{0,300}",
        ),
        ("web address", r"(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?"),
        ("tags line", r"(?:tags|topics|keywords|filed under)\s*:.*"),
        ("copyright notice", r"(?:©|\(c\)|copyright)\s*(?:\d{4})?.{0,120}"),
    )
)

_TIME = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,4}|GMT[+-]\d+))?"


def _furniture_data() -> dict:
    data = yaml.safe_load(FURNITURE_PATTERNS.read_text(encoding="utf-8"))
    agency = " ".join(data["agency"].split()).replace(" |", "|").replace("| ", "|")
    placeholders = {"{date}": _DATE, "{time}": _TIME, "{agency}": agency}

    def compiled(pattern: str) -> re.Pattern[str]:
        for name, value in placeholders.items():
            pattern = pattern.replace(name, f"(?:{value})")
        return re.compile(rf"\s*(?:{pattern})\s*", re.IGNORECASE)

    return {
        "furniture": tuple(
            (entry["reason"], compiled(p), bool(entry.get("byline"))) for entry in data["furniture"] for p in entry["patterns"]
        ),
        "related_headers": tuple(compiled(p) for p in data["related_headers"]),
        "headline_trailers": tuple(compiled(p) for p in data["headline_trailers"]),
        "trailing_credits": tuple(re.compile(rf"\s*(?:{compiled(p).pattern})$", re.IGNORECASE) for p in data["trailing_credits"]),
        "stoplists": dict(data["stoplists"]),
    }


_FURNITURE = _furniture_data()
#: Full-line patterns for furniture most news sites share, each with the reason it records:
#: the built-in ones above, then those of ``analysis/furniture.yaml``.
GENERIC_CHROME: tuple[tuple[str, re.Pattern[str]], ...] = _BUILT_IN_CHROME + tuple(
    (reason, pattern) for reason, pattern, _ in _FURNITURE["furniture"]
)
#: Reasons whose lines are credits: they go to the ``byline`` column, not away.
BYLINE_REASONS: frozenset[str] = frozenset(reason for reason, _, byline in _FURNITURE["furniture"] if byline)
RELATED_HEADERS: tuple[re.Pattern[str], ...] = _FURNITURE["related_headers"]
HEADLINE_TRAILERS: tuple[re.Pattern[str], ...] = _FURNITURE["headline_trailers"]
TRAILING_CREDITS: tuple[re.Pattern[str], ...] = _FURNITURE["trailing_credits"]
#: ISO 639-1 code -> the jusText stop-word list of that language.
STOPLIST_NAMES: dict[str, str] = _FURNITURE["stoplists"]

_BREADCRUMB_SPLIT = re.compile(r"\s+[/›»>|]\s+")


def _any_fullmatch(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern that fully matches a line exactly when one of ``patterns`` does (their
    alternation): one scan instead of one per pattern. None when they cannot be joined (flags
    that differ, a group name used twice, a numbered back-reference)."""
    patterns = list(patterns)
    if not patterns or len({p.flags for p in patterns}) > 1 or any(re.search(r"\\\d", p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:
        return None


# Characters that are not ASCII but match an ASCII letter when case is ignored (İ ı ſ K, the
# Kelvin sign): a text holding one is never ruled out by the literals of :class:`LiteralGuard`.
_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    r"""Lowercase ASCII strings of which every match of ``pattern`` contains one, or None when
    none can be read off the pattern (it is not parsed further than sequences, groups,
    alternatives and repeats of at least one).

    Examples
    --------
    >>> sorted(required_literals(re.compile(r"\s*(?:photo|image)\s*:.{0,40}", re.IGNORECASE)))
    ['image', 'photo']
    >>> required_literals(re.compile(r"\d+ ?(?:am|pm)?")) is None
    True
    """
    from re import _constants as sre
    from re import _parser

    def of(items: list) -> set[str] | None:
        options: list[set[str]] = []
        run = ""
        for op, value in [*items, (None, None)]:  # (None, None) ends the last run of literals
            if op is sre.LITERAL and value < 128:
                run += chr(value)
                continue
            if run:
                options.append({run.lower()})
                run = ""
            found = None
            if op is sre.SUBPATTERN:
                found = of(value[-1].data)
            elif op is sre.ATOMIC_GROUP:
                found = of(value.data)
            elif op is sre.BRANCH:
                branches = [of(branch.data) for branch in value[1]]
                found = None if any(b is None for b in branches) else set().union(*branches)
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and value[0] >= 1:
                found = of(value[2].data)
            if found:
                options.append(found)
        # the most telling requirement: the longest shortest literal, then the fewest literals
        return max(options, key=lambda o: (min(map(len, o)), -len(o))) if options else None

    try:
        found = of(_parser.parse(pattern.pattern, pattern.flags).data)
    except Exception:  # a construct this reading does not know: no literals, the pattern always runs
        return None
    return frozenset(found) if found else None


class LiteralGuard:
    r"""Which of ``patterns`` could match a text, from the literals each needs (:func:`required_literals`).

    One pass of an Aho-Corasick automaton over the lowercased text finds every literal it holds;
    a pattern none of whose literals is there cannot match, and need not run. Only literals of
    three characters or more are used (shorter ones are in most texts); a pattern without such
    literals always runs.

    Examples
    --------
    >>> guard = LiteralGuard([re.compile("(?:share|tweet) this", re.I), re.compile(r"\d+")])
    >>> guard.may_match("Tweet THIS now"), guard.may_match("Prices fell"), guard.may_match("in 2021")
    ([True, True], [False, True], [False, True])
    """

    def __init__(self, patterns: Iterable[re.Pattern[str]], *, shortest: int = 3):
        import ahocorasick

        required = [required_literals(pattern) for pattern in patterns]
        self.guarded = [bool(r) and min(map(len, r)) >= shortest for r in required]
        masks: dict[str, int] = defaultdict(int)
        for i, literals in enumerate(required):
            if self.guarded[i]:
                for literal in literals:
                    masks[literal] |= 1 << i
        self._automaton = ahocorasick.Automaton() if masks else None
        for literal, mask in masks.items():
            self._automaton.add_word(literal, mask)
        if self._automaton is not None:
            self._automaton.make_automaton()

    def found(self, text: str) -> int | None:
        """Bit ``i`` set when a literal of pattern ``i`` is in ``text``; None when literals cannot tell."""
        if self._automaton is None or (not text.isascii() and any(char in text for char in _FOLDS_TO_ASCII)):
            return None
        mask = 0
        for _, bits in self._automaton.iter(text.lower()):
            mask |= bits
        return mask

    def may_match(self, text: str) -> list[bool]:
        """For each pattern, whether it could match ``text`` (False only when it cannot)."""
        mask = self.found(text)
        return [mask is None or not guarded or bool(mask >> i & 1) for i, guarded in enumerate(self.guarded)]


_ANY_GENERIC_CHROME = _any_fullmatch(pattern for _, pattern in GENERIC_CHROME)
_SHORT_LINE = 100
_GENERIC_CHROME_GUARD = LiteralGuard(pattern for _, pattern in GENERIC_CHROME)
_UNGUARDED_CHROME = [pattern for (_, pattern), g in zip(GENERIC_CHROME, _GENERIC_CHROME_GUARD.guarded, strict=True) if not g]
_ANY_UNGUARDED_CHROME = _any_fullmatch(_UNGUARDED_CHROME)
_UNGUARDED_BITS = sum(1 << i for i, guarded in enumerate(_GENERIC_CHROME_GUARD.guarded) if not guarded)
_JOINED_PROFILE_CHROME: dict[int, tuple[tuple[re.Pattern[str], ...], re.Pattern[str] | None]] = {}


def _profile_chrome(chrome: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """The alternation of a profile's chrome patterns (:func:`_any_fullmatch`), joined once per profile."""
    joined = _JOINED_PROFILE_CHROME.get(id(chrome))
    if joined is None or joined[0] is not chrome:  # the tuple is kept, so its id is not reused
        joined = _JOINED_PROFILE_CHROME[id(chrome)] = (chrome, _any_fullmatch(chrome))
    return joined[1]


def _is_breadcrumb(line: str) -> bool:
    if line.endswith("."):
        return False
    parts = _BREADCRUMB_SPLIT.split(line)
    return len(parts) >= 2 and all(0 < len(p.split()) <= 4 and p[:1].isupper() for p in parts) and not line.endswith(".")


def chrome_reason(line: str, profile: OutletProfile | None = None) -> str | None:
    """Why ``line`` is site furniture rather than article text, or None if it is text.

    The outlet's own patterns are tried first, then the generic ones.

    Examples
    --------
    >>> chrome_reason("ALSO READ:  U.S Helsinki Commission: everything must be done")
    'related-story link'
    >>> chrome_reason("News   /   Foreign Policy   /   Russia")
    'breadcrumb'
    >>> chrome_reason("Russia is ready to set up a dialogue.") is None
    True
    """
    if profile is not None and profile.chrome:
        joined = _profile_chrome(profile.chrome)
        if (joined.fullmatch(line) if joined is not None else True) and any(p.fullmatch(line) for p in profile.chrome):
            return f"site furniture ({profile.name} profile)"
    reason = _generic_chrome_reason(line)
    if reason is not None:
        return reason
    if _is_breadcrumb(line):
        return "breadcrumb"
    return None


@lru_cache(maxsize=16_384)  # furniture lines come back on page after page
def _line_chrome_reason(line: str, profile: OutletProfile | None) -> str | None:
    return chrome_reason(line, profile)


def _generic_chrome_reason(line: str) -> str | None:
    """The reason of the first of :data:`GENERIC_CHROME` that fully matches ``line``, or None.

    Only the patterns that could match run: those whose literals are in the line
    (:class:`LiteralGuard`), and the others only when their alternation matches.
    """
    # on a short line the alternation of all the patterns fails fast; on a long one, the literals first
    found = _GENERIC_CHROME_GUARD.found(line) if len(line) > _SHORT_LINE else None
    if found is None:  # all the patterns, as their alternation says
        if _ANY_GENERIC_CHROME is not None and not _ANY_GENERIC_CHROME.fullmatch(line):
            return None
        return next((reason for reason, pattern in GENERIC_CHROME if pattern.fullmatch(line)), None)
    unguarded = bool(_UNGUARDED_CHROME) and (_ANY_UNGUARDED_CHROME is None or _ANY_UNGUARDED_CHROME.fullmatch(line) is not None)
    candidates = found | _UNGUARDED_BITS if unguarded else found
    while candidates:  # the patterns that could match, in order: the set bits, lowest first
        lowest = candidates & -candidates
        reason, pattern = GENERIC_CHROME[lowest.bit_length() - 1]
        if pattern.fullmatch(line):
            return reason
        candidates ^= lowest
    return None


def _ends_like_text(line: str) -> bool:
    return line.rstrip()[-1:] in '.?!”"’:;…)'


_NOT_LETTERS = re.compile(r"[\W_]+")


@lru_cache(maxsize=16_384)
def _letters_key(text: str) -> str:
    return _NOT_LETTERS.sub("", text.casefold())


_NOT_ASCII_ALPHANUMERIC = bytes(b for b in range(256) if not (b < 128 and chr(b).isalnum()))


def _ascii_alphanumerics(text: str) -> int:
    """The number of ASCII letters and digits in ``text``: no more than the length of its
    :func:`_letters_key` (each letter or digit casefolds to at least one letter or digit).

    Examples
    --------
    >>> _ascii_alphanumerics("Ça va, 2 «fois»"), len(_letters_key("Ça va, 2 «fois»"))
    (8, 9)
    """
    return len(text.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_ALPHANUMERIC))


def _site_name_reason(line: str, site_keys: frozenset[str]) -> str | None:
    return _site_name_of_key(_letters_key(line), site_keys)


def _site_name_of_key(key: str, site_keys: frozenset[str]) -> str | None:
    if key and any(key == site or key in (site + "logo", site + "home") for site in site_keys):
        return "site name"
    return None


# Words a sentence does not end on: a line ending with one runs on into the next.
_RUN_ON_WORDS = frozenset("a an and as at by for from in into of on or that the to with".split())


def _runs_on(line: str, next_line: str) -> bool:
    """Whether ``line`` stops mid-sentence and ``next_line`` carries on with it (hard-wrapped prose).

    Examples
    --------
    >>> _runs_on("counterparts in a highly unusual extended", "opening statement."), _runs_on("Wheat prices fall", "Port strikes end")
    (True, False)
    >>> _runs_on("a speech of 20 minutes in", "Russian while the others waited")
    True
    """
    words = line.rstrip().split()
    if not words or not next_line.strip():
        return False
    last = words[-1].strip("\"“”'’")
    if last.casefold() in _RUN_ON_WORDS:
        return True
    stops_mid = line.rstrip()[-1:] in ",-–—" or last[:1].islower()
    return stops_mid and next_line.lstrip()[:1].islower()


def _title_like(line: str, *, max_words: int = 20) -> bool:
    """A short line that does not end a sentence: a headline, a link, a menu item."""
    return len(line.split()) <= max_words and line.rstrip()[-1:] not in ".:;"


@lru_cache(maxsize=16)
def stoplist(language: str | None) -> frozenset[str] | None:
    """jusText's stop words for an ISO 639-1 code (English when none is given), or None when it has no list."""
    import justext  # imported on first use: only cleaning needs it

    name = STOPLIST_NAMES.get((language or "en").strip().lower()[:2])
    return frozenset(justext.get_stoplist(name)) if name else None


class _TextBlock:
    """A paragraph as jusText's context-sensitive revision reads it (its class, no heading)."""

    __slots__ = ("cf_class", "class_type", "heading", "text")

    def __init__(self, text: str, cf_class: str):
        self.text, self.cf_class, self.class_type, self.heading = text, cf_class, "", False


@lru_cache(maxsize=16_384)  # furniture lines come back on page after page
def _context_free_class(paragraph: str, stopwords: frozenset[str]) -> tuple[str, float]:
    """jusText's context-free class of a plain-text paragraph, and its stop-word density."""
    from justext.core import (
        LENGTH_HIGH_DEFAULT,
        LENGTH_LOW_DEFAULT,
        STOPWORDS_HIGH_DEFAULT,
        STOPWORDS_LOW_DEFAULT,
        define_stoplist,
    )

    # lowercasing the paragraph lowercases each word (no case rule looks across a space)
    words = paragraph.lower().split()
    length = sum(map(len, words)) + len(words) - 1 if words else 0  # of jusText's text, words joined by a space
    density = sum(map(define_stoplist(stopwords).__contains__, words)) / len(words) if words else 0
    if "\xa9" in paragraph or "&copy" in paragraph:  # in the joined words exactly when in the paragraph
        return "bad", density
    if length < LENGTH_LOW_DEFAULT:
        return "short", density
    if density >= STOPWORDS_HIGH_DEFAULT:
        return ("good" if length > LENGTH_HIGH_DEFAULT else "neargood"), density
    if density >= STOPWORDS_LOW_DEFAULT:
        return "neargood", density
    return "bad", density


def justext_classes(paragraphs: list[str], stopwords: frozenset[str]) -> list[tuple[str, str, float]]:
    """jusText's classification of plain-text paragraphs: ``(context-free class, final class, stop-word density)``.

    jusText's context-free classifier (``justext.core.classify_paragraphs``: length, stop-word
    density, a copyright sign, with the package's thresholds) restated for paragraphs given as
    text, which have no markup, so no link density and no headings (the tests check it against
    the package's own on every line of the seeds and fixtures); then the package's own
    context-sensitive revision (a short paragraph takes the class of its neighbours).
    """
    from justext.core import revise_paragraph_classification

    blocks, densities = [], []
    for paragraph in paragraphs:
        cf_class, density = _context_free_class(paragraph, stopwords)
        blocks.append(_TextBlock(paragraph, cf_class))  # the revision reads a text only after a heading: none here
        densities.append(density)
    revise_paragraph_classification(blocks)
    return [(block.cf_class, block.class_type, density) for block, density in zip(blocks, densities, strict=True)]


def repeated_lines(pages: Iterable[tuple[str, str]], *, min_pages: int = 2, max_shared: float = 0.5) -> dict[str, dict[str, str]]:
    """Lines a site repeats on pages that tell different stories: its own furniture.

    Parameters
    ----------
    pages : iterable of (site, text)
        ``site`` groups the pages (a web domain or an outlet name).
    min_pages : int, default=2
        A line must be on at least this many pages of the site.
    max_shared : float, default=0.5
        Two of those pages must share less than this share of their other lines: pages that
        are versions of one story repeat its sentences, and those are not furniture. A
        sentence of ten words or more is never furniture by repetition alone: sites repeat
        background paragraphs across stories.

    Returns
    -------
    dict
        ``{site: {line key: reason}}``; keys are casefolded letters and digits of the line.

    Examples
    --------
    >>> pages = [("x.com", "Menu\\nTalks resume in Geneva today."), ("x.com", "Menu\\nPrices fell sharply on Friday.")]
    >>> repeated_lines(pages)
    {'x.com': {'menu': 'repeated on 2 pages of x.com (site furniture)'}}
    """
    by_site: dict[str, list[set[str]]] = defaultdict(list)
    for site, text in pages:
        # a sentence of ten words or more is story text even when repeated (a background paragraph)
        lines = (line for line in text.split("\n") if len(line.split()) < 10 or not _ends_like_text(line))
        by_site[site].append({key for line in lines if (key := _letters_key(line))})
    found: dict[str, dict[str, str]] = {}
    for site, keyed in by_site.items():
        holders: dict[str, list[int]] = defaultdict(list)
        for page, keys in enumerate(keyed):
            for key in keys:
                holders[key].append(page)
        furniture = {}
        for key, on in holders.items():
            if len(on) < min_pages:
                continue
            sample = on[:10]
            if any(
                len((keyed[a] & keyed[b]) - {key}) < max_shared * len((keyed[a] | keyed[b]) - {key})
                for n, a in enumerate(sample)
                for b in sample[n + 1 :]
            ):
                furniture[key] = f"repeated on {len(on)} pages of {site} (site furniture)"
        if furniture:
            found[site] = furniture
    return found


def line_keys(text: str, *, longest: int | None = None) -> set[str]:
    """The keys (:func:`repeated_lines`) of the lines of ``text`` as :func:`clean_article` reads them:
    the only ones it looks a site's repeated lines up by; with ``longest``, only those of lines
    whose key could be that long or shorter.

    Examples
    --------
    >>> sorted(line_keys("Menu\\n\\nTalks resume  in Geneva."))
    ['menu', 'talksresumeingeneva']
    """
    lines = normalize_whitespace(text).split("\n")
    if longest is not None:
        lines = [line for line in lines if _ascii_alphanumerics(line) <= longest]
    return {key for line in lines if line and (key := _letters_key(line))}


def strip_chrome(
    lines: list[str],
    profile: OutletProfile | None = None,
    *,
    boilerplate: Mapping[str, str] | None = None,
    site_names: Iterable[str] = (),
    language: str | None = "en",
) -> tuple[list[str], list[Removal]]:
    """Drop furniture lines; return the kept lines and a record of each removal.

    In order: the outlet's patterns and the generic ones (:data:`GENERIC_CHROME`), lines the
    site repeats on other pages (``boilerplate``, from :func:`repeated_lines`), a line that is
    only the site's name (``site_names``), and the short title-like lines after a
    related-stories header. Once the article has begun (its first long paragraph), a run of
    three or more short title-like lines is a list of links or a menu, and a short line that
    does not end like a sentence and that jusText's classifier (:func:`justext_classes`, with
    the stop words of ``language``) calls boilerplate is dropped. Short lines that do not end
    like a sentence are dropped when nothing but furniture follows them (site footers), and
    so are one- to three-word lines before the headline (menus).
    """
    removed: list[Removal] = []
    kept: list[str] = []
    site_keys = frozenset(key for name in site_names if (key := _letters_key(name)))
    # the longest key a line could be looked up by: a line with more letters and digits has a longer key
    longest = max(max(map(len, boilerplate), default=0) if boilerplate else 0, max(map(len, site_keys), default=-4) + 4)
    in_list = False
    for line in lines:
        if not line:
            kept.append(line)
            continue
        reason = _line_chrome_reason(line, profile)
        if reason is None and _ascii_alphanumerics(line) <= longest:
            key = _letters_key(line)
            reason = (boilerplate or {}).get(key) or _site_name_of_key(key, site_keys)
        if any(header.fullmatch(line) for header in RELATED_HEADERS):
            reason, in_list = reason or "related-story link", True
        elif reason is None and in_list and _title_like(line):
            reason = "related-story link (in a list after a header)"
        elif reason is None:
            in_list = False
        if reason:
            removed.append({"text": line, "reason": reason})
        else:
            kept.append(line)
    kept = _drop_lists_and_boilerplate(kept, removed, stoplist(language))
    # Trailing footer: short, unpunctuated lines after the last real paragraph (a text of one short
    # line, such as a single sentence in a table, has no footer and no menu: it is kept).
    tail: list[Removal] = []
    while len(kept) > 1 and (not kept[-1] or (len(kept[-1].split()) <= 6 and not _ends_like_text(kept[-1]))):
        line = kept.pop()
        if line:
            tail.append({"text": line, "reason": "site footer (short line after the article's end)"})
    # Leading menu items: very short lines before the first line that could be a headline.
    head: list[Removal] = []
    while len(kept) > 1 and (not kept[0] or len(kept[0].split()) <= 3):
        line = kept.pop(0)
        if line:
            head.append({"text": line, "reason": "navigation (short line before the headline)"})
    return kept, head + removed + tail[::-1]


STOPWORDS_LOW = 0.30  # jusText's default: below it a long paragraph is boilerplate
_LIST_RUN = 3  # this many short title-like lines in a row, inside an article, are a list of links


def _drop_lists_and_boilerplate(kept: list[str], removed: list[Removal], stopwords: frozenset[str] | None) -> list[str]:
    """The article-internal rules of :func:`strip_chrome`; appends to ``removed``."""
    texts = [i for i, line in enumerate(kept) if line]
    if not texts:
        return kept
    classes = justext_classes([kept[i] for i in texts], stopwords) if stopwords else [("", "", 1.0)] * len(texts)
    # the article has begun at its first long paragraph with the stop words of running text
    started = next((n for n, (context_free, _, _) in enumerate(classes) if context_free in ("good", "neargood")), len(texts))
    # lines of hard-wrapped prose that run on into each other are story text, never a list item
    prose = {i for i in texts if i + 1 < len(kept) and _runs_on(kept[i], kept[i + 1])}
    prose |= {i + 1 for i in prose}
    drop: dict[int, str] = {}
    run: list[int] = []
    for n, i in enumerate([*texts, -1]):  # -1 closes the last run
        listed = i >= 0 and n > started and i not in prose
        if listed and _title_like(kept[i], max_words=12) and not _ends_like_text(kept[i]):
            run.append(i)
            continue
        if len(run) >= _LIST_RUN:
            drop |= dict.fromkeys(run, "list of short title-like lines (links or menu)")
        run = []
    for n, (i, (context_free, final, density)) in enumerate(zip(texts, classes, strict=True)):
        # short, few stop words, unpunctuated, among boilerplate: a story line is none of these
        short_boilerplate = final == "bad" and context_free == "short" and density < STOPWORDS_LOW
        if n > started and i not in drop and i not in prose and short_boilerplate and not _ends_like_text(kept[i]):
            drop[i] = "boilerplate (jusText: a short line among boilerplate)"
    for i in sorted(drop):
        removed.append({"text": kept[i], "reason": drop[i]})
    return [line for i, line in enumerate(kept) if i not in drop]


# ---------------------------------------------------------------------------
# Structure: headline, dek, dateline
# ---------------------------------------------------------------------------

_DATELINE = re.compile(
    r"^(?P<dateline>[A-Z][A-Z.'\- ]{1,40}[A-Z.]"  # place in capitals
    r"(?:,\s*[A-Z][A-Za-z.\- ]{1,30}?)?"  # region or country
    rf"(?:,?\s*{_MONTH.replace('(?:', '(?i:', 1)}\s+\d{{1,2}}(?:,\s*\d{{4}})?)?"  # date
    r"(?:\.?\s*/[^/\s]{2,20}/\.?|\s*\([A-Za-z][^)]{1,30}\)\s*[-—–:]*|\s*[-—–]{1,2})"  # agency tag or dash
    r")\s+(?=\S)"
)


def split_dateline(paragraph: str) -> tuple[str, str]:
    """Split a leading dateline ("WASHINGTON, March 31. /TASS/.") from a paragraph.

    Examples
    --------
    >>> split_dateline("MOSCOW (Reuters) - Russia said on Monday it was ready.")
    ('MOSCOW (Reuters) -', 'Russia said on Monday it was ready.')
    >>> split_dateline("Russia said on Monday it was ready.")
    ('', 'Russia said on Monday it was ready.')
    """
    match = _DATELINE.match(paragraph)
    if not match:
        return "", paragraph
    return match.group("dateline").strip(), paragraph[match.end() :]


_NON_WORD_RUN = re.compile(r"\W+")


@lru_cache(maxsize=4096)  # a paragraph's key is asked for again by the headline, dek and repeat checks
def _key(text: str) -> str:
    return _NON_WORD_RUN.sub(" ", text.casefold()).strip()


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _key(text).split()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _repeated_later(paragraph: str, later: list[str], *, share: float = 0.5) -> bool:
    grams = _trigrams(paragraph)
    if not grams:
        return False
    # a trigram is in a later paragraph exactly when its words, a space either side, are in that paragraph's key
    rest = "\n".join(f" {_key(p)} " for p in later)
    return sum(f" {' '.join(gram)} " in rest for gram in grams) / len(grams) >= share


def split_paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs.

    Text hard-wrapped at a fixed width (most lines inside blank-line-separated blocks
    stop mid-sentence) is re-joined block by block; otherwise every line is a paragraph,
    as in text pasted from a web page or extracted from HTML.

    Examples
    --------
    >>> split_paragraphs(["Headline", "First paragraph.", "", "Second."])
    ['Headline', 'First paragraph.', 'Second.']
    >>> wrapped = ["The ministers met on Friday in the capital and", "agreed to set up three working groups on the",
    ...            "questions that divide them, and to meet again", "next month.", "", "Next one."]
    >>> split_paragraphs(wrapped)[0][-25:]
    'to meet again next month.'
    >>> len(split_paragraphs(wrapped))
    2
    """
    blocks = [block.split("\n") for block in "\n".join(lines).split("\n\n")]
    inner = [line for block in blocks for line in block[:-1] if line]
    wrapped = (
        len(inner) >= 3
        and sorted(map(len, inner))[len(inner) // 2] >= 40
        and sum(not _ends_like_text(line) for line in inner) > 0.6 * len(inner)
    )
    if wrapped:
        paragraphs = [" ".join(block) for block in blocks]
    else:
        paragraphs = [line for block in blocks for line in block]
    return [p.strip() for p in paragraphs if p.strip()]


@dataclass
class CleanArticle:
    """The parts of one article after cleaning."""

    headline: str
    dek: str
    dateline: str
    body: str
    removed: list[Removal] = field(default_factory=list)
    byline: str = ""


_ABBREVIATED_END = re.compile(r"(?:\b(?:[A-Z]\.){2,}|\b(?:Jr|Sr|St|Co|Inc|Ltd|Corp|Gov|Gen|Sen|Rep)\.)$")


def ends_a_sentence(text: str) -> bool:
    """Whether ``text`` ends with a full stop (or an ellipsis), as the lead's first sentence does and a headline does not.

    Examples
    --------
    >>> ends_a_sentence("Putin and Biden shook hands in Geneva on Wednesday.”")
    True
    >>> ends_a_sentence("Kremlin says Putin ready for talks if U.S.")
    False
    >>> ends_a_sentence("Why did Biden shake Putin's hand?")
    False
    """
    text = text.rstrip().rstrip("”\"’')]")
    return (text.endswith(".") and not _ABBREVIATED_END.search(text)) or text.endswith("…")


def _could_be_headline(paragraph: str) -> bool:
    """A first paragraph that is not the lead's first sentence: short, no full stop at its end, no dateline."""
    return len(paragraph.split()) <= 30 and not ends_a_sentence(paragraph) and not split_dateline(paragraph)[0]


def _site_suffix(headline: str, site_names: Iterable[str]) -> int | None:
    """Where a " | Site" or " - Site" suffix naming the site starts in ``headline``, or None."""
    keys = {key for name in site_names if (key := _letters_key(name))}
    for match in re.finditer(r"\s+[|–—-]\s+", headline):
        if _letters_key(headline[match.end() :]) in keys:
            return match.start()
    return None


@lru_cache(maxsize=16_384)
def split_credits(paragraph: str) -> tuple[str, str]:
    """Split a credit at the end of a paragraph ("(Reporting by ...)") from its story text.

    Examples
    --------
    >>> split_credits("She said it was proof of meddling. (Reporting by Jane Doe; Editing by John Roe)")
    ('She said it was proof of meddling.', '(Reporting by Jane Doe; Editing by John Roe)')
    """
    for pattern, may_match in zip(TRAILING_CREDITS, _CREDITS_GUARD.may_match(paragraph), strict=True):
        match = pattern.search(paragraph) if may_match else None
        if match and match.start() > 0:
            return paragraph[: match.start()].rstrip(), match.group().strip()
    return paragraph, ""


_CREDITS_GUARD = LiteralGuard(TRAILING_CREDITS)
_HEADLINE_TRAILERS_GUARD = LiteralGuard(HEADLINE_TRAILERS)


def clean_article(
    raw: str,
    *,
    profile: OutletProfile | None = None,
    title: str | None = None,
    dek: str | None = None,
    boilerplate: Mapping[str, str] | None = None,
    site_names: Iterable[str] = (),
    language: str | None = "en",
) -> CleanArticle:
    """Clean text pasted from a web page into headline, dek, dateline, byline and body.

    Parameters
    ----------
    raw : str
        The article as read, site chrome included.
    profile : OutletProfile, optional
        The outlet's profile: its chrome patterns, headline suffix and whether it has a dek.
    title : str, optional
        A headline given by the manifest, the table or the page's markup; a paragraph equal
        to it is taken out of the text.
    dek : str, optional
        A standfirst given by the manifest or table; a paragraph equal to it is taken out.
    boilerplate, site_names, language
        Passed to :func:`strip_chrome`: the site's repeated lines, its names (a line that is
        only one of them is furniture, and so is a " | Site" suffix of the headline) and the
        language whose stop words jusText uses.

    Returns
    -------
    CleanArticle
        ``body`` has one paragraph per block, separated by a blank line. ``byline`` holds
        the bylines and agency credits found (``; ``-separated). Every line that was taken
        out of the body is in ``removed`` with its reason.

    Notes
    -----
    Without a title, the first paragraph is the headline only when it could not be the
    lead's first sentence (30 words at most, no full stop at its end, no dateline); when it
    could, the article has no headline. A dek (standfirst) is the paragraph after a headline
    that is mostly repeated further down, or that the next paragraph's dateline shows to be
    above the story; without a given title, also when the profile says the outlet has one.
    With a given title the first paragraph is never taken for a dek that way: in a table of
    articles it is the lead.
    """
    text = normalize_whitespace(raw)
    lines, removed = strip_chrome(text.split("\n"), profile, boilerplate=boilerplate, site_names=site_names, language=language)
    credits = [r["text"] for r in removed if r["reason"] in BYLINE_REASONS]
    paragraphs = [_normalize_marks(p) for p in split_paragraphs(lines)]

    given_title = bool(title and title.strip())
    headline = normalize_quotes(title.strip()) if given_title else ""
    if not headline and len(paragraphs) > 1 and _could_be_headline(paragraphs[0]):
        headline = paragraphs.pop(0)
    elif headline and paragraphs and _key(paragraphs[0]) == _key(headline):
        removed.append({"text": paragraphs.pop(0), "reason": "headline (given by the manifest or the page title)"})
    for i, pattern in enumerate(HEADLINE_TRAILERS):
        match = pattern.search(headline) if _HEADLINE_TRAILERS_GUARD.may_match(headline)[i] else None
        if match and match.start() > 0:
            removed.append({"text": match.group().strip(), "reason": "byline or time stamp run into the headline"})
            if match.groupdict().get("byline"):
                credits.append(match.group("byline").strip())
            headline = headline[: match.start()].rstrip()
    suffix = _site_suffix(headline, site_names)
    if profile is not None and profile.headline_suffix is not None:
        match = profile.headline_suffix.search(headline)
        suffix = match.start() if match and match.start() > 0 else suffix
    if suffix:
        removed.append({"text": headline[suffix:].strip(), "reason": "site name in headline"})
        headline = headline[:suffix].rstrip()
    if headline:
        headline_key = _key(headline)
        # cheap tests before the key: a paragraph of an equal key has no more ASCII letters and digits
        # than the key has characters, and the key's first word is in it, casefolded
        first_word, longest = headline_key.split(" ", 1)[0], len(headline_key)
        repeats = [
            p for p in paragraphs if _ascii_alphanumerics(p) <= longest and first_word in p.casefold() and _key(p) == headline_key
        ]
        for p in repeats:
            paragraphs.remove(p)
            removed.append({"text": p, "reason": "repeated headline"})

    given_dek = normalize_dashes(normalize_quotes(dek.strip())) if dek and dek.strip() else ""
    if given_dek and paragraphs and _key(paragraphs[0]) == _key(given_dek):
        removed.append({"text": paragraphs.pop(0), "reason": "dek (given by the manifest or table)"})
    found_dek = ""
    if (
        not given_dek
        and headline
        and len(paragraphs) > 2
        and len(paragraphs[0].split()) <= 60
        and not split_dateline(paragraphs[0])[0]
    ):
        first, rest = paragraphs[0], paragraphs[1:]
        by_profile = profile is not None and profile.has_dek and not given_title
        if by_profile or split_dateline(rest[0])[0] or _repeated_later(first, rest):
            found_dek = paragraphs.pop(0)

    for i, paragraph in enumerate(paragraphs):
        paragraphs[i], credit = split_credits(paragraph)
        if credit:
            credits.append(credit)
            removed.append({"text": credit, "reason": "byline or agency credit"})
    dateline = ""
    if paragraphs:
        dateline, paragraphs[0] = split_dateline(paragraphs[0])
    return CleanArticle(
        headline=headline,
        dek=given_dek or found_dek,
        dateline=dateline,
        body="\n\n".join(paragraphs),
        removed=removed,
        byline="; ".join(dict.fromkeys(credits)),
    )


# ---------------------------------------------------------------------------
# Glued words
# ---------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency  # imported on first use: it loads a large word list

    return zipf_frequency(word, "en")


def _known(word: str, vocabulary: Mapping[str, int], *, common: float = 3.0) -> bool:
    if len(word) == 1:
        return word.lower() in ("a", "i")
    return vocabulary.get(word.lower(), 0) >= 2 or _zipf(word.lower()) >= common


def _best_split(token: str, vocabulary: Mapping[str, int]) -> str | None:
    best, best_score = None, 0.0
    for i in range(1, len(token)):
        left, right = token[:i], token[i:]
        if _known(left, vocabulary) and _known(right, vocabulary):
            score = min(_zipf(left), _zipf(right)) + (len(left) >= 2) + (len(right) >= 2)
            if score > best_score:
                best, best_score = f"{left} {right}", score
    return best


_CAMEL_GLUE = re.compile(r"\b([a-z]{2,})((?:[A-Z]\.){2,}|[A-Z][a-z]+)")
_CAMEL_HINT = re.compile(r"[a-z][A-Z]")
# Where a quote mark lost its space: a closing mark after punctuation before a letter (split
# after it), or an opening mark after a lowercase letter (split before it).
_QUOTE_GLUE = re.compile(r"[,.!?;:]”(?=[A-Za-z])|[a-z](?=“)")
_NON_SPACE_RUN = re.compile(r"\S+")
_LOWER_TOKEN = re.compile(r"(?<![\w’'\-])[a-z]{5,}(?![\w’'\-])")
_LOWER_WORD = re.compile(r"[a-z]{5,}")
_FEW_SPLITTING_WORDS = 200  # above, looking for each in a text costs more than the token scan


def repair_glued_words(text: str, vocabulary: Mapping[str, int]) -> tuple[str, list[dict[str, str]]]:
    """Put back spaces lost where a page had line breaks or links.

    A lowercase token is split only when no word list knows it and both halves are
    common words (wordfreq Zipf ≥ 3) or occur at least twice in the corpus. A lowercase
    word glued to a capitalised one ("byInterfax", "inU.S.") is split when the whole is
    unknown and the left part is a word. A closing quote glued to the next word gets its
    space back.

    Parameters
    ----------
    text : str
        Clean text.
    vocabulary : mapping of str to int
        Lowercased word counts of the whole corpus.

    Returns
    -------
    text : str
    repairs : list of dict
        ``{"original", "repaired", "reason"}`` for every change.

    Examples
    --------
    >>> repair_glued_words("at oddsover Russia, byInterfax", {})[0]
    'at odds over Russia, by Interfax'
    """
    return glued_word_repair(vocabulary)(text)


def glued_word_repair(vocabulary: Mapping[str, int]) -> Callable[..., tuple[str, list[dict[str, str]]]]:
    """:func:`repair_glued_words` with ``vocabulary`` fixed: a callable that decides each distinct
    token once (a corpus's texts share most of their words) and leaves a text without a token
    to split as it is, unscanned by the substitution.

    The callable takes ``counted=True`` for a text the vocabulary was counted from: every
    lowercase token the repair looks at is then one of the vocabulary's words, so a text that
    holds none of the (few) words that split is not scanned for tokens at all.

    Examples
    --------
    >>> repair = glued_word_repair({"oddsover": 1, "odds": 2})
    >>> repair("at oddsover Russia")[0], repair("no glue here", counted=True)[0]
    ('at odds over Russia', 'no glue here')
    """
    splits: dict[str, str | None] = {}  # lowercase token -> its split, or None to keep it
    split_tokens: set[str] = set()
    vocabulary_splits: list[str] | None = None  # the vocabulary's words that split, once asked for

    def splitting_words() -> list[str]:
        nonlocal vocabulary_splits
        if vocabulary_splits is None:
            vocabulary_splits = []
            for word in vocabulary:
                if _LOWER_WORD.fullmatch(word):
                    split = splits[word] = splits[word] if word in splits else split_of(word)
                    if split is not None:
                        split_tokens.add(word)
                        vocabulary_splits.append(word)
        return vocabulary_splits

    def split_of(token: str) -> str | None:
        if _zipf(token) > 0 or vocabulary.get(token, 0) >= 2:
            return None
        return _best_split(token, vocabulary)

    def repair(text: str, *, counted: bool = False) -> tuple[str, list[dict[str, str]]]:
        repairs: list[dict[str, str]] = []

        def camel(match: re.Match[str]) -> str:
            whole, left, right = match.group(0), match.group(1), match.group(2)
            if _zipf(whole.lower()) > 0 or not _known(left, vocabulary):
                return whole
            repairs.append({"original": whole, "repaired": f"{left} {right}", "reason": "glued words"})
            return f"{left} {right}"

        def lower(match: re.Match[str]) -> str:
            token = match.group(0)
            split = splits[token]
            if split is None:
                return token
            repairs.append({"original": token, "repaired": split, "reason": "glued words"})
            return split

        if _CAMEL_HINT.search(text):  # a match has a lowercase letter before a capital
            unglued = _CAMEL_GLUE.sub(camel, text)
            counted, text = counted and unglued == text, unglued  # new tokens when it changed
        # a token is a word of the text (nothing it borders joins a word): a counted text without a
        # vocabulary word that splits has no token to split
        few = counted and len(splitting_words()) <= _FEW_SPLITTING_WORDS
        if few and not any(word in text for word in vocabulary_splits):
            return _space_at_quote_marks(text, repairs), repairs
        tokens = set(_LOWER_TOKEN.findall(text))
        for token in tokens.difference(splits):
            split = splits[token] = split_of(token)
            if split is not None:
                split_tokens.add(token)
        if not split_tokens.isdisjoint(tokens):
            text = _LOWER_TOKEN.sub(lower, text)
        text = _space_at_quote_marks(text, repairs)
        return text, repairs

    return repair


def _quote_glue_ends(text: str) -> list[int]:
    """Where each match of ``_QUOTE_GLUE`` in ``text`` ends, in order, found from the quote marks
    alone (no match overlaps another, so these are the ends ``finditer`` gives).

    Examples
    --------
    >>> text = "he said,”Yes” and “no”.”Then a“b"
    >>> list(_quote_glue_ends(text)) == [m.end() for m in _QUOTE_GLUE.finditer(text)]
    True
    """
    ends, find, last = [], text.find, len(text) - 1
    for mark in "”“":
        at = find(mark)
        while at >= 0:
            if mark == "”":
                if at and at < last and text[at - 1] in ",.!?;:" and text[at + 1] in _ASCII_LETTERS:
                    ends.append(at + 1)
            elif at and text[at - 1] in _ASCII_LOWERCASE:
                ends.append(at)
            at = find(mark, at + 1)
    return sorted(ends)


_ASCII_LETTERS = frozenset(string.ascii_letters)
_ASCII_LOWERCASE = frozenset(string.ascii_lowercase)


def _space_at_quote_marks(text: str, repairs: list[dict[str, str]]) -> str:
    """One space put back per run of non-space characters, at its last glued closing mark
    (or, when it has none, at its last glued opening mark)."""
    if "”" not in text and "“" not in text:  # every match has one
        return text
    splits: dict[int, tuple[bool, int]] = {}  # run start -> (closing mark?, split offset)
    for at in _quote_glue_ends(text):
        run_start = at
        while run_start and not text[run_start - 1].isspace():
            run_start -= 1
        closing = text[at - 1] == "”"
        if run_start not in splits or closing or not splits[run_start][0]:
            splits[run_start] = (closing, at)
    if not splits:
        return text
    pieces, done = [], 0
    for run_start, (_, at) in sorted(splits.items()):
        run = _NON_SPACE_RUN.match(text, run_start)
        original = run.group()
        repaired = f"{text[run_start:at]} {text[at : run.end()]}"
        repairs.append({"original": original, "repaired": repaired, "reason": "space missing at quote mark"})
        pieces += [text[done:run_start], repaired]
        done = run.end()
    return "".join([*pieces, text[done:]])


def vocabulary_of(texts: list[str]) -> dict[str, int]:
    """Lowercased word counts over ``texts``, for :func:`repair_glued_words`."""
    return word_counts(texts)[0]


def word_counts(texts: Iterable[str]) -> tuple[dict[str, int], list[int]]:
    """:func:`vocabulary_of` ``texts``, and the number of words of each text (``WORD_PATTERN`` matches).

    Examples
    --------
    >>> word_counts(["The talks", "the U.S. said"])
    ({'the': 2, 'talks': 1, 'u.s.': 1, 'said': 1}, [2, 3])
    """
    counts, lengths = word_frequencies(list(texts))
    vocabulary: dict[str, int] = {}
    for word, count in counts.items():  # each distinct form lowercased once
        key = word.lower()
        vocabulary[key] = vocabulary.get(key, 0) + count
    return vocabulary, lengths


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def markdown_to_text(text: str) -> tuple[str, str]:
    """Plain text and the first ``#`` heading (or "") from a Markdown article.

    Examples
    --------
    >>> markdown_to_text("# Title\\n\\nSee [the report](http://x.org), **now**.")
    ('See the report, now.', 'Title')
    """
    heading = ""
    match = re.search(r"^#{1,2}\s+(.+)$", text, flags=re.M)
    if match:
        heading = match.group(1).strip()
        text = text[: match.start()] + text[match.end() :]
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return text.strip(), heading
