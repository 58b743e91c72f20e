import threading

import pytest

from search import (DEFAULT_FACETS, ISearchEngine, IndexUnavailable, InvalidDocument,
                    InvalidFilter, QuerySyntaxError, compare_stamps, open_index)

OWNER_A = "001190012345"
OWNER_B = "079085000111"

DOCS = [
    {"doc_id": "ks-a", "owner_id": OWNER_A, "paper_name": "Giấy khai sinh", "type_code": "KS",
     "number": "123/QĐ-UBND", "issuer": "UBND phường Bến Nghé", "issue_date": "2024-03-05",
     "validity": "in_force", "state": "reusable", "desk": "BPMC-Q1",
     "dossier_codes": ["000.00.01.H29-240305-0001", "000.00.01.H29-240306-0002"],
     "provenance": "ocr", "stamp": 1,
     "text": "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM. Độc lập - Tự do - Hạnh phúc. "
             "GIẤY KHAI SINH. Họ và tên: Nguyễn Thị Thủy. Ngày sinh 05/03/2024. "
             "Nơi đăng ký: UBND phường Bến Nghé. Số 123/QĐ-UBND."},
    {"doc_id": "giay-a", "owner_id": OWNER_A, "paper_name": "Biên nhận", "type_code": "BN",
     "issue_date": "2023-01-02", "state": "reusable", "desk": "BPMC-Q1", "stamp": 1,
     "text": "Biên nhận đôi giày của ông bà, không phải là văn bản chính thức."},
    {"doc_id": "hk-b", "owner_id": OWNER_B, "paper_name": "Sổ hộ khẩu", "type_code": "HK",
     "number": "77/HK", "issue_date": "2021-07-01", "validity": "revoked", "state": "archived",
     "desk": "BPMC-Q3", "stamp": "v7",
     "text": "Sổ hộ khẩu của hộ ông Trần Văn Bình, thuế hóa đơn giấy khai sinh đính kèm."},
    {"doc_id": "ks-b", "owner_id": OWNER_B, "paper_name": "Giấy khai sinh", "type_code": "KS",
     "issue_date": "2022-11-20", "state": "reusable", "desk": "BPMC-Q3", "stamp": b"\x01",
     "text": "Giấy khai sinh của Trần Thị Lan, sinh ngày 20/11/2022 tại Đà Nẵng."},
]


@pytest.fixture
def index(tmp_path):
    ix = open_index(tmp_path / "index")
    ix.apply(upserts=DOCS)
    yield ix
    ix.close()


def ids(results):
    return [hit.doc_id for hit in results.hits]


def test_provides_the_engine_interface(index):
    assert ISearchEngine.providedBy(index)
    assert index.count() == 4


def test_query_without_diacritics_finds_accented_text(index):
    assert set(ids(index.search("giay khai sinh"))) == {"ks-a", "hk-b", "ks-b"}
    assert ids(index.search("Thuy")) == ["ks-a"]
    assert ids(index.search("da nang")) == ["ks-b"]


def test_exact_match_ranks_before_folded_match(index):
    # "giấy" (paper) exactly in ks-a/hk-b/ks-b; "giày" (shoes) in giay-a folds alike
    results = index.search("giấy")
    assert set(ids(results)) == {"ks-a", "hk-b", "ks-b", "giay-a"}
    assert ids(results)[-1] == "giay-a"
    results = index.search("giày")
    assert ids(results)[0] == "giay-a"
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)


def test_old_and_new_tone_placement_find_each_other(index):
    assert ids(index.search("thuỷ")) == ["ks-a"]      # indexed as "Thủy"
    assert ids(index.search("hoá đơn")) == ["hk-b"]   # indexed as "hóa đơn"
    assert ids(index.search("HÒA"))[0] == "ks-a"      # indexed as "HOÀ" (hk-b: "hóa")


