"""Who may find what: the filter a search runs under, per account, and whose
personal data a resource is.

A search over the papers' text reads their content, so it follows the
purpose rule of repository.reading:
- a citizen: their own papers (no purpose needed);
- desk officers, postal clerks and processors: only with a purpose, the
  persons of an open dossier that their unit handles (the dossier's code);
- records managers: with a records purpose, every warehouse;
- staff without a purpose: nothing (PurposeRequired); anyone else: NotAllowed."""
from . import roles as R
from .errors import Refused, ValidationError
from .reading import RECORDS_PURPOSES


class NotAllowed(PermissionError):
    pass


class SearchRefused(Refused, NotAllowed):
    """A purpose that lets the account read nothing (403, code purpose_refused);
    a NotAllowed too, for callers (the command line) that only know that."""

    def __init__(self, message):
        super().__init__(message, code="purpose_refused")


class PurposeRequired(ValidationError):
    """Staff search only with a purpose (a dossier, or a records purpose)."""

    def __init__(self):
        super().__init__({"purpose": "Cán bộ cần chọn mục đích (hồ sơ đang xử lý hoặc mục đích lưu trữ) "
                                     "để tìm kiếm / staff state a purpose to search"})


def units_under(catalogues, unit):
    """unit and every desk whose chain of parents reaches it."""
    children = {}
    for desk in catalogues.desks.values():
        children.setdefault(desk.parent_unit, []).append(desk.unit_code)
    found, todo = {unit}, [unit]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def is_staff(user):
    return bool(user is not None and set(R.STAFF) & user.roles)


def may_search(user):
    """NotAllowed unless the account may search at all."""
    if user is None:
        raise NotAllowed("anonymous")
    if not (R.CITIZEN in user.roles or is_staff(user)):
        raise NotAllowed(",".join(sorted(user.roles)))


def search_purpose_refusal(root, user, purpose):
    """Why user may not search under purpose (a message), or None: a records
    purpose for records managers; for staff, an open dossier their unit
    handles (so that every hit is a paper they may read for it)."""
    from .dossiers import unit_handles
    purpose = (purpose or "").strip()
    if not purpose:
        return PurposeRequired().errors["purpose"]
    if purpose in RECORDS_PURPOSES:
        return None if R.RECORDS in user.roles else "Mục đích lưu trữ chỉ dành cho cán bộ lưu trữ"
    dossier = root.dossiers.get(purpose)
    if dossier is None:
        return f"Không có hồ sơ {purpose} / no such dossier"
    if not dossier.is_open:
        return "Hồ sơ đã đóng / the dossier is closed"
    if not unit_handles(user, dossier):
        return "Đơn vị của bạn không xử lý hồ sơ này / your unit does not handle this dossier"
    return None


def search_filters(root, user, purpose=None):
    """The owner filter for user's searches: a dict for search.search(filters=),
    or None for no restriction. NotAllowed where the account may not search,
    PurposeRequired where staff state no purpose, SearchRefused (a Refused,
    code purpose_refused) for a purpose that lets them read nothing."""
    may_search(user)
    if not is_staff(user):
        return {"owner_ids": {user.subject_id}}
    purpose = (purpose or "").strip()
    if not purpose:
        raise PurposeRequired()
    refusal = search_purpose_refusal(root, user, purpose)
    if refusal is not None:
        raise SearchRefused(refusal)
    if purpose in RECORDS_PURPOSES:
        return None
    return {"owner_ids": set(root.dossiers[purpose].persons)}


def may_see_text(document, user, purpose):
    """Text snippets are content: the owner sees them, staff only with a
    purpose that would let them read the paper (repository.reading)."""
    from .reading import purpose_refusal
    return purpose_refusal(document, user, purpose) is None


def concerned_subjects(context):
    """Whose personal data a resource is: a warehouse's owner for the
    warehouse and everything under it (papers, consents), a dossier's persons
    for the dossier and its reuse requests; None for what is no one's (the
    root, the containers, the catalogues)."""
    from .dossiers import Dossier
    from .resources import Warehouse
    obj = context
    while obj is not None:
        if isinstance(obj, Warehouse):
            return {obj.subject_id}
        if isinstance(obj, Dossier):
            return set(obj.persons)
        obj = getattr(obj, "__parent__", None)
    return None


def hidden_from(context, user):
    """Whether a refusal of context should read "not found" to user: a
    citizen asking for a warehouse, paper, dossier, consent or reuse request
    that is not theirs must not learn that it exists. Staff keep their 403."""
    if user is None or is_staff(user) or R.CITIZEN not in user.roles:
        return False
    concerned = concerned_subjects(context)
    return concerned is not None and user.subject_id not in concerned
