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
                 trust_roots=(), progress=None):
    """Add each file in its own transaction; returns (accepted ids, refused [(path, reason)])."""
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
