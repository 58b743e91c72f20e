"""OCR on a document's page: progress, retry, and the officer's review
(page image beside its text, low-confidence words marked), which ends with
the digitizer's signature on the searchable copy.

Reviewing reads the scan, so it needs an opening like any read
(views/pages/document.py): the paper's page offers "Review the text" as a
POST to …/open with the purpose repository.reading.review_purpose finds
(the reviewer's own digitizing, or the owner's dossier their unit handles),
which logs the read and leads here. The review page (GET) then only shows
what that opening allows and writes nothing; confirming (POST) checks again
that the opening's purpose allows reviewing (repository.reading.authorize_review)."""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from repository import roles as R
from repository.calendar import form_dates
from repository.errors import ValidationError
from repository.operations import DATE_FIELDS
from repository.ocr_jobs import FAILED, SEARCHABLE, job_of, job_queue
from repository.reading import authorize_review, review_refusal
from repository.resources import Document
from repository.review import EDITABLE, proposed_metadata
from repository.signatures import SigningFailed, confirm_and_sign_with

from ..messages import _, translate
from ..readings import opened


# What the remote signing service answered (repository.signatures.SigningFailed.code), said
# in the reader's language; the service's own words, if any, are shown apart.
REMOTE_FAILURES = {
    "invalid_pin": _("The remote signing service did not accept the PIN. Enter the PIN of your signing account again."),
    "invalid_otp": _("The one-time code (OTP) is wrong or has expired. Ask the service for a new code and enter it."),
    "authorization_refused": _("The remote signing service refused to authorize this signature."),
    "service_unauthorized": _("The remote signing service did not accept this system's access. Ask the administrator to check the service's access token."),
    "no_credential": _("The remote signing service has no usable signing key for this account. Ask the administrator to check the account's signing settings."),
    "unreachable": _("The remote signing service cannot be reached. Try again in a moment."),
    "timestamp": _("The time-stamping service did not answer, so the paper was not signed. Try again in a moment."),
    "failed": _("The remote signing service could not sign the paper."),
}
SHOW_DETAIL = frozenset({"authorization_refused", "no_credential", "unreachable", "timestamp", "failed"})


def signing_failure(request, exc):
    """(the sentence, the service's own words or None) for a SigningFailed."""
    sentence = translate(request, REMOTE_FAILURES.get(exc.code, REMOTE_FAILURES["failed"]))
    detail = exc.detail if exc.code in SHOW_DETAIL or exc.code not in REMOTE_FAILURES else None
    if detail:
        detail = translate(request, _("Details from the service: ${detail}",
                                      mapping={"detail": " ".join(str(detail).split())[:300]}))
    return sentence, detail


def review_values(request, document, values=None, errors=None, signing_detail=None, texts=None):
    """The review page's values; after a refusal, the officer's own texts and
    values (texts) stay on the page."""
    threshold = float(request.registry.settings.get("kho.ocr.review_threshold") or 70)
    catalogues = request.kho_root.catalogues
    return {"document": document, "warehouse": document.__parent__.__parent__,
            "pages": document.ocr.pages, "threshold": threshold,
            "values": values or proposed_metadata(document), "errors": errors or {},
            "suggestions": document.ocr.suggestions,
            "variant": SEARCHABLE if SEARCHABLE in document.derivatives else "original",
            "doctypes": list(catalogues.doctypes.values()),
            "signing": desk_signing(request, document), "signing_detail": signing_detail,
            "texts": texts or [p["text"] for p in document.ocr.pages]}


@view_config(context=Document, name="review", permission=R.ADD_DOCUMENT, renderer="review.jinja2",
             request_method="GET")
def review_get(context, request):
    if context.ocr is None:
        request.session.flash("Giấy tờ chưa nhận dạng xong / OCR has not finished", "error")
        return HTTPFound(request.resource_url(context))
    refusal = review_refusal(context, request.user, opened(request, context))
    if refusal is not None:
        request.session.flash("Hãy mở nội dung giấy tờ để soát xét (nút «Soát xét văn bản») / "
                              "open the paper for review first", "error")
        return HTTPFound(request.resource_url(context))
    return review_values(request, context)


@view_config(context=Document, name="review", permission=R.ADD_DOCUMENT, renderer="review.jinja2",
             request_method="POST")
def review_post(context, request):
    if context.ocr is None:
        raise ValidationError({"review": "Giấy tờ chưa nhận dạng xong / OCR has not finished"})
    authorize_review(context, request.user, opened(request, context))
    texts = [request.POST.get(f"page_text_{i}", "") for i in range(len(context.ocr.pages))]
    values = {k: request.POST.get(k, "") for k in EDITABLE}
    dated, bad_dates = form_dates(values, DATE_FIELDS)        # dd/mm/yyyy as typed, or YYYY-MM-DD
    try:
        unsigned = confirm_and_sign_with(request.kho_root, context, request.user, texts, dated,
                                         request.registry.settings, request.POST)
    except SigningFailed as exc:
        request.tm.doom()                  # nothing confirmed, nothing signed
        request.response.status = 400
        sentence, detail = signing_failure(request, exc)
        return review_values(request, context, values, dict(exc.errors, signing=sentence), detail, texts)
    except ValidationError as exc:
        request.tm.doom()
        request.response.status = 400
        return review_values(request, context, values, {**exc.errors, **bad_dates}, texts=texts)
    message = "Đã xác nhận kết quả số hoá. / The digitized result is confirmed."
    if unsigned:
        request.session.flash(unsigned, "error")
    elif context.signed_by == request.user.username:
        message = ("Đã xác nhận kết quả số hoá. Bản số hoá đã được ký số. / "
                   "The digitized result is confirmed and the digitized copy is signed.")
    request.session.flash(message)
    return HTTPFound(request.resource_url(context))


@view_config(context=Document, name="retry-ocr", permission=R.ADD_DOCUMENT, request_method="POST")
def retry_ocr(context, request):
    job = job_of(request.kho_root, context)
    if job is not None and job.state == FAILED:
        job_queue(request.kho_root).retry(job, request.user)
        request.session.flash("Đã xếp hàng nhận dạng lại. / OCR is queued again.")
    return HTTPFound(request.resource_url(context))


def desk_signing(request, document):
    """What the review page's "Confirm and sign" needs (views/templates/
    sign_agent.jinja2, static/sign-agent.js): how this account signs, the
    agent's address, this paper's signing-session address; and the page may
    then call the agent (connect-src of its Content-Security-Policy)."""
    from urllib.parse import urlsplit

    from repository.signatures import signing_options

    from ..headers import CSP
    from ..addresses import api_url
    options = signing_options(request.registry.settings, request.kho_root, request.user)
    agent = urlsplit(options["agent_url"])
    if agent.scheme in ("http", "https") and agent.hostname in ("127.0.0.1", "localhost", "::1"):
        origin = f"{agent.scheme}://{agent.netloc}"
        request.response.headers["Content-Security-Policy"] = f"{CSP}; connect-src 'self' {origin}"
    else:
        options["agent_url"] = ""          # the agent only ever listens on the loopback interface
    options["session_url"] = api_url(request, document, "signing-session")
    options["finish_url"] = api_url(request, document, "desk-signature")
    options["origin"] = request.application_url
    return options
