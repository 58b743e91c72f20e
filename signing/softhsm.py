"""A SoftHSM2 token for development and tests: a PKCS#11 token in a directory,
holding one key and its certificate taken from a PKCS#12 file.

Programs find the token through the SOFTHSM2_CONF environment variable, which
must name the `softhsm2.conf` written here (see `SoftHsmToken.environ`).
"""
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import KeyLoadError, TokenError
from .signers import find_softhsm_module


@dataclass(frozen=True)
class SoftHsmToken:
    """What a program needs to sign with the token."""
    conf: Path          # the softhsm2.conf to put in SOFTHSM2_CONF
    module: str         # the PKCS#11 module (libsofthsm2.so)
    token_label: str
    key_label: str
    pin: str

    def environ(self, base=None) -> dict:
        """A copy of `base` (default os.environ) with SOFTHSM2_CONF set."""
        env = dict(os.environ if base is None else base)
        env["SOFTHSM2_CONF"] = str(self.conf)
        return env


def init_softhsm_token(directory, p12_path, passphrase, *, token_label="kho",
                       key_label="officer", pin="123456", so_pin="12345678",
                       module=None) -> SoftHsmToken:
    """Create a token under `directory` and import the key+certificate of `p12_path`.

    Any token already in `directory` is replaced.
    """
    for tool in ("softhsm2-util", "pkcs11-tool"):
        if shutil.which(tool) is None:
            raise TokenError(f"{tool} not found (install softhsm2 and opensc)")
    module = module or find_softhsm_module()
    directory = Path(directory).resolve()
    tokens = directory / "tokens"
    if tokens.exists():
        shutil.rmtree(tokens)
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")
    token = SoftHsmToken(conf, module, token_label, key_label, pin)
    env = token.environ()

    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    try:
        bundle = pkcs12.load_pkcs12(Path(p12_path).read_bytes(), passphrase)
    except (OSError, ValueError) as exc:
        raise KeyLoadError(f"cannot open {p12_path}: {exc}") from None
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        key_pem = Path(tmp) / "key.pem"
        key_pem.write_bytes(bundle.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        cert_der = Path(tmp) / "cert.der"
        cert_der.write_bytes(bundle.cert.certificate.public_bytes(serialization.Encoding.DER))
        _run(["softhsm2-util", "--init-token", "--free", "--label", token_label,
              "--pin", pin, "--so-pin", so_pin], env)
        _run(["softhsm2-util", "--import", str(key_pem), "--token", token_label,
              "--label", key_label, "--id", "01", "--pin", pin], env)
        _run(["pkcs11-tool", "--module", module, "--token-label", token_label,
              "--login", "--pin", pin, "--write-object", str(cert_der), "--type", "cert",
              "--id", "01", "--label", key_label], env)
    return token


def _run(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip().splitlines()
        raise TokenError(f"{cmd[0]} {cmd[1]} failed: {message[-1] if message else proc.returncode}")
