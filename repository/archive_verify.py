"""Check an archive package (repository.archive) as the archive receives it.

`verify_package(path, trust_roots)` checks, in order, and names every fault:

1. the package itself: a directory, or a .zip of one, whose every name stays
   inside it (no absolute path, no `..`, no link), within size and count
   limits (a zip bomb is refused before anything is written);
2. the bag (RFC 8493) with the maintained `bagit` library: bagit.txt, the
   SHA-256 manifests, every payload file's checksum, nothing missing or extra;
3. the metadata XML, parsed safely: no DOCTYPE and so no entity (XXE, billion
   laughs), no network, no huge tree, at most MAX_XML_BYTES; then valid
   against the shipped XSD (repository/data/archive-dossier.xsd);
4. the metadata against the files: each file named `<dossier code>.<sequence>`,
   listed once, of the size and SHA-256 the metadata gives;
5. every signature inside, with the signing library: each signed file's
   signatures intact and, when trust anchors are given, trusted; a file the
   metadata calls signed must carry a signature.

No Pyramid, no database: the archive can run it on its own machine
(`kho archive verify PACKAGE [--trust CERT]`)."""
import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile

MAX_XML_BYTES = 5 * 1024 * 1024
MAX_FILES = 10_000
MAX_TOTAL_BYTES = 8 * 1024 ** 3            # what a zip may unpack to
MAX_RATIO = 200                            # compressed → uncompressed, per member
MAX_NAME = 255
NS = "urn:kho:archive:dossier:1"
FILE_NAME = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4}\.[0-9]{3,}$")


class Hostile(ValueError):
    """The package is unsafe to open; str() says why, plainly."""


class Report:
    def __init__(self, path):
        self.path = path
        self.faults = []          # sentences: what is wrong
        self.checked = []         # sentences: what was checked and held
        self.warnings = []

    @property
    def ok(self):
        return not self.faults

    def fault(self, text):
        self.faults.append(text)

    def as_dict(self):
        return {"package": str(self.path), "ok": self.ok, "faults": self.faults,
                "checked": self.checked, "warnings": self.warnings}

    def render(self):
        lines = [f"Package {self.path}: {'OK' if self.ok else 'FAULTY'}"]
        lines += [f"  ok     {c}" for c in self.checked]
        lines += [f"  note   {w}" for w in self.warnings]
        lines += [f"  FAULT  {f}" for f in self.faults]
        return "\n".join(lines)


# --- safe XML ---------------------------------------------------------------------------------

def _parser():
    from lxml import etree
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=True, collect_ids=False)


def parse_xml(data, limit=MAX_XML_BYTES):
    """Parse untrusted XML: refused (Hostile) when larger than limit, when it
    declares a DOCTYPE or entities (XXE, billion laughs: refused, never
    expanded), or when it is not well-formed. Nothing is fetched."""
    from lxml import etree
    if len(data) > limit:
        raise Hostile(f"the metadata file is {len(data):,} bytes, more than the {limit:,} allowed")
    head = data[:4096].lower()
    try:       # the declarations are refused whatever the encoding (UTF-16 hides them from a byte scan)
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8", "replace")
    except UnicodeDecodeError:
        text = ""
    lowered = text.lower()
    if b"<!entity" in head or "<!entity" in lowered:
        raise Hostile("the metadata XML declares entities (<!ENTITY>): refused, as in an XXE or "
                      "'billion laughs' attack; nothing was expanded or fetched")
    if b"<!doctype" in head or "<!doctype" in lowered:
        raise Hostile("the metadata XML has a DOCTYPE: refused (no DTD, no entities, no external "
                      "references are allowed in a package)")
    try:
        tree = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise Hostile(f"the metadata XML is not well-formed: {exc}") from None
    docinfo = tree.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise Hostile("the metadata XML has a DOCTYPE: refused")
    return tree


# --- safe package -----------------------------------------------------------------------------

def unsafe_name(name):
    """Why a path inside a package is unsafe (a sentence), or None."""
    if not name or len(name) > 4096:
        return "an empty or overlong path"
    if "\x00" in name:
        return f"a path with a NUL byte: {name!r}"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or name.startswith("~"):
        return f"an absolute path: {name!r}"
    parts = re.split(r"[\\/]", name)
    if ".." in parts:
        return f"a path with '..' that leads outside the package: {name!r}"
    if any(len(p) > MAX_NAME for p in parts):
        return f"a path with a name longer than {MAX_NAME} characters"
    return None


