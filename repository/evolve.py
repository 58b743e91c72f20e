"""Schema generations and the steps between them.

The root records the generation it was written with; `kho evolve` (or the
app at start when kho.auto_evolve is on) runs each missing step in order,
one transaction per step, so an interrupted evolve resumes where it stopped."""
import logging

from .catalogues import RetentionSchedule
from .db import ROOT_KEY
from .folder import Folder

log = logging.getLogger(__name__)


def evolve1(zodb_root):
    """Generation 1: the root with subjects, dossiers, catalogues, accounts."""
    from .resources import Root
    if ROOT_KEY not in zodb_root:
        zodb_root[ROOT_KEY] = Root()


def evolve2(zodb_root):
    """Generation 2: every warehouse gets a consents folder; catalogues get
    retention schedules (the two default classes)."""
    root = zodb_root[ROOT_KEY]
    for warehouse in root.subjects.values():
        if not hasattr(warehouse, "consents"):
            consents = Folder()
            consents.__name__, consents.__parent__ = "consents", warehouse
            warehouse.consents = consents
    catalogues = root.catalogues
    if not hasattr(catalogues, "retention"):
        catalogues.retention = catalogues._child("retention")
    for code, name, years in (("permanent", "Vĩnh viễn", None),
                              ("10y", "10 năm", 10)):
        if code not in catalogues.retention:
            catalogues.retention.add(code, RetentionSchedule(code, name, years))


def evolve3(zodb_root):
    """Generation 3: the OCR job queue."""
    from .ocr_jobs import JobQueue
    root = zodb_root[ROOT_KEY]
    if not hasattr(root, "jobs"):
        root.jobs = JobQueue()


def evolve4(zodb_root):
    """Generation 4: the search index queue and the desk → owners map; every
    existing document is queued for indexing."""
    from .indexing import DeskOwners, IndexQueue, queue_for_index
    root = zodb_root[ROOT_KEY]
    if not hasattr(root, "index_queue"):
        root.index_queue = IndexQueue()
    if not hasattr(root, "desk_owners"):
        root.desk_owners = DeskOwners()
    for warehouse in root.subjects.values():
        for document in warehouse.documents.values():
            queue_for_index(root, document)


def evolve5(zodb_root):
    """Generation 5: the reuse cycle. Dossiers get per-unit daily sequences and
    their indexes; procedures get components (old lists of paper types become
    one required component each); a holiday catalogue; search visibility comes
    from dossiers only (the desk → owners map is rebuilt from them); a demo
    database gets the demo catalogue file and the new demo accounts."""
    from BTrees.OOBTree import OOBTree
    from .catalogues import Component
    root = zodb_root[ROOT_KEY]
    dossiers = root.dossiers
    for name in ("sequences", "by_unit", "by_person", "confirmations"):
        if getattr(dossiers, name, None) is None:
            setattr(dossiers, name, OOBTree())
    if getattr(dossiers, "counters", None) is not None:
        del dossiers.counters
    catalogues = root.catalogues
    if not hasattr(catalogues, "holidays"):
        catalogues.holidays = catalogues._child("holidays")
    for procedure in catalogues.procedures.values():
        if procedure.components and isinstance(procedure.components[0], str):
            procedure.components = tuple(
                Component(code, getattr(catalogues.doctypes.get(code), "name", code), [code])
                for code in procedure.components)
    root.desk_owners.by_desk.clear()
    for dossier in dossiers.values():
        for unit in (dossier.desk, dossier.agency):
            for person in dossier.persons:
                root.desk_owners.add(unit, person)
    if getattr(root, "demo_seeded", None):
        from .seed import ACCOUNTS, DEMO_PASSWORD, load_demo_catalogue
        load_demo_catalogue(root)
        for username, fullname, role, subject_id, desk in ACCOUNTS:
            if username not in root.accounts.users:
                root.accounts.add_user(username, fullname, {role}, DEMO_PASSWORD,
                                       subject_id=subject_id, desk=desk)



def canonical_key(key):
    """A warehouse key as its ASCII form: NFKC (full-width digits → ASCII),
    then any other script's decimal digit (Arabic-Indic, …) → its ASCII digit."""
    import unicodedata
    text = unicodedata.normalize("NFKC", key)
    return "".join(str(unicodedata.decimal(c)) if not c.isascii() and unicodedata.decimal(c, None) is not None
                   else c for c in text)


def key_duplicates(keys):
    """{canonical key: [stored keys]} for the keys written in other digits than
    ASCII (before identifiers accepted ASCII digits only): each group names the
    warehouse under its ASCII key too when there is one."""
    groups = {}
    for key in keys:
        groups.setdefault(canonical_key(key), []).append(key)
    return {canon: sorted(found) for canon, found in groups.items()
            if len(found) > 1 or found[0] != canon}


