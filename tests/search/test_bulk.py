"""The bulk rebuild (search.bulk) writes the index the normal writer would."""
import os
import random
from array import array

import pytest
from whoosh import writing

from search import InvalidDocument, documents, open_index
from search import bulk
from search.postings import write_field
from search.whoosh_index import _whoosh_record

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng"]
GIVEN = ["An", "Bình", "Thủy", "Hoà", "Khánh", "Đạt", "Lan"]
WORDS = ["giấy", "khai", "sinh", "quyết", "định", "căn", "cứ", "thửa", "đất", "số",
         "hoá", "đơn", "uỷ", "quyền", "nơi", "cư", "trú", "ngày", "tháng", "năm"]
TYPES = ["KS", "KH", "QD", "HD"]


def corpus(n, seed=7):
    rng = random.Random(seed)
    out = []
    for k in range(n):
        type_code = rng.choice(TYPES)
        number = "%d/%d/%s-UBND" % (rng.randint(1, 300), rng.randint(2000, 2024), type_code)
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 60))]
        words.insert(rng.randrange(len(words)), "%s Văn %s" % (rng.choice(FAMILY),
                                                                rng.choice(GIVEN)))
        words.insert(rng.randrange(len(words)), "số " + number)
        words.insert(rng.randrange(len(words)), "ngày %02d/%02d/%d" % (
            rng.randint(1, 28), rng.randint(1, 12), rng.randint(1990, 2024)))
        record = {"doc_id": "d-%04d" % k, "text": " ".join(words),
                  "paper_name": "Giấy %s" % rng.choice(WORDS), "type_code": type_code,
                  "number": number, "issuer": "UBND %s" % rng.choice(["Q1", "Q3", "Hoà Khánh"]),
                  "owner_id": "0791%08d" % rng.randint(0, 30),
                  "state": rng.choice(["reusable", "pending"]), "desk": "BPMC-%d" % (k % 3),
                  "provenance": "ocr", "stamp": k,
                  "dossier_codes": ["000.00.01.H29-%06d" % rng.randint(0, 10 ** 6)]}
        if k % 5:
            record["issue_date"] = "%d-%02d-%02d" % (rng.randint(2000, 2024),
                                                     rng.randint(1, 12), rng.randint(1, 28))
            record["validity"] = rng.choice(["in_force", "expired"])
        if k % 7 == 0:
            record["valid_until"] = "2030-01-01"
        if k % 11 == 0:
            del record["type_code"], record["owner_id"]
        out.append(record)
    return out


DOCS = corpus(240)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same documents indexed by the bulk rebuild (2 processes, several
    segments) and by Whoosh's own writer (one optimized segment)."""
    root = tmp_path_factory.mktemp("pair")
    fast = open_index(root / "bulk")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bulk, "MIN_DOCS_PER_PROC", 10)
        assert fast.rebuild(iter(DOCS), procs=2, segment_docs=70) == len(DOCS)
    assert fast.stats().segments == 4
    normal = open_index(root / "normal")
    writer = normal._ix.writer()
    for record in DOCS:
        writer.add_document(**_whoosh_record(documents.clean_record(record)))
    writer.commit(mergetype=writing.CLEAR, optimize=True)
    yield fast, normal
    fast.close()
    normal.close()


QUERIES = ["giấy", "giay khai", "khai sinh", '"quyết định"', '"quyet dinh"', "nguyễn",
           "nguyen van thuy", "hoà", "hoa", "thuỷ", "ngày*", "qu*", "d-0012", "0791*",
           "ubnd", "000.00.01.h29*", "số -đất", "đất OR quyền", ""]
FILTERS = [None, {"type_code": "KS"}, {"year": 2010}, {"year": {2003, 2020}},
           {"state": "pending", "desk": "BPMC-1"}, {"validity": "expired"},
           {"owner_ids": {"079100000003", "079100000007"}}, {"doc_ids": {"d-0001", "d-0100"}}]


def summary(results):
    return (results.total, [(hit.doc_id, round(hit.score, 4), hit.fields) for hit in results.hits],
            results.facets)


@pytest.mark.parametrize("query", QUERIES)
def test_bulk_and_normal_indexes_answer_alike(pair, query):
    fast, normal = pair
    for filters in FILTERS:
        kwargs = dict(filters=filters, facets=documents.FACET_FIELDS, pagelen=30)
        assert summary(fast.search(query, **kwargs)) == summary(normal.search(query, **kwargs))


