"""The resource tree of DESIGN.md: Root → subjects → Warehouse → Document.

Every object that holds personal data hangs under its owner's Warehouse, so
the warehouse's __acl__ is the one decision that covers it."""
import datetime

from persistent import Persistent
from persistent.mapping import PersistentMapping
from pyramid.authorization import DENY_ALL, Allow, Authenticated

from . import roles as R
from .folder import Folder


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Root(Persistent):
    """The application root; its children are fixed containers."""
    __name__ = ""
    __parent__ = None
    generation = 0

    __acl__ = [
        (Allow, Authenticated, R.VIEW_CATALOGUES),
        *[(Allow, R.role_principal(r), R.DESK) for r in R.STAFF],
        *[(Allow, R.role_principal(r), (R.CREATE_SUBJECT, R.RECEIVE_DOSSIER)) for r in R.RECEPTION],
        *[(Allow, R.role_principal(r), R.LIST_DOSSIERS) for r in (R.CITIZEN,) + R.STAFF],
        (Allow, R.role_principal(R.RECORDS), (R.LIST_SUBJECTS, R.MANAGE_RECORDS)),
        (Allow, R.role_principal(R.CITIZEN), R.ASK_RIGHTS),
        *[(Allow, R.role_principal(r), R.SEARCH) for r in (R.CITIZEN,) + R.STAFF],
        (Allow, R.role_principal(R.ADMIN), (R.MANAGE_CATALOGUES, R.MANAGE_ACCOUNTS)),
        (Allow, R.role_principal(R.AUDITOR), R.READ_AUDIT),
        DENY_ALL,
    ]
    # containers that traversal may reach; accounts are deliberately absent
    _traversable = ("subjects", "dossiers", "catalogues")

    def __init__(self):
        from .accounts import Accounts
        from .catalogues import Catalogues
        self.subjects = _child(self, "subjects", Subjects())
        self.dossiers = _child(self, "dossiers", Dossiers())
        self.catalogues = _child(self, "catalogues", Catalogues())
        self.accounts = _child(self, "accounts", Accounts())
        from .indexing import DeskOwners, IndexQueue
        from .ocr_jobs import JobQueue
        self.jobs = JobQueue()
        self.index_queue = IndexQueue()
        self.desk_owners = DeskOwners()

    def __getitem__(self, name):
        if name in self._traversable:
            return getattr(self, name)
        raise KeyError(name)


def _child(parent, name, obj):
    obj.__name__ = name
    obj.__parent__ = parent
    return obj


class Subjects(Folder):
    """Warehouses keyed by personal id (12 digits) or enterprise code."""


class Warehouse(Persistent):
    """One owner's warehouse: profile, documents, consents."""

    def __init__(self, subject_id, kind, name, birth_date=None, sex=None):
        self.subject_id = subject_id
        self.kind = kind              # 'person' | 'organisation'
        self.name = name
        self.birth_date = birth_date
        self.sex = sex
        self.created = utcnow()
        self.documents = _child(self, "documents", Documents())
        self.consents = _child(self, "consents", Folder())

    @property
    def __acl__(self):
        owner = R.subject_principal(self.subject_id)
        return [
            (Allow, owner, (R.VIEW_WAREHOUSE, R.READ_CONTENT, R.MANAGE_CONSENT)),
            (Allow, R.role_principal(R.OFFICER),
             (R.VIEW_WAREHOUSE, R.READ_CONTENT, R.ADD_DOCUMENT, R.MANAGE_CONSENT)),
            (Allow, R.role_principal(R.POSTAL),
             (R.VIEW_WAREHOUSE, R.READ_CONTENT, R.ADD_DOCUMENT, R.MANAGE_CONSENT)),
            (Allow, R.role_principal(R.PROCESSOR), (R.VIEW_WAREHOUSE, R.READ_CONTENT)),
            (Allow, R.role_principal(R.RECORDS), (R.VIEW_WAREHOUSE, R.READ_CONTENT, R.DELETE_DOCUMENT)),
            DENY_ALL,
        ]

    def __getitem__(self, name):
        if name in ("documents", "consents"):
            return getattr(self, name)
        raise KeyError(name)