def evolve_report_duplicate_keys(zodb_root):
    """Report warehouses whose key is in non-ASCII digits (a duplicate of another,
    or no valid id at all); nothing is changed: a person decides which to keep."""
    root = zodb_root[ROOT_KEY]
    found = key_duplicates(root.subjects.keys())
    for canon, keys in sorted(found.items()):
        twins = [k for k in keys if k != canon]
        if canon in keys:
            log.warning("warehouse key(s) %s written in non-ASCII digits duplicate the warehouse %s: "
                        "merge or remove them by hand", ", ".join(map(repr, twins)), canon)
        else:
            log.warning("warehouse key(s) %s written in non-ASCII digits (%s in ASCII): "
                        "no warehouse has the ASCII key; re-key or remove by hand",
                        ", ".join(map(repr, twins)), canon)
    if found:
        log.warning("%d warehouse key(s) in non-ASCII digits found; nothing was changed",
                    sum(len([k for k in keys if k != canon]) for canon, keys in found.items()))


def evolve_sessions_and_tokens(zodb_root):
    """Server-side sessions (root.sessions), the log-in throttle
    (root.throttle), and public ids and expiry for the API tokens (tokens
    stored without them expire 30 days after they were made, but not within
    a week of this step)."""
    from .sessions import SessionStore
    from .throttle import Throttle
    root = zodb_root[ROOT_KEY]
    if getattr(root, "sessions", None) is None:
        root.sessions = SessionStore()
    if getattr(root, "throttle", None) is None:
        root.throttle = Throttle()
    root.accounts._ids()
    root.accounts.assign_token_ids()


def evolve_audit_lanes(zodb_root):
    """The audit trail without a hot spot: the lanes of pending entries, the
    marks of what is sealed, and the index of uses by owner and by paper,
    built from the entries already in the chain (which keep their hashes)."""
    from .audit import AUDIT_DB, LANES_KEY, LOG_KEY, AuditLog, Lanes
    try:
        audit_root = zodb_root._p_jar.get_connection(AUDIT_DB).root()
    except KeyError:
        log.warning("no audit database configured: its lanes are made on first use")
        return
    if LOG_KEY not in audit_root:
        audit_root[LOG_KEY] = AuditLog()
    audit_root[LOG_KEY].ensure_structures()
    if LANES_KEY not in audit_root:
        audit_root[LANES_KEY] = Lanes()


STEPS = [evolve1, evolve2, evolve3, evolve4, evolve5, evolve_report_duplicate_keys, evolve_sessions_and_tokens]
STEPS.append(evolve_audit_lanes)


def evolve_indicators(zodb_root):
    """The service-quality counters (repository/indicators.py), computed
    from the dossiers already stored."""
    from .indicators import rebuild
    rebuild(zodb_root[ROOT_KEY])


STEPS.append(evolve_indicators)


def evolve_retention(zodb_root):
    """Retention (repository/retention.py): the holds, the review queue and
    the certificates; the person's requests (repository/rights.py); closed
    dossiers get their closing event (the start of their count)."""
    from .retention import RetentionState, dossier_ended
    from .rights import Requests
    root = zodb_root[ROOT_KEY]
    if getattr(root, "retention_state", None) is None:
        root.retention_state = RetentionState()
    if getattr(root, "rights_requests", None) is None:
        root.rights_requests = Requests()
    for dossier in root.dossiers.values():
        if not dossier.is_open and not getattr(dossier, "retention_events", None):
            ended, _ = dossier_ended(dossier)
            if ended is not None:
                dossier.retention_events = ({"event": "dossier_closed", "on": ended, "by": "system",
                                             "note": "evolve", "at": None},)


STEPS.append(evolve_retention)


def evolve_verifications(zodb_root):
    """The verification codes of printed papers (repository/verification.py):
    the registry, and a receipt code for each dossier received before, so
    that printing its receipt writes nothing."""
    from .verification import Verifications, receipt_code
    root = zodb_root[ROOT_KEY]
    if getattr(root, "verifications", None) is None:
        root.verifications = Verifications()
    for dossier in root.dossiers.values():
        receipt_code(root, dossier)


STEPS.append(evolve_verifications)


def evolve_archive_and_corrections(zodb_root):
    """The transfer history (repository/archive.py: dossier code → transfer)
    and the index of open correction requests (repository/corrections.py)."""
    from BTrees.OOBTree import OOBTree
    root = zodb_root[ROOT_KEY]
    for name in ("archive_transfers", "correction_requests"):
        if getattr(root, name, None) is None:
            setattr(root, name, OOBTree())


STEPS.append(evolve_archive_and_corrections)


def evolve_indicators_by_component(zodb_root):
    """The reuse rate counts components, not papers (repository/indicators.py
    components_of): the `components` and `reused` counters and each
    dossier's stored contribution are recomputed from the dossiers."""
    from .indicators import rebuild
    rebuild(zodb_root[ROOT_KEY])


STEPS.append(evolve_indicators_by_component)
GENERATION = len(STEPS)


def generation_of(zodb_root):
    root = zodb_root.get(ROOT_KEY)
    return 0 if root is None else root.generation


def evolve(conn, to=GENERATION):
    """Run the steps from the stored generation up to `to`; return the steps run.

    conn's transaction manager is committed after each step."""
    tm = conn.transaction_manager
    done = []
    while True:
        zodb_root = conn.root()
        current = generation_of(zodb_root)
        if current >= to:
            return done
        step = STEPS[current]
        log.info("evolving to generation %d: %s", current + 1, step.__doc__.splitlines()[0])
        step(zodb_root)
        zodb_root[ROOT_KEY].generation = current + 1
        tm.get().note(f"kho evolve to generation {current + 1}")
        tm.commit()
        done.append(current + 1)
