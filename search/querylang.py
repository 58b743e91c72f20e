"""The query language users type, parsed into a small engine-independent tree.

    giấy khai sinh          all words (AND)
    "giấy khai sinh"        a phrase
    khai*                   a prefix (at least 2 characters before the *)
    hộ OR khai              either
    -thuế   NOT thuế        without
    (hộ OR khai) sinh       grouping

Words are analysed with search.analysis: a word typed as "123/QĐ-UBND" is
one Word node holding the whole code and its parts. Operators must be in
capitals (OR, AND, NOT); anything else is a word. A stray quote or
parenthesis raises QuerySyntaxError with the position and a readable message.
"""
from dataclasses import dataclass

from .analysis import PART, WHOLE, WORD, is_code_like, tokenize
from .errors import QuerySyntaxError

__all__ = ["parse_query", "Word", "Prefix", "Phrase", "And", "Or", "Not", "MatchAll",
           "positive_leaves"]

MIN_PREFIX = 2


@dataclass(frozen=True)
class Word:
    """A typed word. `whole` is the code kept whole ("123/qđ-ubnd") or None;
    `parts` the syllables in order (one for a plain word)."""
    whole: str | None
    parts: tuple

    @property
    def code_like(self):
        return self.whole is not None or any(is_code_like(p) for p in self.parts)


@dataclass(frozen=True)
class Prefix:
    text: str          # normalized, lower-case


@dataclass(frozen=True)
class Phrase:
    parts: tuple       # normalized, lower-case syllables in order


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class MatchAll:
    """A blank query: every document the filters allow."""


_OPERATORS = {"OR", "AND", "NOT"}