class Documents(Folder):
    """A warehouse's papers, keyed by a short random id."""
    _deleted = None               # BTrees.Length of the deleted papers, from the first deletion on

    def in_use(self):
        """The papers not deleted, newest first."""
        return sorted((d for d in self.values() if not d.deleted),
                      key=lambda d: d.created, reverse=True)

    def deleted(self):
        """The deleted papers (records managers restore them), newest first."""
        return sorted((d for d in self.values() if d.deleted),
                      key=lambda d: d.deleted, reverse=True)

    def count_in_use(self):
        """How many papers are not deleted (what in_use lists), without
        loading them once a deletion has set the counter up."""
        if self._deleted is None:
            return sum(1 for d in self.values() if not d.deleted)
        return len(self) - self._deleted()

    def count_deletion(self, change):
        """Keep the counter of deleted papers (delete +1, restore -1); set up
        at the first change by counting what an older database holds."""
        if self._deleted is None:
            from BTrees.Length import Length
            self._deleted = Length(sum(1 for d in self.values() if d.deleted) - change)
        self._deleted.change(change)


STATES = {
    "in_force": "Còn hiệu lực",
    "expired": "Hết hiệu lực",
    "revoked": "Đã thu hồi",
}
PROVENANCES = {
    "digitized": "Số hoá tại bộ phận một cửa",
    "agency_result": "Kết quả do cơ quan cấp",
    "certified_copy": "Bản sao chứng thực điện tử",
    "uploaded": "Giấy tờ điện tử do người dân nộp",
}
EXTRACTIONS = {"ocr": "Nhận dạng OCR", "manual": "Nhập tay"}


class Document(Persistent):
    """A paper: its original bytes (a blob, never rewritten), derived files,
    and the metadata of RULES-VN "Digitizing a paper"."""
    signature_report = None       # verification report of the PDF's signatures, if any
    signed_by = None              # who signed the desk's digitized copy
    ocr = None                    # OcrData once recognised
    ocr_job = None                # id of its OCR job
    review_state = None           # None → "pending" after OCR → "confirmed" by an officer
    reviewed_by = None
    deleted = None                # when it was moved out of use (None: in use)
    approved_in = ()              # codes of the approved dossiers it was a component of
    digitized_for = None          # the dossier it was uploaded for (set once, at upload)
    active_content = ()           # what a PDF carries that runs (repository.content.active_content)
    scan_quality = None           # what a desk scan offered and the warnings accepted (repository.intake)
    destroyed = None              # the stub left by repository.disposition.destroy (dict)
    retention_events = ()         # events that start or change the retention count (repository.retention)

    @property
    def text(self):
        """The paper's text: recognised (and maybe corrected), '' before OCR."""
        return self.ocr.text if self.ocr is not None else ""

    def __init__(self, *, type_code, owner_id, name, original, filename,
                 content_type, size, sha256, pages, created_by,
                 number="", issue_date=None, issuer="", summary="",
                 valid_from=None, valid_until=None, validity_scope="",
                 state="in_force", provenance="uploaded", dossier_code="",
                 procedure_code="", extraction="manual"):
        self.type_code = type_code
        self.owner_id = owner_id
        self.name = name
        self.number = number
        self.issue_date = issue_date
        self.issuer = issuer
        self.summary = summary
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.validity_scope = validity_scope
        self.state = state
        self.provenance = provenance
        self.dossier_code = dossier_code
        self.procedure_code = procedure_code
        self.extraction = extraction
        self.original = original
        self.filename = filename
        self.content_type = content_type
        self.size = size
        self.sha256 = sha256
        self.pages = pages
        self.derivatives = PersistentMapping()
        self.created = self.modified = utcnow()
        self.created_by = created_by

    def effective_state(self, today=None):
        """Revoked stays revoked; a paper past its validity date is expired."""
        if self.state == "revoked":
            return "revoked"
        today = today or datetime.date.today()
        if self.state == "expired" or (self.valid_until and self.valid_until < today):
            return "expired"
        return "in_force"


# dossiers live in their own module; the names stay importable from here for
# the pickles of databases written before it (generation 4 and older)
from .dossiers import Dossier, Dossiers  # noqa: E402, F401
