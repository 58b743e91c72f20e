"""Changes of a live index in milliseconds: open readers kept, small segments
written directly, merges in the background.

Why: Whoosh's SegmentWriter opens a reader on every segment for each
update_document (each open costs ~13 ms), and its commit may merge segments
while the caller waits, so one upsert into a 50 000-paper index took 400 ms
to a second, growing with the index. Here:

- each thread keeps its segment readers between searches and applies
  (`Views`); a new generation reopens only the segments it has not seen and
  re-binds the others to their new deletion sets (a shallow copy of the
  reader sharing its open files: nothing is read again);
- `apply` (under Whoosh's own WRITELOCK, so other processes and Whoosh's
  writers are excluded) finds the doc ids' document numbers through the
  kept readers, writes the upserts as one small segment with search.bulk's
  SegmentBuilder, and writes the next TOC with the new deletion sets: a
  handful of small files, whatever the size of the index;
- a `Merger` thread per index directory keeps the number of small segments
  bounded: it picks segments (outside the lock), rebuilds their live
  documents into one segment from the stored fields (the same analysis as
  an upsert), and swaps it in under the lock in one TOC write, carrying over
  any deletion made meanwhile. Applies go on during a merge. The rebuilding
  is done by one long-lived child process (MergeWorker): no GIL shared with
  the requests, and no interpreter started per merge.

Crash safety is the TOC's: a segment is visible only once a TOC naming it is
renamed into place; files of an unfinished write or merge are removed by the
next merge's clean-up (Whoosh's clean_files).
"""
import copy
import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import zlib

from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import RamStorage
from whoosh.index import TOC, LockError
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for

from . import bulk, documents
from .codec import KhoCodec

log = logging.getLogger(__name__)

__all__ = ["View", "load_view", "write_change", "Merger", "pick_merge",
           "MAX_SMALL_SEGMENTS", "MERGE_FACTOR", "MAX_MERGE_DOCS"]

MAX_SMALL_SEGMENTS = 8       # more segments below MAX_MERGE_DOCS than this: merge
MERGE_FACTOR = 8             # merge this many of the smallest at a time
MAX_MERGE_DOCS = bulk.SEGMENT_DOCS   # a segment this big is merged only to drop deletions
MERGE_SIZE_RATIO = 2         # a segment this many times the ones chosen waits (below)
EXPUNGE_SHARE = 0.3          # a segment with this share of deleted documents is rewritten
READ_RETRIES = 10


class View:
    """One generation of the index as one thread sees it: the TOC's segments,
    a reader per segment and a Whoosh Searcher over them."""

    __slots__ = ("generation", "segments", "readers", "searcher")

    def __init__(self, generation, segments, readers, schema):
        self.generation = generation
        self.segments = segments
        self.readers = readers
        if not readers:
            reader = EmptyReader(schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=generation)
        self.searcher = Searcher(reader, closereader=False)

    def close(self):
        for reader in self.readers:
            try:
                reader.close()
            except Exception:       # pragma: no cover - already closed files
                pass


def _shallow_copy(obj):
    """copy.copy(obj) of a plain object (no __slots__, __copy__ or
    __reduce__ of its own: Whoosh's readers), without copy's protocol."""
    fresh = object.__new__(type(obj))
    fresh.__dict__.update(obj.__dict__)
    return fresh


def _rebind(reader, segment, generation):
    """A copy of `reader` (same open files) seeing `segment`'s deletions."""
    if reader._segment is segment:
        return reader
    fresh = _shallow_copy(reader)
    fresh.__dict__.pop("deleted_docs_set", None)       # a cached_property
    fresh._segment = segment
    fresh._gen = generation
    perdoc = _shallow_copy(reader._perdoc)
    perdoc._segment = segment
    fresh._perdoc = perdoc
    return fresh


def load_view(storage, indexname, schema, generation, previous=None):
    """The View of `generation`, reusing the open readers of `previous`."""
    old = {}
    if previous is not None:
        old = {r.segment().segment_id(): r for r in previous.readers}
    for attempt in range(READ_RETRIES):
        try:
            toc = TOC.read(storage, indexname, gen=generation, schema=schema)
            readers = []
            for segment in toc.segments:
                kept = old.get(segment.segment_id())
                if kept is not None:
                    readers.append(_rebind(kept, segment, generation))
                else:
                    readers.append(SegmentReader(storage, schema, segment,
                                                 generation=generation))
            return View(generation, toc.segments, readers, schema)
        except OSError:
            # a merge removed this generation's files: read the next one
            if attempt == READ_RETRIES - 1:
                raise
            threading.Event().wait(0.02)
            generation = TOC._latest_generation(storage, indexname)


