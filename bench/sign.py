"""Signing throughput on a 2-page scan-like PDF: PAdES B-B, and B-T with the
loopback TSA; beside them, in the same run, the raw RSA-2048 and ECDSA P-256
sign operations of `cryptography`, so the PDF/CMS overhead is visible.

Then the three ways Kho signs where the key is, on the same file, beside raw
pyhanko (PdfSigner.sign_pdf with a PKCS#12 key, no stamp): a server key
(PKCS#12, and PKCS#11 on SoftHSM2), the desk's token through `kho sign-agent`
(prepare → HTTP to the agent on loopback → SoftHSM2 → finish), and a remote
CSC service (tests/signing/csc_server.py on loopback, PIN + OTP + signHash).

Timings are printed, never asserted. Run: .venv/bin/python bench/sign.py [--seconds N]
"""
import argparse
import io
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from signing import (DevTsaServer, init_dev_pki, load_p12_signer,  # noqa: E402
                     sign_pdf, verify_pdf)


def scan_pdf(pages=2) -> bytes:
    images = []
    for n in range(pages):
        img = Image.new("RGB", (1654, 2339), (248, 247, 240))
        draw = ImageDraw.Draw(img)
        for y in range(300, 2100, 60):
            draw.line([(200, y), (1450, y)], fill=(60, 60, 60), width=3)
        draw.text((200, 200), f"page {n + 1}", fill=(0, 0, 0))
        images.append(img)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200.0, save_all=True, append_images=images[1:])
    return out.getvalue()


def rate(fn, seconds):
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per figure")
    parser.add_argument("--only-paths", action="store_true", help="only the where-the-key-is figures")
    args = parser.parse_args(argv)

    data = b"x" * 32
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())

    with tempfile.TemporaryDirectory() as tmp:
        pki = init_dev_pki(os.path.join(tmp, "pki"))
        signer = load_p12_signer(pki.officer_p12, pki.passphrase)
        pdf = scan_pdf()
        with DevTsaServer(pki.directory) as tsa:
            figures = [
                ("raw RSA-2048 PKCS#1 v1.5 sign (cryptography)",
                 lambda: rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())),
                ("raw ECDSA P-256 sign (cryptography)",
                 lambda: ec_key.sign(data, ec.ECDSA(hashes.SHA256()))),
                ("PAdES B-B, 2-page scan, RSA-2048, 'digitized' stamp",
                 lambda: sign_pdf(pdf, signer, "digitized")),
                ("PAdES B-T, same, + loopback TSA (RSA-2048)",
                 lambda: sign_pdf(pdf, signer, "digitized", tsa_url=tsa.url)),
            ]
            signed = sign_pdf(pdf, signer, "digitized", tsa_url=tsa.url)
            figures.append(("verify the B-T signature (chain, timestamp, diff)",
                            lambda: verify_pdf(signed, [pki.root_cert])))
            if args.only_paths:
                figures = []
            print(f"input: {len(pdf) / 1024:.0f} KiB, 2 pages, 200 dpi JPEG (Pillow writer); "
                  f"{args.seconds:g} s per figure; cpus: {os.cpu_count()}")
            print(f"{'operation':58} {'ops/s':>10} {'ms/op':>9} {'n':>6}")
            for label, fn in figures:
                per_sec, n = rate(fn, args.seconds)
                print(f"{label:58} {per_sec:10.1f} {1000 / per_sec:9.2f} {n:6d}")
            print()
            print("where the key is (same file, PAdES B-B unless said):")
            print(f"{'path':58} {'ops/s':>10} {'ms/op':>9} {'n':>6}")
            for label, fn in key_paths(pki, pdf, tmp, tsa):
                per_sec, n = rate(fn, args.seconds)
                print(f"{label:58} {per_sec:10.1f} {1000 / per_sec:9.2f} {n:6d}", flush=True)
    return 0


def key_paths(pki, pdf, tmp, tsa):
    """(label, callable) for raw pyhanko and each of Kho's signing paths."""
    import asyncio
    import shutil

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from signing import (CscService, csc_sign_pdf, finish_signature, init_softhsm_token,
                         load_pkcs11_signer, normalize_pdf, prepare_signature)

    p12 = load_p12_signer(pki.officer_p12, pki.passphrase)
    normalized = normalize_pdf(pdf)

    def raw_pyhanko():
        meta = signers.PdfSignatureMetadata(field_name="Sig1", md_algorithm="sha256")
        return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(normalized)), meta, signer=p12).getvalue()

    def split_p12():
        prepared = prepare_signature(pdf, p12.signing_cert)
        value = asyncio.run(p12.async_sign_raw(prepared.to_be_signed, "sha256"))
        return finish_signature(prepared, value)

    yield "raw pyhanko PdfSigner.sign_pdf, PKCS#12, no stamp", raw_pyhanko
    yield "server key, PKCS#12 (sign_pdf, 'digitized' stamp)", lambda: sign_pdf(pdf, p12, "digitized")
    yield "split in one process: prepare + PKCS#12 + finish", split_p12

    if shutil.which("softhsm2-util"):
        token = init_softhsm_token(os.path.join(tmp, "hsm"), pki.officer_p12, pki.passphrase,
                                   token_label="bench", key_label="officer", pin="246810")
        os.environ["SOFTHSM2_CONF"] = str(token.conf)
        hsm = load_pkcs11_signer(token.module, "bench", "officer", "246810")
        yield "server key, PKCS#11 on SoftHSM2 (sign_pdf)", lambda: sign_pdf(pdf, hsm, "digitized")

        from tests.signing.desk_agent import AgentProcess
        origin = "http://kho.bench"
        agent = AgentProcess(token, origin, tmp)

        def through_agent():
            return finish_signature(*_agent_sign(prepare_signature(pdf, hsm.signing_cert), agent, origin))
        try:
            yield "desk token: prepare + kho sign-agent (SoftHSM2) + finish", through_agent
            yield "desk token, B-T (loopback TSA in prepare and finish)", lambda: finish_signature(
                *_agent_sign(prepare_signature(pdf, hsm.signing_cert, tsa_url=tsa.url), agent, origin),
                tsa_url=tsa.url)
        finally:
            agent.stop()
    else:
        print("(softhsm2-util not found: no PKCS#11 and desk-token figures)")

    from tests.signing.csc_server import CscServer
    with CscServer(access_token="bench") as csc:
        csc.add_credential("hoa", pki.officer_p12, pki.passphrase, pin="2468")
        service = CscService(csc.url, "hoa", "bench")
        yield "remote CSC: credentials/info + authorize + signHash", lambda: csc_sign_pdf(
            pdf, service, pin="2468", otp=csc.send_otp("hoa"))


def _agent_sign(prepared, agent, origin):
    import base64
    import json
    import urllib.request
    body = json.dumps({"to_be_signed": base64.b64encode(prepared.to_be_signed).decode(),
                       "paper": "bench", "owner": "001090012345"}).encode()
    req = urllib.request.Request(agent.url + "/v1/sign", data=body, headers={
        "Origin": origin, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return prepared, base64.b64decode(json.loads(resp.read())["signature"])


if __name__ == "__main__":
    sys.exit(main())
