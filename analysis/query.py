"""The corpus query language: one syntax for ``--query`` and the notebooks' ``query`` parameter.

Syntax (operators in capitals, as in Lucene and Media Cloud, so "and", "or" and "not" stay
searchable words; everything else is case-insensitive)::

    putin                      a word, in the headline or the body
    "arms control"             a phrase: the words next to each other, in one headline or body
    negotiat*                  a trailing wildcard: negotiate, negotiations, ...
    putin biden                implicit AND
    putin AND (talks OR dialogue) NOT kremlin
    outlet:TASS  outlet:"Press TV"  ownership:state  country:RU  event:2021-03-*
    published:2021-01-01..2021-03-31   published:2021-03-01..   published:..2021-01-31
    published:2021-03-22

Words are matched on the cleaned headline and body through the project's tokenizer
(:data:`analysis.tokens.WORD_PATTERN`, lowercased, ’ written '), never on the raw page: a
word in site chrome removed by cleaning does not match, and "U.S." is one word.

:func:`parse_query` turns a query into a tree (a recursive-descent parser; a malformed query
raises :class:`QuerySyntaxError` with the position of the error). :func:`build_index` makes
an inverted index of a corpus once; :func:`match` answers a query against it as a boolean
mask over the articles (numpy arrays of article indices, set operations on bitmasks), and
:func:`filter_articles` returns the matching rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.tokens import WORD_PATTERN, fold_word

#: Article columns a field filter may name; ``published`` takes dates and ranges.
FIELDS = ("outlet", "ownership", "country", "event", "language", "id", "published")
DATE_FIELDS = frozenset({"published"})
OPERATORS = ("AND", "OR", "NOT")
MAX_NESTING = 100  # levels of parentheses or NOT; deeper is a generated query gone wrong, and Python would overflow


class QuerySyntaxError(ValueError):
    """A malformed query; ``position`` is the offset of the problem in ``query``.

    The message shows the query with a caret under the problem::

        unclosed quote
          "arms control
          ^
    """

    def __init__(self, message: str, query: str, position: int):
        self.reason = message
        self.query = query
        self.position = position
        start = max(0, position - 40)  # a window of a long query, so that the caret line fits a terminal
        shown = ("…" if start else "") + query[start : position + 40] + ("…" if position + 40 < len(query) else "")
        caret = position - start + (1 if start else 0)
        super().__init__(f"{message} (at character {position + 1})\n  {shown}\n  {' ' * caret}^")


# ---------------------------------------------------------------------------
# The query tree
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """Words that must occur in sequence (one word, or a phrase); a word may end in ``*``."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """``name:value``; ``value`` is lowercased and may end in ``*``; dates use ``low``/``high``."""

    name: str
    value: str
    low: pd.Timestamp | None = None
    high: pd.Timestamp | None = None


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Terms | Field | Not | And | Or


# ---------------------------------------------------------------------------
# Lexer
# ---------------------------------------------------------------------------

TokenKind = Literal["(", ")", "AND", "OR", "NOT", "PHRASE", "WORD", "FIELD", "END"]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str
    position: int
    value_position: int = 0  # FIELD: where the value starts


_OPEN_QUOTES = '"“”'
_CLOSE_QUOTE = {'"': '"', "“": "”", "”": "”"}
_BARE = re.compile(r"[^\s()\"“”]+")
_FIELD_NAME = re.compile(r"([A-Za-z_]+):")


def _read_phrase(query: str, i: int) -> tuple[str, int]:
    """The text of the quoted phrase opening at ``i``, and the offset after its closing mark."""
    close = _CLOSE_QUOTE[query[i]]
    end = query.find(close, i + 1)
    if end < 0 and close == "”":
        end = query.find('"', i + 1)
    if end < 0:
        raise QuerySyntaxError('unclosed quote: add the closing " after the phrase', query, i)
    return query[i + 1 : end], end + 1


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))  # type: ignore[arg-type]
            i += 1
        elif ch in _OPEN_QUOTES:
            text, end = _read_phrase(query, i)
            tokens.append(_Token("PHRASE", text, i))
            i = end
        elif (field := _FIELD_NAME.match(query, i)) is not None:
            value_at = field.end()
            if value_at < len(query) and query[value_at] in _OPEN_QUOTES:
                value, end = _read_phrase(query, value_at)
            else:
                bare = _BARE.match(query, value_at)
                if bare is None:
                    raise QuerySyntaxError(
                        f"field {field.group(1)!r} has no value: write {field.group(1)}:VALUE", query, value_at
                    )
                value, end = bare.group(), bare.end()
            tokens.append(_Token("FIELD", f"{field.group(1)}\0{value}", i, value_at))
            i = end
        else:
            bare = _BARE.match(query, i)
            assert bare is not None  # any other character starts a bare word
            word = bare.group()
            kind: TokenKind = word if word in OPERATORS else "WORD"  # type: ignore[assignment]
            tokens.append(_Token(kind, word, i))
            i = bare.end()
    tokens.append(_Token("END", "", len(query)))
    return tokens


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------


_TEXT_BREAK = "\x00"  # not a word character: no word runs from one text into the next
_WORD_SPLIT = re.compile(f"({WORD_PATTERN.pattern})")
_BATCH_CHARS = 4_000_000  # characters joined per scan: bounds the intermediate strings


def query_text(text: str) -> str:
    """``text`` as words are matched: lowercased, ’ written '."""
    return fold_word(text).replace(_TEXT_BREAK, " ")