def test_bulk_and_normal_indexes_hold_the_same_postings(pair):
    fast, normal = pair
    a, b = fast._searcher().reader(), normal._searcher().reader()
    assert list(a.all_terms()) == list(b.all_terms())
    for fieldname, text in a.all_terms():
        pa, pb = a.postings(fieldname, text), b.postings(fieldname, text)
        assert list(pa.items_as("weight")) == list(pb.items_as("weight"))
        pa, pb = a.postings(fieldname, text), b.postings(fieldname, text)
        values_a, values_b = [], []
        while pa.is_active():
            values_a.append(pa.value())
            pa.next()
        while pb.is_active():
            values_b.append(pb.value())
            pb.next()
        assert values_a == values_b, (fieldname, text)
        ia, ib = a.term_info(fieldname, text), b.term_info(fieldname, text)
        assert (ia.weight(), ia.doc_frequency(), ia.min_length(), ia.max_length(),
                ia.max_weight(), ia.min_id(), ia.max_id()) == \
               (ib.weight(), ib.doc_frequency(), ib.min_length(), ib.max_length(),
                ib.max_weight(), ib.min_id(), ib.max_id())
    for name in a.schema.names():
        assert a.field_length(name) == b.field_length(name)
        assert [a.doc_field_length(d, name) for d in range(len(DOCS))] == \
               [b.doc_field_length(d, name) for d in range(len(DOCS))]
        if b.has_column(name):
            assert list(a.column_reader(name)) == list(b.column_reader(name))
    assert [a.stored_fields(d) for d in range(len(DOCS))] == \
           [b.stored_fields(d) for d in range(len(DOCS))]


def test_bulk_and_normal_indexes_have_the_same_stamps(pair):
    fast, normal = pair
    assert fast.stamps() == normal.stamps() == {d["doc_id"]: d["stamp"] for d in DOCS}
    assert fast.count() == normal.count() == len(DOCS)


@pytest.fixture
def small_runs(monkeypatch):
    """Several processes even for a few documents."""
    monkeypatch.setattr(bulk, "MIN_DOCS_PER_PROC", 10)


def test_apply_after_a_bulk_rebuild(tmp_path, small_runs):
    ix = open_index(tmp_path / "ix")
    ix.rebuild(DOCS[:100], procs=2, segment_docs=30)
    changed = dict(DOCS[5], text="giấy chứng nhận quyền sử dụng đất mới", stamp="v2")
    report = ix.apply(upserts=[changed, dict(DOCS[150], stamp="new")],
                      deletes=["d-0007", "d-0050"])
    assert (report.upserted, report.deleted) == (2, 2)
    assert ix.count() == 99
    stamps = ix.stamps()
    assert stamps["d-0005"] == "v2" and stamps["d-0150"] == "new"
    assert "d-0007" not in stamps and "d-0050" not in stamps
    assert [h.doc_id for h in ix.search('"chứng nhận quyền sử dụng"').hits] == ["d-0005"]
    assert ix.search("d-0007").total == 0
    assert ix.search("", filters={"doc_ids": {"d-0150"}}).total == 1
    ix.optimize()
    assert ix.count() == 99 and ix.stamps() == stamps
    assert [h.doc_id for h in ix.search('"chung nhan quyen"').hits] == ["d-0005"]
    ix.close()


def test_duplicate_ids_are_refused_and_the_old_content_stays(tmp_path, small_runs):
    ix = open_index(tmp_path / "ix")
    ix.rebuild(DOCS[:10], procs=1)
    files = set(os.listdir(ix.path))
    with pytest.raises(InvalidDocument, match="appears twice"):
        ix.rebuild(DOCS[10:20] + [DOCS[12]], procs=2)
    with pytest.raises(InvalidDocument):
        ix.rebuild(DOCS[10:20] + [{"doc_id": "x", "year": "soon"}], procs=2)
    assert ix.count() == 10 and set(os.listdir(ix.path)) == files
    ix.close()


def test_a_failing_worker_leaves_the_old_content_and_no_stray_files(tmp_path, monkeypatch,
                                                                   small_runs):
    ix = open_index(tmp_path / "ix")
    ix.rebuild(DOCS[:10], procs=1)
    files = set(os.listdir(ix.path))

    def broken(record):
        if record["doc_id"] == "d-0150":
            raise RuntimeError("disk on fire")
        return _whoosh_record(record)

    monkeypatch.setattr("search.whoosh_index._whoosh_record", broken)
    for procs in (1, 2):
        with pytest.raises(RuntimeError, match="disk on fire"):
            ix.rebuild(DOCS, procs=procs, segment_docs=50)
        assert set(os.listdir(ix.path)) == files
        assert ix.count() == 10 and ix.search("d-0003").total == 1
    ix.close()


def test_an_empty_rebuild_empties_the_index(tmp_path):
    ix = open_index(tmp_path / "ix")
    ix.rebuild(DOCS[:10])
    assert ix.rebuild([]) == 0
    assert ix.count() == 0 and ix.stamps() == {} and ix.search("giấy").total == 0
    ix.apply(upserts=DOCS[:3])
    assert ix.count() == 3
    ix.close()


