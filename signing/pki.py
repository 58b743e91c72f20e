"""A development PKI: a root, the agency, a desk officer, a postal clerk and a
time-stamping authority, all marked "KHO DEVELOPMENT — NOT FOR PRODUCTION".

Keys are RSA-2048 (what every verifier accepts, and what the loopback TSA of
`signing.tsa` signs with). Certificates are built with `cryptography`; the
Vietnamese names are UTF8String. Private keys are kept in PKCS#12 files
protected by the passphrase in `passphrase.txt` (the root's in `root-key.pem`,
PKCS#8, same passphrase).

Files written in the PKI directory (names in `DevPki`):
    root.pem, root-key.pem        the trust anchor, and its key for issuing
    agency.p12, officer.p12, postal.p12
    tsa.pem, tsa.p12              time stamping (EKU timeStamping, critical)
    expired.p12                   an officer certificate that has expired
    untrusted.p12, untrusted-root.pem   issued by another, untrusted root
    root.crl                      only when a CRL URL was given
    passphrase.txt, README.txt
"""
import datetime
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import PkiError, PkiExistsError
from .files import write_atomic

DEV_MARK = "KHO DEVELOPMENT \u2014 NOT FOR PRODUCTION"
AGENCY_NAME = "Ủy ban nhân dân xã Minh Khai"
OFFICER_NAME = "Nguyễn Thị Hoà"
POSTAL_NAME = "Trần Văn Đức"


@dataclass(frozen=True)
class DevPki:
    """Where the files of a development PKI are, and its passphrase."""
    directory: Path

    def __post_init__(self):
        object.__setattr__(self, "directory", Path(self.directory))

    @property
    def root_cert(self):
        return self.directory / "root.pem"

    @property
    def root_key(self):
        return self.directory / "root-key.pem"

    @property
    def agency_p12(self):
        return self.directory / "agency.p12"

    @property
    def officer_p12(self):
        return self.directory / "officer.p12"

    @property
    def postal_p12(self):
        return self.directory / "postal.p12"

    @property
    def tsa_cert(self):
        return self.directory / "tsa.pem"

    @property
    def tsa_p12(self):
        return self.directory / "tsa.p12"

    @property
    def expired_p12(self):
        return self.directory / "expired.p12"

    @property
    def untrusted_p12(self):
        return self.directory / "untrusted.p12"

    @property
    def untrusted_root_cert(self):
        return self.directory / "untrusted-root.pem"

    @property
    def crl(self):
        return self.directory / "root.crl"

    @property
    def passphrase_file(self):
        return self.directory / "passphrase.txt"

    @property
    def passphrase(self) -> str:
        return read_passphrase(self.passphrase_file)

    @classmethod
    def open(cls, directory) -> "DevPki":
        """The PKI already in `directory`; PkiError if it is not complete."""
        pki = cls(Path(directory))
        for path in (pki.root_cert, pki.passphrase_file, pki.tsa_p12):
            if not path.is_file():
                raise PkiError(f"no development PKI in {directory}: {path.name} is missing "
                               f"(run `kho pki init {directory}`)")
        return pki


