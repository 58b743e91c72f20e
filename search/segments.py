"""A Whoosh segment's postings, positions, field lengths and columns as arrays.

Why a module: search.evaluation scores over whole lists, and reading them is
the expensive part; segments never change, so what is read can be kept.
Kept where every process sees it: warm() decodes the commonest lists of a
segment once, into one file per segment (SharedLists, under the index's
LISTS_DIR), and every process maps that file, so the decoded lists are the
kernel's page cache, shared, not each web process's own copy (two processes
held 1 GB of private decoded lists at 100 000 papers). The file is written
by the first process that warms the segment (the others wait on a lock and
map it; a process that looked for it earlier looks again after
RECHECK_SECONDS) and is removed once its segment is gone. Lists outside the
files (a segment not warmed yet) go to a small least-recently-used cache of
the process (CACHE_MAX_ENTRIES). Deletions are not cached: they change with
every commit.
"""
import fcntl
import mmap
import os
import pickle
import threading
import time
from collections import OrderedDict

import numpy
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

__all__ = ["Segment", "SharedLists", "warm", "clear_caches", "EMPTY", "EMPTY_POSITIONS"]

CACHE_MIN_POSTINGS = 1000       # shorter lists are cheap to read again
MAX_KEPT_INFOS = 5000            # term infos kept per segment (about 1 MB)
# the process's own lists (all indexes and segments together; the shared
# files are apart): 8 bytes an entry (int32 docnum + float32 frequency, or
# int32 docnum + int32 position)
CACHE_MAX_ENTRIES = 4_000_000    # about 32 MB
WARM_SHARE = 0.7                 # warming without a shared file stops there
LISTS_DIR = "lists"              # under the index directory: the shared files
LISTS_VERSION = 1                # in the file names: another layout, other files
RECHECK_SECONDS = 30             # a segment's missing file is looked for again after
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


