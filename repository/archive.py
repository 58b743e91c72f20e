"""Transfer to the archive: one BagIt package (RFC 8493) per closed dossier.

RULES-VN "Retention and archive": a dossier goes to the agency archive within
one year after the work ended, with its digitized papers, electronic
documents, metadata and officials' opinions; its files are named
`<dossier code>.<sequence>`. A package is a directory that the archive's own
tools check (the maintained `bagit` library writes it):

    <code>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    <code>/data/<code>.001, <code>.002, …    each paper of the dossier, byte for
                                             byte (the desk's signed copy of a
                                             scan, else the original), then the result
    <code>/data/metadata.xml                 the archive fields (lxml), valid
                                             against repository/data/archive-dossier.xsd

`kho archive verify` (repository.archive_verify) checks all of it again.

A transferred dossier is marked (`transfer_of`, `is_transferred`), its
timeline says so, and the transfer is kept in the transfer history
(`transfers`). Disposition in Kho follows the transfer: the archive keeps the
record, so Kho's copy no longer waits for Kho's own schedule
(`disposition_after_transfer`, for the retention code to read).

No Pyramid here: the caller passes the settings (trust roots, agency name)."""
import datetime
import hashlib
import os
import shutil
import tempfile

from . import audit
from .errors import Conflict, ValidationError

NS = "urn:kho:archive:dossier:1"
SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "data", "archive-dossier.xsd")
METADATA = "metadata.xml"
SYSTEM = "Kho"
PURPOSE = "archive_transfer"           # a records purpose (repository.reading.RECORDS_PURPOSES)
ACCESS_LEVELS = ("public", "restricted", "confidential")
TRANSFER_WITHIN_YEARS = 1              # RULES-VN: within one year after the work ended


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


# --- what is transferred, and when ---------------------------------------------------------

def transfer_of(dossier):
    """The transfer record of a dossier (a dict: time, by, package, bag
    checksum), or None when it was never transferred."""
    return getattr(dossier, "archive_transfer", None)


def is_transferred(dossier):
    """The flag the retention code reads: True once the archive holds the dossier."""
    return transfer_of(dossier) is not None


def disposition_after_transfer(dossier):
    """How Kho disposes of a transferred dossier, or None when it was not
    transferred: the archive now keeps the record, so Kho's copy is due at
    the transfer (no longer at the end of Kho's own schedule); a legal hold
    still blocks it. {"due": date, "rule": text, "transfer": record}."""
    record = transfer_of(dossier)
    if record is None:
        return None
    when = record["time"]
    return {"due": when.date() if hasattr(when, "date") else when,
            "rule": "Đã giao nộp vào lưu trữ cơ quan: bản trong Kho hết thời hạn lưu giữ khi giao nộp / "
                    "transferred to the agency archive: Kho's copy is due at the transfer",
            "transfer": dict(record)}


def transfers(root):
    """The transfer history, newest first: dicts with code, time, by, package, bag_sha256."""
    tree = getattr(root, "archive_transfers", None)
    if tree is None:
        return []
    return [dict(record, code=code) for code, record in
            sorted(tree.items(), key=lambda item: item[1]["time"], reverse=True)]


def work_ended(dossier):
    """When the work on a closed dossier ended (resolved, or withdrawn), or None while open."""
    from .dossiers import RESOLVED, WITHDRAWN
    if dossier.status == RESOLVED and dossier.resolved:
        return dossier.resolved
    if dossier.status == WITHDRAWN:
        for event in reversed(dossier.timeline):
            if event["action"] == "withdraw":
                return event["time"]
        return dossier.received
    return None


def transfer_deadline(dossier):
    """The last day to transfer: one year after the work ended (None while open)."""
    ended = work_ended(dossier)
    if ended is None:
        return None
    day = _vn_date(ended)
    try:
        return day.replace(year=day.year + TRANSFER_WITHIN_YEARS)
    except ValueError:           # 29 February
        return day.replace(year=day.year + TRANSFER_WITHIN_YEARS, day=28)


def due_for_transfer(root, today=None):
    """The closed dossiers not transferred yet whose work ended in an earlier
    year than today's (they go to the archive in the year after), oldest first."""
    today = today or _vn_date(utcnow())
    due = []
    for dossier in root.dossiers.values():
        ended = work_ended(dossier)
        if ended is None or is_transferred(dossier):
            continue
        if _vn_date(ended).year < today.year:
            due.append(dossier)
    due.sort(key=work_ended)
    return due


