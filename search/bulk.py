"""Bulk writing of a whole Whoosh index, for `rebuild`.

Why: Whoosh's SegmentWriter spends most of a rebuild in per-posting Python
(a sorting pool, a field-length lookup per posting, one add_posting call
each). Here each segment's postings are gathered in memory per term, in
document order, and written block by block through Whoosh's own codec
objects (W3PerDocWriter for stored values, columns and field lengths,
W3FieldWriter / W3PostingsWriter for terms and posting blocks), so the files
are the ones Whoosh would write and its readers and writers use them as
usual (a folded field's term whose postings are its exact twin's points at
the twin's bytes: SharingTermTable). Segments are built in parallel
processes (fork), each from a contiguous run of the documents, and are put
in the index's TOC in one commit, in document order, replacing the old
content.
"""
import gc
import multiprocessing
import os
import struct
import traceback
from array import array

from whoosh import formats
from whoosh.index import TOC, LockError, clean_files
from whoosh.system import pack_ushort
from whoosh.util.filelock import try_for
from whoosh.util.numeric import byte_to_length, length_to_byte

from .codec import KhoCodec
from .postings import TermPostings, TermTable, write_field, write_single_field
from .postings_format import DeltaPositions, encode_deltas

__all__ = ["write_index", "bulk_codec", "SEGMENT_DOCS"]

SEGMENT_DOCS = 25_000      # documents per segment: bounds a worker's memory
MIN_DOCS_PER_PROC = 500    # fewer documents than this per process: fewer processes
PROGRESS_EVERY = 1000      # documents between two progress reports


def bulk_codec():
    """The codec of bulk-written segments (recorded in each segment, so
    readers and later merges use the same settings)."""
    return KhoCodec()


# --- one segment ----------------------------------------------------------------

_F32 = struct.Struct("f")
# format class -> {position: its encoded single position}, for apply builders
_SINGLE_POSITIONS = {}
_SINGLE_POSITIONS_MAX = 200_000


def _float32(value):
    """`value` as an array("f") (TermPostings' weights) gives it back."""
    return _F32.unpack(_F32.pack(value))[0]


