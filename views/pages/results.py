"""Results and copies on pages: the processor's "Issue the result" on the
dossier's page (after approval: made from the template, or a PDF uploaded),
a citizen's "Get an electronic copy (sao y)" on My papers, and the copy's
download (the owner only)."""
from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.view import view_config

from repository import roles as R
from repository.dossiers import Dossier
from repository.errors import Conflict, ValidationError
from repository.resources import Document
from repository.results import issue_copy, issue_result, revoke_copy
from repository.verification import copies_of

from ..owners import copy_response
from ..uploads import read_upload
from . import _, domain_message, translate


def _flash_error(request, exc):
    request.tm.doom()
    message = str(exc) if not isinstance(exc, ValidationError) else "; ".join(exc.errors.values())
    request.session.flash(domain_message(message, request.locale_name), "error")


@view_config(context=Dossier, name="result", permission=R.RESOLVE_DOSSIER, request_method="POST")
def issue_result_view(context, request):
    """'Trả kết quả': the result is made (or the uploaded PDF taken), signed, filed."""
    upload = None
    try:
        if getattr(request.POST.get("file"), "file", None) is not None and request.POST["file"].filename:
            upload, _name = read_upload(request)
        document = issue_result(request.kho_root, context, request.user, request.registry.settings,
                                upload=upload, decision_text=request.POST.get("decision", ""))
    except (ValidationError, Conflict) as exc:
        _flash_error(request, exc)
        return HTTPFound(request.resource_url(context, anchor="result"))
    request.session.flash(translate(request, _("The result ${name} is signed and filed in the owner's warehouse.",
                                               mapping={"name": document.name})))
    return HTTPFound(request.resource_url(context, anchor="result"))


def _live(document):
    if document.deleted:
        raise HTTPNotFound()


@view_config(context=Document, name="copy", permission=R.VIEW_WAREHOUSE, request_method="POST")
def copy_view(context, request):
    """An electronic copy (sao y) of the paper, signed by the agency."""
    _live(context)
    owner = context.owner_id
    try:
        issue_copy(request.kho_root, context, request.user, request.registry.settings)
    except Conflict as exc:          # a Refused is a 403 (views.errors), writing nothing
        _flash_error(request, exc)
    else:
        request.session.flash(translate(request, _("The electronic copy is issued and signed.")))
    if request.user.subject_id == owner:
        return HTTPFound(f"/subjects/{owner}/papers#paper-{context.__name__}")
    return HTTPFound(request.resource_url(context))


@view_config(context=Document, name="copies", permission=R.VIEW_WAREHOUSE, request_method="GET")
def copy_download(context, request):
    _live(context)
    if len(request.subpath) != 1:
        raise HTTPNotFound()
    return copy_response(request, context, request.subpath[0])


@view_config(context=Document, name="copies", permission=R.VIEW_WAREHOUSE, request_method="POST")
def revoke_copy_view(context, request):
    """The owner takes one of their copies out of force: its page then says "revoked"."""
    _live(context)
    if request.user is None or request.user.subject_id != context.owner_id:
        raise HTTPForbidden()
    copies = copies_of(request.kho_root, context.owner_id, context.__name__)
    number = request.subpath[0] if len(request.subpath) == 2 and request.subpath[1] == "revoke" else ""
    if not number.isdigit() or not 1 <= int(number) <= len(copies):
        raise HTTPNotFound()
    try:
        revoke_copy(request.kho_root, copies[int(number) - 1], request.user)
    except Conflict as exc:
        _flash_error(request, exc)
    else:
        request.session.flash(translate(request, _("The copy is revoked: its verification page says so.")))
    return HTTPFound(f"/subjects/{context.owner_id}/papers#paper-{context.__name__}")
