"""Which tokens of a text match a query: for <mark> snippets and page boxes.

A query word matches a token when their folded forms are equal (so both the
exact and the no-diacritics match are shown, as both are found by search);
a code-like word also matches a token that starts with it ("123/QĐ" marks
"123/QĐ-UBND"); a Prefix matches tokens starting with it; a Phrase matches
runs of consecutive syllables. Words under NOT are never marked.
"""
from .analysis import WHOLE, fold_token, tokenize
from .querylang import Phrase, Prefix, Word, parse_query, positive_leaves

__all__ = ["match_words", "QueryMarker"]


class QueryMarker:
    """Compiled from a parsed query; marks the matching tokens of a text."""

    def __init__(self, query):
        self.terms = set()      # folded tokens matched whole
        self.prefixes = []      # folded prefixes
        self.phrases = []       # tuples of folded syllables
        for leaf in positive_leaves(query):
            if isinstance(leaf, Prefix):
                self.prefixes.append(fold_token(leaf.text))
            elif isinstance(leaf, Phrase):
                self.phrases.append(tuple(fold_token(p) for p in leaf.parts))
            elif isinstance(leaf, Word):
                if leaf.whole is not None:
                    self.terms.add(fold_token(leaf.whole))
                    self.prefixes.append(fold_token(leaf.whole))
                    self.phrases.append(tuple(fold_token(p) for p in leaf.parts))
                elif leaf.code_like:
                    self.prefixes.append(fold_token(leaf.parts[0]))
                else:
                    self.terms.add(fold_token(leaf.parts[0]))
        self.prefixes = tuple(self.prefixes)

    @property
    def needles(self):
        """{folded string: whether it must end a token}: one of them starts
        every match (in the folded text): the terms, the prefixes and the
        first syllable of each phrase."""
        out = dict.fromkeys(self.prefixes, False)
        out.update(dict.fromkeys(self.terms, True))
        out.update((phrase[0], True) for phrase in self.phrases if phrase)
        return out

    @property
    def reach(self):
        """How many tokens after its needle's a match can run to (a phrase's
        other syllables)."""
        return max((len(phrase) - 1 for phrase in self.phrases), default=0)

    def __bool__(self):
        return bool(self.terms or self.prefixes or self.phrases)

    def marked(self, tokens):
        """Indexes into `tokens` (a list of analysis.Token) that match."""
        hits = set()
        folded = [fold_token(t.text) for t in tokens]
        for i, text in enumerate(folded):
            if text in self.terms or (self.prefixes and text.startswith(self.prefixes)):
                hits.add(i)
        if self.phrases:
            # phrases run over syllables: WHOLE tokens are skipped
            seq = [i for i, t in enumerate(tokens) if t.kind != WHOLE]
            for phrase in self.phrases:
                n = len(phrase)
                for k in range(len(seq) - n + 1):
                    if all(folded[seq[k + j]] == phrase[j] for j in range(n)):
                        hits.update(seq[k:k + n])
        return sorted(hits)


def match_words(query, words):
    """Indexes of the OCR `words` that match a term of `query` (exact or folded).

    `query` is the text the user typed (or an already parsed query);
    `words` a list of the OCR word strings of a page, in reading order.
    Phrases are matched across consecutive words. Raises QuerySyntaxError
    for a malformed query.
    """
    marker = QueryMarker(parse_query(query) if isinstance(query, str) else query)
    if not marker:
        return []
    tokens, owner = [], []
    for index, word in enumerate(words):
        for token in tokenize(word):
            tokens.append(token)
            owner.append(index)
    return sorted({owner[i] for i in marker.marked(tokens)})