def test_phrase_queries_in_both_fields(index):
    assert set(ids(index.search('"giấy khai sinh"'))) == {"ks-a", "hk-b", "ks-b"}
    assert set(ids(index.search('"giay khai sinh"'))) == {"ks-a", "hk-b", "ks-b"}
    assert ids(index.search('"khai sinh của"')) == ["ks-b"]
    assert ids(index.search('"sinh khai giấy"')) == []


def test_prefix_on_owner_id_and_number(index):
    assert set(ids(index.search("0011"))) == {"ks-a", "giay-a"}
    assert ids(index.search("123/QĐ")) == ["ks-a"]
    assert ids(index.search("123/qd")) == ["ks-a"]
    assert ids(index.search("000.00.01.H29-240306")) == ["ks-a"]
    assert set(ids(index.search("khai*"))) == {"ks-a", "hk-b", "ks-b"}


def test_boolean_operators(index):
    assert set(ids(index.search("khai -thuế"))) == {"ks-a", "ks-b"}
    assert set(ids(index.search("lan OR bình"))) == {"hk-b", "ks-b"}


def test_blank_query_lists_what_the_filters_allow(index):
    assert set(ids(index.search("", filters={"owner_ids": {OWNER_B}}))) == {"hk-b", "ks-b"}


@pytest.mark.parametrize("query", [
    "giấy", "giay khai sinh", '"giấy khai sinh"', "khai*", "gi*", "", OWNER_B, OWNER_B[:4],
    "hk-b", "77/HK", "Trần", "-giày", "ks-b OR hk-b", "000*", "079*",
])
def test_owner_filter_never_returns_another_owners_document(index, query):
    results = index.search(query, filters={"owner_ids": {OWNER_A}}, pagelen=100)
    assert all(hit.fields["owner_id"] == OWNER_A for hit in results.hits)
    assert results.total == len(results.hits)
    counted = sum(results.facets["type_code"].values())
    assert counted == results.total


def test_empty_owner_set_returns_nothing(index):
    results = index.search("giấy", filters={"owner_ids": set()})
    assert results.total == 0 and results.hits == []


def test_large_owner_set_is_checked_against_the_column(index):
    owners = {"%012d" % n for n in range(5000)} | {OWNER_B}
    assert set(ids(index.search("giấy", filters={"owner_ids": owners}))) == {"hk-b", "ks-b"}


def test_doc_id_and_value_filters(index):
    assert ids(index.search("giấy", filters={"doc_ids": {"ks-b", "nope"}})) == ["ks-b"]
    assert set(ids(index.search("giấy", filters={"type_code": "KS"}))) == {"ks-a", "ks-b"}
    assert ids(index.search("giấy", filters={"year": 2024})) == ["ks-a"]
    assert set(ids(index.search("", filters={"year": {2021, "2022"}}))) == {"hk-b", "ks-b"}
    assert ids(index.search("", filters={"validity": "revoked"})) == ["hk-b"]
    assert ids(index.search("", filters={"desk": "BPMC-Q3", "state": "archived"})) == ["hk-b"]


def test_bad_filters_are_refused(index):
    with pytest.raises(InvalidFilter, match="unknown filter"):
        index.search("giấy", filters={"colour": "red"})
    with pytest.raises(InvalidFilter, match="year"):
        index.search("giấy", filters={"year": "last year"})
    with pytest.raises(InvalidFilter, match="facets"):
        index.search("giấy", facets=("owner_id",))
    with pytest.raises(InvalidFilter, match="page"):
        index.search("giấy", page=0)


def test_facet_counts_cover_all_matches_not_just_the_page(index):
    results = index.search("giay", pagelen=1)
    assert results.total == 4 and len(results.hits) == 1
    assert results.facets["type_code"] == {"KS": 2, "HK": 1, "BN": 1}
    assert results.facets["year"] == {2024: 1, 2023: 1, 2022: 1, 2021: 1}
    assert results.facets["state"] == {"reusable": 3, "archived": 1}
    assert results.facets["desk"] == {"BPMC-Q1": 2, "BPMC-Q3": 2}
    assert set(results.facets) == set(DEFAULT_FACETS)


