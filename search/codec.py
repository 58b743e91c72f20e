"""Kho's Whoosh codec: W3 with posting blocks numpy can read without pickle.

Why: a W3 posting block is a zlib-compressed pickle of Python tuples (ids,
weights, values); turning it back into objects costs about 80 µs a block,
so reading a syllable found in half of 100 000 papers took tens of
milliseconds before any scoring. Here a block's data is plain little-endian
arrays (docnums uint32, weights float32, value lengths uint32, then the
values' bytes), which search.evaluation reads with numpy.frombuffer. The
terms file, block headers and everything else are W3's, and the matcher
below still answers Whoosh's own per-posting API (merges, deletions by term,
Whoosh's query classes), so the index stays a Whoosh index.

KhoCodec is pickled into each segment's record in the TOC: its module path
and name must not change (or rebuild the index).
"""
import struct
from pickle import dumps

import numpy
from whoosh.codec import whoosh3
from whoosh.matching import ListMatcher
from whoosh.util.numeric import length_to_byte

__all__ = ["KhoCodec", "encode_block", "decode_block", "BLOCK_LIMIT"]

BLOCK_LIMIT = 512                  # postings per block (W3's default is 128)
ARRAY_BLOCK = -1                   # the "compression" of a block in this layout
_COUNT = struct.Struct("<I")


def encode_block(ids, weights, values):
    """The data of one block: ascending docnums, weights, values (bytes, or
    an empty list for formats without values)."""
    count = len(ids)
    if values and len(values) != count:
        raise ValueError("a block has %d postings but %d values" % (count, len(values)))
    if count <= 32:            # (a small segment's terms: struct is quicker than numpy)
        out = [struct.pack("<I%dI%df" % (count, count), count, *ids, *weights)]
        if values:
            out.append(struct.pack("<%dI" % count, *map(len, values)))
            out.extend(values)
        return b"".join(out)
    out = [_COUNT.pack(count), numpy.asarray(ids, dtype="<u4").tobytes(),
           numpy.asarray(weights, dtype="<f4").tobytes()]
    if values:
        out.append(numpy.fromiter(map(len, values), dtype="<u4", count=count).tobytes())
        out.extend(values)
    return b"".join(out)


def decode_block(data):
    """(ids, weights, value lengths or None, values bytes) of a block's data,
    as arrays over `data` (no copy)."""
    count = _COUNT.unpack_from(data)[0]
    at = 4
    ids = numpy.frombuffer(data, dtype="<u4", count=count, offset=at)
    at += 4 * count
    weights = numpy.frombuffer(data, dtype="<f4", count=count, offset=at)
    at += 4 * count
    if at == len(data):
        return ids, weights, None, b""
    lengths = numpy.frombuffer(data, dtype="<u4", count=count, offset=at)
    at += 4 * count
    return ids, weights, lengths, data[at:]


class KhoPostingsWriter(whoosh3.W3PostingsWriter):
    """W3's writer with array blocks (vector postings keep W3's pickles)."""

    def _write_block(self, last=False):
        if self._byteids:
            return super()._write_block(last)
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = encode_block(self._ids, self._weights, self._values)
        ids = self._ids
        infobytes = dumps((len(ids), ids[-1], self._maxweight, ARRAY_BLOCK,
                           length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class KhoLeafMatcher(whoosh3.W3LeafMatcher):
    """Reads array blocks; block_arrays() gives them to numpy code whole."""

    def block_arrays(self):
        """(ids, weights, value lengths or None, values bytes) of this block."""
        if self._compression != ARRAY_BLOCK:
            raise ValueError("a W3 posting block in a KhoCodec segment: rebuild the index")
        if self._data is None:
            self._read_data()
        return self._data

    def _read_data(self):
        if self._compression != ARRAY_BLOCK:      # (a W3 block)
            return super()._read_data()
        length = self._nextoffset - self._dataoffset
        self._data = decode_block(self._postfile.get(self._dataoffset, length))

    def _read_ids(self):
        if self._compression != ARRAY_BLOCK:
            return super()._read_ids()
        self._ids = self.block_arrays()[0].tolist()

    def _read_weights(self):
        if self._compression != ARRAY_BLOCK:
            return super()._read_weights()
        self._weights = self.block_arrays()[1].tolist()

    def _read_values(self):
        if self._compression != ARRAY_BLOCK:
            return super()._read_values()
        _ids, _weights, lengths, values = self.block_arrays()
        if lengths is None:
            self._values = (None,) * self._blocklength
            return
        out, at = [], 0
        for length in lengths.tolist():
            out.append(values[at:at + length])
            at += length
        self._values = tuple(out)


class KhoCodec(whoosh3.W3Codec):
    """W3Codec whose posting blocks are arrays (see the module docstring)."""

    def __init__(self, blocklimit=BLOCK_LIMIT, compression=0, inlinelimit=1):
        super().__init__(blocklimit=blocklimit, compression=compression,
                         inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return KhoPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                 compression=self._compression,
                                 inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                               terminfo=terminfo)
        offset, length = terminfo.extent()
        return KhoLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
