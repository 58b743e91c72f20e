"""Signing where the key is: the split (prepare → sign elsewhere → finish),
the desk's agent over a SoftHSM2 token, and a remote CSC service. Each
result is checked by pyhanko (`verify_pdf`) and by poppler's pdfsig."""
import asyncio
import base64
import json
import shutil
import urllib.error
import urllib.request

import pytest

from signing import load_p12_signer, verify_pdf
from signing.certs import fingerprint, load_certificate
from signing.csc import CscService, RemoteSigningError, csc_certificate, csc_sign_pdf
from signing.errors import SigningError
from signing.split import (PreparedSignature, SignatureMismatch, finish_signature,
                           message_digest, prepare_signature)

from .conftest import pdfsig
from .csc_server import CscServer
from .desk_agent import AgentProcess, make_token

ORIGIN = "http://kho.test:6543"
needs_softhsm = pytest.mark.skipif(shutil.which("softhsm2-util") is None,
                                   reason="softhsm2 not installed")


def _check(pdf, pki, nss_db, tmp_path, name="Nguyễn Thị Hoà", level="B-T"):
    report = verify_pdf(pdf, [pki.root_cert])
    assert report.ok, report.render_text()
    sig = report.to_dict()["signatures"][0]
    text = report.render_text()
    assert name in text and level in text
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    out = pdfsig(path, nss_db)
    assert "Signature is Valid" in out and "Certificate is Trusted" in out, out
    return sig


def _stamp_rect(pdf):
    import io
    from pyhanko.pdf_utils.reader import PdfFileReader
    reader = PdfFileReader(io.BytesIO(pdf))
    field = reader.root["/AcroForm"]["/Fields"][0].get_object()
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    return [float(v) for v in field["/Rect"]], [float(v) for v in page["/MediaBox"]]


def test_split_with_a_key_elsewhere(pki, tsa, scan_pdf, nss_db, tmp_path):
    signer = load_p12_signer(pki.officer_p12, pki.passphrase)
    prepared = prepare_signature(scan_pdf, signer.signing_cert, list(signer.cert_registry),
                                 tsa_url=tsa.url)
    # plain data between the two steps (another request, another process)
    prepared = PreparedSignature.from_dict(json.loads(json.dumps(prepared.to_dict())))
    assert len(message_digest(prepared.to_be_signed)) == 32
    value = asyncio.run(signer.async_sign_raw(prepared.to_be_signed, "sha256"))
    signed = finish_signature(prepared, value, tsa_url=tsa.url)
    _check(signed, pki, nss_db, tmp_path)
    rect, box = _stamp_rect(signed)
    assert rect[0] < box[2] / 3 and rect[3] > box[3] * 2 / 3      # top-left of page 1


def test_a_value_from_another_key_is_refused(pki, scan_pdf):
    officer = load_p12_signer(pki.officer_p12, pki.passphrase)
    postal = load_p12_signer(pki.postal_p12, pki.passphrase)
    prepared = prepare_signature(scan_pdf, officer.signing_cert)
    value = asyncio.run(postal.async_sign_raw(prepared.to_be_signed, "sha256"))
    with pytest.raises(SignatureMismatch):
        finish_signature(prepared, value)
    other = asyncio.run(officer.async_sign_raw(b"other bytes", "sha256"))
    with pytest.raises(SignatureMismatch):
        finish_signature(prepared, other)


def _call(url, origin=ORIGIN, body=None, method=None, host=None):
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    if host:
        headers["Host"] = host
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


