"""Posting lists written in search.codec's format, a whole term at a time.

Why: W3FieldWriter.add() takes one posting per call and each term goes
through a KhoPostingsWriter and a W3TermInfo object; with tens of terms per
document that Python overhead dominates a bulk write. `write_field` writes
the very bytes those objects write (same block layout, block info, array
block data, term info record) from whole per-term arrays, into the field
writer's own postings file and term table. Whoosh-Reloaded is pinned;
tests/search/test_bulk.py checks the bytes against the per-posting writer.
"""
import struct
from hashlib import md5
from itertools import accumulate
from operator import itemgetter
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb import filetables
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

from .codec import encode_any, encode_one

__all__ = ["TermPostings", "write_field", "write_single_field", "TermTable"]

_TERMINFO = W3TermInfo._struct     # "!BfIBBfII": flags, weight, df, lengths, ...
_KEY_LENGTHS = filetables._lengths      # "!ii"
_POINTER = filetables._pointer          # "!Iq"
_EMPTY_SLOT = _POINTER.pack(0, 0)
_DIR_ENTRY = filetables._dir_entry      # "!qi"
_EXTENT = struct.Struct("!qi")          # pack_long(offset) + pack_int(length)
# (docnum, weight, value) -> encode_any's (flag, data) of a one-posting term:
# a small segment (one apply) has its documents at docnum 0, 1..., so the
# same positions come back from one apply to the next
_SINGLES = {}
_SINGLES_MAX = 100_000


def _encode_single(docnum, weight, value):
    key = (docnum, weight, value)
    found = _SINGLES.get(key)
    if found is None:
        found = encode_one(docnum, weight, value)
        if len(_SINGLES) >= _SINGLES_MAX:
            _SINGLES.clear()
        _SINGLES[key] = found
    return found


# a terms table key (field prefix + term bytes) -> its md5 hash as Whoosh's
# table stores it: the vocabulary comes back from one apply to the next
_HASHES = {}
_HASHES_MAX = 200_000


def _key_hashes(keys):
    """filetables.md5_hash of each of `keys` (the digest's last four bytes)."""
    found = _HASHES.get
    out = []
    for key in keys:
        h = found(key)
        if h is None:
            if len(_HASHES) >= _HASHES_MAX:
                _HASHES.clear()
            h = _HASHES[key] = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:],
                                              "big")
        out.append(h)
    return out


def _check_ascending(keys, lastkey):
    """ValueError unless `keys` strictly increase after `lastkey`."""
    previous = lastkey
    for key in keys:
        if key <= previous:
            raise ValueError("Keys must increase: %r..%r" % (previous, key))
        previous = key


