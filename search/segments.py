"""A Whoosh segment's postings, positions, field lengths and columns as arrays.

Why a module: search.evaluation scores over whole lists, and reading them is
the expensive part; segments never change, so what is read is kept, in one
least-recently-used cache for the whole process (keyed by index path and
segment id), and warm() reads the commonest lists ahead of the first
searches. Deletions are not cached: they change with every commit.
"""
import threading
from collections import OrderedDict

import numpy
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

__all__ = ["Segment", "warm", "clear_caches", "EMPTY", "EMPTY_POSITIONS"]

CACHE_MIN_POSTINGS = 1000       # shorter lists are cheap to read again
MAX_KEPT_INFOS = 5000            # term infos kept per segment (about 1 MB)
# all indexes and segments of the process together: 8 bytes an entry (int32
# docnum + float32 frequency, or int32 docnum + int32 position)
CACHE_MAX_ENTRIES = 64_000_000   # about 510 MB
WARM_SHARE = 0.7                 # warming stops there: searches need room too
_BYTE_TO_LENGTH = numpy.array([byte_to_length(i) for i in range(256)], dtype=numpy.float64)


class _SegmentData:
    """What never changes in one segment and is small: field lengths and
    facet columns. Deletions are not here: they change."""

    def __init__(self):
        self.lengths = {}
        self.columns = {}
        self.twins = {}            # (field, number) -> whether the exact twin's list is the same
        self.infos = {}            # (field, text) -> term info or None (see Segment.term_info)
        self.live = None           # (deleted count, live mask): deletions only grow
        self.warmed = False


_SEGMENTS = OrderedDict()            # (index path, segment id) -> _SegmentData
_SEGMENTS_LOCK = threading.Lock()
_MAX_SEGMENTS = 64


def _segment_data(key):
    with _SEGMENTS_LOCK:
        data = _SEGMENTS.pop(key, None)
        if data is None:
            data = _SegmentData()
        _SEGMENTS[key] = data
        while len(_SEGMENTS) > _MAX_SEGMENTS:
            _SEGMENTS.popitem(last=False)
    return data


class _ListCache:
    """Long posting lists and position lists, least recently used out first,
    within CACHE_MAX_ENTRIES over the whole process (a segment's lists never
    change, so they are keyed by its id)."""

    def __init__(self):
        self._items = OrderedDict()
        self._entries = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    @property
    def entries(self):
        return self._entries

    def put(self, key, arrays):
        with self._lock:
            if key in self._items:
                return
            self._items[key] = arrays
            self._entries += len(arrays[0])
            while self._entries > CACHE_MAX_ENTRIES and self._items:
                _, (first, _second) = self._items.popitem(last=False)
                self._entries -= len(first)


_LISTS = _ListCache()


def clear_caches():
    """Forget every cached list, length and column (benchmarks of a cold start)."""
    global _LISTS
    _LISTS = _ListCache()
    with _SEGMENTS_LOCK:
        _SEGMENTS.clear()


