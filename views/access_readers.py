"""Who may read a person's access log ('Who used my papers'), shared by the
page and the API: the owner, the records manager and the auditor; a staff
member's look is itself audited under the owner (`read_access_log`)."""
from pyramid.httpexceptions import HTTPForbidden

from repository import roles as R
from repository.audit import record

STAFF_READERS = (R.RECORDS, R.AUDITOR)


def may_read_access_log(user, warehouse):
    if user is None:
        return False
    return user.subject_id == warehouse.subject_id or bool(set(STAFF_READERS) & user.roles)


def check_reader(request, warehouse):
    """Refused: anonymous (log-in), another citizen (not found), other staff (403)."""
    if not may_read_access_log(request.user, warehouse):
        raise HTTPForbidden()


def audit_staff_look(request, warehouse, via, paper=None):
    user = request.user
    if user.subject_id != warehouse.subject_id:
        record(warehouse, user, "read_access_log", subject=warehouse.subject_id, document=paper,
               detail={"via": via})