class TermTable(filetables.OrderedHashWriter):
    """Whoosh's terms table writer with the same bytes written a field at a
    time: add_ordered() takes a field's sorted (key, value) pairs in one
    write, and the hash tables are written in one piece (per-key calls and
    per-slot writes were most of a small segment's cost)."""

    @classmethod
    def adopt(cls, fieldwriter):
        """Make `fieldwriter`'s table (a stock OrderedHashWriter) a TermTable."""
        table = fieldwriter._tindex
        if type(table) is filetables.OrderedHashWriter:
            table.__class__ = cls
        return fieldwriter

    def add_ordered(self, pairs):
        """add() of each (key, value) of `pairs`, keys ascending."""
        pairs = list(pairs)
        keys = [key for key, _ in pairs]
        _check_ascending(keys, self.lastkey)
        self.add_sorted(keys, [value for _, value in pairs])

    def add_sorted(self, keys, values):
        """add_ordered() of two lists: `keys` strictly ascending (a field's
        sorted terms behind its prefix: only the first is checked, against
        the last key of the table), `values` theirs."""
        if not keys:
            return
        if keys[0] <= self.lastkey:
            _check_ascending(keys, self.lastkey)
        dbfile = self.dbfile
        pack = _KEY_LENGTHS.pack
        parts = [pack(len(key), len(value)) + key + value for key, value in zip(keys, values)]
        starts = list(accumulate(map(len, parts), initial=dbfile.tell()))
        starts.pop()
        buckets = self.buckets
        hashes = _key_hashes(keys) if self.hashtype == 0 else map(self.hashfn, keys)
        for h, start in zip(hashes, starts):
            buckets[h & 255].append((h, start))
        index = self.index
        before = len(index)
        try:
            index.array.extend(starts)
        except (OverflowError, AttributeError, TypeError):
            del index.array[before:]
            index.extend(starts)         # (GrowableArray widens its type itself)
        dbfile.write(b"".join(parts))
        self.lastkey = keys[-1]

    def _write_hashes(self):
        dbfile = self.dbfile
        pos = dbfile.tell()
        pack = _POINTER.pack
        directory = self.directory
        empty = _EMPTY_SLOT
        out = []
        for entries in self.buckets:
            numslots = 2 * len(entries)
            directory.append((pos, numslots))
            if not numslots:
                continue
            pos += _POINTER.size * numslots
            if numslots == 2:          # (most buckets of a small segment's table)
                hashval, position = entries[0]
                entry = pack(hashval, position)
                if (hashval >> 8) & 1:
                    out.append(empty)
                    out.append(entry)
                else:
                    out.append(entry)
                    out.append(empty)
                continue
            # (an empty slot is that very object: a packed entry is another)
            table = [empty] * numslots
            for hashval, position in entries:
                slot = (hashval >> 8) % numslots
                while table[slot] is not empty:
                    slot = (slot + 1) % numslots
                table[slot] = pack(hashval, position)
            out.extend(table)
        dbfile.write(b"".join(out))

    def _write_directory(self):
        pack = _DIR_ENTRY.pack
        self.dbfile.write(b"".join(pack(position, numslots)
                                   for position, numslots in self.directory))


class TermPostings:
    """One term's postings: docnums (array "I", ascending), weights (array
    "f"), encoded values (list, empty for formats without values)."""

    __slots__ = ("ids", "weights", "values")

    def __init__(self, ids, weights, values):
        self.ids = ids
        self.weights = weights
        self.values = values


def _lengths(block_ids, doclengths):
    """(min, max) field length of the block's documents, None/0 for none."""
    picked = itemgetter(*block_ids)(doclengths)
    if len(block_ids) == 1:
        return (picked, picked) if picked else (None, 0)
    if 0 in picked:
        picked = [n for n in picked if n]
        if not picked:
            return None, 0
    return min(picked), max(picked)


