"""Bulk intake of a backlog of paper results: files and folders in, one
document per file, OCR queued; what is refused is reported with its reason."""
import os

import transaction

from .content import ContentError
from .db import app_root
from .errors import ValidationError
from .operations import add_document

EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def collect(paths):
    """Every candidate file under paths, in a stable order."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            for folder, _, names in sorted(os.walk(path)):
                found += [os.path.join(folder, n) for n in sorted(names) if n.lower().endswith(EXTENSIONS)]
        else:
            found.append(path)
    return found


def import_files(conn, files, owner_id, type_code, actor, metadata=None, max_bytes=None,
                 trust_roots=(), progress=None, settings=None):
    """Add each file in its own transaction; returns (accepted ids, refused [(path, reason)]).

    With `settings`, a digitized scan's quality is checked (scan_warnings):
    refused under kho.scan.low_quality = refuse, else kept with its warnings
    recorded as accepted by the account the import runs as."""
    accepted, refused = [], []
    tm = conn.transaction_manager
    for number, path in enumerate(files, 1):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            refused.append((path, f"không đọc được tệp / cannot read: {exc.strerror}"))
        else:
            try:
                with tm:
                    root = app_root(conn)
                    warehouse = root.subjects.get(owner_id)
                    if warehouse is None:
                        raise ValidationError({"owner": f"Không có kho của {owner_id} / no such warehouse"})
                    raw = dict(metadata or {}, type_code=type_code)
                    kwargs = {"trust_roots": trust_roots}
                    if max_bytes:
                        kwargs["max_bytes"] = max_bytes
                    document = add_document(root, warehouse, data, os.path.basename(path), raw, actor,
                                            **kwargs)
                    if settings is not None:
                        check_scan_quality(document, data, settings, actor, accepted=True)
                    accepted.append(document.__name__)
            except (ValidationError, ContentError) as exc:
                transaction_errors = getattr(exc, "errors", {"file": str(exc)})
                refused.append((path, "; ".join(transaction_errors.values())))
        if progress:
            progress(number, len(files), path)
    return accepted, refused


class ImportActor:
    """The account an import runs as when none is named: recorded as such."""
    username = "kho-import"
    roles = frozenset({"system"})
    subject_id = None


def open_for_import(settings):
    from .db import open_databases
    db = open_databases(settings)
    return db, db.open(transaction.TransactionManager())


# -- scan quality at the desk (RULES-VN: colour, at least 200 dpi) -------------------

def quality_rules(settings):
    """(minimum dpi, colour required?, refuse instead of warning?) from the
    settings kho.scan.min_dpi (200), kho.scan.colour_required (true) and
    kho.scan.low_quality ("warn": the officer confirms; "refuse")."""
    from pyramid.settings import asbool
    settings = settings or {}
    return (int(settings.get("kho.scan.min_dpi") or 200),
            asbool(settings.get("kho.scan.colour_required", "true")),
            (settings.get("kho.scan.low_quality") or "warn").strip() == "refuse")


def scan_warnings(data, settings):
    """(pages, warnings) for a desk scan: what each raster page offers
    (ocr.inputs.scan_quality) and, per rule it breaks, a message
    "Vietnamese / English" for the officer."""
    from ocr.inputs import scan_quality
    min_dpi, colour_required, _ = quality_rules(settings)
    pages = scan_quality(data)
    warnings = []
    low = [p for p in pages if p["dpi"] is not None and p["dpi"] < min_dpi]
    if low:
        where = ", ".join(f"{p['page']} ({p['dpi']} dpi)" for p in low[:5])
        warnings.append(f"Bản quét có độ phân giải dưới {min_dpi} dpi ở trang {where}. / "
                        f"The scan is below {min_dpi} dpi on page {where}.")
    grey = [p["page"] for p in pages if not p["colour"]]
    if colour_required and grey:
        where = ", ".join(str(n) for n in grey[:5])
        warnings.append(f"Bản quét đen trắng hoặc thang xám ở trang {where}, quy định yêu cầu quét màu. / "
                        f"The scan is black and white or grey on page {where}; colour is required.")
    return pages, warnings


def record_scan_quality(document, pages, warnings, actor):
    """Keep on the paper what its scan offered and which warnings the officer
    accepted (who, when); audited."""
    from . import audit
    from .resources import utcnow
    document.scan_quality = {
        "pages": [dict(p) for p in pages], "warnings": list(warnings),
        "accepted_by": actor.username if warnings else None,
        "accepted": utcnow().isoformat() if warnings else None}
    if warnings:
        audit.record(document, actor, "accept_scan_quality", subject=document.owner_id,
                     document=document.__name__, detail={"warnings": list(warnings)})


class LowScanQuality(ValidationError):
    """A desk scan below the digitizing rules that nobody accepted yet
    (kho.scan.low_quality = warn): `warnings` name what it breaks."""

    def __init__(self, warnings):
        super().__init__({"file": " ".join(warnings)})
        self.warnings = list(warnings)


def check_scan_quality(document, data, settings, actor, accepted):
    """The digitizing rules on a desk scan just added (`data`, its bytes):
    refused (ValidationError) under kho.scan.low_quality = refuse;
    LowScanQuality when it breaks a rule and `accepted` is false; else its
    quality is recorded on the paper, with who accepted its warnings. A
    paper that is not a desk scan (another provenance, or a PDF that arrived
    signed) is left alone. Returns the warnings accepted."""
    if document.provenance != "digitized" or document.signature_report:
        return []
    pages, warnings = scan_warnings(data, settings)
    if warnings and quality_rules(settings)[2]:
        raise ValidationError({"file": " ".join(warnings)})
    if warnings and not accepted:
        raise LowScanQuality(warnings)
    record_scan_quality(document, pages, warnings, actor)
    return warnings