@needs_softhsm
def test_the_desk_agent_signs_with_the_token(pki, tsa, scan_pdf, nss_db, tmp_path):
    token = make_token(tmp_path / "hsm", pki.officer_p12, pki.passphrase)
    with AgentProcess(token, ORIGIN, tmp_path) as agent:
        status, headers, hello = _call(agent.url + "/v1/certificate")
        assert status == 200 and headers["Access-Control-Allow-Origin"] == ORIGIN
        cert = base64.b64decode(hello["certificate"])
        assert hello["subject"] == "Nguyễn Thị Hoà" and hello["fingerprint"] == fingerprint(cert)
        # the CORS preflight a browser sends, for the configured site only
        status, headers, _ = _call(agent.url + "/v1/sign", method="OPTIONS")
        assert status == 204 and headers["Access-Control-Allow-Private-Network"] == "true"
        for origin in ("http://evil.test", None):
            status, headers, _ = _call(agent.url + "/v1/certificate", origin=origin)
            assert status == 403 and "Access-Control-Allow-Origin" not in headers
        status, _, _ = _call(agent.url + "/v1/certificate", host="kho.evil.test")   # DNS rebinding
        assert status == 403
        # it signs PDF signature attributes only, not any bytes
        status, _, body = _call(agent.url + "/v1/sign", body={
            "to_be_signed": base64.b64encode(b"\x30\x03\x02\x01\x01").decode(), "paper": "x"})
        assert status == 400 and body["error"] == "not_signature_attributes"
        prepared = prepare_signature(scan_pdf, cert, [base64.b64decode(c) for c in hello["chain"]],
                                     tsa_url=tsa.url)
        status, _, body = _call(agent.url + "/v1/sign", body={
            "to_be_signed": base64.b64encode(prepared.to_be_signed).decode(),
            "paper": "Giấy khai sinh", "owner": "001090012345"})
        assert status == 200, body
        signed = finish_signature(prepared, base64.b64decode(body["signature"]), tsa_url=tsa.url)
        _check(signed, pki, nss_db, tmp_path)
    log = "".join(agent.lines)
    digest = message_digest(prepared.to_be_signed).hex()
    assert f"ĐÃ KÝ giấy tờ «Giấy khai sinh» của chủ sở hữu 001090012345, mã băm tài liệu sha256:{digest}" in log
    assert "TỪ CHỐI GET /v1/certificate" in log and "TỪ CHỐI ký" in log and token.pin not in log
    assert "tại http://127.0.0.1:" in agent.lines[0] and "chứng thư số của Nguyễn Thị Hoà" in agent.lines[0]


@needs_softhsm
def test_the_agent_needs_the_right_pin(pki, tmp_path):
    token = make_token(tmp_path / "hsm", pki.officer_p12, pki.passphrase)
    wrong = token.__class__(token.conf, token.module, token.token_label, token.key_label, "000000")
    with pytest.raises(RuntimeError, match="PIN"):
        AgentProcess(wrong, ORIGIN, tmp_path)


@pytest.fixture
def csc(pki):
    with CscServer(access_token="kho-client-token") as server:
        server.add_credential("hoa-1", pki.officer_p12, pki.passphrase, pin="2468")
        server.add_credential("duc-1", pki.postal_p12, pki.passphrase, pin="1357")
        yield server


def test_remote_csc_signing(csc, pki, tsa, scan_pdf, nss_db, tmp_path):
    service = CscService(csc.url, "hoa-1", "kho-client-token")
    officer = load_certificate(load_p12_signer(pki.officer_p12, pki.passphrase).signing_cert)
    assert csc_certificate(service) == officer.dump()
    seen = []
    signed = csc_sign_pdf(scan_pdf, service, pin="2468", otp=csc.send_otp("hoa-1"), tsa_url=tsa.url,
                          accept=seen.append)
    assert seen == [officer.dump()] and len(csc.signed) == 1
    _check(signed, pki, nss_db, tmp_path)


