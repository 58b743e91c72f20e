"""Evaluate a parsed query over the segments of a Whoosh index with numpy.

Why not Whoosh's own matchers: they score one posting at a time in Python
(about 10 µs a match for our four-field OR), so a word found in half of
100 000 papers costs a second, and the exact total and the facets need every
match anyway. Here each posting list is read block by block into arrays
(search.segments keeps long lists in memory), and matching,
BM25F scoring, the total, the facets and the filters are array operations
over one segment at a time. Whoosh still owns the files: its codec writes
and reads them, its reader gives terms, postings, stored fields and columns.

The scores are Whoosh's BM25F (B 0.75, K1 1.2, its idf and quantized field
lengths), so the order is the one Whoosh would give.
"""
from itertools import islice
from math import log

import numpy

from . import analysis
from .errors import QuerySyntaxError
from .querylang import And, MatchAll, Not, Or, Phrase, Prefix, Word
from .segments import CACHE_MIN_POSTINGS, EMPTY, Segment

__all__ = ["Evaluator", "FieldPlan", "Matches", "ranked", "total", "facet_counts",
           "column_mask", "postings_mask"]

K1 = 1.2
B = 0.75
# words typed one after the other (without quotes) that stand together and in
# that order in a document lift it above the documents where they are
# scattered: PROXIMITY_STEP per adjacent pair, as much again for the whole
# run, counted in the folded fields and once more in the exact ones (so the
# spelling typed, diacritics included, still comes first)
PROXIMITY_STEP = 1000.0
_POSITION_BITS = 32              # phrase keys: docnum << 32 | start position
_SLICE_SHARE = 64                # fewer candidates than 1/64 of the occurrences: slice runs
SPARSE_SHARE = 16                # Matches stay sparse up to 1/16 of the segment
_NO_IDS = numpy.zeros(0, numpy.int64)
_NO_SCORES = numpy.zeros(0, numpy.float64)


class FieldPlan:
    """Which index fields a word is looked for in, and their weights."""

    def __init__(self, exact, folded, codes, code_boost, max_prefix_terms, min_auto_prefix):
        self.exact = exact            # [(field, boost)]: tones kept
        self.folded = folded          # [(field, boost)]: tones removed
        self.codes = codes            # field of whole codes (exact and folded terms)
        self.code_boost = code_boost
        self.max_prefix_terms = max_prefix_terms
        self.min_auto_prefix = min_auto_prefix