class SharedLists:
    """One segment's decoded lists in a file every process maps (see the
    module docstring): the arrays are read-only views of the map.

    Layout: the arrays' bytes one after the other (each at a multiple of 8),
    then a pickled directory {(kind, field, text): ((dtype, offset, count),
    (dtype, offset, count))}, then its offset as 8 bytes and MAGIC; the
    arrays in the process cache's types (_cache_types)."""

    MAGIC = b"KHOLIST1"
    _TAIL = 16

    def __init__(self, filename):
        with open(filename, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        tail = self._map[-self._TAIL:]
        if len(tail) != self._TAIL or tail[8:] != self.MAGIC:
            raise ValueError("%s is not a whole shared lists file" % filename)
        start = int.from_bytes(tail[:8], "little")
        self._directory = pickle.loads(self._map[start:-self._TAIL])
        self.entries = sum(first[2] for first, _ in self._directory.values())

    def __len__(self):
        return len(self._directory)

    def get(self, kind, field, text):
        found = self._directory.get((kind, field, text))
        if found is None:
            return None
        return tuple(numpy.frombuffer(self._map, dtype=dtype, count=count, offset=offset)
                     for dtype, offset, count in found)

    @classmethod
    def write(cls, filename, lists):
        """Write `lists` ((kind, field, text, arrays) pairs, arrays as
        Segment gives them) into `filename` (a temporary name: the caller
        renames it into place). Returns how many lists were written."""
        directory = {}
        with open(filename, "wb") as out:
            for kind, field, text, arrays in lists:
                where = []
                for array in _cache_types(kind, arrays):
                    offset = out.tell()
                    out.write(array.tobytes())
                    out.write(bytes(-out.tell() % 8))
                    where.append((array.dtype.str, offset, len(array)))
                directory[(kind, field, text)] = tuple(where)
            start = out.tell()
            out.write(pickle.dumps(directory, pickle.HIGHEST_PROTOCOL))
            out.write(start.to_bytes(8, "little") + cls.MAGIC)
        return len(directory)


def _cache_types(kind, arrays):
    """`arrays` in the types the process cache keeps them in (int32 docnums
    and positions, float32 frequencies): search.evaluation adds segment
    offsets to docnums and subtracts from positions, so no narrower type."""
    first, second = arrays
    return first.astype(numpy.int32), second.astype(numpy.float32 if kind == "postings"
                                                     else numpy.int32)


class _ListCache:
    """Long posting lists and position lists: the segments' shared files
    (mapped, see SharedLists), then the process's own least-recently-used
    lists within CACHE_MAX_ENTRIES (a segment's lists never change, so they
    are keyed by its id). `_entries` counts the entries it can give (mapped
    and own)."""

    def __init__(self):
        self._items = OrderedDict()
        self._own = 0
        self._entries = 0
        self._stores = {}           # segment key -> SharedLists
        self._missing = {}          # segment key -> when its file was found missing
        self._lock = threading.Lock()

    def get(self, key):
        store = self.store(key[:2])
        if store is not None:
            found = store.get(*key[2:])
            if found is not None:
                return found
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    @property
    def entries(self):
        return self._entries

    def store(self, segment_key):
        """The segment's SharedLists, mapped at the first ask if the file is
        there, or None; a missing file is looked for again after
        RECHECK_SECONDS (another process may write it: a segment merged
        after this process warmed)."""
        found = self._stores.get(segment_key)
        if found is not None:
            return found
        missing = self._missing.get(segment_key)
        now = time.monotonic()
        if missing is not None and now - missing < RECHECK_SECONDS:
            return None
        store = _open_shared(_lists_file(*segment_key))
        if store is None:
            self._missing[segment_key] = now
            return None
        return self.share(segment_key, store)

    def nothing_shared(self, segment_key):
        """The segment has no common lists, so no file: store() stops looking."""
        self._missing[segment_key] = float("inf")

    def share(self, segment_key, store):
        """Use `store` (mapped by the caller) for the segment's lists."""
        with self._lock:
            known = self._stores.get(segment_key)
            if known is not None:
                return known
            self._stores[segment_key] = store
            self._missing.pop(segment_key, None)
            self._entries += store.entries
        return store

    def put(self, key, arrays):
        with self._lock:
            if key in self._items:
                return
            self._items[key] = arrays
            self._own += len(arrays[0])
            self._entries += len(arrays[0])
            while self._own > CACHE_MAX_ENTRIES and self._items:
                _, (first, _second) = self._items.popitem(last=False)
                self._own -= len(first)
                self._entries -= len(first)

    def own_entries(self):
        return self._own


def _lists_file(path, segment_id):
    return os.path.join(path, LISTS_DIR, "%s.v%d" % (segment_id, LISTS_VERSION))


def _open_shared(filename):
    """The SharedLists of `filename`, or None if there is none (or a torn
    one: it is written again)."""
    try:
        return SharedLists(filename)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        return None


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
            arrays = _cache_types(kind, arrays)
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
    """Make ready the posting and position lists of every text term found in
    at least `min_share` of a segment's documents (plan's exact and folded
    fields), so searches do not read them: from the segment's shared file
    (mapped if another process wrote it, else written now, see SharedLists),
    or into this process's cache when the index directory is read-only.
    Segments already warmed are skipped, so it can be called again after
    merges; files of segments gone are removed. Returns how many lists are
    ready; `stop` (an Event) ends it early."""
    ready = 0
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if reader.segment() is None:
            continue
        seg = Segment(path, reader, offset)
        if seg.data.warmed:
            continue
        store = _LISTS.store(seg.key)
        lists = _common_lists(seg, plan, min_share) if store is None else ()
        if lists:
            try:
                store = _write_shared(seg, lists, stop)
            except OSError:
                store = None                   # (a read-only index directory)
            if store is None:
                done = _warm_privately(seg, lists, stop)
                ready += done
                if done < len(lists):
                    return ready
                seg.data.warmed = True
                continue
        if store is None:
            _LISTS.nothing_shared(seg.key)     # (no file will come: not looked for again)
        ready += len(store) if store is not None else 0
        seg.data.warmed = True
    _remove_stale(path)
    return ready


def _common_lists(seg, plan, min_share):
    """[(field, text)] of the segment's common terms, commonest first (not
    a folded number read from its exact twin)."""
    twins = {f: e for (f, _), (e, _) in zip(plan.folded, plan.exact)}
    threshold = max(CACHE_MIN_POSTINGS, int(seg.size * min_share))
    found = []
    for field, _ in plan.exact + plan.folded:
        for text, info in seg.reader.iter_field(field):
            df = info.doc_frequency()
            if df < threshold:
                continue
            if isinstance(text, bytes):
                text = text.decode("utf-8")
            if seg.source_of(field, text, twins.get(field)) != field:
                continue                        # the exact twin's list
            found.append((df, field, text))
    found.sort(key=lambda item: -item[0])
    return [(field, text) for _, field, text in found]


def _write_shared(seg, lists, stop):
    """The segment's SharedLists: written (under the lists directory's lock,
    so one process writes it while the others wait and map it), or None if
    `stop` was set meanwhile."""
    directory = os.path.join(seg.key[0], LISTS_DIR)
    os.makedirs(directory, exist_ok=True)
    filename = _lists_file(*seg.key)
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        store = _open_shared(filename)
        if store is None:
            temporary = "%s.%d.tmp" % (filename, os.getpid())
            try:
                SharedLists.write(temporary, _decoded(seg, lists, stop))
                if stop is not None and stop.is_set():
                    return None
                os.replace(temporary, filename)
            finally:
                if os.path.exists(temporary):
                    os.remove(temporary)
            store = _open_shared(filename)
    finally:
        os.close(handle)                        # (releases the lock)
    return _LISTS.share(seg.key, store) if store is not None else None


def _decoded(seg, lists, stop):
    """(kind, field, text, arrays) of the postings and positions of `lists`,
    read one after the other (none kept: they go to the file); stops early
    when `stop` is set."""
    for field, text in lists:
        if stop is not None and stop.is_set():
            return
        matcher = seg._matcher(field, text)
        if matcher is None:
            continue
        postings, positions = _read_list(matcher, positions=True)
        for kind, arrays in (("postings", postings), ("positions", positions)):
            if len(arrays[0]):
                yield kind, field, text, arrays


def _warm_privately(seg, lists, stop):
    """Read `lists` into this process's cache (no shared file can be
    written), up to WARM_SHARE of it; returns how many were read."""
    for done, (field, text) in enumerate(lists):
        if stop is not None and stop.is_set():
            return done
        if _LISTS.own_entries() > WARM_SHARE * CACHE_MAX_ENTRIES:
            return done       # the rest would push out the commonest lists
        seg.positions(field, text)          # (keeps the postings too)
    return len(lists)


def _remove_stale(path):
    """Remove the shared files of segments no longer in the index directory
    (a process still mapping one keeps its pages until it lets go)."""
    directory = os.path.join(path, LISTS_DIR)
    try:
        names = os.listdir(directory)
        present = os.listdir(path)
    except OSError:
        return
    for name in names:
        segment_id = name.split(".", 1)[0]
        if not any(other.startswith(segment_id + ".") for other in present):
            try:
                os.remove(os.path.join(directory, name))
            except OSError:
                pass
