"""repository.records_search over a real index: each metadata filter, the
filters the index applies and those its stored fields decide, no content in
what it returns, bad filters named, and the audit under each owner shown."""
import datetime

import pytest

from repository import records_search, retention
from repository.audit import audit_log
from repository.errors import ValidationError
from repository.indexing import record_of
from repository.operations import add_document
from search.whoosh_index import WhooshIndex

from ..files import pdf_bytes

OWNER, OTHER = "001090012345", "010195004321"
SECRET = "QUOKKAZEBRA"                   # in the papers' text: never matched nor returned


@pytest.fixture
def papers(root, tmp_path):
    """Four papers of two owners, indexed; the index and the papers by label."""
    officer, records = root.accounts.users["canbo"], root.accounts.users["luutru"]
    specs = {
        "birth": (OWNER, {"type_code": "GKS", "number": "45/2001", "issuer": "UBND xã Yên Bình",
                          "issue_date": "2001-05-14"}),
        "passport": (OWNER, {"type_code": "HC", "number": "B7654321", "issuer": "Cục Quản lý xuất nhập cảnh",
                             "issue_date": "2015-06-30", "valid_until": "2025-06-30"}),
        "decision": (OWNER, {"type_code": "QDTV", "number": "77/QĐ-UBND", "issuer": "UBND huyện Bát Xát",
                             "issue_date": "2022-01-10"}),
        "other": (OTHER, {"type_code": "GKS", "number": "45/2001", "issuer": "UBND xã Cốc San",
                          "issue_date": "1995-09-01"}),
    }
    made = {}
    for label, (owner, meta) in specs.items():
        made[label] = add_document(root, root.subjects[owner], pdf_bytes(text=f"{SECRET} {label}"), f"{label}.pdf",
                                   dict(meta, provenance="uploaded"), officer)
    index = WhooshIndex(str(tmp_path / "index"))
    index.apply(upserts=[record_of(root, d) for d in made.values()])
    yield index, made, records
    index.close()


def search(root, index, user, **params):
    return records_search.search_metadata(root, index, user, records_search.parse_filters(params))


def found(result):
    return {r["doc_id"] for r in result["rows"]}


def key(document):
    return f"{document.owner_id}/{document.__name__}"


def test_each_filter(root, papers):
    index, made, records = papers
    everything = search(root, index, records)
    assert everything["total"] == 4 and everything["exact"]
    assert found(search(root, index, records, owner=OTHER)) == {key(made["other"])}
    assert found(search(root, index, records, name="nguyen van an")) == {key(made[k]) for k in
                                                                          ("birth", "passport", "decision")}
    assert found(search(root, index, records, type="GKS")) == {key(made["birth"]), key(made["other"])}
    assert found(search(root, index, records, number="77/qđ")) == {key(made["decision"])}
    assert found(search(root, index, records, issuer="bat xat")) == {key(made["decision"])}
    assert found(search(root, index, records, issued_from="01/01/2001", issued_to="31/12/2015")) == \
        {key(made["birth"]), key(made["passport"])}
    assert found(search(root, index, records, valid_to="2026-01-01")) == {key(made["passport"])}
    assert found(search(root, index, records, state="expired")) == {key(made["passport"])}
    assert found(search(root, index, records, number="45/2001", owner=OWNER)) == {key(made["birth"])}
    assert search(root, index, records, name="không có ai")["total"] == 0


def test_retention_state_and_paging(root, papers):
    index, made, records = papers
    assert search(root, index, records, retention="held")["total"] == 0
    retention.place_hold(root, f"warehouse:{OTHER}", records, "Thanh tra")
    held = search(root, index, records, retention="held")
    assert found(held) == {key(made["other"])} and held["rows"][0]["retention"] == "held"
    pages = [records_search.search_metadata(root, index, records, {}, page=p, pagelen=3) for p in (1, 2)]
    assert [len(p["rows"]) for p in pages] == [3, 1] and pages[0]["pagecount"] == 2
    assert not found(pages[0]) & found(pages[1])
    # a filter the stored fields decide pages the same way
    checked = [records_search.search_metadata(root, index, records, {"issuer": "ubnd"}, page=p, pagelen=2)
               for p in (1, 2)]
    assert [c["total"] for c in checked] == [3, 3] and len(found(checked[0]) | found(checked[1])) == 3


def test_no_content_is_matched_or_returned(root, papers):
    index, made, records = papers
    for params in ({"name": SECRET}, {"issuer": SECRET}, {"number": SECRET}):
        assert search(root, index, records, **params)["total"] == 0
    rows = search(root, index, records)["rows"]
    assert SECRET not in repr(rows)
    assert not {"text", "snippet_html", "name_html"} & set(rows[0])
    assert rows[0]["issue_date"] is None or isinstance(rows[0]["issue_date"], datetime.date)


def test_bad_filters_are_named(root):
    with pytest.raises(ValidationError) as caught:
        records_search.parse_filters({"owner": "12", "issued_from": "31/02/2020", "state": "lost",
                                      "retention": "x", "valid_from": "2020-05-01", "valid_to": "01/01/2020",
                                      "number": "<script>"})
    assert set(caught.value.errors) == {"owner", "issued_from", "state", "retention", "valid_to", "number"}
    assert "dd/mm/yyyy" in caught.value.errors["issued_from"]
    with pytest.raises(ValidationError):
        records_search.page_args({"page": "0"})


def test_audited_under_each_owner_shown(root, papers):
    index, made, records = papers
    before = len(audit_log(root._p_jar))
    search(root, index, records, number="45/2001")
    entries = list(audit_log(root._p_jar))[before:]
    assert [(e["action"], e["subject"], e["purpose"]) for e in entries] == \
        [("search_read", OWNER, "metadata"), ("search_read", OTHER, "metadata")]
    assert entries[0]["detail"]["scope"] == "metadata" and entries[0]["detail"]["papers"] == \
        [made["birth"].__name__] and entries[0]["detail"]["query"] == {"number": "45/2001"}
    search(root, index, records, owner="079203000001")       # nobody: one entry without an owner
    last = list(audit_log(root._p_jar))[-1]
    assert last["subject"] is None and last["detail"]["papers"] == []


def test_a_scan_past_its_limit_says_at_least(root, papers, monkeypatch):
    index, made, records = papers
    monkeypatch.setattr(records_search, "SCAN_CHUNK", 2)
    monkeypatch.setattr(records_search, "SCAN_LIMIT", 2)
    partial = search(root, index, records, issuer="ubnd")
    assert not partial["exact"] and partial["total"] <= 2
    monkeypatch.setattr(records_search, "SCAN_LIMIT", 4)
    whole = search(root, index, records, issuer="ubnd")
    assert whole["exact"] and whole["total"] == 3


def test_a_name_looked_for_in_part_of_the_warehouses_is_not_exact(root, papers, monkeypatch):
    index, made, records = papers
    assert search(root, index, records, name="lò thị")["exact"]
    first = next(iter(root.subjects.keys()))
    monkeypatch.setattr(records_search, "NAME_SCAN", 1)
    bounded = search(root, index, records, name="lò thị")
    assert not bounded["exact"] and (bounded["total"] == 0) == (first != OTHER)
    # with the owner's id the name is checked in that warehouse alone
    assert found(search(root, index, records, name="lo thi", owner=OTHER)) == {key(made["other"])}
    assert search(root, index, records, name="lo thi", owner=OTHER)["exact"]
    assert search(root, index, records, name="nguyen", owner=OTHER)["total"] == 0
