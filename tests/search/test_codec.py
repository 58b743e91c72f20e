"""search.codec: array posting blocks, still readable through Whoosh's API."""
from search import open_index
from search.codec import KhoCodec, decode_block, encode_any, encode_block, encode_one
from search.postings_format import encode_deltas


def test_a_block_round_trips():
    values = [encode_deltas([1, 5]), encode_deltas([0]), encode_deltas([2, 3, 40])]
    ids, weights, lengths, data = decode_block(encode_block([3, 9, 70000], [2.0, 1.0, 3.0],
                                                            values))
    assert ids.tolist() == [3, 9, 70000] and weights.tolist() == [2.0, 1.0, 3.0]
    assert lengths.tolist() == [8, 4, 12] and data == b"".join(values)
    ids, weights, lengths, data = decode_block(encode_block([1, 2], [1.0, 1.0], []))
    assert lengths is None and data == b""


def test_whooshs_own_matchers_read_the_blocks(tmp_path):
    ix = open_index(tmp_path / "ix")
    docs = [{"doc_id": "d%04d" % n, "text": "giấy khai sinh số %d giấy" % n} for n in range(1500)]
    for start in range(0, 1500, 500):
        ix.apply(upserts=docs[start:start + 500])
    ix.optimize()                                  # a merge through Whoosh's writer
    reader = ix._searcher().reader()
    assert all(type(s.codec()) is KhoCodec for s in ix._ix._segments())
    matcher = reader.postings("text_exact", "giấy")
    ids, positions = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        positions.append(matcher.value_as("positions"))
        matcher.next()
    assert len(ids) == 1500 and ids == sorted(ids)
    assert positions == [[0, 5]] * 1500
    assert reader.doc_frequency("text_exact", "giấy") == 1500
    assert list(reader.postings("text_exact", "1234").all_ids()) == [1234]
    found = ix.search('"khai sinh số 1234"', facets=())
    assert [h.doc_id for h in found.hits] == ["d1234"]
    assert len(ix.stamps()) == 1500


def test_packed_blocks_read_back_as_the_plain_arrays():
    """PACKED_BLOCK (gaps, whole weights and positions in 1, 2 or 4 bytes)
    decodes to exactly what the plain layout gives, small blocks (struct)
    and large ones (numpy), with and without positions."""
    import random

    from search.codec import decode_packed, encode_packed
    from search.postings_format import encode_deltas
    rng = random.Random(3)
    for count in (1, 2, 31, 33, 512):
        for big in (False, True):
            ids = sorted(rng.sample(range(10 ** 6 if big else 600), count))
            weights = [float(rng.randint(1, 300 if big else 9)) for _ in ids]
            values = [encode_deltas(sorted(rng.sample(range(90_000 if big else 300),
                                                      min(int(w), 40)))) for w in weights]
            for vals in (values, []):
                plain = decode_block(encode_block(ids, weights, vals))
                packed = decode_packed(encode_packed(ids, weights, vals))
                assert plain[0].tolist() == packed[0].tolist()
                assert plain[1].tolist() == packed[1].tolist()
                if vals:
                    assert plain[2].tolist() == packed[2].tolist()
                    assert bytes(plain[3]) == packed[3]
                else:
                    assert packed[2] is None
    # fractional weights stay float32
    ids, weights = [4, 8], [0.5, 2.25]
    assert decode_packed(encode_packed(ids, weights, []))[1].tolist() == weights
    # a third of the plain size or less for a common word's block
    ids = list(range(0, 5120, 10))
    values = [encode_deltas([5, 40, 200])] * len(ids)
    assert len(encode_packed(ids, [3.0] * len(ids), values)) * 3 < \
        len(encode_block(ids, [3.0] * len(ids), values))


def test_an_index_with_plain_blocks_is_still_read(tmp_path, monkeypatch):
    """Indexes written before packing (ARRAY_BLOCK) need no rebuild: each
    block says how it is laid out, and merges rewrite them packed."""
    from search import codec, postings
    plain = lambda i, w, v: (codec.ARRAY_BLOCK, codec.encode_block(i, w, v))   # noqa: E731
    monkeypatch.setattr(codec, "encode_any", plain)
    monkeypatch.setattr(postings, "encode_any", plain)
    ix = open_index(tmp_path / "ix")
    ix.rebuild([{"doc_id": "old-%d" % k, "text": "giấy khai sinh số %d" % k} for k in range(50)])
    monkeypatch.undo()
    ix.apply(upserts=[{"doc_id": "new", "text": "giấy khai sinh mới"}])
    assert ix.search("giay khai sinh").total == 51
    assert [h.doc_id for h in ix.search('"khai sinh số 7"').hits] == ["old-7"]