class Matches:
    """One segment's matching documents and their scores.

    Sparse (sorted docnums and their scores) while they are few: a code or a
    name matches a handful of papers, and arrays over every document of the
    segment cost more than finding them (about 40 µs a query and segment of
    25 000 papers, growing with the segment). Dense (a mask and scores over
    every document) once they are more than 1/SPARSE_SHARE of the segment,
    or for And and Not. Either way each document's score is the same sum,
    added in the same order."""

    __slots__ = ("size", "ids", "values", "mask", "score")

    def __init__(self, size):
        self.size = size
        self.ids, self.values = _NO_IDS, _NO_SCORES       # (sparse while mask is None)
        self.mask = self.score = None

    def dense(self):
        """This, as a mask and scores over every document of the segment."""
        if self.mask is None:
            self.mask = numpy.zeros(self.size, dtype=bool)
            self.score = numpy.zeros(self.size, dtype=numpy.float64)
            self.mask[self.ids] = True
            self.score[self.ids] = self.values
            self.ids = self.values = None
        return self

    def add(self, ids, values):
        """`values` (one each, or one for all) added to the documents `ids`
        (sorted, unique), which match from now on."""
        if not len(ids):
            return
        if self.mask is None and len(self.ids) + len(ids) > self.size // SPARSE_SHARE:
            self.dense()
        if self.mask is not None:
            self.mask[ids] = True
            self.score[ids] += values
        elif not len(self.ids):
            self.ids, self.values = ids, numpy.zeros(len(ids)) + values
        else:
            union = numpy.union1d(self.ids, ids)
            score = numpy.zeros(len(union))
            score[numpy.searchsorted(union, self.ids)] = self.values
            score[numpy.searchsorted(union, ids)] += values
            self.ids, self.values = union, score

    def add_any(self, lists, value):
        """`value` added once to each document in any of `lists` (docnums)."""
        lists = [ids for ids in lists if len(ids)]
        if self.mask is None and sum(len(ids) for ids in lists) <= self.size // SPARSE_SHARE:
            if lists:
                self.add(lists[0] if len(lists) == 1 else numpy.unique(numpy.concatenate(lists)),
                         value)
            return
        self.dense()
        hit = numpy.zeros(self.size, dtype=bool)
        for ids in lists:
            hit[ids] = True
        self.mask |= hit
        self.score[hit] += value

    def merge(self, other):
        """Add `other`'s matches and scores (an Or)."""
        if other.mask is None:
            self.add(other.ids, other.values)
        else:
            self.dense()
            self.mask |= other.mask
            self.score += other.score

    def keep(self, mask):
        """Only the documents `mask` (over the segment) allows."""
        if self.mask is None:
            chosen = mask[self.ids]
            self.ids, self.values = self.ids[chosen], self.values[chosen]
        else:
            self.mask &= mask

    def found(self):
        """(docnums, scores) of the matching documents, in docnum order."""
        if self.mask is None:
            return self.ids, self.values
        local = numpy.flatnonzero(self.mask)
        return local, self.score[local]

    def count(self):
        return len(self.ids) if self.mask is None else int(self.mask.sum())

    def selected(self, array):
        """The items of `array` (one per document) of the matching documents."""
        return array[self.ids] if self.mask is None else array[self.mask]


