"""Signing at the desk with the officer's own token, through the agent
(`kho sign-agent`) on the desk's computer; and the registered signing
certificate of each account.

    POST …/documents/<id>/signing-session  {"certificate": base64 DER, "chain": [...],
                                            "review": {"page_text_0": …, "type_code": …, …}}
        the token's certificate must be the account's registered one (else
        403 certificate_refused, before anything else); the review form's
        fields (needed while the review is not confirmed) are checked (400
        with the fields' errors) and the copy prepared for the token carries
        the reviewed text and title; 201 {"id", "to_be_signed", "digest",
        "paper", "owner", "certificate", "expires"}: hand to the agent.
    POST …/documents/<id>/desk-signature  {"id", "signature": base64}
        the agent's signature value, embedded (with the TSA's timestamp);
        the review and the signed copy are kept together when the review
        form is sent with signed_at_desk = the session's id.
    GET|POST|DELETE /api/v1/signing-certificates  (administrators)
        ?user=NAME lists; {"username", "certificate": PEM or base64 DER}
        registers; ?user=NAME&fingerprint=HEX removes.

Reviewing reads the scan, so preparing needs the opening of its content
(the review page's), or `?purpose=` with a bearer token, as a review does.
"""
import base64
import binascii

from pyramid.view import view_config

from repository import roles as R
from repository.calendar import form_dates
from repository.errors import ValidationError
from repository.operations import DATE_FIELDS
from repository.reading import authorize_review
from repository.resources import Document, Root
from repository.review import EDITABLE
from repository.signatures import (CertificateRefused, certificates_of, finish_desk_signature,
                                   prepare_desk_signature, register_certificate, remove_certificate)

from ..messages import domain_message
from .helpers import csrf_unless_token, json_body
from .subjects import content_purpose


def _b64(value, field):
    try:
        return base64.b64decode(str(value or ""), validate=True) or _missing(field)
    except (binascii.Error, ValueError):
        raise ValidationError({field: "Cần base64 / base64 expected"}) from None


def _missing(field):
    raise ValidationError({field: "Thiếu / missing"})


def _review(document, fields):
    """(page texts, metadata) from the review form's fields, or None."""
    if fields is None:
        return None
    if not isinstance(fields, dict):
        raise ValidationError({"review": "Cần các trường của biểu mẫu soát xét / the review form's fields"})
    pages = len(document.ocr.pages) if document.ocr is not None else 0
    texts = [str(fields.get(f"page_text_{i}") or "") for i in range(pages)]
    values, bad_dates = form_dates({k: str(fields.get(k) or "") for k in EDITABLE}, DATE_FIELDS)
    if bad_dates:                       # the form's dates are dd/mm/yyyy (or YYYY-MM-DD): nothing prepared
        raise ValidationError(bad_dates)
    return texts, values


def _refused(request, exc):
    request.response.status = 403
    return {"error": "certificate_refused", "message": domain_message(exc, request.locale_name)}