def _vn_date(moment):
    from .calendar import in_vn
    if isinstance(moment, datetime.datetime):
        return in_vn(moment).date()
    return moment


# --- the package ------------------------------------------------------------------------------

def retention_of(root, dossier, documents):
    """The dossier's schedule: repository.retention's (the procedure's, else
    its default); without that module, the procedure's when the catalogue
    gives it one, else the longest of its papers' types (permanent wins).
    Returns a RetentionSchedule or None."""
    try:                       # the schedule Kho itself keeps the dossier under (repository.retention)
        from .retention import schedule_of
    except ImportError:
        schedule_of = None
    if schedule_of is not None:
        return schedule_of(root, dossier)
    schedules = root.catalogues.retention
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    code = getattr(procedure, "retention", None) or getattr(procedure, "retention_class", None)
    if code and code in schedules:
        return schedules[code]
    best = None
    for document in documents:
        doctype = root.catalogues.doctypes.get(document.type_code)
        schedule = schedules.get(getattr(doctype, "retention_class", None) or "")
        if schedule is None:
            continue
        if best is None or schedule.years is None or (best.years is not None and schedule.years > best.years):
            best = schedule
    return best


def dossier_documents(root, dossier):
    """[(document, role, component key)] in the order of the package: the
    components' papers in the procedure's order, then the result."""
    from .results import result_of
    found, seen = [], set()
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    keys = [c.key for c in procedure.components] if procedure is not None else []
    keys += sorted(k for k in dossier.components if k not in keys)
    for key in keys:
        for attachment in dossier.components.get(key, ()):
            warehouse = root.subjects.get(attachment.owner_id)
            document = warehouse.documents.get(attachment.doc_id) if warehouse is not None else None
            ref = (attachment.owner_id, attachment.doc_id)
            if document is not None and ref not in seen and _has_content(document):
                seen.add(ref)
                found.append((document, "component", key))
    result = result_of(root, dossier)
    if result is not None and (result.owner_id, result.__name__) not in seen and _has_content(result):
        found.append((result, "result", None))
    return found


def _has_content(document):
    """A paper destroyed under its schedule (repository.disposition) has only its stub left."""
    return not getattr(document, "destroyed", None) and document.original is not None


def file_bytes(document):
    """What is transferred of a paper: the desk's signed copy of a scan, else the original."""
    from .signatures import SIGNED
    blob = document.derivatives.get(SIGNED) or document.original
    with blob.open("r") as f:
        return f.read()


def _text(parent, tag, value=None, **attrs):
    from lxml import etree
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})
    if value is not None:
        element.text = str(value)
    return element