def read_passphrase(path) -> str:
    """The passphrase in a file (first line, without the line end)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PkiError(f"cannot read passphrase file {path}: {exc.strerror}") from None
    return text.splitlines()[0] if text else ""


def _name(cn, org):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_MARK),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_root(cn="Kho Development Root CA", org="Kho", *, not_before=None, days=3650):
    """A self-signed root: (key, certificate)."""
    key = new_key()
    name = _name(cn, org)
    start = not_before or _now() - datetime.timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(issuer_key, issuer_cert, cn, org, *, not_before=None, days=1095,
          timestamping=False, crl_url=None):
    """An end-entity certificate for signing (or time stamping): (key, certificate)."""
    key = new_key()
    start = not_before or _now() - datetime.timedelta(hours=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, org)).issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([
            x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(crl_url)],
                                   relative_name=None, reasons=None, crl_issuer=None)]),
            critical=False)
    return key, builder.sign(issuer_key, hashes.SHA256())


def make_crl(issuer_key, issuer_cert, revoked_serials=(), *, days=30) -> bytes:
    """A DER CRL of `issuer_cert` listing `revoked_serials`."""
    now = _now()
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer_cert.subject)
               .last_update(now - datetime.timedelta(minutes=5))
               .next_update(now + datetime.timedelta(days=days))
               .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(now - datetime.timedelta(minutes=1)).build())
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def p12_bytes(key, cert, chain, passphrase: str, friendly_name: str) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), key, cert, list(chain),
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")))


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def init_dev_pki(directory, *, force=False, crl_url=None) -> DevPki:
    """Write a fresh development PKI into `directory` (created if needed).

    Refuses (PkiExistsError) when a PKI is already there, unless `force`.
    With `crl_url`, every certificate the root issues names that CRL
    distribution point and an empty `root.crl` is written: serve the file at
    that URL to make PAdES B-LT reachable.
    """
    pki = DevPki(Path(directory))
    if pki.root_cert.exists() and not force:
        raise PkiExistsError(f"a PKI already exists in {directory} (use --force to replace it)")
    pki.directory.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_urlsafe(18)

    root_key, root = make_root()
    files = {}

    def person(name, cn, org, **kw):
        key, cert = issue(root_key, root, cn, org, crl_url=crl_url, **kw)
        files[name] = p12_bytes(key, cert, [root], passphrase, cn)
        return key, cert

    person("agency.p12", AGENCY_NAME, AGENCY_NAME)
    person("officer.p12", OFFICER_NAME, "Bộ phận Một cửa — " + AGENCY_NAME)
    person("postal.p12", POSTAL_NAME, "Bưu điện Việt Nam — Bưu cục Minh Khai")
    _, tsa = person("tsa.p12", "Kho Development TSA", "Kho", timestamping=True, days=1825)
    files["tsa.pem"] = pem(tsa)
    long_ago = _now() - datetime.timedelta(days=800)
    person("expired.p12", "Lê Văn Hết Hạn", "Bộ phận Một cửa — " + AGENCY_NAME,
           not_before=long_ago, days=365)
    other_key, other_root = make_root("Untrusted Root CA", "Không tin cậy")
    key, cert = issue(other_key, other_root, "Phạm Văn Lạ", "Không tin cậy")
    files["untrusted.p12"] = p12_bytes(key, cert, [other_root], passphrase, "Phạm Văn Lạ")
    files["untrusted-root.pem"] = pem(other_root)
    if crl_url:
        files["root.crl"] = make_crl(root_key, root)
    files["README.txt"] = (
        f"{DEV_MARK}\n\nA development PKI for Kho, made by `kho pki init`.\n"
        "Trust anchor: root.pem. Keys: *.p12, passphrase in passphrase.txt.\n"
        "Never use these keys for real papers.\n").encode("utf-8")

    write_atomic(pki.passphrase_file, (passphrase + "\n").encode(), mode=0o600)
    write_atomic(pki.root_key, root_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode())), mode=0o600)
    for name, data in files.items():
        write_atomic(pki.directory / name, data,
                     mode=0o600 if name.endswith(".p12") else 0o644)
    # the trust anchor last: its presence marks a complete PKI
    write_atomic(pki.root_cert, pem(root))
    return pki


def load_root_key(pki: DevPki):
    """The root's private key and certificate, for issuing more (tests, CRLs)."""
    try:
        key = serialization.load_pem_private_key(
            pki.root_key.read_bytes(), pki.passphrase.encode())
        cert = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    except (OSError, ValueError) as exc:
        raise PkiError(f"cannot load the root key of {pki.directory}: {exc}") from None
    return key, cert


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def is_pki_dir(directory) -> bool:
    return os.path.isfile(os.path.join(directory, "root.pem"))
