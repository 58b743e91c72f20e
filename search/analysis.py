"""Vietnamese text analysis: one spelling per word, folding, syllable tokens.

Engine-independent (no Whoosh here): the index adapts these functions, and
the highlighter and `match_words` use the very same ones, so what is marked
is what matched.

- `normalize_vi(text)`: NFC; the look-alikes of Đ (Ð U+00D0, Ɖ U+0189 and
  their lower-case forms) become Đ/đ; hyphen look-alikes become "-"; the old
  tone placement on oa/oe/uy at the end of a syllable (hóa, khỏe, thủy)
  becomes the new one (hoá, khoẻ, thuỷ). Length-preserving on NFC text, so
  offsets found in the result are valid in `unicodedata.normalize("NFC", text)`.
- `fold_vi(text)`: tones and vowel marks removed, đ→d, Đ→D (written here
  because Whoosh's stock accent folding maps the combining tilde and the dot
  below wrongly for Vietnamese).
- `tokenize(text)`: lower-case syllable tokens with positions and offsets; a
  code such as "123/QĐ-UBND" gives one WHOLE token ("123/qđ-ubnd") and its
  PART tokens ("123", "qđ", "ubnd"), the whole token sharing the position of
  its first part, so that phrases run over parts and codes stay findable whole.
"""
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = ["normalize_vi", "fold_vi", "tokenize", "Token", "WORD", "WHOLE", "PART",
           "is_code_like"]

# --- Đ and hyphen look-alikes -------------------------------------------------

_LOOKALIKES = str.maketrans({
    "\u00d0": "\u0110",  # Ð Icelandic eth (capital) -> Đ
    "\u0189": "\u0110",  # Ɖ African D -> Đ
    "\u00f0": "\u0111",  # ð eth -> đ
    "\u0256": "\u0111",  # ɖ d with tail -> đ
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
    "\u2014": "-", "\u2015": "-", "\u2212": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00a0": " ",
})

# translate() looks every character up in a dict: test for the rare ones first
_HAS_LOOKALIKE = re.compile("[%s]" % "".join(re.escape(chr(c)) for c in _LOOKALIKES))


def _replace_lookalikes(text):
    return text.translate(_LOOKALIKES) if _HAS_LOOKALIKE.search(text) else text


# --- tone placement -----------------------------------------------------------

_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền sắc hỏi ngã nặng


def _compose(base, mark=""):
    return unicodedata.normalize("NFC", base + mark)


def _tone_tables():
    """Maps for "óa" -> "oá" (old -> new placement), every case and tone."""
    moves = {}
    for first, seconds in (("o", "ae"), ("u", "y")):
        for first_case in (first, first.upper()):
            for second in seconds:
                for second_case in (second, second.upper()):
                    for tone in _TONES:
                        old = _compose(first_case, tone) + second_case
                        new = first_case + _compose(second_case, tone)
                        moves[old] = new
    return moves


_OLD_TO_NEW = _tone_tables()
# an old-style pair is only moved at the end of a syllable (hóa, thủy), not
# before a final letter (hoàng, khuỷu), which both styles write alike.
_OLD_STYLE = re.compile(
    "(" + "|".join(map(re.escape, _OLD_TO_NEW)) + ")(?![\\w\u0300-\u036f])")


def _new_style(match):
    return _OLD_TO_NEW[match.group(1)]


def normalize_vi(text):
    """One spelling for one word: NFC, Đ look-alikes, new-style tone placement.

    Case is kept (tokens are lower-cased later); the result has the same
    length as `unicodedata.normalize("NFC", text)`.
    """
    if not isinstance(text, str):
        raise TypeError("normalize_vi expects str, not %s" % type(text).__name__)
    text = _replace_lookalikes(unicodedata.normalize("NFC", text))
    return _OLD_STYLE.sub(_new_style, text)


# --- folding ------------------------------------------------------------------

_COMBINING = re.compile("[\u0300-\u036f]")


def fold_vi(text):
    """Remove tones and vowel marks (ã→a, ạ→a, ẫ→a, ỹ→y, ơ→o, ư→u) and đ→d.

    Decompose (NFD), drop the combining marks U+0300–U+036F, map đ/Đ to
    d/D, recompose (NFC). Case is kept.
    """
    if not isinstance(text, str):
        raise TypeError("fold_vi expects str, not %s" % type(text).__name__)
    decomposed = unicodedata.normalize("NFD", _replace_lookalikes(text))
    bare = _COMBINING.sub("", decomposed).replace("\u0111", "d").replace("\u0110", "D")
    return unicodedata.normalize("NFC", bare)


@lru_cache(maxsize=200_000)
def fold_token(token):
    """`fold_vi` memoized for single tokens (the vocabulary is small)."""
    return fold_vi(token)


# --- tokens -------------------------------------------------------------------

WORD = "word"    # a syllable or number standing alone
WHOLE = "whole"  # a code kept whole: "123/qđ-ubnd"
PART = "part"    # one piece of a code: "123", "qđ", "ubnd"

_ALNUM = "[^\\W_]"
_ALNUM_RUN = "(?:[^\\W_]|[\u0300-\u036f])+"
# parts joined by / . - _ : with no space; a trailing full stop is not a joiner
_TOKEN = re.compile("%s(?:[/.\\-_:]%s)*" % (_ALNUM_RUN, _ALNUM_RUN))
_PART = re.compile(_ALNUM_RUN)
TOKEN_PATTERN = _TOKEN   # one chunk: a syllable, or a code's parts with their joiners
_HAS_DIGIT = re.compile(r"\d")


class Token(NamedTuple):
    text: str      # normalized, lower-cased
    pos: int       # position (syllable index); a WHOLE shares its first PART's
    start: int     # character offsets in the NFC text
    end: int
    kind: str      # WORD, WHOLE or PART


def tokenize(text, *, normalized=False):
    """Yield the Tokens of `text` (normalized first unless `normalized`)."""
    if not normalized:
        text = normalize_vi(text)
    pos = 0
    for match in _TOKEN.finditer(text):
        chunk = match.group()
        start = match.start()
        parts = _PART.findall(chunk)
        if len(parts) == 1:
            yield Token(chunk.lower(), pos, start, match.end(), WORD)
            pos += 1
            continue
        yield Token(chunk.lower(), pos, start, match.end(), WHOLE)
        for part in _PART.finditer(chunk):
            yield Token(part.group().lower(), pos, start + part.start(),
                        start + part.end(), PART)
            pos += 1


def token_texts(text):
    """The lower-cased token strings of `text` (WORD, WHOLE and PART), fast path
    for indexing: [(text, pos), ...]."""
    text = normalize_vi(text)
    out = []
    append = out.append
    pos = 0
    for chunk in _TOKEN.findall(text):
        chunk = chunk.lower()
        if chunk.isalnum():                  # a plain syllable (most are): no joiner
            append((chunk, pos))
            pos += 1
            continue
        parts = _PART.findall(chunk)
        if len(parts) == 1:
            append((chunk, pos))
            pos += 1
        else:
            append((chunk, pos))
            for part in parts:
                append((part, pos))
                pos += 1
    return out


def is_code_like(token_text):
    """True for ids, numbers and codes: the token holds a digit or a joiner."""
    return bool(_HAS_DIGIT.search(token_text)) or any(c in token_text for c in "/.-_:")