class Evaluator:
    """Runs one parsed query on one Whoosh searcher.

    `plan` says which fields words are looked for in; `path` keys the
    segment caches. Use matches() for the per-segment results, then
    ranked(), total() and facet_counts() over them.
    """

    def __init__(self, searcher, path, plan):
        self.searcher = searcher
        self.plan = plan
        self.segments = [Segment(path, sub.reader(), offset)
                         for sub, offset in searcher.leaf_searchers()
                         if sub.reader().segment() is not None]   # (an empty index)
        self._stats = {}            # per search: idf and average lengths, prefix terms
        self._lists = {}            # per search: postings and phrases' documents (_list)
        # folded field -> its exact twin (numbers: see Segment.source_of)
        self._twin = {f: e for (f, _), (e, _) in zip(plan.folded, plan.exact)}
        self._folded_twin = {e: f for f, e in self._twin.items()}

    # -- statistics over the whole index ------------------------------------------

    def _idf_avgfl(self, field, text):
        key = (field, text)
        found = self._stats.get(key)
        if found is None:
            # Whoosh's BM25F idf, from the term infos the segments keep for
            # this search (not a second look-up of each through Whoosh)
            searcher = self.searcher
            df = 0
            for seg in self.segments:
                info = seg.term_info(field, text)
                if info is not None:
                    df += info.doc_frequency()
            idf = log(searcher.doc_count_all() / (df + 1)) + 1
            found = (idf, self._avg_length(field))
            self._stats[key] = found
        return found

    def _avg_length(self, field):
        """The field's average length in the index, once per search (Whoosh
        sums it over the segments at each call)."""
        key = ("avgfl", field)
        found = self._stats.get(key)
        if found is None:
            found = self._stats[key] = self.searcher.avg_field_length(field) or 1.0
        return found

    # -- leaves ---------------------------------------------------------------------

    def _bm25(self, seg, field, text, ids, freqs):
        idf, avgfl = self._idf_avgfl(field, text)
        lengths = seg.lengths(field)[ids]
        freqs = freqs.astype(numpy.float64)      # (cached lists hold float32)
        return idf * (freqs * (K1 + 1)) / (freqs + K1 * ((1 - B) + B * lengths / avgfl))

    def _source(self, seg, field, text):
        """The field to read `text` from (see Segment.source_of)."""
        return seg.source_of(field, text, self._twin.get(field))

    def _list(self, seg, field, text):
        """(source field, term info, key) of `text` in `field` of `seg`, or
        None: the source is the field or its twin (see _source); the key
        identifies the postings in a search: the segment and their extent (a
        folded term written as its exact twin's chunk, search.bulk, has the
        same), or the term for postings inlined in the terms table."""
        source = self._source(seg, field, text)
        info = seg.term_info(source, text)
        if info is None:
            return None
        key = (seg.key, source, text) if info.is_inlined() else (seg.key, info.extent())
        return source, info, key

    def _postings(self, seg, field, text):
        """seg.postings of `text` in `field`, read once per search (see
        _list): a code's whole is asked for by its word, its phrase and its
        prefix, in the exact and the folded fields."""
        found = self._list(seg, field, text)
        if found is None:
            return EMPTY
        source, _, key = found
        lists = self._lists.get(key)
        if lists is None:
            lists = self._lists[key] = seg.postings(source, text)
        return lists

    def _term(self, seg, out, field, text, boost):
        ids, freqs = self._postings(seg, field, text)
        if len(ids):
            out.add(ids, boost * self._bm25(seg, field, text, ids, freqs))

    def _phrase(self, seg, out, field, words, boost, whole=None):
        if len(words) == 1:
            return self._term(seg, out, field, words[0], boost)
        found = self._phrase_docs(seg, field, words, whole)
        if found is None:
            return
        score = numpy.zeros(len(found))
        for word in words:          # (a repeated word counts each time, as in Whoosh)
            ids, freqs = self._postings(seg, field, word)
            where = numpy.searchsorted(ids, found)
            score += self._bm25(seg, field, word, found, freqs[where])
        out.add(found, boost * score)

    def _phrase_docs(self, seg, field, words, whole):
        """The documents of `seg` where `words` stand in this order in
        `field`, or None; found once per search for the same lists (a folded
        field's phrase of numbers and unmarked words is its exact twin's)."""
        # a word missing from the segment (a paper number is in one segment)
        # ends it before the common words' lists are read
        lists = {}
        for word in dict.fromkeys(words):
            lists[word] = self._list(seg, field, word)
            if lists[word] is None:
                return None
        whole_list = None if whole is None else self._list(seg, field, whole)
        key = ("phrase", tuple(lists[word][2] for word in words),
               whole_list and whole_list[2])
        if key not in self._lists:
            self._lists[key] = self._find_phrase(seg, field, words, whole,
                                                 {word: info for word, (_, info, _) in lists.items()})
        return self._lists[key]

    def _find_phrase(self, seg, field, words, whole, infos):
        """See _phrase_docs; `infos` are the words' term infos."""
        candidates = None           # the documents holding every word
        for word in _reading_order(infos):
            ids, _ = self._postings(seg, field, word)
            candidates = ids if candidates is None else candidates[_member(candidates, ids)]
            if not len(candidates):
                return None
        if whole is not None and self._only_whole(seg, field, whole, candidates):
            return candidates
        return self._phrase_starts(seg, words, field, candidates)

    def _only_whole(self, seg, field, whole, candidates):
        """Whether the documents holding every part of a code are exactly
        those holding the code kept whole: the tokenizer puts a whole code's
        parts right after it, in order, so each of them holds the phrase of
        the parts and the others cannot (no positions need reading)."""
        ids, _ = self._postings(seg, field, whole)
        return numpy.array_equal(ids, candidates)

    def _phrase_starts(self, seg, words, field, candidates):
        """The documents among `candidates` (sorted, unique) where `words`
        stand in order, found by position; None if none."""
        chosen = None
        starts = None
        for i, word in enumerate(words):
            docs, positions = seg.positions(self._source(seg, field, word), word)
            if len(candidates) * _SLICE_SHARE < len(docs):
                # few candidates (a paper number's rare part) in a common
                # word's occurrences: their runs, not a pass over them all
                docs, positions = _runs_of(docs, positions, candidates)
                keep = positions >= i
            else:
                if chosen is None:
                    chosen = numpy.zeros(seg.size, dtype=bool)
                    chosen[candidates] = True
                keep = chosen[docs] & (positions >= i)
            keys = (docs[keep].astype(numpy.int64) << _POSITION_BITS) | (positions[keep] - i)
            # both key lists are sorted (by document, then position) and unique
            starts = keys if starts is None else starts[_member(starts, keys)]
            if not len(starts):
                return None
        return numpy.unique(starts >> _POSITION_BITS)

    def _keys(self, seg, field, text, chosen):
        """Sorted docnum << 32 | position of `text` in the `chosen` documents."""
        docs, positions = seg.positions(self._source(seg, field, text), text)
        if not len(docs):
            return None
        keep = chosen[docs]
        return (docs[keep].astype(numpy.int64) << _POSITION_BITS) | positions[keep]

    def _adjacency(self, seg, fields, words, chosen):
        """Per document of the segment: how many adjacent pairs of `words`
        stand together in order in any of `fields`, plus len(words) - 1 more
        where the whole run does."""
        level = numpy.zeros(seg.size, dtype=numpy.float64)
        n = len(words)
        pairs = [numpy.zeros(seg.size, dtype=bool) for _ in range(n - 1)]
        whole = numpy.zeros(seg.size, dtype=bool)
        for field, _ in fields:
            keys = [self._keys(seg, field, word, chosen) for word in words]
            for i in range(n - 1):
                if keys[i] is not None and keys[i + 1] is not None and len(keys[i]):
                    hit = keys[i][_member(keys[i] + 1, keys[i + 1])]
                    pairs[i][(hit >> _POSITION_BITS).astype(numpy.int64)] = True
            if any(k is None or not len(k) for k in keys):
                continue
            starts = keys[0]
            for i in range(1, n):
                starts = starts[_member(starts + i, keys[i])]
                if not len(starts):
                    break
            whole[(starts >> _POSITION_BITS).astype(numpy.int64)] = True
        for hit in pairs:
            level += hit
        level += whole * (n - 1)
        return level

    def _proximity(self, seg, out, words):
        """Lift the matches where the typed `words` stand together, in order
        (see PROXIMITY_STEP)."""
        chosen = out.mask & seg.live
        if not chosen.any():
            return
        folded = tuple(analysis.fold_token(w) for w in words)
        level = self._adjacency(seg, self.plan.folded, folded, chosen)
        if level.any():
            level += self._adjacency(seg, self.plan.exact, words, chosen)
            out.score += PROXIMITY_STEP * level

    def _prefix(self, seg, out, fields_boosts, prefix, explicit):
        """Terms starting with `prefix` (see _expand); a constant score per field."""
        for field, boost, texts in fields_boosts:
            out.add_any([self._postings(seg, field, term)[0] for text in texts
                         for term in self._expand(seg, field, text, prefix, explicit)], boost)

    def _expand(self, seg, field, text, prefix, explicit):
        """The terms of `field` in `seg` starting with `text` (see
        _prefix_terms); none when the index holds too many and the prefix
        was not typed, QuerySyntaxError when it was."""
        limit = self.plan.max_prefix_terms
        distinct, terms = self._prefix_terms(field, text)
        if distinct > limit:
            if explicit:
                raise QuerySyntaxError(
                    "%r* matches too many words (more than %d); type more letters"
                    % (prefix, limit))
            return []
        return terms.get(seg.key, [])

    def _prefix_terms(self, field, text):
        """(distinct terms in the index, {segment key: [terms]}) of `field`
        starting with `text`, each segment's looked up once per search in its
        own terms table (the limit counts the index's distinct terms, so it
        does not depend on segments; no merge of the segments' term lists in
        order is needed, nor a look-up of each term where it is not).

        An ASCII prefix (a number, an id, a code without marks) starts an
        exact field's term in a segment only if it starts one of its folded
        twin's there (those are the folded forms of the same tokens, and
        folding keeps an ASCII start), so the segments without it in the
        folded field are not looked up again."""
        key = ("prefix", field, text)
        found = self._stats.get(key)
        if found is None:
            limit = self.plan.max_prefix_terms
            folded = self._folded_twin.get(field)
            absent = set()
            if folded is not None and text.isascii():
                absent = {seg_key for seg_key, terms in self._prefix_terms(folded, text)[1].items()
                          if not terms}
            terms = {other.key: [] if other.key in absent else [
                term.decode("utf-8") if isinstance(term, bytes) else term
                for term in islice(other.reader.expand_prefix(field, text), limit + 1)]
                for other in self.segments}
            found = self._stats[key] = (len(set().union(*terms.values())), terms)
        return found

    def _word_fields(self, seg, out, text):
        folded = analysis.fold_token(text)
        for field, boost in self.plan.exact:
            self._term(seg, out, field, text, boost)
        for field, boost in self.plan.folded:
            self._term(seg, out, field, folded, boost)

    def _phrase_fields(self, seg, out, parts, whole=None):
        folded = tuple(analysis.fold_token(p) for p in parts)
        folded_whole = None if whole is None else analysis.fold_token(whole)
        for field, boost in self.plan.exact:
            self._phrase(seg, out, field, parts, boost, whole)
        for field, boost in self.plan.folded:
            self._phrase(seg, out, field, folded, boost, folded_whole)

    # -- the tree -------------------------------------------------------------------

    def _eval(self, seg, node):
        plan = self.plan
        out = Matches(seg.size)
        if isinstance(node, MatchAll):     # scored 1, as Whoosh scores Every and Not
            out.dense()
            out.mask[:] = True
            out.score[:] = 1.0
        elif isinstance(node, Word):
            if node.whole is not None:
                key = node.whole
                self._word_fields(seg, out, key)
                self._phrase_fields(seg, out, node.parts, key)
            else:
                key = node.parts[0]
                self._word_fields(seg, out, key)
            if node.code_like and len(key) >= plan.min_auto_prefix:
                self._prefix(seg, out, self._prefix_fields(key, codes_first=True), key,
                             explicit=False)
        elif isinstance(node, Phrase):
            self._phrase_fields(seg, out, node.parts)
        elif isinstance(node, Prefix):
            self._prefix(seg, out, self._prefix_fields(node.text, codes_first=False),
                         node.text, explicit=True)
        elif isinstance(node, And):
            out.dense()
            out.mask[:] = True
            for item in node.items:
                sub = self._eval(seg, item).dense()
                out.mask &= sub.mask
                out.score += sub.score
            out.score[~out.mask] = 0.0     # (a score is 0 wherever there is no match)
            for run in _word_runs(node.items):
                self._proximity(seg, out, run)
        elif isinstance(node, Or):
            for item in node.items:
                out.merge(self._eval(seg, item))
        elif isinstance(node, Not):
            out.dense()
            out.mask = ~self._eval(seg, node.item).dense().mask
            out.score[out.mask] = 1.0
        else:  # pragma: no cover
            raise TypeError("unknown query node %r" % (node,))
        return out

    def _prefix_fields(self, text, codes_first):
        plan = self.plan
        folded = analysis.fold_token(text)
        codes = [(plan.codes, plan.code_boost, sorted({text, folded}))]
        exact = [(f, b, [text]) for f, b in plan.exact]
        fold = [(f, b, [folded]) for f, b in plan.folded]
        if codes_first:      # a code typed in full: codes and the body text only
            return codes + exact[:1] + fold[:1]
        return exact + fold + codes

    def matches(self, node, allowed=None):
        """[(segment, Matches)] of `node`; `allowed` is None or a function
        giving a segment's mask of the documents the filters allow (asked
        only for the segments with matches)."""
        found = []
        for seg in self.segments:
            if not seg.size:
                continue
            out = self._eval(seg, node)
            out.keep(seg.live)
            if allowed is not None and out.count():
                out.keep(allowed(seg))
            found.append((seg, out))
        return found