@view_config(route_name="api", context=Document, name="signing-session", request_method="POST",
             permission=R.ADD_DOCUMENT, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def prepare(context, request):
    body = json_body(request)
    certificate = _b64(body.get("certificate"), "certificate")
    chain = [_b64(c, "chain") for c in (body.get("chain") or [])[:5]]
    authorize_review(context, request.user, content_purpose(request, context))
    review = _review(context, body.get("review"))
    try:
        result = prepare_desk_signature(request.kho_root, context, request.user, certificate,
                                        request.registry.settings, chain, review)
    except CertificateRefused as exc:
        return _refused(request, exc)
    request.response.status = 201
    return result


@view_config(route_name="api", context=Document, name="desk-signature", request_method="POST",
             permission=R.ADD_DOCUMENT, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def finish(context, request):
    body = json_body(request)
    signature = _b64(body.get("signature"), "signature")
    try:
        return finish_desk_signature(request.kho_root, context, request.user, str(body.get("id", "")),
                                     signature, request.registry.settings)
    except CertificateRefused as exc:
        return _refused(request, exc)


@view_config(route_name="api", context=Root, name="signing-certificates", request_method="GET",
             permission=R.MANAGE_ACCOUNTS, renderer="json")
def list_certificates(request):
    username = request.params.get("user", "")
    if username not in request.kho_root.accounts.users:
        raise ValidationError({"user": "Không có tài khoản này / no such account"})
    return {"username": username, "certificates": certificates_of(request.kho_root, username)}


@view_config(route_name="api", context=Root, name="signing-certificates", request_method="POST",
             permission=R.MANAGE_ACCOUNTS, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def add_certificate(request):
    body = json_body(request)
    text = str(body.get("certificate") or "")
    data = text.encode("ascii", "replace") if "-----BEGIN" in text else _b64(text, "certificate")
    request.response.status = 201
    return register_certificate(request.kho_root, str(body.get("username", "")), data, request.user)


@view_config(route_name="api", context=Root, name="signing-certificates", request_method="DELETE",
             permission=R.MANAGE_ACCOUNTS, renderer="json", require_csrf=False, decorator=csrf_unless_token)
def delete_certificate(request):
    remove_certificate(request.kho_root, request.params.get("user", ""),
                       request.params.get("fingerprint", ""), request.user)
    return {"removed": True}


def _describe():
    """These routes in /api/v1/openapi.json (added to the document views/api/openapi.py serves)."""
    from .openapi import (DATETIME, DOCUMENT_ID, SPEC, STR, SUBJECT_ID, _body, _errors, _json, _obj,
                          _purpose)
    b64 = {"type": "string", "contentEncoding": "base64"}
    cert = _obj(["subject", "issuer", "serial", "not_before", "not_after", "fingerprint"], {
        "subject": STR, "organisation": {"type": ["string", "null"]}, "issuer": STR, "serial": STR,
        "not_before": DATETIME, "not_after": DATETIME, "fingerprint": STR,
        "added": STR, "added_by": STR})
    SPEC["paths"].update({
        "/subjects/{subject_id}/documents/{document_id}/signing-session": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "post": {"summary": "Prepare the digitized copy for the officer's token at the desk: the "
                                "certificate must be the account's registered one",
                     "parameters": [_purpose("with a bearer token: the purpose the review serves")],
                     "requestBody": _body(_obj(["certificate"], {
                         "certificate": {**b64, "description": "DER of the token's certificate"},
                         "chain": {"type": "array", "items": b64},
                         "review": {"type": "object", "additionalProperties": {"type": "string"},
                                    "description": "the review form's fields (page_text_0…, type_code, "
                                                   "number, …): needed while the review is not confirmed; "
                                                   "the prepared copy carries them"}})),
                     "responses": {"201": _json(_obj(
                         ["id", "to_be_signed", "digest", "paper", "owner", "certificate", "expires"], {
                             "id": STR, "to_be_signed": {**b64, "description": "for the agent's /v1/sign"},
                             "digest": {"type": "string", "description": "the document digest (hex)"},
                             "paper": STR, "owner": STR, "certificate": cert, "expires": DATETIME})),
                         **_errors("400", "401", "403", "404", "409")}}},
        "/subjects/{subject_id}/documents/{document_id}/desk-signature": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "post": {"summary": "The token's signature value for a signing session: embedded, kept "
                                "until the review is confirmed",
                     "requestBody": _body(_obj(["id", "signature"], {"id": STR, "signature": b64})),
                     "responses": {"200": _json(_obj(["id", "signed"], {"id": STR, "signed": {"type": "boolean"}})),
                                   **_errors("400", "401", "403", "404", "409")}}},
        "/signing-certificates": {
            "get": {"summary": "The signing certificates registered for an account (administrators)",
                    "parameters": [{"name": "user", "in": "query", "required": True, "schema": STR}],
                    "responses": {"200": _json(_obj(["username", "certificates"], {
                        "username": STR, "certificates": {"type": "array", "items": cert}})),
                        **_errors("400", "401", "403")}},
            "post": {"summary": "Register a signing certificate for an account (administrators)",
                     "requestBody": _body(_obj(["username", "certificate"], {
                         "username": STR,
                         "certificate": {"type": "string", "description": "PEM, or base64 of the DER"}})),
                     "responses": {"201": _json(cert), **_errors("400", "401", "403", "409")}},
            "delete": {"summary": "Remove a registered signing certificate (administrators)",
                       "parameters": [{"name": "user", "in": "query", "required": True, "schema": STR},
                                      {"name": "fingerprint", "in": "query", "required": True, "schema": STR}],
                       "responses": {"200": _json(_obj(["removed"], {"removed": {"type": "boolean"}})),
                                     **_errors("400", "401", "403")}}},
    })


_describe()
