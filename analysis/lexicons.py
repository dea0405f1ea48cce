"""Loaded-term lexicons as data, and the multi-pattern matcher that counts them.

A lexicon maps terms to categories (``regime`` → ``pejorative_labels``). It is read from

* YAML (the project's own format, documented in ``analysis/lexicons/default.yaml``; a
  quanteda-style ``category: [terms]`` mapping is read too);
* LIWC- or Lexicoder-style ``.dic`` files: an optional ``%`` header block mapping category
  numbers to names (and, optionally, a description), then one term per line followed by one or more categories (numbers or
  names), separated by tabs (repeated tabs are fine); Lexicoder ``+category`` lines open a
  block of terms; ``#``, ``//`` and ``;`` start comments; blank lines are ignored;
* CSV with columns ``term,category`` (a header row and a third ``note`` column are optional;
  commas, semicolons or tabs).

Terms are matched on word-token boundaries, case-insensitively, with ’ read as '. A trailing
``*`` matches any word that starts with the prefix (``accus*``: accuse, accused, accusation).
Multi-word terms match consecutive tokens of one sentence; a hyphenated term also matches
with a space (``so-called``, ``so called``). With ``inflect`` on, regular English inflections
of the first and last word are matched too (``rebuff``: rebuffs, rebuffed, rebuffing), and
the possessive (``regime's``).

All terms are compiled into one Aho-Corasick automaton (pyahocorasick) that reads a token
stream in a single pass, whatever the size of the lexicon.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import ahocorasick
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from analysis.paths import PACKAGE_DIR, read_text
from analysis.tokens import WORD_PATTERN, fold_word

LEXICON_DIR = PACKAGE_DIR / "lexicons"
DEFAULT_LEXICON = "default"
LEXICON_SUFFIXES = (".yaml", ".yml", ".dic", ".csv")

_VOWELS = frozenset("aeiou")
# -ly words that are verbs or nouns, not adverbs: these are inflected (ally → allies)
_LY_INFLECTED = frozenset({"ally", "bully", "rally", "rely", "sully", "tally"})
_COMMENT_STARTS = ("#", "//", ";")
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


class LexiconError(ValueError):
    """A lexicon file cannot be read; the message names the file, the line and the fix."""


class LexiconEntry(NamedTuple):
    """One term of one category, normalised (lowercase, ’ as ', single spaces)."""

    term: str
    category: str
    inflect: bool
    line: int


@dataclass(frozen=True)
class Lexicon:
    """Categories with their notes, and the entries that belong to them.

    Attributes
    ----------
    name : str
        Short name (the file stem).
    source : str
        The file it was read from.
    notes : dict of str to str
        One line per category saying what it measures ("" when the file gives none).
    entries : tuple of LexiconEntry
        Every (term, category) pair, in file order, without duplicates.
    """

    name: str
    source: str
    notes: dict[str, str]
    entries: tuple[LexiconEntry, ...]

    @property
    def categories(self) -> list[str]:
        """Category names in file order."""
        return list(self.notes)


# ---------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------


def normalize_term(term: str) -> str:
    """Lowercase ``term``, write ’ as ' and collapse whitespace, as tokens are written.

    Examples
    --------
    >>> normalize_term("  Kremlin’s   Puppet ")
    "kremlin's puppet"
    """
    return " ".join(fold_word(term).split())


def check_term(term: str) -> str | None:
    """Return why a normalised ``term`` can never match a word token, or None if it can.

    Examples
    --------
    >>> check_term("accus*") is None, check_term("so-called") is None
    (True, True)
    >>> check_term("ac*cus")
    "'*' may only end a term (a prefix wildcard), as in 'accus*'"
    """
    if not term:
        return "the term is empty"
    body = term[:-1] if term.endswith("*") else term
    if "*" in body:
        return "'*' may only end a term (a prefix wildcard), as in 'accus*'"
    words = body.split(" ")
    if term.endswith("*"):
        words[-1] = words[-1].rstrip("-'")  # a prefix such as 'anti-*' may end inside a word
    for word in words:
        if not WORD_PATTERN.fullmatch(word):
            return f"{word!r} is not one word token (letters and digits, joined by ' or -)"
    return None


def inflected_forms(word: str) -> set[str]:
    """Regular English inflections of ``word``: plural/third person, past, -ing.

    Words that already look inflected or adverbs (ending in -ed, -ing, -ly), hyphenated
    words and words under three letters are returned unchanged. Forms the rules miss
    ("crises") belong in the lexicon as their own terms.

    Examples
    --------
    >>> sorted(inflected_forms("rebuff"))
    ['rebuff', 'rebuffed', 'rebuffing', 'rebuffs']
    >>> sorted(inflected_forms("slam"))
    ['slam', 'slamed', 'slaming', 'slammed', 'slamming', 'slams']
    >>> sorted(inflected_forms("furiously"))
    ['furiously']
    """
    forms = {word}
    adverb = word.endswith("ly") and not word.endswith("ply") and word not in _LY_INFLECTED
    if len(word) < 3 or not word.isalpha() or adverb or word.endswith(("ed", "ing")):
        return forms
    consonant_y = word.endswith("y") and word[-2] not in _VOWELS
    if word.endswith(("s", "x", "z", "ch", "sh")):
        forms.add(word + "es")
    elif consonant_y:
        forms.add(word[:-1] + "ies")
    else:
        forms.add(word + "s")
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing"}
    elif consonant_y:
        forms |= {word[:-1] + "ied", word + "ing"}
    else:
        forms |= {word + "ed", word + "ing"}
        if word[-1] not in _VOWELS | {"w", "x", "y"} and word[-2] in _VOWELS and word[-3] not in _VOWELS:
            # consonant doubling (slam → slammed) applies to some words only; both spellings are kept
            forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


def term_forms(term: str, *, inflect: bool) -> set[str]:
    """Every word sequence a normalised ``term`` stands for (wildcard ``*`` kept at the end).

    Examples
    --------
    >>> sorted(term_forms("so-called", inflect=False))
    ['so called', 'so-called']
    >>> sorted(term_forms("regime", inflect=True))
    ['regime', "regime's", 'regimed', 'regimes', 'regiming']
    >>> sorted(f for f in term_forms("turn ugly", inflect=True) if not f.endswith("'s"))
    ['turn ugly', 'turned ugly', 'turning ugly', 'turns ugly']
    """
    words = term.split(" ")
    if inflect and not term.endswith("*"):
        firsts = inflected_forms(words[0])
        lasts = inflected_forms(words[-1]) if len(words) > 1 else {""}
        middle = words[1:-1]
        forms = {" ".join([first, *middle, last]).strip() for first in firsts for last in lasts}
        forms.add(f"{term}'s")  # possessive: "the regime's"
    else:
        forms = {term}
    return forms | {form.replace("-", " ") for form in forms if "-" in form and not form.rstrip("*").endswith("-")}


# ---------------------------------------------------------------------------
# Reading lexicon files
# ---------------------------------------------------------------------------


def resolve_lexicon(path_or_name: str | os.PathLike[str] = DEFAULT_LEXICON) -> Path:
    """Path of a lexicon given as a file path or as the name of a shipped lexicon.

    Raises
    ------
    FileNotFoundError
        Neither a file nor a shipped lexicon; the message lists the shipped ones.
    """
    path = Path(path_or_name).expanduser()
    if path.is_file():
        return path.resolve()
    shipped = LEXICON_DIR / f"{path_or_name}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in LEXICON_DIR.glob("*.yaml")))
    raise FileNotFoundError(
        f"lexicon {str(path_or_name)!r} not found: give a .yaml, .dic or .csv file, or a shipped lexicon ({names})"
    )


def _entry(term: str, category: str, *, inflect: bool, source: str, line: int) -> LexiconEntry:
    normalized = normalize_term(term)
    problem = check_term(normalized)
    if problem:
        raise LexiconError(f"{source}:{line}: term {term!r} cannot match: {problem}")
    category = category.strip()
    if not category:
        raise LexiconError(f"{source}:{line}: term {term!r} has no category")
    return LexiconEntry(normalized, category, inflect, line)


def _mapping(node: yaml.Node, what: str, source: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise LexiconError(f"{source}:{node.start_mark.line + 1}: {what} must be a mapping (key: value lines)")
    return {str(key.value): value for key, value in node.value}


def _scalar(node: yaml.Node, what: str, source: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise LexiconError(f"{source}:{node.start_mark.line + 1}: {what} must be a single value")
    return str(node.value)


def _flag(node: yaml.Node | None, what: str, source: str, default: bool) -> bool:
    if node is None:
        return default
    value = _scalar(node, what, source).lower()
    if value not in ("true", "false"):
        raise LexiconError(f"{source}:{node.start_mark.line + 1}: {what} must be true or false, not {value!r}")
    return value == "true"


def _quanteda_lexicon(root: yaml.MappingNode, source: str) -> tuple[dict[str, str], list[LexiconEntry]]:
    """A quanteda-style YAML dictionary, ``category: [term, ...]``: exact terms, as quanteda matches them."""
    notes: dict[str, str] = {}
    entries: list[LexiconEntry] = []
    for key, node in root.value:
        notes[str(key.value)] = ""
        for term in node.value:
            text = _scalar(term, "a term", source)
            entries.append(_entry(text, str(key.value), inflect=False, source=source, line=term.start_mark.line + 1))
    return notes, entries


def parse_yaml_lexicon(text: str, *, source: str = "<yaml>") -> tuple[dict[str, str], list[LexiconEntry]]:
    """Categories (with notes) and entries of a lexicon in the project's YAML format.

    A quanteda-style dictionary (``category: [term, ...]`` at the top level) is read too.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise LexiconError(f"{source}{line}: not valid YAML ({getattr(err, 'problem', err)})") from err
    if root is None:
        raise LexiconError(f"{source}: the file is empty; it needs a 'categories' mapping")
    top = _mapping(root, "the file", source)
    if "categories" not in top:
        if top and all(isinstance(node, yaml.SequenceNode) for node in top.values()):
            return _quanteda_lexicon(root, source)
        raise LexiconError(
            f"{source}: no 'categories' key (and not a quanteda-style 'category: [terms]' mapping); "
            "see analysis/lexicons/default.yaml for the format"
        )
    inflect_default = _flag(top.get("inflect"), "'inflect'", source, True)
    notes: dict[str, str] = {}
    entries: list[LexiconEntry] = []
    _mapping(top["categories"], "'categories'", source)  # checks the shape
    for key, node in top["categories"].value:
        category = str(key.value)
        fields = _mapping(node, f"category {category!r}", source)
        unknown = set(fields) - {"note", "inflect", "terms", "exact"}
        if unknown:
            raise LexiconError(
                f"{source}:{key.start_mark.line + 1}: category {category!r} has unknown key(s) "
                f"{', '.join(sorted(unknown))}; allowed: note, inflect, terms, exact"
            )
        notes[category] = " ".join(_scalar(fields["note"], "a note", source).split()) if "note" in fields else ""
        inflect = _flag(fields.get("inflect"), f"'inflect' of {category!r}", source, inflect_default)
        lists = {name: fields.get(name) for name in ("terms", "exact") if name in fields}
        for name, node in lists.items():
            if not isinstance(node, yaml.SequenceNode):
                raise LexiconError(f"{source}:{node.start_mark.line + 1}: '{name}' of {category!r} must be a list of terms")
        if not any(node.value for node in lists.values()):
            raise LexiconError(f"{source}:{key.start_mark.line + 1}: category {category!r} needs 'terms', a non-empty list")
        for name, node in lists.items():
            for term in node.value:
                line = term.start_mark.line + 1
                text = _scalar(term, "a term", source)
                entries.append(_entry(text, category, inflect=inflect and name == "terms", source=source, line=line))
    return notes, entries


def _strip_comment(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith(_COMMENT_STARTS):
        return ""
    return _TRAILING_COMMENT.sub("", line).rstrip()


def parse_dic_lexicon(text: str, *, source: str = "<dic>") -> tuple[dict[str, str], list[LexiconEntry]]:
    """Categories and entries of a LIWC- or Lexicoder-style ``.dic`` text.

    Terms are matched exactly (plus ``*`` wildcards), as LIWC and Lexicoder do.
    """
    numbers: dict[str, str] = {}
    notes: dict[str, str] = {}
    entries: list[LexiconEntry] = []
    in_header = False
    block: str | None = None  # the category of a Lexicoder '+category' block
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if line.strip() == "%":
            in_header = not in_header
            continue
        if in_header:
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].isdigit():
                raise LexiconError(
                    f"{source}:{number}: header line {raw.strip()!r} should be 'NUMBER<tab>CATEGORY' between % lines"
                )
            numbers[parts[0].lstrip("0") or "0"] = parts[1]
            notes[parts[1]] = " ".join(parts[2].split()) if len(parts) == 3 else ""  # e.g. '1  funct  Function words'
            continue
        if line.lstrip().startswith("+"):
            block = line.strip()[1:].strip()
            if not block:
                raise LexiconError(f"{source}:{number}: a '+' line must name a category, as in '+negative'")
            notes.setdefault(block, "")
            continue
        fields = [field.strip() for field in line.split("\t") if field.strip()]
        if len(fields) == 1 and numbers:  # space-separated: trailing category numbers end the line
            words = fields[0].split()
            cut = len(words)
            while cut > 1 and words[cut - 1].isdigit():
                cut -= 1
            fields = [" ".join(words[:cut]), *words[cut:]]
        term, codes = fields[0], " ".join(fields[1:]).split()
        if any("[" in code or "/" in code for code in codes):
            raise LexiconError(
                f"{source}:{number}: conditional LIWC codes such as '134/125[02 464]' are not supported; "
                "replace them with plain category numbers"
            )
        if not codes:
            if block is None:
                raise LexiconError(
                    f"{source}:{number}: term {term!r} has no category: put category numbers or names after a tab, "
                    "or the term under a '+category' line"
                )
            codes = [block]
        for code in codes:
            if code.isdigit():
                key = code.lstrip("0") or "0"
                if key not in numbers:
                    declared = ", ".join(numbers) or "none"
                    raise LexiconError(
                        f"{source}:{number}: category number {code} of {term!r} is not declared in the % header (declared: {declared})"
                    )
                category = numbers[key]
            else:
                category = code
                notes.setdefault(category, "")
            entries.append(_entry(term, category, inflect=False, source=source, line=number))
    if in_header:
        raise LexiconError(f"{source}: the % header block is never closed; add a line holding only %")
    return notes, entries


def parse_csv_lexicon(text: str, *, source: str = "<csv>") -> tuple[dict[str, str], list[LexiconEntry]]:
    """Categories and entries of a CSV lexicon: ``term,category[,note]``, header optional.

    The delimiter may be a comma, a semicolon (spreadsheets in many locales) or a tab.
    """
    notes: dict[str, str] = {}
    entries: list[LexiconEntry] = []
    text = text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column or an unusual layout: the row check below names the line
    reader = csv.reader(io.StringIO(text), dialect)
    for row in reader:
        number = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and [c.lower() for c in cells[:2]] == ["term", "category"]:
            continue
        if len(cells) < 2 or len(cells) > 3 or not cells[0] or not cells[1]:
            raise LexiconError(f"{source}:{number}: expected 'term,category' or 'term,category,note', got {','.join(row)!r}")
        note = cells[2] if len(cells) == 3 else ""
        if note or cells[1] not in notes:
            notes[cells[1]] = note or notes.get(cells[1], "")
        entries.append(_entry(cells[0], cells[1], inflect=False, source=source, line=number))
    return notes, entries


def load_lexicon(path_or_name: str | os.PathLike[str] = DEFAULT_LEXICON) -> Lexicon:
    """Read a lexicon from a YAML, ``.dic`` or CSV file, or by the name of a shipped one.

    Parameters
    ----------
    path_or_name : str or path, default="default"
        A file (``.yaml``/``.yml``, ``.dic``, ``.csv``) or a lexicon shipped in
        ``analysis/lexicons/`` named without its suffix.

    Returns
    -------
    Lexicon

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    LexiconError
        The file cannot be read; the message names the file and line.

    Examples
    --------
    >>> lexicon = load_lexicon()
    >>> "pejorative_labels" in lexicon.categories
    True
    """
    path = resolve_lexicon(path_or_name)
    suffix = path.suffix.lower()
    if suffix not in LEXICON_SUFFIXES:
        raise LexiconError(f"{path}: unknown lexicon format {suffix!r}; use one of {', '.join(LEXICON_SUFFIXES)}")
    text = read_text(path, LexiconError)  # older LIWC files are Windows-encoded: cp1252 is tried too
    parse = {".dic": parse_dic_lexicon, ".csv": parse_csv_lexicon}.get(suffix, parse_yaml_lexicon)
    notes, entries = parse(text, source=str(path))
    if not entries:
        raise LexiconError(f"{path}: the lexicon holds no terms")
    unique: dict[tuple[str, str], LexiconEntry] = {}
    for entry in entries:  # file order; a repeated term of a category counts once
        unique.setdefault((entry.term, entry.category), entry)
    ordered = tuple(unique.values())
    return Lexicon(name=path.stem, source=str(path), notes=notes, entries=ordered)


# ---------------------------------------------------------------------------
# The matcher
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Matcher:
    """A lexicon compiled into one Aho-Corasick automaton over space-joined tokens.

    Keys are ``" form "`` for whole terms and ``" prefix"`` for wildcards, so every match
    starts on a token boundary and whole terms also end on one.

    Attributes
    ----------
    lexicon : Lexicon
    automaton : ahocorasick.Automaton
        Values are key indices (ints, so that a pass yields no Python tuple per match).
    key_lengths, key_is_wildcard : numpy.ndarray
        Per key index: its length in characters, and whether it is a wildcard prefix.
    key_entries : numpy.ndarray
        Entry indices of key ``k``: ``key_entries[key_offsets[k] : key_offsets[k + 1]]``.
    key_offsets : numpy.ndarray
    terms, categories : numpy.ndarray
        Term and category of each entry index.
    """

    lexicon: Lexicon
    automaton: ahocorasick.Automaton
    key_lengths: np.ndarray
    key_is_wildcard: np.ndarray
    key_entries: np.ndarray
    key_offsets: np.ndarray
    terms: np.ndarray
    categories: np.ndarray


def build_matcher(lexicon: Lexicon) -> Matcher:
    """Compile ``lexicon`` into a :class:`Matcher`."""
    # key -> category -> entry; a form one entry spells out beats another's inflection ("alleged" over "allege")
    keys: dict[str, dict[str, int]] = {}
    for index, entry in enumerate(lexicon.entries):
        for form in term_forms(entry.term, inflect=entry.inflect):
            key = f" {form[:-1]}" if form.endswith("*") else f" {form} "
            by_category = keys.setdefault(key, {})
            if entry.category not in by_category or form == entry.term:
                by_category[entry.category] = index
    automaton = ahocorasick.Automaton()
    for index, key in enumerate(keys):
        automaton.add_word(key, index)
    automaton.make_automaton()
    per_key = [list(by_category.values()) for by_category in keys.values()]
    return Matcher(
        lexicon=lexicon,
        automaton=automaton,
        key_lengths=np.array([len(key) for key in keys], dtype=np.int64),
        key_is_wildcard=np.array([not key.endswith(" ") for key in keys], dtype=bool),
        key_entries=np.array([index for entries in per_key for index in entries], dtype=np.int64),
        key_offsets=np.cumsum([0] + [len(entries) for entries in per_key], dtype=np.int64),
        terms=np.array([e.term for e in lexicon.entries], dtype=object),
        categories=np.array([e.category for e in lexicon.entries], dtype=object),
    )


@lru_cache(maxsize=16)
def _cached_matcher(path: str, modified_ns: int) -> Matcher:
    return build_matcher(load_lexicon(path))


def load_matcher(path_or_name: str | os.PathLike[str] = DEFAULT_LEXICON) -> Matcher:
    """The matcher of a lexicon file, built once per file version (cached by path and mtime)."""
    path = resolve_lexicon(path_or_name)
    return _cached_matcher(str(path), path.stat().st_mtime_ns)


class TokenStream(NamedTuple):
    """Word tokens joined by single spaces, with a space before the first and after the last.

    ``text[starts[i] : starts[i] + lengths[i]]`` is token ``i``; a passage of tokens ``i..j``
    is ``text[starts[i] : starts[j] + lengths[j]]``.
    """

    text: str
    starts: np.ndarray
    lengths: np.ndarray


def token_stream(tokens: Sequence[str] | np.ndarray | pd.Series) -> TokenStream:
    """Join word tokens into one :class:`TokenStream` (in Arrow: no Python loop over tokens).

    Examples
    --------
    >>> token_stream(["the", "so-called", "deal"])
    TokenStream(text=' the so-called deal ', starts=array([ 1,  5, 15]), lengths=array([3, 9, 4]))
    """
    array = pa.array(tokens if isinstance(tokens, pd.Series | np.ndarray) else list(tokens), type=None)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = array.cast(pa.large_string())
    if len(array) == 0:
        return TokenStream(" ", np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    if data.size and data.max() >= 0x80:  # lengths in characters, not UTF-8 bytes
        lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        lengths = np.diff(offsets)
    starts = np.empty(len(array), dtype=np.int64)  # offset of each token in the joined text
    starts[0] = 1
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    starts[1:] += 1
    as_one_list = pa.LargeListArray.from_arrays(pa.array([0, len(array)], type=pa.int64()), array)
    text = " " + pc.binary_join(as_one_list, pa.scalar(" ", pa.large_string()))[0].as_py() + " "
    return TokenStream(text, starts, lengths)


def match_tokens(
    tokens: Sequence[str] | np.ndarray | pd.Series | TokenStream, matcher: Matcher
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find lexicon terms in a sequence of lowercased word tokens, in one automaton pass.

    Parameters
    ----------
    tokens : sequence of str, or TokenStream
        Word tokens in text order, lowercased, ’ written as ' (as ``tokens.tokenize`` gives).
    matcher : Matcher

    Returns
    -------
    first, last, entry : numpy.ndarray of int
        Per match, the index of its first and last token and the lexicon entry it matched,
        ordered by first token. Overlapping matches are all returned.

    Examples
    --------
    >>> from analysis.lexicons import Lexicon, LexiconEntry, build_matcher
    >>> lexicon = Lexicon("t", "t", {"doubt": ""}, (LexiconEntry("so-called", "doubt", False, 1),))
    >>> match_tokens(["the", "so", "called", "deal"], build_matcher(lexicon))
    (array([1]), array([2]), array([0]))
    """
    stream = tokens if isinstance(tokens, TokenStream) else token_stream(tokens)
    # (end, key) pairs flattened straight into numpy: no Python object kept per match.
    pairs = np.fromiter(chain.from_iterable(matcher.automaton.iter(stream.text)), dtype=np.int64).reshape(-1, 2)
    ends, key = pairs[:, 0], pairs[:, 1]
    first = np.searchsorted(stream.starts, ends - matcher.key_lengths[key] + 2)  # the key's leading space precedes a token start
    last_char = np.where(matcher.key_is_wildcard[key], ends, ends - 1)  # a whole term's key ends with the space after it
    last = np.searchsorted(stream.starts, last_char, side="right") - 1
    per_key = matcher.key_offsets[key + 1] - matcher.key_offsets[key]
    # Each match once per entry of its key (a key can stand for entries of several categories).
    position = np.arange(int(per_key.sum())) - np.repeat(np.cumsum(per_key) - per_key, per_key)
    entry = matcher.key_entries[np.repeat(matcher.key_offsets[key], per_key) + position]
    first, last = np.repeat(first, per_key), np.repeat(last, per_key)
    order = np.lexsort((last, first))
    return first[order], last[order], entry[order]


# ---------------------------------------------------------------------------
# Measured precision
# ---------------------------------------------------------------------------

PRECISION_SUFFIX = ".precision.csv"


def load_term_precision(path_or_name: str | os.PathLike[str] = DEFAULT_LEXICON) -> pd.DataFrame | None:
    """Each term's measured precision, from ``<lexicon>.precision.csv`` beside the lexicon file.

    Returns
    -------
    DataFrame or None
        ``term``, ``category`` and one ``precision_<corpus>`` column per gold corpus
        (``precision_babe``, ``precision_ptc``: the share of the term's hits inside spans
        the annotators marked, cross-validated; NaN where it had no held-out hits); None when
        the lexicon has no precision file.
    """
    path = resolve_lexicon(path_or_name)
    file = path.with_name(path.stem + PRECISION_SUFFIX)
    if not file.is_file():
        return None
    table = pd.read_csv(file, comment="#", dtype={"term": str, "category": str, "corpus": str})
    wide = table.pivot_table(index=["term", "category"], columns="corpus", values="precision", aggfunc="first")
    wide.columns = [f"precision_{corpus}" for corpus in wide.columns]
    return wide.reset_index()


VALIDITY_SUFFIX = ".validity.csv"
#: What the note under a chart reports, in this order, from the lexicon's validity file.
_NOTED_METRICS = {"hit_precision": "hit precision", "gold_recall": "share of marked items found"}


def load_validity(path_or_name: str | os.PathLike[str] = DEFAULT_LEXICON) -> pd.DataFrame | None:
    """A lexicon's measured agreement with human annotators, from ``<lexicon>.validity.csv`` beside it.

    Written by ``make bench-validity`` (``--write-validity``) from the development splits of
    BABE, PTC and BASIL (README: Validity), so that every output can say how far to trust the
    measure without the annotated data at hand.

    Returns
    -------
    DataFrame or None
        ``gold``, ``metric``, ``value``, ``ci_low``, ``ci_high``, ``n``, ``scheme`` (``as
        shipped`` or a cross-validation), ``measured`` (date); None when the lexicon has no
        validity file (a user's own lexicon).
    """
    path = resolve_lexicon(path_or_name)
    file = path.with_name(path.stem + VALIDITY_SUFFIX)
    if not file.is_file():
        return None
    return pd.read_csv(file, comment="#", dtype={"gold": str, "metric": str, "scheme": str, "measured": str})


def validity_note(path_or_name: str | os.PathLike[str] = DEFAULT_LEXICON) -> str:
    """One line for under a chart of loaded-term rates: the lexicon's precision and recall against annotators.

    Examples
    --------
    >>> validity_note("default").startswith("Validity of lexicon 'default' against human annotators")
    True
    """
    name = Path(path_or_name).stem if Path(path_or_name).suffix else str(path_or_name)
    table = load_validity(path_or_name)
    if table is None:
        return (
            f"Validity of lexicon {name!r}: not measured. Run `framing evaluate loaded GOLD --lexicon {path_or_name}` on "
            "annotated text before reading these rates as loaded language."
        )
    parts = []
    for metric, label in _NOTED_METRICS.items():
        rows = table[table["metric"] == metric]
        shown = ", ".join(
            f"{row.value:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}] on {row.gold.upper()}" for row in rows.itertuples()
        )
        if shown:
            parts.append(f"{label} {shown}")
    scheme = "; ".join(sorted(set(table["scheme"])))
    return (
        f"Validity of lexicon {name!r} against human annotators ({scheme}; measured {table['measured'].iloc[0]}; README: "
        f"Validity): {'; '.join(parts)}. Hit precision is the share of the lexicon's hits that people marked as loaded: "
        "read the rates as counts of these words, not as a measure of bias."
    )