class Segment:
    """One segment as seen by one search: reader, size, live mask, caches."""

    def __init__(self, path, reader, offset):
        self.reader = reader
        self.offset = offset
        self.size = reader.doc_count_all()
        self.key = (path, reader.segment().segment_id())
        self.data = _segment_data(self.key)
        deleted_count = reader.segment().deleted_count()
        known = self.data.live
        if known is not None and known[0] == deleted_count:
            self.live = known[1]           # (never written to: masks are copied)
        else:
            self.live = numpy.ones(self.size, dtype=bool)
            if deleted_count:
                deleted = reader.deleted_docs_set
                self.live[numpy.fromiter(deleted, numpy.int64, len(deleted))] = False
            self.data.live = (deleted_count, self.live)

    def _cached(self, kind, field, text):
        return _LISTS.get(self.key + (kind, field, text))

    def _keep(self, kind, field, text, arrays):
        if len(arrays[0]) >= CACHE_MIN_POSTINGS:
            if kind == "postings":
                arrays = (arrays[0].astype(numpy.int32), arrays[1].astype(numpy.float32))
            _LISTS.put(self.key + (kind, field, text), arrays)
        return arrays

    def term_info(self, field, text):
        """The term's W3TermInfo in this segment, or None: one look-up in the
        terms table, kept with the segment (it never changes; a query's
        common words and numbers are looked up again by the next ones)."""
        key = (field, text)
        infos = self.data.infos
        try:
            return infos[key]
        except KeyError:
            pass
        terms = getattr(self.reader, "_terms", None)
        info = None
        if terms is not None:
            try:
                info = terms.term_info(field, text.encode("utf-8") if isinstance(text, str)
                                       else text)
            except (KeyError, ValueError, TermNotFound):
                info = None
        if len(infos) >= MAX_KEPT_INFOS:
            infos.clear()
        infos[key] = info
        return info

    def _matcher(self, field, text):
        info = self.term_info(field, text)
        if info is None:
            return None
        tbytes = text.encode("utf-8") if isinstance(text, str) else text
        terms = self.reader._terms
        # (deletions are not filtered here: the live mask is applied to the
        # matches, see search.evaluation)
        return terms._codec.postings_reader(terms._postfile, info,
                                            self.reader.schema[field].format,
                                            term=(field, tbytes))

    def postings(self, field, text):
        """(ids, frequencies) of a term in this segment; empty arrays if absent."""
        found = self._cached("postings", field, text)
        if found is None:
            matcher = self._matcher(field, text)
            if matcher is None:
                return EMPTY
            found = self._keep("postings", field, text, _read_list(matcher))
        return found

    def positions(self, field, text):
        """(docnums, positions) of every occurrence of a term: phrases over
        common syllables and numbers need them again and again. (The
        postings, read on the way, are kept too.)"""
        found = self._cached("positions", field, text)
        if found is None:
            matcher = self._matcher(field, text)
            if matcher is None:
                return EMPTY_POSITIONS
            postings, found = _read_list(matcher, positions=True)
            if found is None:
                return EMPTY_POSITIONS
            if self._cached("postings", field, text) is None:
                self._keep("postings", field, text, postings)
            found = self._keep("positions", field, text, found)
        return found

    def source_of(self, field, text, twin):
        """`twin` (a folded field's exact twin) if its list of `text` is the
        field's own, else `field`: a number folds to itself, so its lists are
        usually the same and are then read (and kept) once; not when a digit
        with a stray mark ("2\u0303", which folds to "2") is in the segment."""
        if twin is None or not text.isdigit():
            return field
        key = (field, text)
        same = self.data.twins.get(key)
        if same is None:
            mine, other = self.term_info(field, text), self.term_info(twin, text)
            if mine is None or other is None:
                same = mine is None and other is None
            else:
                same = (mine.doc_frequency() == other.doc_frequency()
                        and mine.weight() == other.weight())
            self.data.twins[key] = same
        return twin if same else field

    def lengths(self, field):
        """Whoosh's quantized length of `field` in every document (1 if none)."""
        found = self.data.lengths.get(field)
        if found is None:
            found = _read_lengths(self.reader, field, self.size)
            self.data.lengths[field] = found
        return found

    def column(self, name):
        """(codes, values): values[codes[docnum]] is the column's value."""
        found = self.data.columns.get(name)
        if found is None:
            raw = list(self.reader.column_reader(name)) if self.size else []
            values, codes = numpy.unique(numpy.array(raw, dtype=object), return_inverse=True) \
                if raw else (numpy.array([], dtype=object), numpy.zeros(0, numpy.int64))
            found = (codes.astype(numpy.int32), list(values))
            self.data.columns[name] = found
        return found


EMPTY = (numpy.zeros(0, numpy.int64), numpy.zeros(0, numpy.float64))
EMPTY_POSITIONS = (numpy.zeros(0, numpy.int32), numpy.zeros(0, numpy.int32))


def _restart_sums(values, sizes):
    """Running sums of `values` that restart at each group of `sizes`."""
    running = numpy.cumsum(values)
    ends = numpy.cumsum(sizes)
    before = numpy.concatenate(([0], running[ends[:-1] - 1]))
    return running - numpy.repeat(before, sizes)


