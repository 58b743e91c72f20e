import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from asn1crypto import x509 as asn1_x509

from signing import PkiExistsError, init_dev_pki, load_p12_signer, KeyLoadError
from signing.pki import DEV_MARK


def _p12_cert(path, passphrase):
    return pkcs12.load_pkcs12(path.read_bytes(), passphrase.encode()).cert.certificate


def test_init_writes_a_marked_pki_with_vietnamese_names(plain_pki):
    pki = plain_pki
    for path in (pki.root_cert, pki.agency_p12, pki.officer_p12, pki.postal_p12,
                 pki.tsa_cert, pki.tsa_p12, pki.passphrase_file):
        assert path.is_file(), path
    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    names = {}
    for p12 in (pki.agency_p12, pki.officer_p12, pki.postal_p12):
        cert = _p12_cert(p12, pki.passphrase)
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        names[p12.stem] = cn
        assert cert.subject.get_attributes_for_oid(
            NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == DEV_MARK
        assert cert.issuer == root.subject
        # UTF8String in the DER encoding (tag 12), not PrintableString
        subject = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)).subject
        cn_value = [rdn for rdn in subject.chosen if rdn[0]["type"].native == "common_name"][0][0]["value"]
        assert cn_value.name == "utf8_string"
    assert names == {"agency": "Ủy ban nhân dân xã Minh Khai", "officer": "Nguyễn Thị Hoà",
                     "postal": "Trần Văn Đức"}


def test_tsa_certificate_has_critical_timestamping_eku(plain_pki):
    tsa = x509.load_pem_x509_certificate(plain_pki.tsa_cert.read_bytes())
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_expired_certificate_is_expired(plain_pki):
    cert = _p12_cert(plain_pki.expired_p12, plain_pki.passphrase)
    assert cert.not_valid_after_utc < datetime.datetime.now(datetime.timezone.utc)


def test_refuses_to_overwrite_unless_forced(tmp_path):
    pki = init_dev_pki(tmp_path / "pki")
    before = pki.root_cert.read_bytes()
    with pytest.raises(PkiExistsError, match="--force"):
        init_dev_pki(tmp_path / "pki")
    assert pki.root_cert.read_bytes() == before
    init_dev_pki(tmp_path / "pki", force=True)
    assert pki.root_cert.read_bytes() != before


def test_wrong_passphrase_is_a_clear_error(plain_pki):
    with pytest.raises(KeyLoadError, match="wrong passphrase"):
        load_p12_signer(plain_pki.officer_p12, "not the passphrase")
    signer = load_p12_signer(plain_pki.officer_p12, plain_pki.passphrase)
    assert signer.signing_cert.subject.native["common_name"] == "Nguyễn Thị Hoà"