def _reading_order(infos):
    """The words of a phrase ({word: term info}) in the order their lists
    are read to find the documents holding them all: the rarest first (a
    number's few papers), then the long lists, kept in memory once read
    (CACHE_MIN_POSTINGS), then the other short ones, which are read from
    the segment each time: where the code is not, the first ones leave no
    candidate and the rest are never read."""
    order = sorted(infos, key=lambda word: infos[word].doc_frequency())
    return order[:1] + sorted(order[1:], key=lambda word: (
        infos[word].doc_frequency() < CACHE_MIN_POSTINGS))


def _runs_of(docs, positions, wanted):
    """The (docs, positions) entries of the `wanted` documents (sorted,
    unique), `docs` being sorted: a binary search per wanted document."""
    start = numpy.searchsorted(docs, wanted, "left")
    end = numpy.searchsorted(docs, wanted, "right")
    sizes = end - start
    total = int(sizes.sum())
    if not total:
        return docs[:0], positions[:0]
    index = numpy.arange(total) + numpy.repeat(start - (numpy.cumsum(sizes) - sizes), sizes)
    return docs[index], positions[index]


def _word_runs(items):
    """Runs of two or more plain words typed one after the other."""
    runs, current = [], []
    for item in items:
        if isinstance(item, Word) and item.whole is None and len(item.parts) == 1:
            current.append(item.parts[0])
            continue
        if len(current) > 1:
            runs.append(tuple(current))
        current = []
    if len(current) > 1:
        runs.append(tuple(current))
    return runs