def query_words(text: str) -> list[str]:
    """The words of ``text`` as the index stores them (lowercased, ’ written ').

    Examples
    --------
    >>> query_words("Kremlin’s U.S. near-fatal")
    ["kremlin's", 'u.s.', 'near-fatal']
    """
    return WORD_PATTERN.findall(query_text(text))


def _terms(text: str, query: str, position: int) -> Terms:
    """A word or phrase as words; only the last word of each may carry a trailing ``*``."""
    words = []
    for piece in text.split():
        wildcard = piece.endswith("*")
        found = query_words(piece.rstrip("*"))
        if "*" in piece.rstrip("*"):
            raise QuerySyntaxError("'*' is allowed only at the end of a word (negotiat*)", query, position)
        if wildcard and not found:
            raise QuerySyntaxError("a wildcard needs at least one letter before '*'", query, position)
        if wildcard:
            found[-1] += "*"
        words += found
    if not words:
        raise QuerySyntaxError(f"{text!r} has no word to search for", query, position)
    return Terms(tuple(words))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str, query: str, position: int) -> pd.Timestamp:
    if not _DATE.fullmatch(text):
        raise QuerySyntaxError(f"date {text!r}: write it as YYYY-MM-DD", query, position)
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise QuerySyntaxError(f"date {text!r} does not exist", query, position) from None


def _field(token: _Token, query: str, fields: Sequence[str]) -> Field:
    name, value = token.text.split("\0")
    name = name.lower()
    if name not in fields:
        raise QuerySyntaxError(f"unknown field {name!r}; fields: {', '.join(fields)}", query, token.position)
    at = token.value_position
    if name not in DATE_FIELDS:
        return Field(name, value.strip().lower())
    if ".." not in value:
        day = _date(value, query, at)
        return Field(name, value, day, day)
    low_text, high_text = value.split("..", 1)
    low = _date(low_text, query, at) if low_text else None
    high = _date(high_text, query, at + len(low_text) + 2) if high_text else None
    if low is None and high is None:
        raise QuerySyntaxError("an open range needs one end: published:2021-01-01.. or published:..2021-03-31", query, at)
    if low is not None and high is not None and low > high:
        raise QuerySyntaxError(f"range {value!r} ends before it starts", query, at)
    return Field(name, value, low, high)


