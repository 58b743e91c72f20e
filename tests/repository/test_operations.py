import datetime

import pytest
import transaction

from repository.audit import audit_log
from repository.db import app_root, close_databases, open_databases
from repository.errors import ValidationError
from repository.operations import add_document, authorize_read, create_warehouse, read_content

from ..files import pdf_bytes


@pytest.fixture
def root(settings):
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    yield app_root(conn)
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)


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
    entries = len(audit_log(root._p_jar))
    doc = add_document(root, warehouse, data, "C:\\scan\\giấy khai sinh.pdf",
                       {"type_code": "GKS", "issue_date": "2020-02-03", "number": "12/2020",
                        "dossier_code": "000.15.16.H10-261128-0001", "valid_until": ""}, officer)
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


def test_reading_content_needs_a_purpose_from_staff_but_not_from_the_owner(root):
    officer = root.accounts.users["canbo"]
    citizen = root.accounts.users["congdan"]
    doc = add_document(root, root.subjects["001090012345"], pdf_bytes(), "a.pdf", {"type_code": "GKS"},
                       officer)
    with pytest.raises(ValidationError):
        authorize_read(doc, officer, "")
    with read_content(doc, officer, "000.15.16.H10-261128-0001") as f:
        assert f.read(5) == b"%PDF-"
    assert authorize_read(doc, citizen) == "owner"
    last = audit_log(root._p_jar).entries
    purposes = [e["purpose"] for e in list(last.values())[-2:]]
    assert purposes == ["000.15.16.H10-261128-0001", "owner"]


def test_expired_by_date(root):
    officer = root.accounts.users["canbo"]
    doc = add_document(root, root.subjects["001090012345"], pdf_bytes(), "a.pdf",
                       {"type_code": "XNTTHN", "valid_until": "2020-01-01"}, officer)
    assert doc.state == "in_force" and doc.effective_state() == "expired"
    doc.state = "revoked"
    assert doc.effective_state() == "revoked"
