"""Signing throughput on a 2-page scan-like PDF: PAdES B-B, and B-T with the
loopback TSA; beside them, in the same run, the raw RSA-2048 and ECDSA P-256
sign operations of `cryptography`, so the PDF/CMS overhead is visible.

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
            print(f"input: {len(pdf) / 1024:.0f} KiB, 2 pages, 200 dpi JPEG (Pillow writer); "
                  f"{args.seconds:g} s per figure; cpus: {os.cpu_count()}")
            print(f"{'operation':58} {'ops/s':>10} {'ms/op':>9} {'n':>6}")
            for label, fn in figures:
                per_sec, n = rate(fn, args.seconds)
                print(f"{label:58} {per_sec:10.1f} {1000 / per_sec:9.2f} {n:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