def test_one_posting_is_encoded_as_encode_any_does():
    # (an apply's segment encodes its terms with encode_one: same bytes)
    weights = (0.0, 0.5, 1.0, 3.0, 255.0, 256.0, 65535.0, 65536.0, 1.7000000476837158)
    values = [b"", encode_deltas([7]), encode_deltas([0, 3, 300]),
              encode_deltas([70000]), encode_deltas(list(range(0, 2600, 10))),
              encode_deltas([1, 2**32 - 2]), b"odd"]
    for docnum in (0, 1, 300, 70000):
        for weight in weights:
            for value in values:
                assert encode_one(docnum, weight, value) == \
                    encode_any((docnum,), (weight,), [value] if value else [])


def test_position_deltas_are_little_endian_uint32():
    from search.postings_format import DeltaPositions
    for positions in ([], [0], [7], [3, 40, 77], list(range(5, 3000, 3)), [1, 2**32 - 1]):
        expected = b"".join(d.to_bytes(4, "little") for d in
                            [p - q for p, q in zip(positions, [0] + positions)])
        assert encode_deltas(positions) == expected
        assert DeltaPositions().decode_positions(expected) == positions


def test_the_terms_table_is_read_as_whoosh_reads_it(tmp_path):
    from whoosh.filedb.filetables import OrderedHashReader

    from search.codec import KhoTermsTable
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "d%d" % n, "text": "giấy khai sinh số %d" % n}
                      for n in range(300)])
    segment = ix._ix._segments()[0]
    storage = segment.open_compound_file(ix._ix.storage) if segment.is_compound() \
        else ix._ix.storage
    name = segment.make_filename(KhoCodec.TERMS_EXT)
    ours = KhoTermsTable(storage.open_file(name), storage.file_length(name))
    theirs = OrderedHashReader(storage.open_file(name), storage.file_length(name))
    assert ours.tables == theirs.tables and ours.extras == theirs.extras
    assert ours.endofdata == theirs.endofdata and ours.indexbase == theirs.indexbase
    assert list(ours.keys()) == list(theirs.keys()) and len(list(ours.keys())) > 300
    assert ix.search("khai sinh số 123", facets=()).hits[0].doc_id == "d123"
    ix.close()


def test_counted_weights_single_positions_and_escaped_positions_round_trip():
    """Weights that are the position counts and counts that are all 1 are
    left out, and positions go in a byte each with the larger ones after
    them when that is smaller: the arrays read back are the same."""
    from search import codec
    from search.codec import decode_packed, encode_packed
    cases = [  # (positions of each posting, counts left out, positions escaped)
        ([[5, 40, 300]] * 60, False, True),      # a common syllable: a few large ones
        ([[5, 40, 300]] * 20, False, True),      # (the same, packed with struct)
        ([[p] for p in range(0, 400, 10)], True, True),       # a rare one, one each
        ([[p] for p in range(200, 600, 10)], True, False),    # (most large: widths kept)
        ([[70_000], [4], [90_000]], True, True),               # (3 + 8 bytes, not 12)
        ([[66_000 + p] for p in range(33)], True, False),     # all large: widths kept
    ]
    for lists, ones, escaped in cases:
        ids = list(range(0, 3 * len(lists), 3))
        weights = [float(len(ps)) for ps in lists]
        values = [encode_deltas(ps) for ps in lists]
        data = encode_packed(ids, weights, values)
        head = codec._PACKED_HEAD.unpack_from(data)
        assert head[3] == codec._COUNTED
        assert (head[4] == codec._ONES) == ones and (head[5] in codec._ESCAPED) == escaped
        got = decode_packed(data)
        plain = decode_block(encode_block(ids, weights, values))
        assert got[0].tolist() == plain[0].tolist() and got[1].tolist() == plain[1].tolist()
        assert got[2].tolist() == plain[2].tolist() and got[3] == bytes(plain[3])
    # escaped positions take about a byte each
    data = encode_packed(list(range(60)), [3.0] * 60, [encode_deltas([5, 40, 300])] * 60)
    assert len(data) < 12 + 60 + 60 + 180 + 60 * 2


def test_blocks_packed_before_the_counted_layout_are_still_read():
    """A block of the first packed layout (weights and counts written, each
    position in its width) reads as it did: no rebuild."""
    import struct

    from search import codec
    ids, weights, counts, positions = [7, 9, 300], [2, 1, 1], [2, 1, 1], [5, 300, 8, 70]
    data = (codec._PACKED_HEAD.pack(3, 7, 2, 1, 1, 2) + struct.pack("<HH", 2, 291)
            + bytes(weights) + bytes(counts) + struct.pack("<4H", *positions))
    got = codec.decode_packed(data)
    assert got[0].tolist() == ids and got[1].tolist() == weights
    assert got[2].tolist() == [8, 4, 4]
    assert got[3] == struct.pack("<4I", *positions)


def test_one_posting_with_escaped_positions_is_encoded_as_encode_any_does():
    for value in (encode_deltas([300, 301, 302, 303, 304]), encode_deltas([2, 70_000, 70_001]),
                  encode_deltas([400]), encode_deltas([1, 2, 3])):
        count = len(value) // 4
        assert encode_one(12, float(count), value) == encode_any((12,), (float(count),), [value])
        assert encode_one(12, 2.5, value) == encode_any((12,), (2.5,), [value])