def _member(values, sorted_set):
    """For each of `values`, whether it is in the sorted array `sorted_set`
    (a binary search each: no sorting of the values, unlike numpy.isin)."""
    if not len(sorted_set):
        return numpy.zeros(len(values), dtype=bool)
    where = numpy.searchsorted(sorted_set, values)
    where[where == len(sorted_set)] = 0
    return sorted_set[where] == values


def ranked(found, limit):
    """The best `limit` (global docnum, score) pairs, best first; equal scores
    in index order, as Whoosh orders them."""
    docnums, scores = [], []
    for seg, out in found:
        local, score = out.found()
        docnums.append(local.astype(numpy.int64) + seg.offset)     # (lists may be uint16)
        scores.append(score)
    if not docnums:
        return []
    docnums = numpy.concatenate(docnums)
    scores = numpy.concatenate(scores)
    if len(scores) > limit:
        kth = numpy.partition(scores, len(scores) - limit)[len(scores) - limit]
        keep = scores >= kth
        docnums, scores = docnums[keep], scores[keep]
    order = numpy.lexsort((docnums, -scores))[:limit]
    return list(zip(docnums[order].tolist(), scores[order].tolist()))


def total(found):
    return sum(out.count() for _, out in found)


def facet_counts(found, name, keep):
    """{value: documents} of column `name` over the matches; `keep(value)`
    drops the filler value of documents without one."""
    counts = {}
    for seg, out in found:
        if not out.count():
            continue
        codes, values = seg.column(name)
        for code, n in enumerate(numpy.bincount(out.selected(codes),
                                                minlength=len(values)).tolist()):
            if n and keep(values[code]):
                counts[values[code]] = counts.get(values[code], 0) + n
    return counts


def column_mask(seg, name, wanted):
    """Documents of `seg` whose column `name` holds one of `wanted`."""
    codes, values = seg.column(name)
    chosen = [code for code, value in enumerate(values) if value in wanted]
    if not chosen:
        return numpy.zeros(seg.size, dtype=bool)
    return numpy.isin(codes, chosen)


def postings_mask(seg, field, terms):
    """Documents of `seg` holding any of `terms` in `field`."""
    mask = numpy.zeros(seg.size, dtype=bool)
    for term in terms:
        ids, _ = seg.postings(field, term)
        mask[ids] = True
    return mask
