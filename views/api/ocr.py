"""OCR over JSON: a document's job status (for the progress bar), retrying a
failed job, and the recognised text (content: read with a purpose, logged)."""
from pyramid.httpexceptions import HTTPConflict
from pyramid.view import view_config

from repository import roles as R
from repository.errors import ValidationError
from repository.ocr_jobs import FAILED, job_of, job_queue
from repository.reading import authorize_read, purpose_refusal
from repository.resources import Document

from .helpers import csrf_unless_token
from .subjects import content_purpose


def ocr_status(request, document):
    job = job_of(request.kho_root, document)
    status = job.as_dict() if job is not None else {"state": None}
    status["review_state"] = document.review_state
    if document.ocr is not None:
        status["mean_confidence"] = round(document.ocr.mean_confidence, 1)
        status["needs_review"] = document.ocr.needs_review
        status["pages_needing_review"] = [p["index"] + 1 for p in document.ocr.pages if p["needs_review"]]
    return status


@view_config(route_name="api", context=Document, name="ocr", request_method="GET",
             permission=R.VIEW_WAREHOUSE, renderer="json")
def get_ocr(context, request):
    return ocr_status(request, context)


@view_config(route_name="api", context=Document, name="ocr", request_method="POST",
             permission=R.ADD_DOCUMENT, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def retry_ocr(context, request):
    job = job_of(request.kho_root, context)
    if job is None or job.state != FAILED:
        raise HTTPConflict("Chỉ nhận dạng lại được việc đã thất bại / only a failed job can be retried")
    job_queue(request.kho_root).retry(job, request.user)
    request.response.status = 202
    return ocr_status(request, context)


@view_config(route_name="api", context=Document, name="text", request_method="GET",
             permission=R.READ_CONTENT, renderer="json")
def get_text(context, request):
    """The recognised text: content, read with a purpose as GET …/content is
    (views/api/subjects.py: ?purpose= with a bearer token, the page's opening
    for a browser session), one audit entry each."""
    purpose = content_purpose(request, context)
    if context.ocr is None and purpose_refusal(context, request.user, purpose) is None:
        raise ValidationError({"text": "Chưa có kết quả nhận dạng / no OCR result yet"})
    authorize_read(context, request.user, purpose, via="text")
    return {"text": context.ocr.text, "extraction": context.extraction,
            "pages": [{"page": p["index"] + 1, "text": p["text"], "mean_confidence": p["mean_confidence"],
                       "needs_review": p["needs_review"]} for p in context.ocr.pages]}
