"""`kho user-cert add|list|remove`: an account's registered signing certificates."""
import subprocess
import sys

from ..conftest import write_ini
from .desk_agent import ROOT


def kho(ini, *args):
    return subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "user-cert", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True)


def test_register_list_remove(settings, tmp_path):
    ini = write_ini(tmp_path, settings)
    pki = tmp_path / "var" / "pki"
    added = kho(ini, "add", "canbo", pki / "officer.p12", "--passphrase-file", pki / "passphrase.txt")
    assert added.returncode == 0, added.stderr
    assert "canbo: registered Nguyễn Thị Hoà" in added.stdout
    fingerprint = added.stdout.split("sha256 ")[1].strip()
    again = kho(ini, "add", "canbo", pki / "officer.p12", "--passphrase-file", pki / "passphrase.txt")
    assert again.returncode == 2 and "already registered" in again.stderr
    listed = kho(ini, "list", "canbo")
    assert listed.stdout.startswith(fingerprint) and "Nguyễn Thị Hoà" in listed.stdout
    (tmp_path / "not-a-cert.pem").write_text("hello")
    bad = kho(ini, "add", "canbo", tmp_path / "not-a-cert.pem")
    assert bad.returncode == 2 and "X.509" in bad.stderr and "Traceback" not in bad.stderr
    nobody = kho(ini, "add", "nobody", pki / "root.pem")
    assert nobody.returncode == 2 and "no account nobody" in nobody.stderr
    removed = kho(ini, "remove", "canbo", fingerprint)
    assert removed.returncode == 0 and kho(ini, "list", "canbo").stdout == ""