def _docnums(reader, doc_id):
    """Live document numbers of `doc_id` in one segment reader."""
    try:
        if ("doc_id", doc_id) not in reader:
            return []
        found = reader.postings("doc_id", doc_id)
    except (KeyError, ValueError):
        return []
    return [docnum for docnum in found.all_ids() if not reader.is_deleted(docnum)]


def _with_deletions(segment, docnums):
    if not docnums:
        return segment
    fresh = copy.copy(segment)
    fresh._deleted = set(segment._deleted or ()) | set(docnums)
    return fresh


def acquire(ix, timeout, delay=0.01):
    lock = ix.lock("WRITELOCK")
    if not try_for(lock.acquire, timeout=timeout, delay=delay):
        raise LockError("the index is locked")
    return lock


class _MemoryStorage(RamStorage):
    """RamStorage whose temporary storage is in memory too: Whoosh's
    per-document writer gathers the columns in a temporary storage, which
    RamStorage puts on disk (a directory and a file created and removed in
    the system's temporary directory at each apply)."""

    def temp_storage(self, name=None):
        return RamStorage()


def write_segment(ix, schema, prepared):
    """A new segment of `prepared` (add_document arguments), written and
    assembled but not yet in any TOC. Its files are written in memory and
    go to disk as the one compound file (opening ~20 files costs more than
    writing a small segment's bytes)."""
    codec = KhoCodec()
    ram = _MemoryStorage()
    segment = codec.new_segment(ix.storage, ix.indexname)
    builder = bulk.SegmentBuilder(ram, schema, codec, segment, single=len(prepared) == 1)
    for fields in prepared:
        builder.add(fields)
    builder.finish(compound=False)
    names = segment.list_files(ram)
    out = segment.create_file(ix.storage, segment.COMPOUND_EXT)
    CompoundStorage.assemble(out, ram, names)        # (closes `out`)
    segment.compound = True
    return segment


def write_change(ix, view, schema, prepared, delete_ids, upsert_ids):
    """Under the write lock, `view` being the latest generation: delete the
    documents of `delete_ids` and of `upsert_ids`, add `prepared` as one new
    segment, write the next TOC. Returns how many of `delete_ids` were
    found."""
    extra = [[] for _ in view.readers]
    deleted = 0
    for ids, counted in ((delete_ids, True), (upsert_ids, False)):
        for doc_id in ids:
            for k, reader in enumerate(view.readers):
                found = _docnums(reader, doc_id)
                if found:
                    extra[k].extend(found)
                    if counted:
                        deleted += len(found)
    segments = [_with_deletions(s, d) for s, d in zip(view.segments, extra)]
    new = None
    if prepared:
        new = write_segment(ix, schema, prepared)
        segments.append(new)
    elif not deleted and not any(extra):
        return 0
    generation = view.generation + 1
    try:
        TOC(schema, segments, generation).write(ix.storage, ix.indexname)
    except BaseException:
        if new is not None:
            for name in new.list_files(ix.storage):
                _remove(ix.storage, name)
        raise
    # the TOC before the previous one is no longer needed to open anything
    _remove(ix.storage, TOC._filename(ix.indexname, view.generation - 1))
    return deleted


def _remove(storage, name):
    try:
        storage.delete_file(name)
    except OSError:
        pass


# --- merges ------------------------------------------------------------------------

def _live(segment):
    return segment.doc_count_all() - segment.deleted_count()