def _check_tree(directory):
    """Refuse links, special files and too many files inside a package directory."""
    count = 0
    for here, dirs, names in os.walk(directory, followlinks=False):
        for name in dirs + names:
            full = os.path.join(here, name)
            mode = os.lstat(full).st_mode
            rel = os.path.relpath(full, directory)
            if stat.S_ISLNK(mode):
                raise Hostile(f"the package holds a link: {rel!r} (links are refused)")
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise Hostile(f"the package holds a special file: {rel!r}")
            count += 1
            if count > MAX_FILES:
                raise Hostile(f"the package holds more than {MAX_FILES} files")


def _manifest_paths(directory):
    """Every path named by a manifest or tag manifest: each must stay inside."""
    for name in os.listdir(directory):
        if not re.match(r"^(tag)?manifest-[a-z0-9]+\.txt$", name):
            continue
        full = os.path.join(directory, name)
        if os.path.getsize(full) > 50 * 1024 * 1024:
            raise Hostile(f"{name} is too large")
        with open(full, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                parts = line.split(None, 1)
                path = parts[1].strip() if len(parts) == 2 else ""
                why = unsafe_name(path)
                if why:
                    raise Hostile(f"{name} line {number} names {why}")


def unpack_zip(path, into, max_total=MAX_TOTAL_BYTES):
    """Unpack a zipped package into `into` after checking every member's
    name, kind and size; returns the bag directory inside."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise Hostile("not a zip file, nor a package directory") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise Hostile(f"the zip holds more than {MAX_FILES} files")
        total = 0
        for info in members:
            why = unsafe_name(info.filename)
            if why:
                raise Hostile(f"the zip holds {why}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise Hostile(f"the zip holds a link: {info.filename!r} (links are refused)")
            total += info.file_size
            if total > max_total:
                raise Hostile(f"the zip unpacks to more than {max_total:,} bytes")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1 << 20:
                raise Hostile(f"{info.filename!r} expands {info.file_size // info.compress_size}-fold: "
                              "refused as a zip bomb")
        real = os.path.realpath(into)
        for info in members:
            target = os.path.realpath(os.path.join(into, info.filename))
            if os.path.commonpath([real, target]) != real:
                raise Hostile(f"the zip holds a path that leads outside the package: {info.filename!r}")
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            written = 0
            with archive.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > info.file_size:
                        raise Hostile(f"{info.filename!r} is larger than the zip says")
                    out.write(chunk)
    entries = [e for e in os.listdir(into) if not e.startswith("__MACOSX")]
    if "bagit.txt" in entries:
        return into
    if len(entries) == 1 and os.path.isdir(os.path.join(into, entries[0])):
        return os.path.join(into, entries[0])
    raise Hostile("the zip holds no bag (bagit.txt) at its top or in one folder")


# --- the checks -------------------------------------------------------------------------------

def verify_package(path, trust_roots=()):
    """A Report of the package at path (a bag directory, or a .zip of one)."""
    report = Report(path)
    scratch = None
    try:
        if os.path.isdir(path):
            bag_dir = path
        elif os.path.isfile(path):
            scratch = tempfile.mkdtemp(prefix="kho-verify-")
            bag_dir = unpack_zip(path, scratch)
            report.checked.append("zip members: safe names, sizes within limits")
        else:
            report.fault(f"no such package: {path}")
            return report
        _check_tree(bag_dir)
        _manifest_paths(bag_dir)
        report.checked.append("every path stays inside the package (no '..', no absolute path, no link)")
        _check_bag(bag_dir, report)
        tree = _check_metadata(bag_dir, report)
        if tree is not None:
            _check_files(bag_dir, tree, report, trust_roots)
    except Hostile as exc:
        report.fault(f"refused: {exc}")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return report


def _check_bag(bag_dir, report):
    import bagit
    try:
        bag = bagit.Bag(bag_dir)
    except bagit.BagError as exc:
        report.fault(f"not a valid bag: {exc}")
        return
    if "sha256" not in bag.algorithms:
        report.fault("the bag has no SHA-256 manifest (manifest-sha256.txt)")
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = [str(d) for d in (exc.details or [])] or [str(exc.message)]
        for detail in details:
            report.fault(f"bag: {detail}")
        return
    except bagit.BagError as exc:
        report.fault(f"bag: {exc}")
        return
    report.checked.append(f"bag valid (BagIt {'.'.join(map(str, bag.version_info))}): {len(list(bag.payload_files()))} payload files, "
                          f"manifests {', '.join(sorted(bag.algorithms))}")


def _check_metadata(bag_dir, report):
    from .archive import METADATA, schema
    path = os.path.join(bag_dir, "data", METADATA)
    if not os.path.isfile(path):
        report.fault(f"data/{METADATA} is missing")
        return None
    if os.path.getsize(path) > MAX_XML_BYTES:
        raise Hostile(f"data/{METADATA} is larger than {MAX_XML_BYTES:,} bytes")
    with open(path, "rb") as f:
        data = f.read()
    try:
        tree = parse_xml(data)
    except Hostile as exc:
        report.fault(f"data/{METADATA} refused: {exc}")
        return None
    xsd = schema()
    if not xsd.validate(tree):
        for error in list(xsd.error_log)[:10]:
            report.fault(f"data/{METADATA} line {error.line}: {error.message}")
        return None
    report.checked.append(f"data/{METADATA} parsed safely and valid against archive-dossier.xsd")
    return tree


def _check_files(bag_dir, tree, report, trust_roots):
    from .archive import METADATA
    data_dir = os.path.join(bag_dir, "data")
    code = tree.findtext(f"{{{NS}}}code")
    listed = tree.findall(f"{{{NS}}}documents/{{{NS}}}document")
    count = tree.findtext(f"{{{NS}}}documentCount")
    if count is not None and int(count) != len(listed):
        report.fault(f"documentCount says {count}, {len(listed)} documents are listed")
    present = set(os.listdir(data_dir)) - {METADATA}
    names = set()
    signed_files = 0
    for element in listed:
        name = element.get("file")
        if not FILE_NAME.match(name or "") or not name.startswith(code + "."):
            report.fault(f"{name!r} is not named <dossier code>.<sequence> for {code}")
            continue
        if name in names:
            report.fault(f"{name} is listed twice")
            continue
        names.add(name)
        full = os.path.join(data_dir, name)
        if not os.path.isfile(full):
            report.fault(f"{name} is listed in the metadata but missing")
            continue
        with open(full, "rb") as f:
            data = f.read()
        if len(data) != int(element.get("size")):
            report.fault(f"{name}: {len(data)} bytes, the metadata says {element.get('size')}")
        if hashlib.sha256(data).hexdigest() != element.get("sha256"):
            report.fault(f"{name}: its SHA-256 is not the one in the metadata")
        said_signed = element.get("signed") == "true"
        if _check_signatures(name, data, said_signed, report, trust_roots):
            signed_files += 1
    for extra in sorted(present - names):
        report.fault(f"data/{extra} is not listed in the metadata")
    report.checked.append(f"{len(names)} files match the metadata (names, sizes, SHA-256)")
    if signed_files:
        report.checked.append(f"signatures checked in {signed_files} files"
                              + ("" if trust_roots else " (integrity only: no trust anchor given)"))
    if not trust_roots:
        report.warnings.append("no trust anchor given (--trust CERT): signers were not checked for trust")


def _check_signatures(name, data, said_signed, report, trust_roots):
    """Check every signature in one file; returns whether it carried any."""
    import signing
    if not data.startswith(b"%PDF-"):
        if said_signed:
            report.fault(f"{name}: the metadata says signed, but it is not a PDF")
        return False
    try:
        has = signing.has_signatures(data)
    except Exception as exc:
        report.fault(f"{name}: the PDF cannot be read: {exc}")
        return False
    if not has:
        if said_signed:
            report.fault(f"{name}: the metadata says signed, but it carries no signature")
        return False
    try:
        result = signing.verify_pdf(data, list(trust_roots))
    except Exception as exc:
        report.fault(f"{name}: its signatures cannot be checked: {exc}")
        return True
    details = result.to_dict()
    for number, sig in enumerate(details["signatures"], 1):
        who = sig.get("signer") or f"signature {number}"
        if not sig.get("intact"):
            report.fault(f"{name}: the signature of {who} does not match the file (changed after signing)")
        elif not sig.get("changes_ok"):
            report.fault(f"{name}: after the signature of {who} the file was changed beyond what it allows "
                         f"({sig.get('changes_after')})")
        elif trust_roots and not sig.get("trusted"):
            report.fault(f"{name}: the signer {who} is not trusted by the given anchors "
                         f"({sig.get('trust_problem')})")
    if not details["signatures"]:
        report.fault(f"{name}: its signatures cannot be read")
    return True
