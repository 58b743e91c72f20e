"""Transfer to the archive: a BagIt package per dossier that `bagit` validates
and whose metadata is valid against the shipped XSD; a tampered or hostile
package refused with a clear message; the dossier marked transferred."""
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile

import bagit
import pytest
import transaction
from lxml import etree

from repository import archive
from repository.archive_verify import Hostile, parse_xml, verify_package
from repository.db import app_root, close_databases, open_databases
from repository.errors import Conflict

from ..conftest import write_ini


@pytest.fixture
def reuse_root(reuse_settings):
    db = open_databases(reuse_settings)
    conn = db.open(transaction.TransactionManager())
    yield app_root(conn)
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)


@pytest.fixture
def package(reuse_root, reuse_settings, world, tmp_path):
    """The approved first dossier transferred by the records manager (committed)."""
    root = reuse_root
    luutru = root.accounts.users["luutru"]
    path = archive.transfer(root, root.dossiers[world.first], luutru, str(tmp_path / "out"), reuse_settings)
    root._p_jar.transaction_manager.commit()
    return path


def roots_of(settings):
    return settings["kho.trust_roots"].split()


def test_package_is_a_valid_bag_with_valid_metadata(package, reuse_root, reuse_settings, world):
    bag = bagit.Bag(package)
    bag.validate()                       # the archive's own tool
    assert "sha256" in bag.algorithms and bag.version_info == (1, 0)     # RFC 8493
    assert os.path.basename(package) == world.first
    payload = sorted(os.listdir(os.path.join(package, "data")))
    # the ID card, the birth certificate (components), then the result: <code>.<sequence>
    assert payload == [f"{world.first}.001", f"{world.first}.002", "metadata.xml"] or \
        payload == [f"{world.first}.001", f"{world.first}.002", f"{world.first}.003", "metadata.xml"]
    with open(os.path.join(package, "data", "metadata.xml"), "rb") as f:
        tree = parse_xml(f.read())
    xsd = etree.XMLSchema(etree.parse(archive.SCHEMA_FILE))
    assert xsd.validate(tree), xsd.error_log
    ns = {"a": archive.NS}
    assert tree.findtext("a:code", namespaces=ns) == world.first
    for field in ("title", "retention", "accessLevel", "language", "startDate", "endDate", "keywords",
                  "documentCount", "pageCount", "physicalState", "reliability", "paperDossierCode"):
        assert tree.find(f"a:{field}", ns) is not None, field
    retention = tree.find("a:retention", ns)
    assert retention.get("schedule") in reuse_root.catalogues.retention
    assert retention.get("permanent") == "true" or int(retention.get("years")) >= 1
    assert tree.findtext("a:reliability", namespaces=ns) == "digitized"
    docs = tree.findall("a:documents/a:document", ns)
    assert int(tree.findtext("a:documentCount", namespaces=ns)) == len(docs) == len(payload) - 1
    assert all(d.get("signed") == "true" for d in docs)
    first = docs[0]
    with open(os.path.join(package, "data", first.get("file")), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == first.get("sha256")
    # the whole check: bag, schema, every signature with the trust anchors
    report = verify_package(package, roots_of(reuse_settings))
    assert report.ok, report.render()
    assert any("signatures checked" in c for c in report.checked)


def test_transferred_dossier_is_marked_and_kept_in_the_history(package, reuse_root, world):
    dossier = reuse_root.dossiers[world.first]
    assert archive.is_transferred(dossier)
    assert archive.transfer_of(dossier)["by"] == "luutru"
    assert dossier.timeline[-1]["action"] == "archived"
    follows = archive.disposition_after_transfer(dossier)
    assert follows["due"] == archive.transfer_of(dossier)["time"].date()
    assert [t["code"] for t in archive.transfers(reuse_root)] == [world.first]
    assert archive.disposition_after_transfer(reuse_root.dossiers[world.second]) is None
    from repository.retention import disposition_of      # Kho's disposition follows the transfer
    disposition = disposition_of(reuse_root, dossier)
    assert disposition.basis == "transferred" and disposition.date == follows["due"]
    with pytest.raises(Conflict, match="already transferred"):
        archive.build_package(reuse_root, dossier, "/tmp/unused-kho-archive")


def test_open_dossier_is_not_transferred(reuse_root, world, tmp_path):
    with pytest.raises(Conflict, match="still open"):
        archive.transfer(reuse_root, reuse_root.dossiers[world.second], None, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


def test_a_byte_changed_in_a_payload_file_is_refused(package, reuse_settings, world):
    target = os.path.join(package, "data", f"{world.first}.001")
    data = bytearray(open(target, "rb").read())
    data[len(data) // 2] ^= 0x01
    open(target, "wb").write(bytes(data))
    report = verify_package(package, roots_of(reuse_settings))
    assert not report.ok
    assert any(f"{world.first}.001" in f and "sha256" in f for f in report.faults), report.faults


def test_a_changed_signature_is_refused_even_with_new_manifests(package, reuse_settings, world):
    """Who changes a signed file and writes the checksums again is still caught by the signature."""
    name = f"{world.first}.001"
    target = os.path.join(package, "data", name)
    data = open(target, "rb").read()
    start = data.rindex(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    value_end = start + len(data[start:end].rstrip(b"0"))     # the signature value ends the CMS, then padding
    at = value_end - 40
    changed = data[:at] + (b"1" if data[at:at + 1] != b"1" else b"2") + data[at + 1:]
    open(target, "wb").write(changed)
    meta = os.path.join(package, "data", "metadata.xml")
    xml = open(meta, "rb").read().replace(hashlib.sha256(data).hexdigest().encode(),
                                          hashlib.sha256(changed).hexdigest().encode())
    open(meta, "wb").write(xml)
    bag = bagit.Bag(package)
    bag.save(manifests=True)
    bag.validate()                      # the bag alone no longer sees it
    report = verify_package(package, roots_of(reuse_settings))
    assert not report.ok
    assert any(name in f and "signature" in f for f in report.faults), report.faults


def _with_metadata(package, xml):
    path = os.path.join(package, "data", "metadata.xml")
    open(path, "wb").write(xml)
    bagit.Bag(package).save(manifests=True)     # a valid bag: only the XML is hostile


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE dossier [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<dossier xmlns="urn:kho:archive:dossier:1" version="1"><code>&secret;</code></dossier>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<dossier xmlns="urn:kho:archive:dossier:1" version="1"><code>&lol3;</code></dossier>"""


@pytest.mark.parametrize("xml, words", [(XXE, "XXE"), (LAUGHS, "billion laughs"),
                                        (XXE.decode().encode("utf-16"), "entities")])
def test_hostile_xml_is_refused(package, xml, words):
    _with_metadata(package, xml)
    report = verify_package(package)
    assert not report.ok
    assert any("refused" in f and words in f for f in report.faults), report.faults


def test_parse_xml_refuses_a_doctype_and_a_large_file():
    with pytest.raises(Hostile, match="DOCTYPE"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://example.invalid/d.dtd"><d/>')
    with pytest.raises(Hostile, match="more than"):
        parse_xml(b"<d>" + b"x" * 100 + b"</d>", limit=50)


def test_a_path_with_dotdot_in_a_manifest_is_refused(package, tmp_path):
    with open(os.path.join(package, "manifest-sha256.txt"), "a") as f:
        f.write("0" * 64 + "  data/../../outside.txt\n")
    report = verify_package(package)
    assert not report.ok
    assert any("'..'" in f and "outside" in f for f in report.faults), report.faults


def test_a_zip_with_a_dotdot_path_is_refused_and_writes_nothing(package, tmp_path):
    zipped = tmp_path / "hostile.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        for here, _, names in os.walk(package):
            for name in names:
                full = os.path.join(here, name)
                z.write(full, os.path.relpath(full, os.path.dirname(package)))
        z.writestr("../../escaped.txt", "hello")
    report = verify_package(str(zipped))
    assert not report.ok
    assert any("'..'" in f for f in report.faults), report.faults
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_a_zipped_package_verifies(package, tmp_path, reuse_settings):
    zipped = shutil.make_archive(str(tmp_path / "pkg"), "zip", os.path.dirname(package),
                                 os.path.basename(package))
    report = verify_package(zipped, roots_of(reuse_settings))
    assert report.ok, report.render()


@pytest.mark.slow  # `kho archive` in subprocesses (~5 s)
def test_kho_archive_commands(reuse_settings, world, tmp_path):
    ini = write_ini(tmp_path, reuse_settings)
    kho = [sys.executable, "-m", "repository.cli", "-c", ini, "archive"]
    out = tmp_path / "archive"
    done = subprocess.run(kho + ["export", world.first, "--out", str(out), "--as", "luutru"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(kho + ["export", world.first, world.second, "--out", str(out)],
                           capture_output=True, text=True)
    assert again.returncode == 1 and "already transferred" in again.stderr and "still open" in again.stderr
    package = out / world.first
    checked = subprocess.run(kho + ["verify", str(package)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    assert "OK" in checked.stdout
    target = package / "data" / f"{world.first}.002"
    target.write_bytes(target.read_bytes() + b"\n")
    checked = subprocess.run(kho + ["verify", str(package)], capture_output=True, text=True)
    assert checked.returncode == 1 and "FAULT" in checked.stdout
    history = subprocess.run(kho + ["history"], capture_output=True, text=True)
    assert history.returncode == 0 and world.first in history.stdout and "by luutru" in history.stdout


def test_due_for_transfer_the_year_after_the_work_ended(reuse_root, world):
    import datetime
    dossier = reuse_root.dossiers[world.first]
    ended = archive.work_ended(dossier)
    assert archive.due_for_transfer(reuse_root, today=ended.date()) == []      # the same year: not yet
    next_year = datetime.date(ended.year + 1, 1, 2)
    assert archive.due_for_transfer(reuse_root, today=next_year) == [dossier]  # the open one is not due
    assert archive.transfer_deadline(dossier).year == ended.year + 1


def test_a_zip_bomb_and_a_link_are_refused(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pkg/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        z.writestr("pkg/data/x", b"\0" * (20 * 1024 * 1024))
    report = verify_package(str(bomb))
    assert not report.ok and any("zip bomb" in f for f in report.faults), report.faults
    assert list(tmp_path.iterdir()) == [bomb]
    bag = tmp_path / "linked"
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    os.symlink("/etc/passwd", bag / "data" / "passwd")
    report = verify_package(str(bag))
    assert not report.ok and any("link" in f for f in report.faults), report.faults
