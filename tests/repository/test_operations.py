import datetime

import pytest

from repository.audit import audit_log
from repository.dossiers import receive_dossier
from repository.errors import Refused, ValidationError
from repository.operations import add_document, create_warehouse
from repository.reading import authorize_read, read_content

from ..files import pdf_bytes


def test_create_warehouse_validates_everything_before_writing(root):
    officer = root.accounts.users["canbo"]
    before = len(root.subjects)
    with pytest.raises(ValidationError) as err:
        create_warehouse(root, "001090012345x", "", officer, birth_date="1990-13-01")
    assert set(err.value.errors) == {"subject_id", "name", "birth_date"}
    with pytest.raises(ValidationError) as err:
        create_warehouse(root, "001090012345", "Trùng", officer)
    assert "đã có" in err.value.errors["subject_id"]
    with pytest.raises(ValidationError):
        create_warehouse(root, "079203000001", "Lê Văn Bình", officer, birth_date="1999-01-01")
    assert len(root.subjects) == before


def test_add_document_keeps_the_bytes_and_logs(root):
    officer = root.accounts.users["canbo"]
    warehouse = root.subjects["001090012345"]
    data = pdf_bytes(pages=2)
    dossier = receive_dossier(root, officer, "1.004227", "001090012345")
    entries = len(audit_log(root._p_jar))
    doc = add_document(root, warehouse, data, "C:\\scan\\giấy khai sinh.pdf",
                       {"type_code": "GKS", "issue_date": "2020-02-03", "number": "12/2020",
                        "dossier_code": dossier.code, "valid_until": ""}, officer)
    assert doc.procedure_code == "1.004227"
    assert doc.name == "Giấy khai sinh" and doc.pages == 2 and doc.filename == "giấy khai sinh.pdf"
    assert doc.issue_date == datetime.date(2020, 2, 3) and doc.valid_until is None
    with doc.original.open("r") as f:
        assert f.read() == data
    log = audit_log(root._p_jar)
    assert len(log) == entries + 1 and log.entries[len(log)]["action"] == "add_document"


def test_add_document_refuses_bad_metadata_and_bad_files_together(root):
    officer = root.accounts.users["canbo"]
    warehouse = root.subjects["001090012345"]
    with pytest.raises(ValidationError) as err:
        add_document(root, warehouse, b"not a file", "x.pdf",
                     {"type_code": "NOPE", "issue_date": "03/02/2020", "state": "lost",
                      "dossier_code": "123", "valid_from": "2020-01-02", "valid_until": "2019-01-01"},
                     officer)
    assert set(err.value.errors) >= {"type_code", "issue_date", "state", "dossier_code", "file"}
    assert len(warehouse.documents) == 0


def test_a_dossier_code_at_upload_must_be_an_open_dossier_of_the_owner_at_the_unit(root):
    officer, elsewhere = root.accounts.users["canbo"], root.accounts.users["canbo2"]
    warehouse = root.subjects["001090012345"]
    other = receive_dossier(root, officer, "1.004227", "010195004321")
    theirs = receive_dossier(root, elsewhere, "2.001417", "001090012345")
    for code in ("000.15.16.H10-261128-0001", other.code, theirs.code):
        with pytest.raises(ValidationError) as err:
            add_document(root, warehouse, pdf_bytes(), "a.pdf", {"type_code": "GKS", "dossier_code": code},
                         officer)
        assert "dossier_code" in err.value.errors
    assert len(warehouse.documents) == 0


def test_reading_content_needs_a_real_purpose_from_staff_but_not_from_the_owner(root):
    officer = root.accounts.users["canbo"]
    citizen = root.accounts.users["congdan"]
    dossier = receive_dossier(root, officer, "1.004227", "001090012345")
    doc = add_document(root, root.subjects["001090012345"], pdf_bytes(), "a.pdf", {"type_code": "GKS"},
                       officer)
    tm = root._p_jar.transaction_manager
    tm.commit()
    for made_up in ("", "000.15.16.H10-261128-0001", "retention_review"):
        with pytest.raises(Refused):
            authorize_read(doc, officer, made_up)
    tm.begin()                                    # the refusals were committed apart: see them
    with read_content(doc, officer, dossier.code) as f:
        assert f.read(5) == b"%PDF-"
    assert authorize_read(doc, citizen) == "owner"
    last = audit_log(root._p_jar).entries
    purposes = [e["purpose"] for e in list(last.values())[-2:]]
    assert purposes == [dossier.code, "owner"]
    refusals = [e for e in last.values() if e["action"] == "read_refused"]
    assert [e["purpose"] for e in refusals] == [None, "000.15.16.H10-261128-0001", "retention_review"]
    assert all(e["subject"] == "001090012345" for e in refusals)


def test_expired_by_date(root):
    officer = root.accounts.users["canbo"]
    doc = add_document(root, root.subjects["001090012345"], pdf_bytes(), "a.pdf",
                       {"type_code": "XNTTHN", "valid_until": "2020-01-01"}, officer)
    assert doc.state == "in_force" and doc.effective_state() == "expired"
    doc.state = "revoked"
    assert doc.effective_state() == "revoked"