def _read_list(matcher, positions=False):
    """A posting list read a block at a time: ((ids, frequencies), and if
    `positions`, (docnums, positions) of every occurrence).

    Blocks are search.codec's arrays: docnums, weights, value lengths, and
    the values (search.postings_format's uint32 position deltas)."""
    matcher = getattr(matcher, "child", matcher)        # a FilterMatcher's inner one
    if not hasattr(matcher, "block_arrays"):
        return _read_slowly(matcher, positions)         # (inlined or vector postings)
    ids, weights, lengths, values = [], [], [], []
    while matcher.is_active():
        block_ids, block_weights, block_lengths, block_values = matcher.block_arrays()
        ids.append(block_ids)
        weights.append(block_weights)
        if positions:
            lengths.append(block_lengths)
            values.append(block_values)
        matcher._next_block()
    if not ids:
        return (EMPTY, EMPTY_POSITIONS) if positions else EMPTY
    ids = numpy.concatenate(ids).astype(numpy.int64)
    found = ids, numpy.concatenate(weights).astype(numpy.float64)
    if not positions:
        return found
    if any(block is None for block in lengths):
        return found, EMPTY_POSITIONS                  # (a field without positions)
    counts = numpy.concatenate(lengths).astype(numpy.int64) // 4
    deltas = numpy.frombuffer(b"".join(values), dtype="<u4").astype(numpy.int64)
    return found, (numpy.repeat(ids, counts).astype(numpy.int32),
                   _restart_sums(deltas, counts).astype(numpy.int32))


def _read_slowly(matcher, positions):
    ids, weights, occurrences = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if positions:
            occurrences.extend((matcher.id(), p) for p in matcher.value_as("positions"))
        matcher.next()
    found = numpy.array(ids, numpy.int64), numpy.array(weights, numpy.float64)
    if not positions:
        return found
    pairs = numpy.array(occurrences, dtype=numpy.int32).reshape(-1, 2)
    return found, (pairs[:, 0].copy(), pairs[:, 1].copy())


def _read_lengths(reader, field, size):
    perdoc = getattr(reader, "_perdoc", None)
    column = None
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if column is not None:
        raw = numpy.fromiter(iter(column), dtype=numpy.uint8, count=size)
        lengths = _BYTE_TO_LENGTH[raw]
    else:
        lengths = numpy.fromiter((reader.doc_field_length(d, field, 0) or 0 for d in range(size)),
                                 dtype=numpy.float64, count=size)
    lengths[lengths == 0] = 1.0
    return lengths


def warm(searcher, path, plan, *, min_share=0.01, stop=None):
    """Read into the caches the posting lists of every body-text term found
    in at least `min_share` of a segment's documents (and the positions of
    the exact ones), so the first searches after a start or a merge do not
    pay for them. Segments already warmed are skipped, so it can be called
    again after merges. Returns how many lists were read; `stop` (an Event)
    ends it early."""
    (exact, _), (folded, _) = plan.exact[0], plan.folded[0]
    read = 0
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if reader.segment() is None:
            continue
        seg = Segment(path, reader, offset)
        if seg.data.warmed:
            continue
        threshold = max(CACHE_MIN_POSTINGS, int(seg.size * min_share))
        for field in (exact, folded):
            common = sorted(((info.doc_frequency(), text) for text, info
                             in reader.iter_field(field) if info.doc_frequency() >= threshold),
                            reverse=True)
            for _, text in common:
                if stop is not None and stop.is_set():
                    return read
                if _LISTS.entries > WARM_SHARE * CACHE_MAX_ENTRIES:
                    return read       # the rest would push out the commonest lists
                if isinstance(text, bytes):
                    text = text.decode("utf-8")
                if field == folded and seg.source_of(field, text, exact) == exact:
                    continue                    # the exact twin's list, read already
                if field == exact:
                    seg.positions(field, text)      # (keeps the postings too)
                else:
                    seg.postings(field, text)
                read += 1
        seg.data.warmed = True
    return read