def _postings_bytes(tmp_path, write, adopt=False):
    """The .trm and .pst bytes of one field written by `write(fieldwriter, terms)`
    (with search.postings' TermTable if `adopt`)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.fields import TEXT
    storage = FileStorage(str(tmp_path)).create()
    from search.codec import KhoCodec
    codec = KhoCodec(blocklimit=4)
    segment = codec.new_segment(storage, "T")
    writer = codec.field_writer(storage, segment)
    if adopt:
        from search.postings import TermTable
        TermTable.adopt(writer)
    writer.start_field("f", TEXT(phrase=True))
    write(writer)
    writer.finish_field()
    writer.close()
    return {ext: storage.open_file(segment.make_filename(ext)).read()
            for ext in (".trm", ".pst")}


@pytest.mark.parametrize("adopt", [False, True], ids=["stock table", "TermTable"])
def test_whole_term_writing_gives_the_per_posting_writers_bytes(tmp_path, adopt):
    from search.postings import TermPostings
    from search.postings_format import DeltaPositions
    rng = random.Random(3)
    encode = DeltaPositions().encode
    doclengths = array("I", [rng.choice([0, 1, 3, 7, 40, 300]) for _ in range(50)])
    terms = {}
    for k in range(30):
        ids = sorted(rng.sample([d for d in range(50) if doclengths[d]], rng.randint(1, 11)))
        positions = [sorted(rng.sample(range(40), rng.randint(1, 3))) for _ in ids]
        terms[b"t%02d" % k] = TermPostings(array("I", ids),
                                           array("f", [float(len(p)) for p in positions]),
                                           [encode(p) for p in positions])

    def per_posting(writer):
        for tbytes in sorted(terms):
            postings = terms[tbytes]
            writer.start_term(tbytes)
            for docnum, weight, value in zip(postings.ids, postings.weights, postings.values):
                writer.add(docnum, weight, value, doclengths[docnum] or None)
            writer.finish_term()

    expected = _postings_bytes(tmp_path / "a", per_posting)
    got = _postings_bytes(tmp_path / "b", lambda w: write_field(w, terms, doclengths, 4), adopt)
    assert got == expected
    # and again: one-posting terms' blocks now come from the cache
    again = _postings_bytes(tmp_path / "c", lambda w: write_field(w, terms, doclengths, 4), adopt)
    assert again == expected


def test_segments_follow_the_documents_order():
    runs, procs = bulk._plan(100_000, 2, 25_000)
    assert procs == 2 and len(runs) == 4
    assert runs[0][0] == 0 and runs[-1][1] == 100_000
    assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))
    assert bulk._plan(300, 2, 25_000) == ([(0, 300)], 1)
    assert bulk._plan(20_000, 2, 25_000)[0] == [(0, 10_000), (10_000, 20_000)]


def test_a_rebuild_reports_its_progress(tmp_path, small_runs):
    ix = open_index(tmp_path / "ix")
    for procs in (1, 2):
        seen = []
        assert ix.rebuild(DOCS, procs=procs, segment_docs=50,
                          progress=lambda done, total: seen.append((done, total))) == len(DOCS)
        assert seen and seen[-1] == (len(DOCS), len(DOCS))
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    ix.close()


@pytest.mark.parametrize("which", [0, 1, 2])
def test_a_one_document_segment_is_written_as_the_general_path_writes_it(which):
    """SegmentBuilder(single=True), an apply's segment, writes the very files
    of the general path (terms as pairs, not arrays of postings)."""
    from whoosh.filedb.filestore import RamStorage

    from search.codec import KhoCodec
    from search.whoosh_index import make_schema
    schema = make_schema()
    record = _whoosh_record(documents.clean_record(DOCS[which]))
    files = []
    for single in (False, True):
        storage, codec = RamStorage(), KhoCodec()
        segment = codec.new_segment(storage, "T")
        segment.segid = "fixed"                     # (the same file names)
        builder = bulk.SegmentBuilder(storage, schema, codec, segment, single=single)
        builder.add(record)
        builder.finish(compound=False)
        files.append({name: storage.open_file(name).read() for name in storage.list()})
    assert files[0] == files[1]
    assert len(files[0]) > 3


def test_the_terms_table_writes_whooshs_bytes_with_crowded_buckets():
    """TermTable (whole fields at a time, hash tables in one piece) against
    Whoosh's own table, with enough keys that buckets hold several."""
    from whoosh.filedb.filestore import RamStorage
    from whoosh.filedb.filetables import OrderedHashWriter

    from search.postings import TermTable
    rng = random.Random(5)
    keys = sorted({bytes(rng.choices(b"abcdefgh", k=rng.randint(1, 6))) for _ in range(3000)})
    values = [b"v%d" % rng.randrange(10**6) for _ in keys]
    written = []
    for ours in (False, True):
        storage = RamStorage()
        table = OrderedHashWriter(storage.create_file("t"))
        if ours:
            table.__class__ = TermTable
            table.add_sorted(keys[:1000], values[:1000])
            table.add_ordered(zip(keys[1000:], values[1000:]))
        else:
            for key, value in zip(keys, values):
                table.add(key, value)
        table.close()
        written.append(storage.open_file("t").read())
    assert written[0] == written[1] and len(keys) > 1500
    with pytest.raises(ValueError):
        TermTable(RamStorage().create_file("u")).add_ordered([(b"b", b""), (b"a", b"")])