def _iso(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat() if moment.tzinfo else moment.isoformat() + "Z"


def metadata_xml(root, dossier, files, transfer, settings=None):
    """The archive metadata of the dossier (bytes, UTF-8), built with lxml and
    checked against the shipped XSD; files: the dicts build_package made."""
    from lxml import etree
    settings = settings or {}
    catalogues = root.catalogues
    procedure = catalogues.procedures.get(dossier.procedure_code)
    applicant = root.subjects.get(dossier.applicant_id)
    procedure_name = getattr(procedure, "name", None) or dossier.procedure_code
    documents = [f["document"] for f in files]
    schedule = retention_of(root, dossier, documents)
    ended = work_ended(dossier)
    start, end = _vn_date(dossier.received), _vn_date(ended)

    top = etree.Element(f"{{{NS}}}dossier", nsmap={None: NS}, version="1")
    _text(top, "code", dossier.code)
    _text(top, "title", f"Hồ sơ {procedure_name} của {getattr(applicant, 'name', dossier.applicant_id)}")
    if schedule is None:
        _text(top, "retention", schedule="permanent", permanent="true")
    elif schedule.years is None:
        _text(top, "retention", schedule=schedule.code, permanent="true")
    else:
        _text(top, "retention", schedule=schedule.code, permanent="false", years=schedule.years,
              until=datetime.date(end.year + schedule.years, 12, 31).isoformat())
    level = settings.get("kho.archive.access_level") or "restricted"     # personal data: restricted
    _text(top, "accessLevel", level if level in ACCESS_LEVELS else "restricted")
    _text(top, "language", "vi")
    _text(top, "startDate", start.isoformat())
    _text(top, "endDate", end.isoformat())
    keywords = _text(top, "keywords")
    words = [procedure_name, dossier.procedure_code]
    words += sorted({getattr(catalogues.doctypes.get(d.type_code), "name", d.type_code) for d in documents})
    for word in dict.fromkeys(w for w in words if w):
        _text(keywords, "keyword", word)
    _text(top, "documentCount", len(files))
    _text(top, "pageCount", sum(f["pages"] for f in files))
    _text(top, "physicalState", "Điện tử: nguyên vẹn, mã băm SHA-256 khớp khi giao nộp / "
                                "electronic, intact: SHA-256 checked at transfer")
    provenances = {d.provenance for d in documents}
    digitized = {"digitized", "certified_copy"}
    reliability = ("digitized" if provenances and provenances <= digitized
                   else "mixed" if provenances & digitized else "electronic_original")
    _text(top, "reliability", reliability)
    _text(top, "paperDossierCode", dossier.code if dossier.channel == "desk" else "")
    _text(top, "procedure", procedure_name, code=dossier.procedure_code)
    _text(top, "receivingUnit", getattr(catalogues.desks.get(dossier.desk), "name", "") or "", code=dossier.desk)
    _text(top, "competentAgency", getattr(catalogues.desks.get(dossier.agency), "name", "") or "",
          code=dossier.agency)
    _text(top, "outcome", dossier.outcome if dossier.outcome else "withdrawn")
    persons = _text(top, "persons")
    for person in dossier.persons:
        _text(persons, "person", id=person, role="applicant" if person == dossier.applicant_id else "other")
    listed = _text(top, "documents")
    for f in files:
        d = f["document"]
        element = _text(listed, "document", sequence=f["sequence"], file=f["name"], mediaType=d.content_type,
                        size=f["size"], pages=f["pages"], sha256=f["sha256"],
                        signed="true" if f["signatures"] else "false")
        _text(element, "typeCode", d.type_code)
        _text(element, "name", d.name or d.type_code)
        if d.number:
            _text(element, "number", d.number)
        if d.issue_date:
            _text(element, "issueDate", d.issue_date.isoformat())
        if d.issuer:
            _text(element, "issuer", d.issuer)
        _text(element, "owner", d.owner_id)
        _text(element, "provenance", d.provenance)
        _text(element, "extraction", d.extraction)
        _text(element, "role", f["role"])
        if f["component"]:
            _text(element, "component", f["component"])
        for s in f["signatures"]:
            _text(element, "signature", signer=s.get("signer") or "?", time=s.get("signing_time") or None,
                  valid="true" if s.get("intact") and s.get("trusted") else "false")
    opinions = _text(top, "opinions")
    for event in dossier.timeline:
        detail = event.get("detail") or {}
        _text(opinions, "event", detail.get("reason") or "", time=_iso(event["time"]), actor=event["actor"],
              action=event["action"])
    _text(top, "transfer", time=_iso(transfer["time"]), by=transfer["by"], system=SYSTEM)
    data = etree.tostring(top, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    problems = schema_problems(data)
    if problems:      # a bug of ours, never the archive's problem: refuse to write it
        raise Conflict("Siêu dữ liệu không hợp lệ theo lược đồ / metadata invalid against the schema: "
                       + "; ".join(problems[:5]))
    return data


_schema = None


def schema():
    """The shipped XSD, read once with a parser that fetches and expands nothing."""
    global _schema
    if _schema is None:
        from lxml import etree
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        _schema = etree.XMLSchema(etree.parse(SCHEMA_FILE, parser))
    return _schema


def schema_problems(data_or_tree):
    """The schema's complaints about a metadata document ([] when valid)."""
    tree = data_or_tree
    if isinstance(data_or_tree, bytes):
        from .archive_verify import parse_xml
        tree = parse_xml(data_or_tree)
    xsd = schema()
    if xsd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log] or ["invalid"]


def build_package(root, dossier, out_dir, settings=None, actor=None, now=None):
    """Write the dossier's package as a directory `<out_dir>/<code>` and
    return (path, transfer record, files). Nothing is marked here: see
    `transfer`. A package already there is refused (never overwritten)."""
    import bagit
    from .signatures import check_signatures, trust_roots
    settings = settings or {}
    if work_ended(dossier) is None:
        raise Conflict(f"Hồ sơ {dossier.code} chưa kết thúc / the dossier is still open")
    if getattr(dossier, "destroyed", None):
        raise Conflict(f"Hồ sơ {dossier.code} đã bị huỷ / the dossier was destroyed")
    if is_transferred(dossier):
        raise Conflict(f"Hồ sơ {dossier.code} đã giao nộp lúc {transfer_of(dossier)['time']:%d/%m/%Y} / "
                       "already transferred")
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, dossier.code)
    if os.path.exists(target):
        raise Conflict(f"Đã có gói {target} / the package already exists")
    now = now or utcnow()
    record = {"time": now, "by": actor.username if actor else "system", "package": dossier.code}
    work = tempfile.mkdtemp(prefix=f".{dossier.code}.", dir=out_dir)
    try:
        files = []
        for sequence, (document, role, component) in enumerate(dossier_documents(root, dossier), 1):
            data = file_bytes(document)
            name = f"{dossier.code}.{sequence:03d}"
            with open(os.path.join(work, name), "wb") as out:
                out.write(data)
            report = check_signatures(data, trust_roots(settings)) or {}
            files.append({"sequence": sequence, "name": name, "document": document, "role": role,
                          "component": component, "size": len(data), "pages": document.pages or 0,
                          "sha256": hashlib.sha256(data).hexdigest(),
                          "signatures": report.get("signatures") or []})
        with open(os.path.join(work, METADATA), "wb") as out:
            out.write(metadata_xml(root, dossier, files, record, settings))
        bag = bagit.make_bag(work, checksums=["sha256"], bag_info={
            "Source-Organization": settings.get("kho.agency_name") or "Uỷ ban nhân dân tỉnh Lào Cai",
            "External-Identifier": dossier.code,
            "External-Description": f"Hồ sơ {dossier.code} (thủ tục {dossier.procedure_code})",
            "Bagging-Date": _vn_date(now).isoformat(),
            "Bag-Group-Identifier": dossier.desk,
            "Kho-Metadata": f"data/{METADATA}",
        })
        with open(os.path.join(bag.path, "bagit.txt"), "w", encoding="utf-8") as f:   # RFC 8493: BagIt 1.0
            f.write("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        bagit.Bag(bag.path).save()            # the tag manifest again, over the new bagit.txt
        with open(os.path.join(bag.path, "tagmanifest-sha256.txt"), "rb") as f:
            record["bag_sha256"] = hashlib.sha256(f.read()).hexdigest()
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target, record, files


def transfer(root, dossier, actor, out_dir, settings=None, now=None):
    """Hand the dossier to the archive: write its package, then mark it
    transferred, note it on its timeline and in the audit trail (each paper's
    content read for the records purpose archive_transfer, under its owner).
    The caller commits; if the commit fails, it removes the package
    (`discard_package`). Returns the package's path."""
    from BTrees.OOBTree import OOBTree
    from .dossiers import note
    from . import roles as R
    if actor is not None and R.RECORDS not in actor.roles:
        raise ValidationError({"actor": "Chỉ cán bộ lưu trữ giao nộp hồ sơ vào lưu trữ / records managers only"})
    path, record, files = build_package(root, dossier, out_dir, settings, actor, now)
    try:
        for f in files:
            d = f["document"]
            audit.record(d, actor, "read_content", subject=d.owner_id, document=d.__name__, purpose=PURPOSE,
                         detail={"via": "archive", "dossier": dossier.code})
        dossier.archive_transfer = record
        if getattr(root, "archive_transfers", None) is None:
            root.archive_transfers = OOBTree()
        root.archive_transfers[dossier.code] = dict(record)
        note(dossier, actor, "archived", {"package": record["package"], "documents": len(files),
                                          "bag_sha256": record["bag_sha256"]})
    except BaseException:
        discard_package(path)
        raise
    return path


def discard_package(path):
    """Remove a package whose transfer was not committed."""
    shutil.rmtree(path, ignore_errors=True)
