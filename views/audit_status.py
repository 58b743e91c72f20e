"""What the records console's pages and API share of the audit trail: the
context of its routes (who reads the trail) and the kept status of `kho
audit verify` as a page or a JSON body shows it. Neutral: pages and API
import it, never each other."""
from pyramid.authorization import DENY_ALL, Allow
from pyramid_zodbconn import get_connection

from repository import audit_view
from repository import roles as R

from .messages import _, translate


class AuditTrail:
    """The context of the audit trail's routes."""
    __name__ = "audit"
    __parent__ = None
    __acl__ = [(Allow, R.role_principal(R.AUDITOR), R.READ_AUDIT),
               (Allow, R.role_principal(R.RECORDS), R.READ_AUDIT),
               DENY_ALL]

    def __init__(self, request):
        self.request = request


def max_age(request):
    """Seconds a verification is trusted (kho.audit.status_max_age, default 600)."""
    try:
        return float(request.registry.settings.get("kho.audit.status_max_age", audit_view.MAX_AGE))
    except ValueError:
        return audit_view.MAX_AGE


def status_view(request, force=False):
    """What a page shows of the trail's verification: ok (True/False/None),
    text, checked (time), counts."""
    verification, sealed, pending = audit_view.trail_status(
        get_connection(request), max_age=max_age(request), force=force,
        by=request.user.username if request.user else None)
    if verification.ok is None:
        text = translate(request, _("No audit database is configured."))
    elif verification.ok:
        text = translate(request, _("Audit trail intact: ${sealed} entries sealed, ${pending} pending.",
                                    mapping={"sealed": sealed, "pending": pending}))
    else:
        text = translate(request, _("Audit trail BROKEN at ${where}: ${reason}",
                                    mapping={"where": verification.where, "reason": verification.reason}))
    return {"ok": verification.ok, "text": text, "checked": verification.checked, "verified": verification.verified,
            "seconds": verification.seconds, "sealed": sealed, "pending": pending, "by": verification.by}
