"""The person's preview of the papers a desk offers to reuse (DESIGN flow 1,
step 3), on the confirmation page that faces them: no account session, the
request's secret link says who they are. Looking at a paper's page there is a
read of its content, audited under the owner with the dossier as purpose."""
from . import audit
from .reception import PENDING, PersonAtDesk, request_for_token


class PreviewUnavailable(LookupError):
    """No preview for this link: unknown (404), or no longer pending (410)."""

    def __init__(self, status, message):
        self.status = status
        super().__init__(message)


def open_request(root, token):
    """(dossier, request) behind a confirmation link, or PreviewUnavailable."""
    dossier, request = request_for_token(root, token)
    if request is None:
        raise PreviewUnavailable(404, "Không có yêu cầu xác nhận này / no such confirmation request")
    return dossier, request


def preview_document(root, token, doc_id, page):
    """The paper doc_id of a pending request, for the person to look at; the
    look is audited (read_content, purpose 'reuse_preview:<dossier code>')."""
    dossier, request = open_request(root, token)
    if request.effective_state() != PENDING:
        raise PreviewUnavailable(410, "Yêu cầu này không còn chờ xác nhận / no longer pending")
    if doc_id not in {d for _, d in request.items}:
        raise PreviewUnavailable(404, "Giấy tờ không thuộc yêu cầu này / not in this request")
    warehouse = root.subjects.get(request.owner_id)
    document = warehouse.documents.get(doc_id) if warehouse is not None else None
    if document is None or document.deleted:
        raise PreviewUnavailable(404, "Giấy tờ không còn trong kho / no longer in the warehouse")
    audit.record(document, PersonAtDesk(request.owner_id), "read_content", subject=request.owner_id,
                 document=doc_id, purpose=f"reuse_preview:{dossier.code}",
                 detail={"request": request.id, "page": page, "via": "desk"})
    return document