class _Parser:
    """Recursive descent over::

    query   := or_expr END
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*
    unary   := "NOT" unary | primary
    primary := "(" or_expr ")" | PHRASE | WORD | FIELD
    """

    def __init__(self, query: str, fields: Sequence[str]):
        self.query = query
        self.fields = fields
        self.tokens = _lex(query)
        self.at = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, message: str, token: _Token | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.query, (token or self.current).position)

    def parse(self) -> Node:
        if self.current.kind == "END":
            raise self.fail('empty query: give a word, a "phrase" or a field filter such as outlet:TASS')
        node = self.or_expr()
        if self.current.kind == ")":
            raise self.fail("')' without a matching '('")
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.current.kind == "OR":
            self.take()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.unary()]
        while self.current.kind in ("AND", "NOT", "(", "PHRASE", "WORD", "FIELD"):
            if self.current.kind == "AND":
                self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def nested(self, token: _Token) -> None:
        """Count one more level of parentheses or NOT; refuse queries nested deeper than anyone writes."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"nested more than {MAX_NESTING} levels deep: simplify the parentheses or NOTs", token)

    def unary(self) -> Node:
        if self.current.kind == "NOT":
            self.nested(self.take())
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "(":
            self.nested(token)
            if self.current.kind == ")":
                raise self.fail("empty parentheses")
            node = self.or_expr()
            if self.current.kind != ")":
                raise self.fail("missing ')' to close the '(' opened here", token)
            self.take()
            self.depth -= 1
            return node
        if token.kind in ("PHRASE", "WORD"):
            return _terms(token.text, self.query, token.position)
        if token.kind == "FIELD":
            return _field(token, self.query, self.fields)
        if token.kind == "END":
            raise self.fail("the query ends where a word, phrase or '(' is expected", token)
        if token.kind == ")":
            raise self.fail("')' without a matching '('", token)
        raise self.fail(f"unexpected {token.text}: a word, phrase or '(' is expected here", token)


def parse_query(query: str, *, fields: Sequence[str] = FIELDS) -> Node:
    """Parse ``query`` (syntax in the module docstring) into a tree.

    Parameters
    ----------
    query : str
    fields : sequence of str, default=FIELDS
        Article columns that field filters may name.

    Returns
    -------
    Node
        :class:`Terms`, :class:`Field`, :class:`Not`, :class:`And` or :class:`Or`.

    Raises
    ------
    QuerySyntaxError
        With the offset of the problem and a caret under it.

    Examples
    --------
    >>> parse_query('putin "arms control" NOT outlet:TASS')  # doctest: +NORMALIZE_WHITESPACE
    And(operands=(Terms(words=('putin',)), Terms(words=('arms', 'control')),
                  Not(operand=Field(name='outlet', value='tass', low=None, high=None))))
    >>> parse_query("putin AND (talks")
    Traceback (most recent call last):
    ...
    analysis.query.QuerySyntaxError: missing ')' to close the '(' opened here (at character 11)
      putin AND (talks
                ^
    """
    return _Parser(query, fields).parse()


# ---------------------------------------------------------------------------
# The inverted index
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryIndex:
    """An inverted index of a corpus's headlines and bodies; build it with :func:`build_index`.

    Every word occurrence has a global position: the texts are laid end to end with a gap
    after each headline and body, so a phrase never runs from one text into the next.

    Attributes
    ----------
    vocabulary : ndarray of str
        The distinct words, sorted (a wildcard is a range found by binary search).
    term_starts : ndarray of int
        Occurrences of ``vocabulary[k]`` are ``positions[term_starts[k]:term_starts[k + 1]]``.
    positions : ndarray of int
        Global positions, grouped by word and ascending within each word.
    articles : ndarray of int32
        The article (row number) of each entry of ``positions``: a word's articles without a search.
    text_starts : ndarray of int
        Global position where each text starts; article ``i`` owns texts
        ``i * texts_per_article`` up to the next article's (headline, then body).
    texts_per_article : int
    fields : dict of str to ndarray
        Lowercased field values per article; ``published`` as datetime64 (days).
    ids : ndarray of str
        Article ids in the order of the article table.
    """

    vocabulary: np.ndarray
    term_starts: np.ndarray
    positions: np.ndarray
    articles: np.ndarray
    text_starts: np.ndarray
    texts_per_article: int
    fields: dict[str, np.ndarray]
    ids: np.ndarray

    @property
    def n_articles(self) -> int:
        return len(self.ids)


def build_index(articles: pd.DataFrame, *, text_columns: Sequence[str] = ("headline", "body")) -> QueryIndex:
    """Index the words of ``articles`` (once per corpus) for :func:`match`.

    Parameters
    ----------
    articles : DataFrame
        The article table: ``id``, the ``text_columns`` and any of :data:`FIELDS`.
    text_columns : sequence of str, default=("headline", "body")
        Cleaned text columns to search; each is its own text (phrases do not cross them).

    Returns
    -------
    QueryIndex
    """
    texts = [query_text(text) for text in articles.loc[:, list(text_columns)].fillna("").astype(str).to_numpy().ravel()]
    codes, uniques, text_of_word = _scan(texts)
    # Renumber the codes in sorted word order, so a wildcard's words are one contiguous range.
    order = np.argsort(np.asarray(uniques, dtype=str))
    vocabulary = np.asarray(uniques, dtype=str)[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    term_codes = rank[codes] if len(codes) else codes.astype(np.int64)
    # One position per word, plus one empty position after each text: phrases cannot cross texts.
    global_positions = np.arange(len(codes), dtype=np.int64) + text_of_word
    words_per_text = np.bincount(text_of_word, minlength=len(texts))
    text_starts = np.concatenate([[0], np.cumsum(words_per_text + 1)[:-1]]).astype(np.int64)
    by_term = np.argsort(term_codes, kind="stable")  # positions stay ascending within a word
    term_starts = np.concatenate([[0], np.cumsum(np.bincount(term_codes, minlength=len(vocabulary)))]).astype(np.int64)
    fields: dict[str, np.ndarray] = {}
    for name in FIELDS:
        if name not in articles.columns:
            continue
        column = articles[name]
        if name in DATE_FIELDS:
            fields[name] = pd.to_datetime(column, errors="coerce").dt.tz_localize(None).dt.normalize().to_numpy("datetime64[ns]")
        else:
            fields[name] = column.astype(object).where(column.notna(), "").astype(str).str.lower().to_numpy(dtype=object)
    return QueryIndex(
        vocabulary=vocabulary,
        term_starts=term_starts,
        positions=global_positions[by_term].astype(np.int64),
        articles=(text_of_word[by_term] // len(text_columns)).astype(np.int32),
        text_starts=text_starts,
        texts_per_article=len(text_columns),
        fields=fields,
        ids=articles["id"].astype(str).to_numpy(dtype=object),
    )


def _scan(texts: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The words of ``texts`` in order as codes into a vocabulary, and the text each comes from.

    Texts are joined in batches and split once by :data:`analysis.tokens.WORD_PATTERN` (the
    split keeps the gaps, whose lengths give each word's offset). Each batch's words become
    integer codes before the next batch is read, so the corpus's words are never all held as
    Python strings at once.

    Returns
    -------
    codes : ndarray of int64
    vocabulary : list of str
        ``vocabulary[code]`` is the word, in order of first occurrence.
    owners : ndarray of int64
        The text (index into ``texts``) of each word.
    """
    code_of: dict[str, int] = {}
    codes, owners, first = [], [], 0
    while first < len(texts):
        last, size = first, 0
        while last < len(texts) and (size < _BATCH_CHARS or last == first):
            size += len(texts[last]) + 1
            last += 1
        batch = texts[first:last]
        pieces = _WORD_SPLIT.split(_TEXT_BREAK.join(batch))
        bounds = np.cumsum(np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces)))
        text_starts = np.concatenate([[0], np.cumsum([len(t) + 1 for t in batch[:-1]])]).astype(np.int64)
        owners.append(first + np.searchsorted(text_starts, bounds[0:-1:2], side="right") - 1)
        local_codes, local_words = pd.factorize(np.array(pieces[1::2], dtype=object))
        to_global = np.fromiter(
            (code_of.setdefault(word, len(code_of)) for word in local_words), dtype=np.int64, count=len(local_words)
        )
        codes.append(to_global[local_codes] if len(local_codes) else local_codes.astype(np.int64))
        first = last
    if not codes:
        return np.array([], dtype=np.int64), [], np.array([], dtype=np.int64)
    return np.concatenate(codes), list(code_of), np.concatenate(owners).astype(np.int64)


