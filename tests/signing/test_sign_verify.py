"""Sign, then check two ways: our verifier and poppler's pdfsig (NSS)."""
import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from signing import (LtvNotReachableError, NotAPdfError, SigningError, has_signatures,
                     load_p12_signer, normalize_pdf, sign_pdf, verify_pdf)

from .conftest import make_broken_scan_pdf, pdfsig


@pytest.fixture(scope="module")
def officer(pki):
    return load_p12_signer(pki.officer_p12, pki.passphrase)


@pytest.fixture(scope="module")
def agency(pki):
    return load_p12_signer(pki.agency_p12, pki.passphrase)


def test_scan_signed_passes_our_verifier_and_pdfsig(tmp_path, scan_pdf, officer, pki, nss_db):
    signed = sign_pdf(scan_pdf, officer, "digitized")
    report = verify_pdf(signed, [pki.root_cert])
    assert report.ok, report.render_text()
    [sig] = report.signatures
    assert sig.signer == "Nguyễn Thị Hoà"
    assert sig.intact and sig.trusted and sig.level == "B-B"
    assert sig.chain == ["Nguyễn Thị Hoà", "Kho Development Root CA"]
    assert sig.coverage == "ENTIRE_FILE"
    assert sig.signing_time.endswith("+07:00")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    out = pdfsig(path, nss_db)
    assert "Signature is Valid." in out
    assert "Certificate is Trusted." in out
    assert "ETSI.CAdES.detached" in out


def test_three_signatures_in_turn_all_valid(tmp_path, text_pdf, officer, agency, pki, nss_db):
    one = sign_pdf(text_pdf, officer, "digitized")
    two = sign_pdf(one, agency, "copy", copy_kind="SAO Y")
    three = sign_pdf(two, agency, "result")
    assert three.startswith(two) and two.startswith(one)   # incremental updates only
    report = verify_pdf(three, [pki.root_cert])
    assert report.ok, report.render_text()
    assert [s.field_name for s in report.signatures] == ["Kho_digitized_1", "Kho_copy_1", "Kho_result_1"]
    assert report.signatures[0].modification_level == "FORM_FILLING"
    path = tmp_path / "three.pdf"
    path.write_bytes(three)
    out = pdfsig(path, nss_db)
    assert out.count("Signature is Valid.") == 3
    assert out.count("Certificate is Trusted.") == 3


def test_flipped_byte_fails_both(tmp_path, scan_pdf, officer, pki, nss_db):
    signed = bytearray(sign_pdf(scan_pdf, officer, "digitized"))
    # a byte inside the first signed range, in the page image data
    pos = len(signed) // 4
    signed[pos] ^= 0x01
    report = verify_pdf(bytes(signed), [pki.root_cert])
    assert not report.ok
    assert not report.signatures[0].intact
    assert "altered" in report.signatures[0].trust_problem
    path = tmp_path / "flipped.pdf"
    path.write_bytes(bytes(signed))
    assert "Signature is Valid." not in pdfsig(path, nss_db)


def _add_red_box_to_page_one(pdf_bytes):
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 200 80 re f Q")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_page_changed_after_signing_is_reported(scan_pdf, officer, pki):
    signed = sign_pdf(scan_pdf, officer, "digitized")
    tampered = _add_red_box_to_page_one(signed)
    report = verify_pdf(tampered, [pki.root_cert])
    assert not report.ok
    sig = report.signatures[0]
    assert sig.intact and sig.trusted        # the signed revision itself is fine
    assert sig.coverage == "ENTIRE_REVISION"
    assert sig.modification_level == "OTHER"
    assert "changed after signing" in sig.changes_after


def test_expired_certificate_is_reported(scan_pdf, pki):
    signer = load_p12_signer(pki.expired_p12, pki.passphrase)
    report = verify_pdf(sign_pdf(scan_pdf, signer, "digitized"), [pki.root_cert])
    assert not report.ok
    sig = report.signatures[0]
    assert sig.intact and not sig.trusted
    assert "not valid" in sig.trust_problem and "certificate valid" in sig.trust_problem


def test_untrusted_certificate_is_reported(scan_pdf, pki):
    signer = load_p12_signer(pki.untrusted_p12, pki.passphrase)
    report = verify_pdf(sign_pdf(scan_pdf, signer, "digitized"), [pki.root_cert])
    assert not report.ok
    sig = report.signatures[0]
    assert sig.intact and not sig.trusted
    assert "no chain to a trusted root" in sig.trust_problem
    assert "Untrusted Root CA" in sig.trust_problem
    # trusting the other root makes it pass: the reason really was the anchor
    assert verify_pdf(sign_pdf(make_broken_scan_pdf(), signer, "digitized"),
                      [pki.untrusted_root_cert]).ok


def test_broken_xref_scan_is_normalised_then_signed(tmp_path, officer, pki, nss_db):
    broken = make_broken_scan_pdf()
    assert not has_signatures(broken)
    signed = sign_pdf(broken, officer, "digitized")
    report = verify_pdf(signed, [pki.root_cert])
    assert report.ok, report.render_text()
    path = tmp_path / "repaired.pdf"
    path.write_bytes(signed)
    assert "Signature is Valid." in pdfsig(path, nss_db)


def test_signed_pdf_is_never_normalised(scan_pdf, officer):
    signed = sign_pdf(scan_pdf, officer, "digitized")
    assert has_signatures(signed)
    with pytest.raises(SigningError, match="already signed"):
        normalize_pdf(signed)


def test_b_t_with_loopback_tsa(tmp_path, scan_pdf, officer, pki, tsa, nss_db):
    signed = sign_pdf(scan_pdf, officer, "digitized", tsa_url=tsa.url)
    report = verify_pdf(signed, [pki.root_cert])
    assert report.ok, report.render_text()
    sig = report.signatures[0]
    assert sig.level == "B-T"
    assert sig.timestamp_ok is True
    assert sig.timestamp_time.endswith("+07:00")
    path = tmp_path / "bt.pdf"
    path.write_bytes(signed)
    assert "Signature is Valid." in pdfsig(path, nss_db)


def test_b_lt_embeds_the_crl(scan_pdf, officer, pki, tsa):
    signed = sign_pdf(scan_pdf, officer, "digitized", tsa_url=tsa.url, ltv=True,
                      trust_roots=[pki.root_cert])
    assert b"/DSS" in signed and b"/CRLs" in signed
    report = verify_pdf(signed, [pki.root_cert])   # no fetching: the embedded CRL serves
    assert report.ok, report.render_text()
    sig = report.signatures[0]
    assert sig.level == "B-LT"
    assert sig.revocation.startswith("good")


def test_b_lt_not_reachable_without_revocation_info(scan_pdf, plain_pki, tsa):
    signer = load_p12_signer(plain_pki.officer_p12, plain_pki.passphrase)
    with pytest.raises(LtvNotReachableError, match="no CRL or OCSP"):
        sign_pdf(scan_pdf, signer, "digitized", tsa_url=tsa.url, ltv=True,
                 trust_roots=[plain_pki.root_cert])


def test_not_a_pdf(officer):
    with pytest.raises(NotAPdfError):
        sign_pdf(b"GIF89a not a pdf", officer, "digitized")
    with pytest.raises(NotAPdfError):
        verify_pdf(b"hello", [])


def test_unsigned_pdf_is_not_ok(scan_pdf, pki):
    report = verify_pdf(scan_pdf, [pki.root_cert])
    assert not report.ok and report.problems
