"""A folded field's term whose postings are the exact field's points at the
exact field's chunk (search.bulk.SharingTermTable) instead of a copy."""
import os

from search import bulk, open_index

DOCS = [{"doc_id": "d%03d" % k,
         "text": "Nguyễn Văn An số %d thửa đất nguyên %d ngày 12/05/2020" % (k, k % 7)}
        for k in range(120)]


def _extent(reader, field, text):
    offset, length = reader._terms.term_info(field, text.encode("utf-8")).extent()
    return offset, length[0] if isinstance(length, tuple) else length


def _postings(reader, field, text):
    matcher = reader.postings(field, text)
    out = []
    while matcher.is_active():
        out.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return out


def _index(path, docs, single=False):
    ix = open_index(path)
    if single:
        ix.apply(upserts=docs)
    else:
        ix.rebuild(docs, segment_docs=1000)
    return ix


def test_the_same_postings_are_written_once(tmp_path):
    ix = _index(tmp_path / "ix", DOCS)
    reader = ix._searcher().reader()
    for text in ("12", "2020", "5", "17"):
        if reader.doc_frequency("text_exact", text):
            assert _extent(reader, "text_folded", text) == _extent(reader, "text_exact", text)
            assert _postings(reader, "text_folded", text) == _postings(reader, "text_exact", text)
    # "nguyen" folds "nguyễn" and "nguyên": a list of its own
    assert _extent(reader, "text_folded", "nguyen") != _extent(reader, "text_exact", "nguyễn")
    assert reader.doc_frequency("text_folded", "nguyen") == len(DOCS)
    assert ix.search('"so 17 thua dat"').hits[0].doc_id == "d017"
    assert {h.doc_id for h in ix.search("nguyên 3", pagelen=100).hits} == \
        {"d%03d" % k for k in range(120) if k % 7 == 3 or k == 3}
    ix.close()


def _postings_size(path):
    return sum(os.path.getsize(os.path.join(path, name)) for name in os.listdir(path)
               if name.endswith(".seg"))


def test_sharing_makes_the_postings_smaller_and_answers_the_same(tmp_path, monkeypatch):
    shared = _index(tmp_path / "a", DOCS)
    monkeypatch.setattr(bulk.SharingTermTable, "share_with_last",
                        lambda self, prefix, terms, lengths, previous: terms)
    copied = _index(tmp_path / "b", DOCS)
    assert _postings_size(shared.path) < _postings_size(copied.path)
    for query in ("12/05/2020", "nguyen van an", '"so 42"', "nguyên", "dat 5"):
        assert [(h.doc_id, h.score) for h in shared.search(query).hits] == \
            [(h.doc_id, h.score) for h in copied.search(query).hits]
    shared.close()
    copied.close()


def test_an_applied_paper_shares_too_and_merges_keep_the_postings(tmp_path):
    ix = _index(tmp_path / "ix", DOCS[:1], single=True)
    reader = ix._searcher().reader()
    assert _extent(reader, "text_folded", "2020") == _extent(reader, "text_exact", "2020")
    for k in range(1, 40, 8):
        ix.apply(upserts=DOCS[k:k + 8])
    ix.optimize()
    reader = ix._searcher().reader()
    assert _postings(reader, "text_folded", "2020") == _postings(reader, "text_exact", "2020")
    assert reader.doc_frequency("text_folded", "2020") == 41
    ix.close()