def test_paging(index):
    first = index.search("giay", pagelen=3)
    second = index.search("giay", pagelen=3, page=2)
    assert len(first.hits) == 3 and len(second.hits) == 1 and first.pagecount == 2
    assert not set(ids(first)) & set(ids(second))
    assert index.search("giay", pagelen=3, page=5).hits == []


def test_hits_carry_stored_fields_and_highlighted_snippets(index):
    hit = index.search("thuy 123/QĐ").hits[0]
    assert hit.doc_id == "ks-a"
    assert hit.fields["number"] == "123/QĐ-UBND"
    assert hit.fields["issue_date"] == "2024-03-05"
    assert hit.fields["year"] == 2024
    assert hit.fields["dossier_codes"] == ["000.00.01.H29-240305-0001",
                                           "000.00.01.H29-240306-0002"]
    assert hit.fields["stamp"] == 1
    assert "<mark>Thủy</mark>" in hit.snippets["text"]
    assert "<mark>123/QĐ-UBND</mark>" in hit.snippets["text"]
    assert "text" not in hit.fields
    plain = index.search("thuy", highlight=False).hits[0]
    assert plain.snippets == {}


def test_stamps_detect_missing_stale_and_orphaned(index):
    assert index.stamps() == {"ks-a": 1, "giay-a": 1, "hk-b": "v7", "ks-b": b"\x01"}
    expected = {"ks-a": 2, "giay-a": 1, "hk-b": "v7", "new": 1}
    drift = compare_stamps(expected, index.stamps())
    assert (drift.missing, drift.stale, drift.orphaned) == (["new"], ["ks-a"], ["ks-b"])
    index.apply(upserts=[dict(DOCS[0], stamp=2), {"doc_id": "new", "stamp": 1}],
                deletes=["ks-b"])
    assert not compare_stamps(expected, index.stamps())


def test_deletion_makes_a_document_unfindable_at_once(index):
    assert ids(index.search("Lan")) == ["ks-b"]
    report = index.apply(deletes=["ks-b", "never-indexed"])
    assert report.deleted == 1
    assert index.search("Lan").total == 0
    assert index.search("ks-b").total == 0
    assert "ks-b" not in index.stamps()
    assert index.count() == 3


def test_upsert_replaces_the_old_version(index):
    index.apply(upserts=[dict(DOCS[3], text="Trích lục kết hôn", stamp=b"\x02")])
    assert index.search("Lan").total == 0
    assert ids(index.search("kết hôn")) == ["ks-b"]
    assert index.count() == 4


def test_changes_are_seen_by_another_handle_on_the_same_directory(index):
    other = open_index(index.path, create=False)
    assert other.count() == 4
    index.apply(deletes=["ks-a"])
    assert other.count() == 3 and other.search("thuy").total == 0
    other.close()


@pytest.mark.parametrize("record, message", [
    ({"text": "no id"}, "doc_id"),
    ({"doc_id": "x", "colour": "red"}, "unknown field"),
    ({"doc_id": "x", "issue_date": "05/03/2024"}, "issue_date"),
    ({"doc_id": "x", "dossier_codes": "one-code"}, "list"),
    ({"doc_id": "x", "stamp": 1.5}, "stamp"),
    ({"doc_id": "x", "text": 42}, "text"),
])
def test_invalid_documents_are_refused_before_anything_is_written(index, record, message):
    with pytest.raises(InvalidDocument, match=message):
        index.apply(upserts=[{"doc_id": "fine", "text": "tốt"}, record])
    assert index.search("tốt").total == 0
    assert index.count() == 4


def test_same_id_upserted_and_deleted_is_refused(index):
    with pytest.raises(InvalidDocument, match="both"):
        index.apply(upserts=[{"doc_id": "ks-a"}], deletes=["ks-a"])


