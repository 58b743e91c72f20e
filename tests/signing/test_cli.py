"""`kho pki init`, `kho sign`, `kho verify` as a person runs them, and the
PKCS#11 signer against a SoftHSM2 token made in a temp directory."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signing import init_softhsm_token

from .conftest import make_scan_pdf

ROOT = Path(__file__).resolve().parents[2]


def kho(*args, env=None):
    return subprocess.run([sys.executable, "-m", "repository.cli", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def scan(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_scan_pdf())
    return path


@pytest.mark.slow  # `kho pki init` in subprocesses (~2 s)
def test_pki_init_refuses_overwrite(tmp_path):
    first = kho("pki", "init", tmp_path / "pki")
    assert first.returncode == 0, first.stderr
    again = kho("pki", "init", tmp_path / "pki")
    assert again.returncode != 0
    assert "--force" in again.stderr and "Traceback" not in again.stderr
    assert kho("pki", "init", tmp_path / "pki", "--force").returncode == 0


@pytest.mark.slow  # `kho sign` and four `kho verify` in subprocesses (~5 s)
def test_sign_then_verify_and_tampering_exit_codes(tmp_path, scan, pki):
    out = tmp_path / "signed.pdf"
    done = kho("sign", scan, out, "--profile", "digitized", "--p12", pki.officer_p12,
               "--passphrase-file", pki.passphrase_file)
    assert done.returncode == 0, done.stderr
    ok = kho("verify", out, "--trust", pki.root_cert, "--json")
    assert ok.returncode == 0, ok.stdout
    report = json.loads(ok.stdout)
    assert report["ok"] and report["signatures"][0]["signer"] == "Nguyễn Thị Hoà"
    untrusted = kho("verify", out)                   # no anchor given
    assert untrusted.returncode == 1
    assert "NOT trusted" in untrusted.stdout and "Traceback" not in untrusted.stderr
    # a page changed in an incremental update
    from .test_sign_verify import _add_red_box_to_page_one
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(_add_red_box_to_page_one(out.read_bytes()))
    bad = kho("verify", changed, "--trust", pki.root_cert)
    assert bad.returncode == 1
    assert "changed after signing" in bad.stdout


@pytest.mark.parametrize("case", ["not-a-pdf", "wrong-passphrase", "missing-token", "bad-tsa"])
def test_bad_input_one_line_no_output(tmp_path, scan, pki, case):
    out = tmp_path / "out.pdf"
    key = ["--p12", pki.officer_p12, "--passphrase-file", pki.passphrase_file]
    src = scan
    if case == "not-a-pdf":
        src = tmp_path / "photo.jpg"
        src.write_bytes(b"\xff\xd8\xff\xe0 not a pdf")
    elif case == "wrong-passphrase":
        wrong = tmp_path / "wrong.txt"
        wrong.write_text("nope\n")
        key = ["--p12", pki.officer_p12, "--passphrase-file", wrong]
    elif case == "missing-token":
        conf = tmp_path / "softhsm2.conf"
        (tmp_path / "tokens").mkdir()
        conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\n")
        key = ["--pkcs11-module", _module(), "--token-label", "absent", "--key-label", "k"]
    elif case == "bad-tsa":
        key += ["--tsa", "http://127.0.0.1:9/tsa"]
    env = dict(os.environ, SOFTHSM2_CONF=str(tmp_path / "softhsm2.conf"))
    done = kho("sign", src, out, "--profile", "copy", *key, env=env)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("kho: error:")]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kho-")]


def _module():
    from signing import find_softhsm_module, TokenError
    try:
        return find_softhsm_module()
    except TokenError:
        pytest.skip("SoftHSM2 not installed")


@pytest.mark.slow  # a SoftHSM token through `kho` subprocesses (~2 s)
@pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="softhsm2 not installed")
def test_pkcs11_token_signs_and_verifies(tmp_path, scan, pki):
    token = init_softhsm_token(tmp_path / "hsm", pki.officer_p12, pki.passphrase,
                               token_label="kho-test", key_label="officer", pin="4321")
    pin = tmp_path / "pin.txt"
    pin.write_text("4321\n")
    out = tmp_path / "token-signed.pdf"
    done = kho("sign", scan, out, "--profile", "digitized", "--pkcs11-module", token.module,
               "--token-label", "kho-test", "--key-label", "officer", "--pin-file", pin,
               env=token.environ())
    assert done.returncode == 0, done.stderr
    ok = kho("verify", out, "--trust", pki.root_cert)
    assert ok.returncode == 0, ok.stdout
    assert "Nguyễn Thị Hoà" in ok.stdout
    # a wrong PIN is refused cleanly
    pin.write_text("0000\n")
    bad = kho("sign", scan, tmp_path / "x.pdf", "--profile", "digitized",
              "--pkcs11-module", token.module, "--token-label", "kho-test",
              "--key-label", "officer", "--pin-file", pin, env=token.environ())
    assert bad.returncode == 2 and "PIN" in bad.stderr


def test_the_sign_agent_tells_the_officer_what_is_wrong_in_vietnamese(tmp_path):
    common = ["--token-label", "kho-desk", "--key-label", "officer", "--pin-file", tmp_path / "pin.txt"]
    site = kho("sign-agent", "--origin", "kho.example.gov.vn/trang", "--pkcs11-module", "/x.so", *common)
    assert site.returncode == 2 and site.stderr.startswith("kho sign-agent: lỗi: --origin là giao thức")
    driver = kho("sign-agent", "--origin", "https://kho.example.gov.vn", "--pkcs11-module",
                 tmp_path / "vendor-pkcs11.so", *common)
    assert driver.returncode == 2
    assert "không tìm thấy thư viện PKCS#11 của token" in driver.stderr and "error" not in driver.stderr