def _lex(text):
    """Yield (kind, value, position): kinds "(", ")", "-", "phrase", "word", "op"."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            yield c, c, i
            i += 1
        elif c == '"' or c in "\u201c\u201d":
            end = i + 1
            while end < n and text[end] not in '"\u201c\u201d':
                end += 1
            if end >= n:
                raise QuerySyntaxError(
                    "unbalanced quote: the phrase opened at character %d is never closed"
                    % (i + 1), i)
            yield "phrase", text[i + 1:end], i
            i = end + 1
        elif c == "-" and i + 1 < n and not text[i + 1].isspace() and (
                i == 0 or text[i - 1].isspace() or text[i - 1] == "("):
            yield "-", c, i
            i += 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in '()"\u201c\u201d':
                end += 1
            word = text[i:end]
            yield ("op" if word in _OPERATORS else "word"), word, i
            i = end


class _Parser:
    def __init__(self, text):
        self.text = text
        self.tokens = list(_lex(text))
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, len(self.text))

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        node = self.or_expr()
        kind, value, pos = self.peek()
        if kind == ")":
            raise QuerySyntaxError(
                "unbalanced parenthesis: ')' at character %d has no matching '('" % (pos + 1), pos)
        if kind is not None:  # pragma: no cover - or_expr consumes everything else
            raise QuerySyntaxError("unexpected %r at character %d" % (value, pos + 1), pos)
        return node

    def or_expr(self):
        items = [self.and_expr()]
        while self.peek()[:2] == ("op", "OR"):
            _, _, pos = self.take()
            if self.peek()[0] in (None, ")") or self.peek()[:2] == ("op", "OR"):
                raise QuerySyntaxError("OR at character %d has nothing after it" % (pos + 1), pos)
            items.append(self.and_expr())
        items = [item for item in items if item is not None]
        if not items:
            return None
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self):
        items = []
        while True:
            kind, value, pos = self.peek()
            if kind is None or kind == ")" or (kind, value) == ("op", "OR"):
                break
            if (kind, value) == ("op", "AND"):
                self.take()
                if self.peek()[0] in (None, ")") or self.peek()[1] in _OPERATORS - {"NOT"}:
                    raise QuerySyntaxError(
                        "AND at character %d has nothing after it" % (pos + 1), pos)
                if not items:
                    raise QuerySyntaxError(
                        "AND at character %d has nothing before it" % (pos + 1), pos)
                continue
            items.append(self.unary())
        if self.peek()[:2] == ("op", "OR") and not items:
            pos = self.peek()[2]
            raise QuerySyntaxError("OR at character %d has nothing before it" % (pos + 1), pos)
        items = [item for item in items if item is not None]
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self):
        kind, value, pos = self.peek()
        if kind == "-" or (kind, value) == ("op", "NOT"):
            self.take()
            if self.peek()[0] in (None, ")") or self.peek()[0] == "op" and self.peek()[1] != "NOT":
                raise QuerySyntaxError(
                    "%s at character %d has nothing after it" % (value, pos + 1), pos)
            item = self.unary()
            return None if item is None else Not(item)
        return self.primary()

    def primary(self):
        kind, value, pos = self.take()
        if kind == "(":
            if self.peek()[0] == ")":
                raise QuerySyntaxError("empty parentheses at character %d" % (pos + 1), pos)
            node = self.or_expr()
            if self.peek()[0] != ")":
                raise QuerySyntaxError(
                    "unbalanced parenthesis: '(' at character %d is never closed" % (pos + 1), pos)
            self.take()
            return node
        if kind == "phrase":
            parts = tuple(t.text for t in tokenize(value) if t.kind != WHOLE)
            if not parts:
                return None
            if len(parts) == 1:
                return Word(None, parts)
            return Phrase(parts)
        if kind == "word":
            return _word(value, pos)
        raise QuerySyntaxError("unexpected %r at character %d" % (value, pos + 1), pos)


def _word(value, pos):
    star = value.endswith("*")
    stem = value.rstrip("*")
    if "*" in stem:
        raise QuerySyntaxError(
            "only a trailing * is allowed (at character %d: %r)" % (pos + 1, value), pos)
    tokens = list(tokenize(stem))
    if star:
        words = [t for t in tokens if t.kind != PART]
        if len(words) != 1:
            if not tokens:
                raise QuerySyntaxError(
                    "a * must follow at least %d letters or digits (at character %d)"
                    % (MIN_PREFIX, pos + 1), pos)
            raise QuerySyntaxError(
                "a prefix must be a single word or code (at character %d: %r)"
                % (pos + 1, value), pos)
        text = words[0].text
        if len(text) < MIN_PREFIX:
            raise QuerySyntaxError(
                "a * must follow at least %d letters or digits (at character %d: %r)"
                % (MIN_PREFIX, pos + 1, value), pos)
        return Prefix(text)
    if not tokens:
        return None  # punctuation only: nothing to search for
    wholes = [t for t in tokens if t.kind == WHOLE]
    parts = tuple(t.text for t in tokens if t.kind in (WORD, PART))
    if len(wholes) == 1 and len(tokens) == len(parts) + 1:
        return Word(wholes[0].text, parts)
    if len(parts) == 1:
        return Word(None, parts)
    # several pieces without a code between them ("giấy,khai"): a phrase
    return Phrase(parts)


def parse_query(text):
    """Parse the user's query text into a tree; MatchAll for a blank query.

    Raises QuerySyntaxError for a stray quote or parenthesis, a dangling
    operator, a misplaced *, or text with nothing searchable in it.
    """
    if not isinstance(text, str):
        raise QuerySyntaxError("the query must be text, not %s" % type(text).__name__)
    if not text.strip():
        return MatchAll()
    node = _Parser(text).parse()
    if node is None:
        raise QuerySyntaxError("the query has no letters or digits to search for: %r" % text)
    if not positive_leaves(node):
        if isinstance(node, Not) or (isinstance(node, And)
                                     and all(isinstance(i, Not) for i in node.items)):
            return And((MatchAll(),) + (node.items if isinstance(node, And) else (node,)))
    return node


def positive_leaves(node):
    """The Word, Prefix and Phrase nodes that are not under a Not."""
    if isinstance(node, (Word, Prefix, Phrase)):
        return [node]
    if isinstance(node, (And, Or)):
        return [leaf for item in node.items for leaf in positive_leaves(item)]
    return []