class SegmentBuilder:
    """Gathers the documents of one segment, then writes its files.

    With single=True the segment holds one document (an apply's): each term
    is kept as a (weight, value) pair, not a TermPostings of arrays, and
    written by search.postings.write_single_field (the same bytes)."""

    def __init__(self, storage, schema, codec, segment, single=False):
        self.single = single
        self.storage = storage
        self.schema = schema
        self.codec = codec
        self.segment = segment
        self.docnum = 0
        self.terms = {}        # fieldname -> {term bytes: TermPostings}
        self.lengths = {}      # fieldname -> array of each doc's length as the reader sees it
        self.perdoc = codec.per_document_writer(storage, segment)
        self._encoders = {}    # fieldname -> {position: encoded single position}
        self._doc_encoded = {}  # (positions,) -> encoded, within one document

    def _terms(self, fieldname):
        terms = self.terms.get(fieldname)
        if terms is None:
            terms = self.terms[fieldname] = {}
        return terms

    def _post(self, fieldname, items, docnum):
        """items: (term bytes, weight, value bytes) of one document."""
        terms = self._terms(fieldname)
        if self.single:
            for tbytes, weight, vbytes in items:
                terms[tbytes] = (_float32(weight), vbytes or b"")
            return
        for tbytes, weight, vbytes in items:
            postings = terms.get(tbytes)
            if postings is None:
                postings = terms[tbytes] = TermPostings(array("I"), array("f"), [])
            postings.ids.append(docnum)
            postings.weights.append(weight)
            if vbytes:
                postings.values.append(vbytes)

    def _post_positions(self, fieldname, field, value, docnum):
        """Post a Positions field whose analyzer gives positions(); returns its
        length. Values are field.format.encode()'s bytes, one object per
        single position (shared: it is the bulk of the postings' memory) and
        per list of positions within a document (the exact and folded
        fields share most)."""
        single = self._encoders.get(fieldname)
        if single is None:
            if self.single:
                # (an apply's builder lives for one paper: the positions'
                # bytes are kept across applies, per format)
                single = _SINGLE_POSITIONS.setdefault(type(field.format), {})
                if len(single) > _SINGLE_POSITIONS_MAX:
                    single.clear()
            else:
                single = {}
            self._encoders[fieldname] = single
        encode = field.format.encode
        if isinstance(field.format, DeltaPositions):
            encode = encode_deltas         # (its encode() without a copy of the list)
        boost = field.format.field_boost
        terms = self._terms(fieldname)
        get = terms.get
        multiple = self._doc_encoded
        length = 0
        single_doc = self.single
        exact_boost = boost == 1.0
        for text, poslist in field.analyzer.positions(value).items():
            count = len(poslist)
            length += count
            if count == 1:
                vbytes = single.get(poslist[0])
                if vbytes is None:
                    vbytes = single[poslist[0]] = encode(poslist)
            else:
                key = tuple(poslist)
                vbytes = multiple.get(key)
                if vbytes is None:
                    vbytes = multiple[key] = encode(poslist)
            tbytes = text.encode("utf-8")
            if single_doc:
                terms[tbytes] = (float(count) if exact_boost else _float32(count * boost),
                                 vbytes)
                continue
            postings = get(tbytes)
            if postings is None:
                postings = terms[tbytes] = TermPostings(array("I"), array("f"), [])
            postings.ids.append(docnum)
            postings.weights.append(count * boost)
            postings.values.append(vbytes)
        return length

    def add(self, fields):
        """Add one document given as SegmentWriter.add_document keyword arguments."""
        schema = self.schema
        perdoc = self.perdoc
        docnum = self.docnum
        if self.single and docnum:
            raise ValueError("a single-document segment gets one document")
        self._doc_encoded.clear()
        perdoc.start_doc(docnum)
        for fieldname in sorted(name for name in fields if not name.startswith("_")):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                if isinstance(field.format, formats.Positions) and hasattr(field.analyzer,
                                                                       "positions"):
                    length = self._post_positions(fieldname, field, value, docnum)
                else:
                    items = []
                    for tbytes, freq, weight, vbytes in field.index(value):
                        length += freq
                        items.append((tbytes, weight, vbytes))
                    self._post(fieldname, items, docnum)
                if not field.scorable:
                    length = 0
                if field.scorable:
                    lengths = self.lengths.get(fieldname)
                    if lengths is None:
                        lengths = self.lengths[fieldname] = array("I")
                    lengths.extend([0] * (docnum + 1 - len(lengths)))
                    byte = length_to_byte(length)
                    lengths[docnum] = byte_to_length(byte) if byte else 0
            stored = fields.get("_stored_%s" % fieldname, value)
            perdoc.add_field(fieldname, field, stored if field.stored else None, length)
            column = field.column_type
            if column and stored is not None:
                perdoc.add_column_value(fieldname, column, field.to_column_value(stored))
        perdoc.finish_doc()
        self.docnum += 1

    def finish(self, compound=True):
        """Write the segment's files; returns the Segment for the TOC."""
        self.perdoc.close()
        segment = self.segment
        segment.set_doc_count(self.docnum)
        writer = TermTable.adopt(self.codec.field_writer(self.storage, segment))
        table = writer._tindex
        if type(table) is TermTable:
            table.__class__ = SharingTermTable
        previous = None             # (lengths, terms) of the field written before
        for fieldname in sorted(self.terms):
            terms = own = self.terms.pop(fieldname)
            lengths = self.lengths.get(fieldname)
            writer.start_field(fieldname, self.schema[fieldname])
            if isinstance(table, SharingTermTable):
                own = table.share_with_last(pack_ushort(writer._fieldid), terms, lengths,
                                            previous)
            if self.single:
                write_single_field(writer, own, lengths[0] if lengths else 0)
            else:
                write_field(writer, own, lengths, self.codec._blocklimit)
            if isinstance(table, SharingTermTable):
                table.add_shared()
            writer.finish_field()
            previous = (lengths, terms)
        writer.close()
        if compound and segment.should_assemble():
            segment.create_compound_file(self.storage)
        return segment


class SharingTermTable(TermTable):
    """A TermTable whose field shares the posting chunks of the field
    written just before where a term's postings are the same and so are the
    documents' lengths (a text field's folded twin: every number, and every
    syllable without marks that no marked one folds to, is the exact field's
    list again: a sixth of the postings at 100 000 bench papers). The shared
    term's record is the other's (same term info, same extent): Whoosh's
    readers, merges and search.segments read the same bytes as if they had
    been written twice.
    """

    _last = None            # term bytes -> record, of the field written before
    _shared = ()            # (key, record) of this field's shared terms

    def share_with_last(self, prefix, terms, lengths, previous):
        """`terms` (of the field whose keys start with `prefix`) without the
        ones whose chunk the last field's can be; those are added by
        add_shared(). `previous`: (lengths, terms) of the last field, or
        None."""
        last, self._last, self._shared = self._last or {}, {}, []
        if previous is None or lengths is None or previous[0] != lengths:
            return terms
        before = previous[1]
        own = {}
        for tbytes, postings in terms.items():
            other = before.get(tbytes)
            record = last.get(tbytes)
            if record is not None and other is not None and _same_postings(postings, other):
                self._shared.append((prefix + tbytes, record))
            else:
                own[tbytes] = postings
        return own

    def add_shared(self):
        """Add the shared terms if the field had no others (add_sorted adds
        them with the others)."""
        if self._shared:
            self.add_sorted([], [])

    def add_sorted(self, keys, values):
        if self._shared:
            pairs = sorted(list(zip(keys, values)) + self._shared)
            self._shared = []
            keys = [key for key, _ in pairs]
            values = [value for _, value in pairs]
        if self._last is not None:
            self._last.update((key[2:], value) for key, value in zip(keys, values))
        super().add_sorted(keys, values)


