"""'My consents': a warehouse's consents, with the notice shown before any
grant. The owner grants, narrows and withdraws online; a desk officer records
it at the desk only when the person agreed there after hearing the notice.
Purposes are never pre-ticked: silence is never consent."""
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from repository import roles as R
from repository.consents import (CONSEQUENCES, NOTICE_TEXT, NOTICE_VERSION, PURPOSES, Consent,
                                 grant_consent, narrow_consent, record_consents_read, withdraw_consent)
from repository.errors import Conflict, ValidationError
from repository.folder import Folder

from . import _, domain_message, errors_for, translate

HISTORY = {"grant": _("Granted"), "narrow": _("Narrowed"), "withdraw": _("Withdrawn")}


def scope_text(request, consent):
    """What a consent covers, in the request's language: one paper (name and
    number) or every paper of a type."""
    root, warehouse = request.kho_root, consent.__parent__.__parent__
    if consent.scope == "document":
        document = warehouse.documents.get(consent.target)
        if document is None:
            return translate(request, _("Paper: ${name}", mapping={"name": consent.target}))
        number = f" — {translate(request, _('No.'))} {document.number}" if document.number else ""
        return translate(request, _("Paper: ${name}", mapping={"name": document.name})) + number
    doctype = root.catalogues.doctypes.get(consent.target)
    return translate(request, _("Every paper of the type ${name}", mapping={
        "name": doctype.name if doctype is not None else consent.target}))


def consents_url(request, warehouse):
    return request.resource_url(warehouse.consents)


def consent_values(request, warehouse, errors=None, form=None):
    root, user = request.kho_root, request.user
    consents = sorted(warehouse.consents.values(), key=lambda c: c.granted, reverse=True)
    is_owner = bool(user and user.subject_id == warehouse.subject_id)
    return {
        "warehouse": warehouse, "consents": consents,
        "labels": {c.id: scope_text(request, c) for c in consents},
        "accounts": root.accounts.users,
        "documents": warehouse.documents.in_use(), "doctypes": root.catalogues.doctypes,
        "can_manage": bool(request.has_permission(R.MANAGE_CONSENT, warehouse)),
        "is_owner": is_owner, "at_desk": not is_owner and bool(user and set(R.RECEPTION) & user.roles),
        "notice_text": NOTICE_TEXT, "notice_version": NOTICE_VERSION, "consequences": CONSEQUENCES,
        "purposes": PURPOSES, "history_labels": HISTORY,
        "errors": errors or {}, "form": form or {},
    }


@view_config(context=Folder, warehouse_child="consents", permission=R.VIEW_WAREHOUSE,
             renderer="consents.jinja2", request_method="GET")
def consents_page(context, request):
    record_consents_read(context.__parent__, request.user, list(context.values()))
    return consent_values(request, context.__parent__)


def agreed(request):
    """The officer's tick 'the person agreed in person after hearing the notice'."""
    return True if request.POST.get("agreed") == "yes" else None


@view_config(context=Folder, warehouse_child="consents", name="grant", permission=R.MANAGE_CONSENT,
             renderer="consents.jinja2", request_method="POST")
def grant(context, request):
    warehouse = context.__parent__
    target = request.POST.get("target", "")
    scope, _sep, target_id = target.partition(":")
    recipients = [line.strip() for line in request.POST.get("recipients", "").splitlines() if line.strip()]
    raw = {"scope": scope, "target": target_id, "purposes": request.POST.getall("purposes"),
           "recipients": recipients, "notice_version": request.POST.get("notice_version", ""),
           "agreed": agreed(request)}
    try:
        consent = grant_consent(request.kho_root, warehouse, request.user, raw, request.registry.settings)
    except ValidationError as exc:
        request.tm.doom()
        request.response.status = 400
        errors = errors_for(request, exc.errors)
        if "scope" in errors:
            errors.setdefault("target", errors.pop("scope"))
        return consent_values(request, warehouse, errors, {
            "target": target, "purposes": raw["purposes"], "recipients": request.POST.get("recipients", ""),
            "notice_version": raw["notice_version"], "agreed": raw["agreed"]})
    request.session.flash(translate(request, _("Consent recorded: ${scope}. Its signed receipt is below.",
                                               mapping={"scope": scope_text(request, consent)})))
    return HTTPFound(consents_url(request, warehouse) + f"#consent-{consent.id}")


def changed(request, consent, action, change):
    """Narrow or withdraw; a refusal is shown on the consent's card."""
    warehouse = consent.__parent__.__parent__
    try:
        change()
    except (ValidationError, Conflict) as exc:
        request.tm.doom()
        if isinstance(exc, Conflict):
            request.session.flash(domain_message(str(exc), request.locale_name), "error")
            return HTTPFound(consents_url(request, warehouse))
        request.response.status = 400
        errors = {f"{consent.id}.{action}.{k}": v for k, v in errors_for(request, exc.errors).items()}
        return consent_values(request, warehouse, errors)
    return None


@view_config(context=Consent, name="narrow", permission=R.MANAGE_CONSENT, renderer="consents.jinja2",
             request_method="POST")
def narrow(context, request):
    """Keep only the purposes still ticked (none ticked: a withdrawal)."""
    purposes = request.POST.getall("purposes")
    refusal = changed(request, context, "narrow", lambda: narrow_consent(
        request.kho_root, context, request.user, purposes, request.registry.settings, agreed=agreed(request)))
    if refusal is not None:
        return refusal
    if context.withdrawn:
        request.session.flash(translate(request, _("Consent withdrawn.")) + " " + request.localizer.translate(
            _(CONSEQUENCES)))
    else:
        request.session.flash(translate(request, _("Consent narrowed. A new signed receipt is below.")))
    return HTTPFound(consents_url(request, context.__parent__.__parent__) + f"#consent-{context.id}")


@view_config(context=Consent, name="withdraw", permission=R.MANAGE_CONSENT, renderer="consents.jinja2",
             request_method="POST")
def withdraw(context, request):
    refusal = changed(request, context, "withdraw", lambda: withdraw_consent(
        request.kho_root, context, request.user, request.registry.settings, agreed=agreed(request)))
    if refusal is not None:
        return refusal
    request.session.flash(translate(request, _("Consent withdrawn.")) + " " + request.localizer.translate(
        _(CONSEQUENCES)))
    return HTTPFound(consents_url(request, context.__parent__.__parent__) + f"#consent-{context.id}")


@view_config(context=Consent, name="receipt", permission=R.VIEW_WAREHOUSE, request_method="GET")
def receipt(context, request):
    """A signed receipt of the consent (grant, narrow-N, withdrawal) as a PDF."""
    name = request.subpath[0] if len(request.subpath) == 1 else ""
    blob = context.receipts.get(name)
    if blob is None:
        raise HTTPNotFound()
    record_consents_read(context.__parent__.__parent__, request.user, [context])
    with blob.open("r") as f:
        data = f.read()
    response = Response(body=data, content_type="application/pdf")
    response.content_disposition = f'attachment; filename="dong-y-{context.id}-{name}.pdf"'
    response.cache_control = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
