"""How the text fields store their positions in each Whoosh posting.

Whoosh's stock Positions format pickles each posting's list of position
deltas: reading a common syllable's positions for a phrase then costs one
pickle load per document. Here the deltas are plain little-endian uint32, so
search.evaluation turns a whole block of postings into arrays with a few
numpy calls, and Whoosh's own readers still work through the decode_*
methods. Indexing is faster too: word_values takes the syllables straight
from search.analysis, without Whoosh Token objects.

This class is pickled into the index's schema: its module path and name
must not change (or rebuild the index).
"""
import struct
import sys
from array import array
from itertools import accumulate
from operator import sub

from whoosh import formats

__all__ = ["DeltaPositions", "encode_deltas", "BIG_ENDIAN"]

BIG_ENDIAN = sys.byteorder == "big"


_PACKERS = {}      # count -> struct.Struct("<%dI" % count).pack


def encode_deltas(positions):
    """uint32 little-endian deltas of ascending `positions` (a sequence)."""
    count = len(positions)
    pack = _PACKERS.get(count)
    if pack is None:
        pack = struct.Struct("<%dI" % count).pack
        if count <= 4096:
            _PACKERS[count] = pack
    if count < 2:
        return pack(*positions)
    return pack(positions[0], *map(sub, positions[1:], positions))


def _deltas(value):
    deltas = array("I", value)
    if BIG_ENDIAN:
        deltas.byteswap()
    return deltas


class DeltaPositions(formats.Positions):
    """Positions stored as uint32 deltas (see the module docstring)."""

    def word_values(self, value, analyzer, **kwargs):
        fast = getattr(analyzer, "positions", None)    # SyllableTokenizer's
        if fast is None:
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for text, poslist in fast(value).items():
            yield text, len(poslist), len(poslist) * boost, encode_deltas(poslist)

    def encode(self, poslist):
        return encode_deltas(list(poslist))

    def decode_positions(self, valuestring):
        return list(accumulate(_deltas(valuestring)))

    def decode_frequency(self, valuestring):
        return len(valuestring) // 4

    def decode_weight(self, valuestring):
        return len(valuestring) // 4 * self.field_boost

    def decode_position_boosts(self, valuestring):
        return [(pos, 1) for pos in self.decode_positions(valuestring)]