def _same_postings(a, b):
    """Whether two terms' postings (TermPostings, or an apply's (weight,
    value) pairs) are the same."""
    if isinstance(a, tuple):
        return a == b
    return a.ids == b.ids and a.weights == b.weights and a.values == b.values


# --- parallel segments and the commit -------------------------------------------------

def _plan(count, procs, segment_docs):
    """[(start, end)] runs of documents, one segment each, a multiple of procs."""
    procs = max(1, min(procs, count // MIN_DOCS_PER_PROC or 1))
    segments = max(procs, -(-count // segment_docs))
    segments = -(-segments // procs) * procs
    size = -(-count // segments)
    return [(start, min(start + size, count)) for start in range(0, count, size)], procs


def _build(storage, schema, codec, segment, docs, prepare, compound, tick):
    """One segment of `docs`; tick(n) every PROGRESS_EVERY documents."""
    # no cyclic GC while millions of acyclic postings are alive: its full
    # collections would otherwise rescan them all again and again
    enabled = gc.isenabled()
    gc.disable()
    try:
        builder = SegmentBuilder(storage, schema, codec, segment)
        for n, record in enumerate(docs, 1):
            builder.add(prepare(record))
            if n % PROGRESS_EVERY == 0:
                tick(PROGRESS_EVERY)
        tick(len(docs) % PROGRESS_EVERY)
        return builder.finish(compound)
    finally:
        if enabled:
            gc.enable()


def _worker(storage, schema, codec, jobs, records, prepare, compound, results):
    """Child process: build the segments of `jobs` [(k, segment, start, end)];
    puts ("tick", documents), ("built", k, segment) or ("failed", k, traceback)."""
    for k, segment, start, end in jobs:
        try:
            built = _build(storage, schema, codec, segment, records[start:end], prepare,
                           compound, lambda n: results.put(("tick", n)))
        except BaseException:
            results.put(("failed", k, traceback.format_exc()))
            os._exit(1)
        results.put(("built", k, built))
    os._exit(0)


def _build_all(storage, indexname, schema, codec, records, prepare, procs, segment_docs,
               compound, progress):
    """The segments of `records`, in their order; procs > 1 builds them in
    forked children, which see `records` without copying or pickling (the
    caller's other threads do not run in the children). progress(done,
    total), if given, follows the documents indexed."""
    runs, procs = _plan(len(records), procs, segment_docs)
    segments = [codec.new_segment(storage, indexname) for _ in runs]
    done = 0

    def tick(count):
        nonlocal done
        done += count
        if progress is not None and count:
            progress(done, len(records))

    if procs == 1:
        return [_build(storage, schema, codec, segment, records[start:end], prepare, compound,
                       tick)
                for segment, (start, end) in zip(segments, runs)]
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()
    jobs = [(k, segments[k], start, end) for k, (start, end) in enumerate(runs)]
    children = [context.Process(target=_worker, daemon=True,
                                args=(storage, schema, codec, jobs[w::procs], records,
                                      prepare, compound, results))
                for w in range(procs)]
    for child in children:
        child.start()
    built = {}
    try:
        while len(built) < len(runs):
            if not results._reader.poll(1.0):
                if not any(child.is_alive() for child in children) and results.empty():
                    raise RuntimeError("a bulk indexing process ended without its segment")
                continue
            message = results.get()
            if message[0] == "tick":
                tick(message[1])
            elif message[0] == "failed":
                raise RuntimeError("bulk indexing failed in a child process:\n" + message[2])
            else:
                built[message[1]] = message[2]
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
    return [built[k] for k in range(len(runs))]


def write_index(ix, records, prepare, *, procs=1, segment_docs=SEGMENT_DOCS, timeout=30.0,
                delay=0.05, codec=None, compound=True, progress=None):
    """Replace the content of Whoosh index `ix` by `records` (a list), each
    turned into add_document arguments by `prepare`, in one commit. Holds the
    index's write lock; on error nothing changes and the new files are removed.
    Raises whoosh.index.LockError when the index stays locked."""
    storage, indexname = ix.storage, ix.indexname
    lock = ix.lock("WRITELOCK")
    if not try_for(lock.acquire, timeout=timeout, delay=delay):
        raise LockError("the index is locked")
    try:
        info = ix._read_toc()
        codec = codec or bulk_codec()
        try:
            segments = _build_all(storage, indexname, info.schema, codec, records, prepare,
                                  procs, segment_docs, compound, progress) if records else []
            generation = info.generation + 1
            TOC(info.schema, segments, generation).write(storage, indexname)
        except BaseException:
            # remove the new segments' files (and nothing the current TOC names)
            clean_files(storage, indexname, info.generation, info.segments)
            raise
        finally:
            storage.temp_storage("%s.tmp" % indexname).destroy()
        clean_files(storage, indexname, generation, segments)
    finally:
        lock.release()
    return len(records)