def test_malformed_queries_raise_a_clear_error(index):
    for text in ['"giấy khai', "(giấy", "giấy)", "OR"]:
        with pytest.raises(QuerySyntaxError):
            index.search(text)


def test_too_broad_explicit_prefix_is_refused(tmp_path, monkeypatch):
    import search.whoosh_index as engine
    monkeypatch.setattr(engine, "MAX_PREFIX_TERMS", 5)
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "d", "text": " ".join("ab%d" % n for n in range(10))}])
    with pytest.raises(QuerySyntaxError, match="too many"):
        ix.search("ab*")
    assert ix.search("ab1").total == 1


def test_concurrent_writers_in_one_process_are_serialized(tmp_path):
    ix = open_index(tmp_path / "ix")
    errors = []

    def write(n):
        try:
            for k in range(3):
                ix.apply(upserts=[{"doc_id": "t%d-%d" % (n, k), "text": "luồng %d" % n,
                                   "owner_id": "o%d" % n}])
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ix.count() == 18
    assert ix.search("luồng", pagelen=50).total == 18
    assert len(ix.stamps()) == 18


def test_documents_lacking_optional_fields_in_merged_segments(tmp_path):
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "a", "text": "khai", "type_code": "KS", "owner_id": "1"},
                      {"doc_id": "b", "text": "khai"}])
    ix.apply(upserts=[{"doc_id": "c", "text": "khai"}])
    results = ix.search("khai", filters={"owner_ids": {str(n) for n in range(3000)}})
    assert ids(results) == ["a"]
    assert ix.search("khai").facets["type_code"] == {"KS": 1}


def test_rebuild_and_clear(index):
    count = index.rebuild(d for d in DOCS if d["owner_id"] == OWNER_B)
    assert count == 2 and index.count() == 2
    assert index.search("thuy").total == 0
    index.clear()
    assert index.count() == 0 and index.stamps() == {}
    assert index.search("giấy", filters={"owner_ids": {str(n) for n in range(3000)}}).total == 0
    assert index.search("").total == 0
    stats = index.stats()
    assert stats.count == 0 and stats.size_bytes > 0


def test_opening_a_missing_index_without_create_fails_clearly(tmp_path):
    with pytest.raises(IndexUnavailable, match="no search index"):
        open_index(tmp_path / "nothing", create=False)


def _old_format_index(path):
    """An index as an earlier Kho wrote it: Whoosh's pickled Positions."""
    from whoosh import formats, index as whoosh_index
    from search.whoosh_index import make_schema
    schema = make_schema()
    schema["text_exact"].format = formats.Positions()
    path.mkdir()
    whoosh_index.create_in(str(path), schema)


def test_an_index_from_another_version_is_refused_or_replaced(tmp_path):
    from search import IndexOutdated
    _old_format_index(tmp_path / "old")
    with pytest.raises(IndexOutdated, match="another version.*kho search reindex"):
        open_index(tmp_path / "old")
    fresh = open_index(tmp_path / "old", replace_outdated=True)
    assert fresh.replaced and fresh.count() == 0
    fresh.close()
    # an interrupted rebuild leaves the mark: the next start rebuilds again
    again = open_index(tmp_path / "old")
    assert again.replaced
    assert again.rebuild(DOCS) == len(DOCS)
    assert not again.replaced
    assert [h.doc_id for h in again.search("Thuy").hits] == ["ks-a"]
    again.close()
    assert not open_index(tmp_path / "old").replaced


def test_an_unreadable_index_is_outdated_and_replaceable(tmp_path):
    from search import IndexOutdated
    _old_format_index(tmp_path / "bad")
    toc = next(p for p in (tmp_path / "bad").iterdir() if p.suffix == ".toc")
    toc.write_bytes(toc.read_bytes()[:40] + b"garbage")
    with pytest.raises(IndexOutdated, match="unreadable"):
        open_index(tmp_path / "bad")
    assert open_index(tmp_path / "bad", replace_outdated=True).replaced
