"""search.codec: array posting blocks, still readable through Whoosh's API."""
from search import open_index
from search.codec import KhoCodec, decode_block, encode_block
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
