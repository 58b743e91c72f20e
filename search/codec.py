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

Blocks written now are packed (PACKED_BLOCK): docnums as gaps, whole
weights, position counts and position gaps (search.postings_format's uint32
deltas) each in 1, 2 or 4 bytes as the block's largest value needs; no
weights where each is its posting's count of positions (a text field's:
weight width _COUNTED), no counts where each is 1 (_ONES), and positions in a
byte each with the few larger ones after them (_ESCAPED) when that is
smaller (a rare syllable's first position, a common one's first in each
paper); so the postings take about a fifth of the plain layout, and
decode_packed gives back the very arrays of the plain layout with a few
numpy calls. Each block's info says its layout and each packed block's
header its widths, so indexes written with plain ARRAY_BLOCK blocks, or
packed before the three shortcuts, are read as they are (no rebuild at
start); merges and rebuilds rewrite them in the newest layout.

KhoCodec is pickled into each segment's record in the TOC: its module path
and name must not change (or rebuild the index).
"""
import struct
from pickle import dumps

import numpy
from whoosh.codec import whoosh3
from whoosh.filedb import filetables
from whoosh.filedb.filetables import FileFormatError
from whoosh.matching import ListMatcher
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import length_to_byte

__all__ = ["KhoCodec", "encode_block", "decode_block", "encode_any", "encode_one", "decode_any",
           "BLOCK_LIMIT", "ARRAY_BLOCK", "PACKED_BLOCK"]

BLOCK_LIMIT = 512                  # postings per block (W3's default is 128)
ARRAY_BLOCK = -1                   # the "compression" of a block in this layout
PACKED_BLOCK = -2                  # the same, packed (see encode_packed)
_COUNT = struct.Struct("<I")
_F32 = struct.Struct("<f")
_PACKED_HEAD = struct.Struct("<IIBBBB")    # count, first id, widths: id gaps, weights,
                                           # position counts, position gaps
_UINT = {1: "<u1", 2: "<u2", 4: "<u4"}
_STRUCT = {1: "B", 2: "H", 4: "I"}
_SMALL = 32                        # blocks up to this size are packed with struct
_COUNTED = 0                       # weights width 0: each weight is its position count
_ONES = 0xFF                       # counts width: each posting has one position (no bytes)
_ESCAPE = 0xFF                     # an escaped position's byte: its value is after them
_ESCAPED = {0x12: 2, 0x14: 4}      # positions width: a byte each, the escaped ones in 2 or 4
_ESCAPED_CODE = {w: code for code, w in _ESCAPED.items()}


def _width(largest):
    return 1 if largest < 0x100 else 2 if largest < 0x10000 else 4


def encode_packed(ids, weights, values):
    """A block's data packed: ids as gaps, whole weights and position counts
    and gaps (search.postings_format's uint32 deltas) in 1, 2 or 4 bytes as
    the block's largest needs, weights left out when they are the counts,
    counts left out when each is 1, and positions in one byte each with the
    few larger ones after them when that is smaller (blocks written before
    those three have them all); about a fifth of encode_block's size. None
    if the block cannot be packed (values that are not uint32 deltas)."""
    count = len(ids)
    if count <= _SMALL:
        gaps = [b - a for a, b in zip(ids, ids[1:])]
        gap_w = _width(max(gaps)) if gaps else 1
        counts = None
        count_w = pos_w = 0
        if values:
            lengths = [len(v) for v in values]
            if any(n % 4 for n in lengths):
                return None
            joined = b"".join(values)
            positions = struct.unpack("<%dI" % (len(joined) // 4), joined)
            counts = [n // 4 for n in lengths]
            count_w, pos_w, value_bytes = _pack_values(counts, positions)
        if counts is not None and list(weights) == counts:
            weight_w, weight_bytes = _COUNTED, b""
        elif all(w == int(w) and 0 <= w < 0x10000 for w in weights):
            weight_w = _width(int(max(weights)))
            weight_bytes = struct.pack("<%d%s" % (count, _STRUCT[weight_w]),
                                       *[int(w) for w in weights])
        else:
            weight_w, weight_bytes = 4, struct.pack("<%df" % count, *weights)
        out = [_PACKED_HEAD.pack(count, ids[0], gap_w, weight_w, count_w, pos_w),
               struct.pack("<%d%s" % (len(gaps), _STRUCT[gap_w]), *gaps), weight_bytes]
        if values:
            out.append(value_bytes)
        return b"".join(out)
    ids_a = numpy.asarray(ids, dtype=numpy.int64)
    gaps = numpy.diff(ids_a)
    gap_w = _width(int(gaps.max())) if len(gaps) else 1
    out = [None, gaps.astype(_UINT[gap_w]).tobytes(), None]
    count_w = pos_w = 0
    counts = None
    if values:
        lengths = numpy.fromiter(map(len, values), dtype=numpy.int64, count=count)
        if (lengths % 4).any():
            return None
        counts = lengths // 4
        count_w, pos_w, value_bytes = _pack_value_arrays(
            counts, numpy.frombuffer(b"".join(values), dtype="<u4"))
        out.append(value_bytes)
    w = numpy.asarray(weights, dtype=numpy.float64)
    if counts is not None and numpy.array_equal(w, counts):
        weight_w, out[2] = _COUNTED, b""
    elif (w == numpy.floor(w)).all() and w.min() >= 0 and w.max() < 0x10000:
        weight_w = _width(int(w.max()))
        out[2] = w.astype(_UINT[weight_w]).tobytes()
    else:
        weight_w, out[2] = 4, w.astype("<f4").tobytes()
    out[0] = _PACKED_HEAD.pack(count, int(ids_a[0]), gap_w, weight_w, count_w, pos_w)
    return b"".join(out)


def _pack_values(counts, positions):
    """(counts width, positions width, bytes) of a small block's position
    counts and positions (lists: struct, quicker than numpy there)."""
    if all(n == 1 for n in counts):
        count_w, out = _ONES, b""
    else:
        count_w = _width(max(counts))
        out = struct.pack("<%d%s" % (len(counts), _STRUCT[count_w]), *counts)
    pos_w = _width(max(positions)) if positions else 1
    if pos_w > 1:
        big = [p for p in positions if p >= _ESCAPE]
        big_w = _width(max(big))
        if len(positions) + big_w * len(big) < pos_w * len(positions):
            return count_w, _ESCAPED_CODE[big_w], b"".join((
                out, bytes(min(p, _ESCAPE) for p in positions),
                struct.pack("<%d%s" % (len(big), _STRUCT[big_w]), *big)))
    return count_w, pos_w, out + struct.pack("<%d%s" % (len(positions), _STRUCT[pos_w]),
                                             *positions)


def _pack_value_arrays(counts, positions):
    """_pack_values of numpy arrays (a big block)."""
    if (counts == 1).all():
        count_w, out = _ONES, b""
    else:
        count_w = _width(int(counts.max()))
        out = counts.astype(_UINT[count_w]).tobytes()
    pos_w = _width(int(positions.max())) if len(positions) else 1
    if pos_w > 1:
        big = positions[positions >= _ESCAPE]
        big_w = _width(int(big.max()))
        if len(positions) + big_w * len(big) < pos_w * len(positions):
            return count_w, _ESCAPED_CODE[big_w], b"".join((
                out, numpy.minimum(positions, _ESCAPE).astype(numpy.uint8).tobytes(),
                big.astype(_UINT[big_w]).tobytes()))
    return count_w, pos_w, out + positions.astype(_UINT[pos_w]).tobytes()


def _unpack_positions(data, pos_w, total, at):
    """The `total` positions (uint32) packed at `at` with width `pos_w`."""
    big_w = _ESCAPED.get(pos_w)
    if big_w is None:
        return numpy.frombuffer(data, dtype=_UINT[pos_w], count=total, offset=at)
    small = numpy.frombuffer(data, dtype=numpy.uint8, count=total, offset=at)
    where = numpy.flatnonzero(small == _ESCAPE)
    positions = small.astype("<u4")
    positions[where] = numpy.frombuffer(data, dtype=_UINT[big_w], count=len(where),
                                        offset=at + total)
    return positions


def decode_packed(data):
    """(ids, weights, value lengths or None, values bytes) of a packed block,
    as decode_block gives them."""
    count, first, gap_w, weight_w, count_w, pos_w = _PACKED_HEAD.unpack_from(data)
    at = _PACKED_HEAD.size
    ids = numpy.empty(count, dtype=numpy.uint32)
    ids[0] = first
    if count > 1:
        gaps = numpy.frombuffer(data, dtype=_UINT[gap_w], count=count - 1, offset=at)
        ids[1:] = first + numpy.cumsum(gaps, dtype=numpy.uint64)
        at += gap_w * (count - 1)
    weights = None
    if weight_w != _COUNTED:
        # whole weights were packed as unsigned ints unless 4 bytes: a float32
        kind = "<f4" if weight_w == 4 else _UINT[weight_w]
        weights = numpy.frombuffer(data, dtype=kind, count=count, offset=at).astype(numpy.float32)
        at += weight_w * count
    if not count_w:
        return ids, weights, None, b""
    if count_w == _ONES:
        counts = numpy.ones(count, dtype=numpy.uint32)
        total = count
    else:
        counts = numpy.frombuffer(data, dtype=_UINT[count_w], count=count, offset=at)
        at += count_w * count
        total = int(counts.sum(dtype=numpy.int64))
    if weights is None:
        weights = counts.astype(numpy.float32)
    positions = _unpack_positions(data, pos_w, total, at)
    return (ids, weights, counts.astype(numpy.uint32) * 4,
            positions.astype("<u4").tobytes())


_ONE_POSITION = struct.Struct("<I")


def encode_one(docnum, weight, value):
    """encode_any((docnum,), (weight,), [value] if value else []) of one
    posting (most terms of an apply's segment), without the lists."""
    size = len(value)
    if size % 4:
        return ARRAY_BLOCK, encode_block((docnum,), (weight,), [value] if value else [])
    count = size // 4
    if size and weight == count:
        weight_w, weight_bytes = _COUNTED, b""
    elif weight == int(weight) and 0 <= weight < 0x10000:
        whole = int(weight)
        weight_w = _width(whole)
        weight_bytes = struct.pack("<" + _STRUCT[weight_w], whole)
    else:
        weight_w, weight_bytes = 4, _F32.pack(weight)
    if not size:
        return PACKED_BLOCK, _PACKED_HEAD.pack(1, docnum, 1, weight_w, 0, 0) + weight_bytes
    if count == 1:
        # (one position: never escaped, its count left out)
        position = _ONE_POSITION.unpack(value)[0]
        pos_w = _width(position)
        count_w, value_bytes = _ONES, \
            value if pos_w == 4 else struct.pack("<" + _STRUCT[pos_w], position)
    else:
        count_w, pos_w, value_bytes = _pack_values((count,),
                                                   struct.unpack("<%dI" % count, value))
    return PACKED_BLOCK, b"".join((_PACKED_HEAD.pack(1, docnum, 1, weight_w, count_w, pos_w),
                                   weight_bytes, value_bytes))


def encode_any(ids, weights, values):
    """(block flag, data): packed when it can be, else the plain arrays."""
    data = encode_packed(ids, weights, values)
    if data is not None:
        return PACKED_BLOCK, data
    return ARRAY_BLOCK, encode_block(ids, weights, values)


def decode_any(flag, data):
    return decode_packed(data) if flag == PACKED_BLOCK else decode_block(data)


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


_KHO_BLOCKS = (ARRAY_BLOCK, PACKED_BLOCK)


class KhoPostingsWriter(whoosh3.W3PostingsWriter):
    """W3's writer with array blocks (vector postings keep W3's pickles)."""

    def _write_block(self, last=False):
        if self._byteids:
            return super()._write_block(last)
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        flag, databytes = encode_any(self._ids, self._weights, self._values)
        ids = self._ids
        infobytes = dumps((len(ids), ids[-1], self._maxweight, flag,
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
        if self._compression not in _KHO_BLOCKS:
            raise ValueError("a W3 posting block in a KhoCodec segment: rebuild the index")
        if self._data is None:
            self._read_data()
        return self._data

    def _read_data(self):
        if self._compression not in _KHO_BLOCKS:      # (a W3 block)
            return super()._read_data()
        length = self._nextoffset - self._dataoffset
        self._data = decode_any(self._compression,
                                self._postfile.get(self._dataoffset, length))

    def _read_ids(self):
        if self._compression not in _KHO_BLOCKS:
            return super()._read_ids()
        self._ids = self.block_arrays()[0].tolist()

    def _read_weights(self):
        if self._compression not in _KHO_BLOCKS:
            return super()._read_weights()
        self._weights = self.block_arrays()[1].tolist()

    def _read_values(self):
        if self._compression not in _KHO_BLOCKS:
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


class KhoTermsTable(filetables.OrderedHashReader):
    """Whoosh's terms table reader, its 256-entry directory read in one
    piece (256 reads were most of opening an apply's new segment)."""

    def __init__(self, dbfile, length):
        self.dbfile = dbfile
        self.startoffset = 0
        self.is_closed = False
        dbfile.seek(0)
        filemagic = dbfile.read(4)
        if filemagic != b"HSH3":
            raise FileFormatError("Unknown file header %r" % filemagic)
        self.hashtype = dbfile.read_byte()
        self.hashfn = filetables._hash_functions[self.hashtype]
        dbfile.read_int()
        dbfile.read_int()
        self.startofdata = dbfile.tell()
        exptr = length - _INT_SIZE
        expos = exptr - dbfile.get_int(exptr)
        dbfile.seek(expos)
        self._read_extras()
        entry = filetables._dir_entry
        directory = dbfile.get(expos - filetables._directory_size, filetables._directory_size)
        self.tables = list(entry.iter_unpack(directory))
        self.endofdata = self.tables[0][0]


class KhoTermsReader(whoosh3.W3TermsReader):
    """W3's terms reader over a KhoTermsTable."""

    def __init__(self, codec, dbfile, length, postfile):
        self._codec = codec
        self._dbfile = dbfile
        self._tindex = KhoTermsTable(dbfile, length)
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._postfile = postfile
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, num in self._fieldmap.items():
            self._fieldunmap[num] = fieldname


class KhoCodec(whoosh3.W3Codec):
    """W3Codec whose posting blocks are arrays (see the module docstring)."""

    def __init__(self, blocklimit=BLOCK_LIMIT, compression=0, inlinelimit=1):
        super().__init__(blocklimit=blocklimit, compression=compression,
                         inlinelimit=inlinelimit)

    def postings_writer(self, dbfile, byteids=False):
        return KhoPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                 compression=self._compression,
                                 inlinelimit=self._inlinelimit)

    def terms_reader(self, storage, segment):
        name = segment.make_filename(self.TERMS_EXT)
        return KhoTermsReader(self, storage.open_file(name), storage.file_length(name),
                              segment.open_file(storage, self.POSTS_EXT))

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                               terminfo=terminfo)
        offset, length = terminfo.extent()
        return KhoLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