def write_field(fieldwriter, terms, doclengths, blocklimit):
    """Write `terms` ({term bytes: TermPostings}) of the field started on
    `fieldwriter` (a W3FieldWriter after start_field, of a KhoCodec).
    `doclengths`: each document's field length as the reader returns it (0
    for none), or None for a field without lengths."""
    prefix = pack_ushort(fieldwriter._fieldid)
    postfile = fieldwriter._postfile.file       # the buffered file under the StructFile
    write = postfile.write
    offset = postfile.tell()
    table = fieldwriter._tindex
    added = []
    add_term = table.add if not isinstance(table, TermTable) else \
        (lambda key, value: added.append((key, value)))
    pack_info = _TERMINFO.pack
    singles = {}       # (docnum, weight, length byte) -> the chunk's bytes before the value
    magic = WHOOSH3_HEADER_MAGIC
    for tbytes in sorted(terms):
        postings = terms[tbytes]
        ids, weights, values = postings.ids, postings.weights, postings.values
        count = len(ids)
        if count == 1:
            # one posting (most terms of a small segment): the same bytes as
            # below, from a few cached pieces
            docnum, weight = ids[0], weights[0]
            length = doclengths[docnum] if doclengths is not None else 0
            flag, data = _encode_single(docnum, weight, values[0] if values else b"")
            key = (docnum, weight, length, flag, len(data))
            head = singles.get(key)
            if head is None:
                lbyte = length_to_byte(length) if length else 0
                block_weight = weight if weight > 0 else 0
                info = dumps((1, docnum, block_weight, flag,
                              length_to_byte(length or None), length_to_byte(length)), 2)
                head = (magic + pack_int(-(len(info) + len(data))) + info,
                        pack_info(0, weight, 1, lbyte, length_to_byte(length),
                                  block_weight, docnum, docnum))
                singles[key] = head
            chunk = head[0] + data
            write(chunk)
            add_term(prefix + tbytes, head[1] + pack_long(offset) + pack_int(len(chunk)))
            offset += len(chunk)
            continue
        parts = [WHOOSH3_HEADER_MAGIC]
        total_weight, max_weight, min_length, max_length = 0, 0, None, 0
        for start in range(0, count, blocklimit):
            end = start + blocklimit
            if end > count:
                end = count
            block_ids = ids[start:end]
            block_weights = weights[start:end]
            block_max_weight = max(block_weights)
            if not block_max_weight > 0:
                block_max_weight = 0
            if doclengths is not None:
                block_min, block_max = _lengths(block_ids, doclengths)
                if block_min is not None and (min_length is None or block_min < min_length):
                    min_length = block_min
                if block_max > max_length:
                    max_length = block_max
            else:
                block_min, block_max = None, 0
            total_weight += sum(block_weights)
            if block_max_weight > max_weight:
                max_weight = block_max_weight
            flag, data = encode_any(block_ids, block_weights, values[start:end])
            info = dumps((end - start, block_ids[-1], block_max_weight, flag,
                          length_to_byte(block_min), length_to_byte(block_max)), 2)
            size = len(info) + len(data)
            parts.append(pack_int(-size if end == count else size))
            parts.append(info)
            parts.append(data)
        chunk = b"".join(parts)
        write(chunk)
        record = pack_info(
            0, total_weight, count, 0 if min_length is None else length_to_byte(min_length),
            length_to_byte(max_length), max_weight, ids[0], ids[-1])
        add_term(prefix + tbytes, record + pack_long(offset) + pack_int(len(chunk)))
        offset += len(chunk)
    if added:
        table.add_ordered(added)


def write_single_field(fieldwriter, terms, length):
    """write_field for a segment of one document (docnum 0): `terms` is
    {term bytes: (weight, value bytes or b"")}, `length` the document's
    field length (0 for none). The same bytes, without per-term arrays."""
    prefix = pack_ushort(fieldwriter._fieldid)
    postfile = fieldwriter._postfile.file
    offset = postfile.tell()
    table = fieldwriter._tindex
    pack_extent = _EXTENT.pack
    single_get = _SINGLES.get
    chunks, keys, records = [], [], []
    for tbytes in sorted(terms):
        weight, value = terms[tbytes]
        key = (0, weight, value)
        found = single_get(key)
        if found is None:
            found = _encode_single(0, weight, value)
        flag, data = found
        head = _single_head(weight, length, flag, len(data))
        chunks.append(head[0])
        chunks.append(data)
        size = len(head[0]) + len(data)
        keys.append(prefix + tbytes)
        records.append(head[1] + pack_extent(offset, size))
        offset += size
    postfile.write(b"".join(chunks))
    if isinstance(table, TermTable):
        table.add_sorted(keys, records)
    else:
        for key, value in zip(keys, records):
            table.add(key, value)


_HEADS = {}


def _single_head(weight, length, flag, size):
    """(the chunk's bytes before the block data, the term info record
    before its extent) of a one-posting term at docnum 0."""
    key = (weight, length, flag, size)
    found = _HEADS.get(key)
    if found is None:
        block_weight = weight if weight > 0 else 0
        info = dumps((1, 0, block_weight, flag,
                      length_to_byte(length or None), length_to_byte(length)), 2)
        found = (WHOOSH3_HEADER_MAGIC + pack_int(-(len(info) + size)) + info,
                 _TERMINFO.pack(0, weight, 1, length_to_byte(length) if length else 0,
                                length_to_byte(length), block_weight, 0, 0))
        if len(_HEADS) >= _SINGLES_MAX:
            _HEADS.clear()
        _HEADS[key] = found
    return found