def test_remote_csc_refusals(csc, pki, scan_pdf):
    service = CscService(csc.url, "hoa-1", "kho-client-token")
    with pytest.raises(RemoteSigningError, match="Invalid PIN") as refused:
        csc_sign_pdf(scan_pdf, service, pin="0000", otp=csc.send_otp("hoa-1"))
    assert refused.value.code == "invalid_pin" and refused.value.detail == "Invalid PIN"
    with pytest.raises(RemoteSigningError, match="Invalid OTP") as refused:
        csc_sign_pdf(scan_pdf, service, pin="2468", otp="000000")
    assert refused.value.code == "invalid_otp"
    with pytest.raises(RemoteSigningError, match="credential") as refused:
        csc_sign_pdf(scan_pdf, CscService(csc.url, "hoa-1", "wrong-token"), pin="2468", otp="1")
    assert refused.value.code == "no_credential"
    with pytest.raises(RemoteSigningError) as refused:
        csc_sign_pdf(scan_pdf, CscService("http://127.0.0.1:9", "hoa-1", "x"), pin="2468", otp="1")
    assert refused.value.code == "unreachable"

    def only_hoa(der):
        if load_certificate(der).subject.native["common_name"] != "Nguyễn Thị Hoà":
            raise SigningError("not the account's certificate")
    with pytest.raises(SigningError, match="not the account"):
        csc_sign_pdf(scan_pdf, CscService(csc.url, "duc-1", "kho-client-token"), pin="1357",
                     otp=csc.send_otp("duc-1"), accept=only_hoa)
    assert csc.signed == []


def test_the_agent_asks_the_officer_when_told_to(pki, scan_pdf):
    from signing import SignAgent
    signer = load_p12_signer(pki.officer_p12, pki.passphrase)
    answers, lines = [False, True], []

    def confirm(paper, owner, digest):
        lines.append((paper, owner, digest))
        return answers.pop(0)
    prepared = prepare_signature(scan_pdf, signer.signing_cert)
    body = {"to_be_signed": base64.b64encode(prepared.to_be_signed).decode(), "paper": "Giấy khai sinh",
            "owner": "001090012345"}
    with SignAgent(signer, ORIGIN, port=0, log=lines.append, confirm=confirm) as agent:
        status, _, refused = _call(agent.url + "/v1/sign", body=body)
        assert status == 403 and refused["error"] == "refused_by_officer"
        assert refused["message"] == "Cán bộ đã từ chối ký giấy tờ này tại bàn."
        status, _, signed = _call(agent.url + "/v1/sign", body=body)
        assert status == 200
    digest = message_digest(prepared.to_be_signed).hex()
    assert lines[0] == ("Giấy khai sinh", "001090012345", digest)
    assert lines[1] == f"KHÔNG KÝ (cán bộ từ chối) giấy tờ «Giấy khai sinh» của chủ sở hữu 001090012345, " \
                       f"mã băm tài liệu sha256:{digest}"
    assert "ĐÃ KÝ giấy tờ «Giấy khai sinh»" in lines[3]
    assert verify_pdf(finish_signature(prepared, base64.b64decode(signed["signature"])), [pki.root_cert]).ok
    with pytest.raises(SigningError):
        SignAgent(signer, ORIGIN, host="0.0.0.0", port=0)


def test_a_token_that_cannot_sign_is_answered_with_a_code(pki, scan_pdf):
    from signing import SignAgent
    signer = load_p12_signer(pki.officer_p12, pki.passphrase)

    class RemovedToken:
        """The officer's token, pulled out of the desk's computer."""
        signing_cert, cert_registry = signer.signing_cert, signer.cert_registry

        async def async_sign_raw(self, data, digest_algorithm):
            raise RuntimeError("CKR_DEVICE_REMOVED")
    prepared = prepare_signature(scan_pdf, signer.signing_cert)
    lines = []
    with SignAgent(RemovedToken(), ORIGIN, port=0, log=lines.append) as agent:
        status, _, body = _call(agent.url + "/v1/sign", body={
            "to_be_signed": base64.b64encode(prepared.to_be_signed).decode(), "paper": "Giấy khai sinh",
            "owner": "001090012345"})
    assert status == 502 and body["error"] == "token_error" and body["message"].startswith("Token không ký được")
    assert lines == ["LỖI TOKEN: token không ký được (CKR_DEVICE_REMOVED)"]
