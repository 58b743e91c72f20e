"""Results and copies in the repository alone, over the reuse world: the
result is issued after approval, signed with the agency's `result` profile,
filed in the owner's warehouse and reused in a third procedure; copies (sao
y) follow their paper; every printed paper's QR code verifies; `kho verify`
and pdfsig accept the result and the copy, and catch a flipped byte."""
import datetime
import shutil
import subprocess
import sys

import pytest
import transaction

import signing
from repository import verification
from repository.consents import NOTICE_VERSION, grant_consent
from repository.db import app_root, close_databases, open_databases
from repository.dossiers import receive_dossier, transition
from repository.errors import Conflict, Refused, ValidationError
from repository.reception import candidates
from repository.receipts import reception_receipt
from repository.results import copy_bytes, issue_copy, issue_result, result_of, revoke_copy

from ..files import pdf_bytes

OWNER = "001090012345"
OTHER = "010195004321"


@pytest.fixture
def conn(reuse_settings):
    db = open_databases(reuse_settings)
    conn = db.open(transaction.TransactionManager())
    yield conn
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)


@pytest.fixture
def root(conn):
    return app_root(conn)


def user(root, name):
    return root.accounts.users[name]


def read_pdf(document):
    with document.original.open("r") as f:
        return f.read()


def qr_of(pdf, tmp_path, dpi=150):
    """The QR code's text read from page 1 printed as PNG (pdftoppm, zbarimg)."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    for old in tmp_path.glob("page*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8").strip().splitlines()


def test_the_result_is_signed_filed_and_verifies(root, world, reuse_settings, tmp_path):
    first = root.dossiers[world.first]
    document = issue_result(root, first, user(root, "xuly2"), reuse_settings)
    assert result_of(root, first) is document
    assert document.owner_id == OWNER and document.type_code == "XNTTHN"
    assert document.provenance == "agency_result" and document.state == "in_force"
    assert document.dossier_code == first.code and document.approved_in == (first.code,)
    assert 170 <= (document.valid_until - document.issue_date).days <= 190   # six months
    pdf = read_pdf(document)
    report = signing.verify_pdf(pdf, reuse_settings["kho.trust_roots"].split())
    assert report.ok, report.render_text()
    [sig] = report.signatures
    assert sig.field_name.startswith("Kho_result")
    assert document.signature_report["ok"]
    assert first.timeline[-1]["action"] == "result_issued"

    [text] = qr_of(pdf, tmp_path)
    address, code, fields = verification.parse_qr_text(text)
    assert address.endswith(f"/verify/{code}") and len(code) >= 22
    assert fields["ma_ho_so"] == first.code and fields["ma_tthc"] == "1.004227"
    assert fields["so_dinh_danh"] == OWNER and fields["giay_to"] == "Giấy xác nhận tình trạng hôn nhân"
    assert fields["hieu_luc"] == document.valid_until.isoformat() and fields["pham_vi"]
    assert fields["he_thong"] and fields["thoi_gian"].endswith("+07:00")
    found = verification.lookup(root, code)
    assert found["status"] == "in_force" and found["kind"] == "result"
    assert dict((k, v) for k, _label, v in found["fields"]) == fields
    # later, past its validity: expired; revoked: revoked
    assert verification.lookup(root, code, today=document.valid_until + datetime.timedelta(days=1))[
        "status"] == "expired"
    document.state = "revoked"
    assert verification.lookup(root, code)["status"] == "revoked"


def test_who_may_issue_and_when(root, world, reuse_settings):
    first, second = root.dossiers[world.first], root.dossiers[world.second]
    for name in ("canbo", "xuly", "congdan"):
        with pytest.raises(Refused):
            issue_result(root, first, user(root, name), reuse_settings)
    with pytest.raises(Refused):            # the Bát Xát desk is not the agency of the second dossier
        issue_result(root, second, user(root, "canbo2"), reuse_settings)
    with pytest.raises(ValidationError):
        issue_result(root, first, user(root, "xuly2"), reuse_settings, upload=b"not a pdf")
    issue_result(root, first, user(root, "xuly2"), reuse_settings)
    with pytest.raises(Conflict):
        issue_result(root, first, user(root, "xuly2"), reuse_settings)


def test_an_uploaded_result_gets_the_qr_band_and_the_seal(root, world, reuse_settings, tmp_path):
    first = root.dossiers[world.first]
    document = issue_result(root, first, user(root, "xuly2"), reuse_settings,
                            upload=pdf_bytes(text="QUYET DINH"))
    pdf = read_pdf(document)
    assert signing.verify_pdf(pdf, reuse_settings["kho.trust_roots"].split()).ok
    [text] = qr_of(pdf, tmp_path)
    assert verification.lookup(root, verification.parse_qr_text(text)[1])["kind"] == "result"


def test_the_result_is_reused_in_a_third_procedure_under_consent(root, world, reuse_settings):
    first = root.dossiers[world.first]
    result = issue_result(root, first, user(root, "xuly2"), reuse_settings)
    canbo = user(root, "canbo")
    third = receive_dossier(root, canbo, "1.000894", OWNER, others=[OTHER])   # marriage registration
    procedure = root.catalogues.procedures["1.000894"]
    component = procedure.component("xac_nhan_hon_nhan_nguoi_nop")

    def offered():
        return {c["document"].__name__: c["reasons"] for c in candidates(root, third, component)}
    assert any("đồng ý" in r for r in offered()[result.__name__])      # no consent yet
    grant_consent(root, root.subjects[OWNER], user(root, "congdan"), {
        "scope": "doctype", "target": "XNTTHN", "purposes": ["keep", "reuse"],
        "notice_version": NOTICE_VERSION}, reuse_settings)
    assert offered()[result.__name__] == []


def test_a_copy_is_signed_follows_its_paper_and_can_be_revoked(root, world, reuse_settings, tmp_path):
    warehouse = root.subjects[OWNER]
    id_card = warehouse.documents[world.id_card]
    with pytest.raises(Refused):
        issue_copy(root, id_card, user(root, "congdan2"), reuse_settings)
    with pytest.raises(Refused):
        issue_copy(root, id_card, user(root, "xuly"), reuse_settings)     # no open dossier of the owner there
    record = issue_copy(root, id_card, user(root, "congdan"), reuse_settings)
    pdf = copy_bytes(record)
    report = signing.verify_pdf(pdf, reuse_settings["kho.trust_roots"].split())
    assert report.ok, report.render_text()
    [sig] = report.signatures
    assert sig.field_name.startswith("Kho_copy")
    [text] = qr_of(pdf, tmp_path)
    address, code, fields = verification.parse_qr_text(text)
    assert code == record.code and fields["so_dinh_danh"] == OWNER
    assert fields["giay_to"].startswith("Bản sao y")
    assert verification.lookup(root, code)["status"] == "in_force"
    assert [r.code for r in verification.copies_of(root, OWNER, world.id_card)] == [code]
    issue_copy(root, id_card, user(root, "canbo2"), reuse_settings)      # the desk of an open dossier
    revoke_copy(root, record, user(root, "congdan"))
    assert verification.lookup(root, code)["status"] == "revoked"
    other = issue_copy(root, id_card, user(root, "congdan"), reuse_settings)
    id_card.state = "revoked"                                              # the copied paper revoked
    assert verification.lookup(root, other.code)["status"] == "revoked"
    with pytest.raises(Conflict):
        issue_copy(root, id_card, user(root, "congdan"), reuse_settings)
    # the paper destroyed (retention): its copies' bytes go, their codes answer "revoked"
    assert verification.forget_document(root, OWNER, world.id_card) == 3
    assert all(r.blob is None and r.revoked for r in verification.copies_of(root, OWNER, world.id_card))


def test_receipts_have_a_code_from_reception_and_die_with_withdrawal(root, world, reuse_settings, tmp_path):
    second = root.dossiers[world.second]
    code = verification.registry(root).by_dossier[second.code]
    found = verification.lookup(root, code)
    assert found["kind"] == "receipt" and found["status"] == "in_force"
    fields = dict((k, v) for k, _label, v in found["fields"])
    assert fields["ma_ho_so"] == second.code and fields["hen_tra"].endswith("16:00:00+07:00")
    texts = qr_of(reception_receipt(root, second, reuse_settings), tmp_path)
    assert verification.parse_qr_text(texts[0])[1] == code
    transition(root, second, user(root, "congdan"), "withdraw")
    assert verification.lookup(root, code)["status"] == "revoked"


def test_unknown_altered_and_malformed_codes_are_not_found(root, world):
    code = verification.registry(root).by_dossier[world.second]
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (altered, verification.new_code(), "", "x", "../../etc", code + "A", code.upper(),
                None, "é" * 24):
        assert verification.lookup(root, bad) is None


def test_lookups_are_counted_and_limited_per_address(root):
    now = 1_800_000_000.0
    for _ in range(verification.LOOKUP_LIMIT):
        assert verification.note_lookup(root, "192.0.2.1", now) == 0
    assert verification.note_lookup(root, "192.0.2.1", now) > 0
    assert verification.note_lookup(root, "192.0.2.2", now) == 0
    assert verification.note_lookup(root, "192.0.2.1", now + verification.LOOKUP_SPAN + 400) == 0


@pytest.mark.slow  # `kho verify` and pdfsig in subprocesses (~5 s)
@pytest.mark.skipif(not shutil.which("pdfsig") or not shutil.which("certutil"), reason="poppler/NSS tools")
def test_kho_verify_and_pdfsig_accept_result_and_copy_and_catch_a_flipped_byte(
        root, world, reuse_settings, tmp_path):
    result = read_pdf(issue_result(root, root.dossiers[world.first], user(root, "xuly2"), reuse_settings))
    copy = copy_bytes(issue_copy(root, root.subjects[OWNER].documents[world.id_card],
                                 user(root, "congdan"), reuse_settings))
    trust = reuse_settings["kho.trust_roots"]
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-n", "kho-root", "-t", "CT,C,C", "-i", trust, "-d", f"sql:{nss}"],
                   check=True, capture_output=True)
    kho = [sys.executable, "-c", "import sys; from repository.cli import main; sys.exit(main())"]
    for name, pdf in (("result", result), ("copy", copy)):
        good = tmp_path / f"{name}.pdf"
        good.write_bytes(pdf)
        out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(good)], capture_output=True, text=True)
        assert "Signature is Valid." in out.stdout and "Certificate is Trusted." in out.stdout, out.stdout
        ok = subprocess.run(kho + ["verify", "--trust", trust, str(good)], capture_output=True, text=True)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        flipped = bytearray(pdf)
        at = pdf.index(b"stream", len(pdf) // 4) + 40        # inside a signed content stream
        flipped[at] ^= 0x01
        bad = tmp_path / f"{name}-flipped.pdf"
        bad.write_bytes(bytes(flipped))
        out = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(bad)], capture_output=True, text=True)
        assert "Signature is Valid." not in out.stdout, out.stdout
        ko = subprocess.run(kho + ["verify", "--trust", trust, str(bad)], capture_output=True, text=True)
        assert ko.returncode != 0, ko.stdout