def _postings(index: QueryIndex, word: str) -> slice:
    """Where the occurrences of ``word`` (or of every word starting with it, for ``prefix*``) are."""
    if word.endswith("*"):
        prefix = word[:-1]
        first = np.searchsorted(index.vocabulary, prefix, side="left")
        last = np.searchsorted(index.vocabulary, prefix + "\U0010ffff", side="left")
    else:
        first = np.searchsorted(index.vocabulary, word, side="left")
        last = first + 1 if first < len(index.vocabulary) and index.vocabulary[first] == word else first
    return slice(index.term_starts[first], index.term_starts[last])


def _articles_at(index: QueryIndex, positions: np.ndarray) -> np.ndarray:
    """Boolean mask of the articles whose texts hold ``positions``."""
    mask = np.zeros(index.n_articles, dtype=bool)
    texts = np.searchsorted(index.text_starts, positions, side="right") - 1
    mask[texts // index.texts_per_article] = True
    return mask


def _terms_mask(index: QueryIndex, node: Terms) -> np.ndarray:
    first = _postings(index, node.words[0])
    if len(node.words) == 1:
        mask = np.zeros(index.n_articles, dtype=bool)
        mask[index.articles[first]] = True
        return mask
    # A phrase: word k sits exactly k positions after the phrase's start. Start from the
    # rarest word and look the others up by binary search (a plain word's positions are
    # sorted; a wildcard's, several words concatenated, go through np.isin).
    postings = [first, *(_postings(index, word) for word in node.words[1:])]
    rarest = min(range(len(postings)), key=lambda k: postings[k].stop - postings[k].start)
    starts = index.positions[postings[rarest]] - rarest
    for offset, (word, where) in enumerate(zip(node.words, postings, strict=True)):
        if offset == rarest or starts.size == 0:
            continue
        found, wanted = index.positions[where], starts + offset
        if word.endswith("*"):
            starts = starts[np.isin(wanted, found)]
        else:
            at = np.minimum(np.searchsorted(found, wanted), max(len(found) - 1, 0))
            starts = starts[found[at] == wanted] if len(found) else starts[:0]
    return _articles_at(index, starts)


def _field_mask(index: QueryIndex, node: Field) -> np.ndarray:
    if node.name not in index.fields:
        raise KeyError(f"field {node.name!r}: the corpus has no {node.name!r} column; fields here: {', '.join(index.fields)}")
    values = index.fields[node.name]
    if node.name in DATE_FIELDS:
        mask = ~np.isnat(values)
        if node.low is not None:
            mask &= values >= np.datetime64(node.low)
        if node.high is not None:
            mask &= values <= np.datetime64(node.high)
        return mask
    if node.value.endswith("*"):
        return np.fromiter((v.startswith(node.value[:-1]) for v in values), dtype=bool, count=len(values))
    return values == node.value


def _evaluate(index: QueryIndex, node: Node) -> np.ndarray:
    if isinstance(node, Terms):
        return _terms_mask(index, node)
    if isinstance(node, Field):
        return _field_mask(index, node)
    if isinstance(node, Not):
        return ~_evaluate(index, node.operand)
    masks = [_evaluate(index, operand) for operand in node.operands]
    return np.logical_and.reduce(masks) if isinstance(node, And) else np.logical_or.reduce(masks)


def match(index: QueryIndex, query: str | Node) -> np.ndarray:
    """Which articles of the indexed corpus match ``query``.

    Parameters
    ----------
    index : QueryIndex
        From :func:`build_index`.
    query : str or Node
        A query (parsed here) or a tree from :func:`parse_query`.

    Returns
    -------
    ndarray of bool
        One value per article, in the order of the indexed article table.

    Raises
    ------
    QuerySyntaxError
        ``query`` is malformed.
    KeyError
        A field filter names a column the corpus does not have.
    """
    return _evaluate(index, parse_query(query) if isinstance(query, str) else query)


def filter_articles(articles: pd.DataFrame, query: str | None, *, index: QueryIndex | None = None) -> pd.DataFrame:
    """The rows of ``articles`` that match ``query`` (all rows when ``query`` is None or blank).

    Parameters
    ----------
    articles : DataFrame
        The article table.
    query : str or None
    index : QueryIndex, optional
        A prebuilt index of exactly these articles; built here when omitted.

    Returns
    -------
    DataFrame
        The matching rows, same columns, index reset.

    Examples
    --------
    >>> table = pd.DataFrame({"id": ["a", "b"], "outlet": ["TASS", "RT"],
    ...                       "headline": ["Arms talks", "Sanctions"], "body": ["No deal.", "Arms control talks."]})
    >>> filter_articles(table, '"arms control" OR outlet:tass')["id"].tolist()
    ['a', 'b']
    >>> filter_articles(table, "arms NOT talks")["id"].tolist()
    []
    """
    if query is None or not query.strip():
        return articles.reset_index(drop=True)
    node = parse_query(query)
    mask = match(index if index is not None else build_index(articles), node)
    return articles[mask].reset_index(drop=True)