def pick_merge(segments):
    """Segment ids to merge into one, or []: the MERGE_FACTOR smallest when
    more than MAX_SMALL_SEGMENTS have fewer than MAX_MERGE_DOCS (but not a
    segment MERGE_SIZE_RATIO times bigger than those taken before it: a
    5 000-paper segment is not rewritten to absorb a few new papers, which
    would hold the next merges back for seconds); else a segment
    with too many deletions alone (or an empty one)."""
    # (by documents written, not live: a full bulk segment with a few
    # deletions is not small, or it would hold back every merge of the new ones)
    small = sorted((s for s in segments if s.doc_count_all() < MAX_MERGE_DOCS), key=_live)
    if len(small) > MAX_SMALL_SEGMENTS:
        # enough of the smallest to come back within the bound at once (applies
        # may have piled up during the last merge), within MAX_MERGE_DOCS
        wanted = max(MERGE_FACTOR, len(small) - MAX_SMALL_SEGMENTS + 1)
        chosen, docs = [], 0
        for segment in small:
            if len(chosen) >= 2 and (len(chosen) >= wanted or docs + _live(segment) > MAX_MERGE_DOCS
                                     or _live(segment) > MERGE_SIZE_RATIO * docs):
                break
            chosen.append(segment.segment_id())
            docs += _live(segment)
        return chosen
    for segment in segments:
        total = segment.doc_count_all()
        if total and (segment.deleted_count() >= EXPUNGE_SHARE * total or not _live(segment)):
            return [segment.segment_id()]
    return []


def stored_record(stored, stamp):
    """A search.documents record from a document's stored fields (what an
    upsert gave), for rewriting it into a merged segment."""
    record = {"doc_id": stored["doc_id"]}
    compressed = stored.get("text_z")
    if compressed:
        record["text"] = zlib.decompress(compressed).decode("utf-8")
    for name in ("paper_name", "type_code", "number", "issuer", "issue_date", "valid_until",
                 "validity", "owner_id", "dossier_codes", "provenance", "state", "desk"):
        value = stored.get(name)
        if value not in (None, "", [], 0):
            record[name] = value
    if stamp is not None:
        record["stamp"] = stamp
    return documents.clean_record(record)


class Merger:
    """The background merges of one index directory in this process."""

    def __init__(self, index):
        self.index = index
        self.wanted = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.thread = None
        self.guard = threading.Lock()
        self.merges = 0

    def request(self):
        """Ask for a look at the segments (cheap; the merge runs in a thread)."""
        self.wanted.set()
        with self.guard:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, daemon=True,
                                               name="kho-search-merge")
                self.thread.start()

    def wait(self, timeout=60.0):
        """Until no merge is wanted or running (tests, benchmarks); False
        if that takes longer than `timeout` seconds."""
        step = threading.Event()
        waited = 0.0
        while self.wanted.is_set() or not self.idle.is_set():
            if waited >= timeout:
                return False
            step.wait(0.01)
            waited += 0.01
        return True

    def _run(self):
        while True:
            if not self.wanted.wait(30):
                return
            self.idle.clear()
            self.wanted.clear()
            try:
                merged = self.merges
                while self.index.merge_once():
                    self.merges += 1
                if self.merges > merged:
                    # the merged segment's common lists into its shared file
                    # (search.segments), as at start: or every process would
                    # decode them again and again into its small own cache
                    self.index.warm()
            except Exception:
                log.exception("merging search index segments failed (searches still work)")
            finally:
                self.idle.set()


# --- the merged segment, written by a child process ---------------------------------

MERGE_TIMEOUT = 3600
WORKER_IDLE = 600          # seconds without a merge before the child process ends
QUICK_MERGE_DOCS = 2000    # merges of fewer documents run at the requests' priority
_LENGTH = struct.Struct("<Q")


def _send(stream, obj):
    data = pickle.dumps(obj, 2)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_exact(fd, size, deadline=None):
    """`size` bytes from file descriptor `fd`; b"" at the end of the stream;
    TimeoutError past `deadline` (a time.monotonic() value)."""
    chunks, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no answer from the merge process")
        chunk = os.read(fd, left)
        if not chunk:
            return b""
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd, deadline=None):
    head = _read_exact(fd, _LENGTH.size, deadline)
    if not head:
        return None
    data = _read_exact(fd, _LENGTH.unpack(head)[0], deadline)
    if not data:
        return None
    return pickle.loads(data)


