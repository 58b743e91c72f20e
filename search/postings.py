"""Posting lists written in Whoosh's W3 format, a whole term at a time.

Why: W3FieldWriter.add() takes one posting per call and each term goes
through a W3PostingsWriter and a W3TermInfo object; with tens of terms per
document that Python overhead dominates a bulk write. `write_field` writes
the very bytes those objects write (same block layout, block info, pickled
block data, term info record) from whole per-term arrays, into the
W3FieldWriter's own postings file and term table. Whoosh-Reloaded is pinned;
tests/search/test_bulk.py checks the bytes against the per-posting writer.
"""
import zlib
from operator import itemgetter, sub
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

__all__ = ["TermPostings", "write_field"]

_TERMINFO = W3TermInfo._struct     # "!BfIBBfII": flags, weight, df, lengths, ...


class TermPostings:
    """One term's postings: docnums (array "I", ascending), weights (array
    "f"), encoded values (list, empty for formats without values)."""

    __slots__ = ("ids", "weights", "values")

    def __init__(self, ids, weights, values):
        self.ids = ids
        self.weights = weights
        self.values = values


def _mini_weights(weights):
    first = weights[0]
    if first == 1.0 and weights.count(1.0) == len(weights):
        return None
    if weights.count(first) == len(weights):
        return first
    return tuple(weights)


def write_field(fieldwriter, terms, doclengths, blocklimit, compression):
    """Write `terms` ({term bytes: TermPostings}) of the field started on
    `fieldwriter` (a W3FieldWriter after start_field). `doclengths`: each
    document's field length as the reader returns it (0 for none), or None
    for a field without lengths."""
    fixedsize = fieldwriter._format.fixed_value_size()
    prefix = pack_ushort(fieldwriter._fieldid)
    postfile = fieldwriter._postfile
    write = postfile.write
    add_term = fieldwriter._tindex.add
    for tbytes in sorted(terms):
        postings = terms[tbytes]
        ids, weights, values = postings.ids, postings.weights, postings.values
        count = len(ids)
        offset = postfile.tell()
        write(WHOOSH3_HEADER_MAGIC)
        total_weight, max_weight, min_length, max_length = 0, 0, None, 0
        for start in range(0, count, blocklimit):
            end = start + blocklimit
            if end > count:
                end = count
            block_ids = ids[start:end]
            block_weights = weights[start:end]
            block_max_weight = max(0, max(block_weights))
            if doclengths is not None:
                picked = itemgetter(*block_ids)(doclengths)
                if end - start == 1:
                    picked = (picked,)
                if 0 in picked:
                    picked = [n for n in picked if n]
                block_min = min(picked) if picked else None
                block_max = max(picked) if picked else 0
            else:
                block_min, block_max = None, 0
            total_weight += sum(block_weights)
            if block_min is not None:
                min_length = block_min if min_length is None else min(min_length, block_min)
            if block_max > max_length:
                max_length = block_max
            if block_max_weight > max_weight:
                max_weight = block_max_weight
            if fixedsize is None or fixedsize < 0:
                block_values = tuple(values[start:end])
            elif fixedsize == 0:
                block_values = None
            else:
                block_values = b"".join(values[start:end])
            deltas = (block_ids[0],) + tuple(map(sub, block_ids[1:], block_ids[:-1]))
            data = dumps((deltas, _mini_weights(block_weights), block_values), 2)
            if compression:
                data = zlib.compress(data, compression)
            info = dumps((end - start, block_ids[-1], block_max_weight, compression,
                          length_to_byte(block_min), length_to_byte(block_max)), 2)
            size = len(info) + len(data)
            write(pack_int(-size if end == count else size))
            write(info)
            write(data)
        record = _TERMINFO.pack(
            0, total_weight, count, 0 if min_length is None else length_to_byte(min_length),
            length_to_byte(max_length), max_weight, ids[0], ids[-1])
        add_term(prefix + tbytes,
                 record + pack_long(offset) + pack_int(postfile.tell() - offset))