class MergeWorker:
    """One long-lived `python -m search.live` child process of this process
    that builds merged segments, one at a time.

    Why not a new child per merge: starting one (interpreter, Whoosh, numpy)
    cost ~0.25 s of CPU before any work, several seconds at low priority on
    a busy machine, so merges lagged behind a stream of applies and each
    apply handled up to ~100 segments. The child ends after WORKER_IDLE
    seconds without work, or when this process ends (its stdin closes).
    `niceness` is added to the child's priority; with keep=False the child
    ends after each merge (a big merge's memory is given back at once)."""

    def __init__(self, niceness=0, keep=True):
        self.niceness = niceness
        self.keep = keep
        self.priority = None       # the child's, as it last answered
        self._proc = None
        self._guard = threading.Lock()

    @property
    def pid(self):
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _start(self):
        return subprocess.Popen(
            [sys.executable, "-m", "search.live", str(self.niceness)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    def _stop(self):
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()

    def build(self, path, segments, timeout=MERGE_TIMEOUT):
        with self._guard:
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    self._stop()
                    self._proc = self._start()
                try:
                    _send(self._proc.stdin, (os.fspath(path), segments))
                    answer = _receive(self._proc.stdout.fileno(),
                                      time.monotonic() + timeout)
                except BrokenPipeError:
                    answer = None
                except BaseException:
                    self._stop()          # (a timeout: its answer would come too late)
                    raise
                if answer is not None:
                    break
                self._stop()              # it ended (idle, killed): once more with a new one
            else:
                raise RuntimeError("the merge process ended without an answer")
            if not self.keep:
                self._stop()
        kind, value, self.priority = answer
        if kind != "built":
            raise RuntimeError("merging segments failed:\n%s" % value[-4000:])
        return value


# the merges of a few new segments (tens of milliseconds of work) at the
# requests' priority: at a lower one, a busy machine starved them for seconds
# while applies piled up segments; the long merges of big segments below it,
# in a child that ends after each (it holds the whole segment's postings)
QUICK_WORKER = MergeWorker(0)
SLOW_WORKER = MergeWorker(10, keep=False)


def build_merged(path, segments):
    """Write one segment holding the live documents of `segments` (TOC
    segment objects, deletions as of the caller's view), in their order, in
    one of this process's merge children (MergeWorker); returns the new
    segment (not in any TOC yet)."""
    docs = sum(_live(segment) for segment in segments)
    worker = QUICK_WORKER if docs < QUICK_MERGE_DOCS else SLOW_WORKER
    return worker.build(path, segments)


def merged_records(storage, schema, segments):
    """The add_document arguments of the live documents of `segments`."""
    from .whoosh_index import _stamp, _whoosh_record
    for segment in segments:
        reader = SegmentReader(storage, schema, segment)
        try:
            total = segment.doc_count_all()
            stamps = reader.column_reader("stamp") if total else None
            for docnum in range(total):
                if segment.is_deleted(docnum):
                    continue
                yield _whoosh_record(stored_record(reader.stored_fields(docnum),
                                                   _stamp(stamps[docnum])))
        finally:
            reader.close()


def build_here(path, segments):
    """What build_merged does, in this process (tests; a command line)."""
    from whoosh import index
    ix = index.open_dir(path)
    schema = ix.schema
    codec = KhoCodec()
    builder = bulk.SegmentBuilder(ix.storage, schema, codec,
                                  codec.new_segment(ix.storage, ix.indexname))
    for fields in merged_records(ix.storage, schema, segments):
        builder.add(fields)
    return builder.finish(compound=True)


def _child():
    """The MergeWorker's loop: (path, segments) in, ("built", segment,
    priority) or ("failed", traceback, priority) out, until stdin ends or
    WORKER_IDLE passes."""
    import gc
    import traceback

    if len(sys.argv) > 1:
        os.nice(int(sys.argv[1]))     # (long merges: requests first)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)      # (anything printed goes to stderr, not into the answers)
    fd = sys.stdin.fileno()
    while select.select([fd], [], [], WORKER_IDLE)[0]:
        job = _receive(fd)
        if job is None:
            return
        gc.disable()       # (see search.bulk: millions of acyclic postings)
        try:
            answer = ("built", build_here(*job), os.getpriority(os.PRIO_PROCESS, 0))
        except Exception:
            answer = ("failed", traceback.format_exc(), os.getpriority(os.PRIO_PROCESS, 0))
        finally:
            gc.enable()
        try:
            _send(out, answer)
        except BrokenPipeError:
            return         # (the parent ended meanwhile)
        del job, answer
        gc.collect()


if __name__ == "__main__":
    _child()
