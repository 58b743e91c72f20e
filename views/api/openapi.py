"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Tests validate every request and response they make against it, and check
that every API view registered in the app has a path here."""
from pyramid.view import view_config

from repository.resources import Root

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NDATE = {"type": ["string", "null"], "format": "date"}

# the identifiers of RULES-VN (repository/identifiers.py: ASCII digits only) and the app's ids
SUBJECT_PATTERN = r"^(?:[0-9]{12}|[0-9]{10}(?:-?[0-9]{3})?)$"
DOSSIER_PATTERN = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4}$"
UNIT_PATTERN = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$"
SUBJECT = {"type": "string", "pattern": SUBJECT_PATTERN,
           "description": "personal id (12 digits) or enterprise code (10 digits, a branch adds -001…-999)"}
DOSSIER = {"type": "string", "pattern": DOSSIER_PATTERN,
           "description": "a dossier code (Circular 01/2018/TT-VPCP), e.g. 000.16.16.H10-261128-0001"}
DATE = {"type": "string", "format": "date"}
EMPTY = {"maxLength": 0}
ACTIVE_CONTENT = ["JavaScript", "OpenAction", "AdditionalActions", "Launch", "SubmitForm", "ImportData",
                  "RemoteGoTo", "EmbeddedGoTo", "EmbeddedFile", "XFA", "RichMedia"]


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input"),
    "401": _json(_ref("Error"), "Not authenticated"),
    "403": _json(_ref("Error"), "Not allowed"),
    "404": _json(_ref("Error"), "Not found"),
    "409": _json(_ref("Error"), "Not possible in the object's current state"),
    "429": {**_json(_ref("Error"), "Too many failed log-ins: try again after Retry-After seconds"),
            "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
}


def _errors(*codes):
    return {c: ERRORS[c] for c in codes}


SUBJECT_ID = {"name": "subject_id", "in": "path", "required": True, "schema": SUBJECT,
              "description": "personal id (12 digits) or enterprise code"}
DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}


def _purpose(what):
    from repository.reading import RECORDS_PURPOSES
    return {"name": "purpose", "in": "query", "description": what,
            "schema": {"anyOf": [DOSSIER, {"enum": list(RECORDS_PURPOSES)}],
                       "description": "staff: an open dossier of the owner that their unit handles; "
                                      "records managers: a records purpose"}}


# a form field may be sent empty: "no value"
DOCUMENT_FIELDS = {
    "type_code": {"type": "string", "minLength": 1, "description": "a paper type of the catalogue"},
    "name": STR, "number": STR, "issue_date": {"type": "string", "anyOf": [{"format": "date"}, EMPTY]},
    "issuer": STR, "summary": STR, "valid_from": {"type": "string", "anyOf": [{"format": "date"}, EMPTY]},
    "valid_until": {"type": "string", "anyOf": [{"format": "date"}, EMPTY], "description": "not before valid_from"},
    "validity_scope": STR, "state": {"type": "string", "enum": ["in_force", "expired", "revoked"]},
    "provenance": {"type": "string", "enum": ["digitized", "agency_result", "certified_copy", "uploaded"]},
    "dossier_code": {"type": "string", "anyOf": [{"pattern": DOSSIER_PATTERN}, EMPTY],
                     "description": "an open dossier of the owner that the uploader's unit handles"},
    "procedure_code": STR,
    "extraction": {"type": "string", "enum": ["ocr", "manual"]},
}
# PATCH: JSON, null clears a field; only these fields may be sent
PATCH_FIELDS = {k: {"anyOf": [v, {"type": "null"}]} if k != "type_code" else v
                for k, v in DOCUMENT_FIELDS.items() if k not in ("provenance", "extraction")}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Kho API", "version": "1.0.0",
             "description": "The electronic warehouse of papers. Authenticate with "
                            "`Authorization: Bearer <token>` (POST /tokens issues one). "
                            "Staff read content only with a purpose (a dossier code); every read is logged."},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                            "session": {"type": "apiKey", "in": "cookie", "name": "kho_session"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "message"],
                      "properties": {"error": STR, "message": STR,
                                     "errors": {"type": "object", "additionalProperties": STR}}},
            "User": {"type": "object", "required": ["username", "roles"],
                     "properties": {"username": STR, "fullname": STR,
                                    "roles": {"type": "array", "items": STR},
                                    "subject_id": NSTR, "desk": NSTR}},
            "Warehouse": {"type": "object", "required": ["subject_id", "kind", "name", "documents", "links"],
                          "properties": {"subject_id": STR, "kind": {"enum": ["person", "organisation"]},
                                         "name": STR, "birth_date": NDATE, "sex": NSTR,
                                         "documents": {"type": "integer"}, "created": STR,
                                         "links": {"type": "object"}}},
            "Document": {"type": "object",
                         "required": ["id", "owner_id", "type_code", "name", "state", "effective_state",
                                      "provenance", "content_type", "size", "sha256", "pages", "links"],
                         "properties": {
                             "id": STR, "owner_id": STR, "type_code": STR, "name": STR, "number": STR,
                             "issue_date": NDATE, "issuer": STR, "summary": STR, "valid_from": NDATE,
                             "valid_until": NDATE, "validity_scope": STR,
                             "state": {"enum": ["in_force", "expired", "revoked"]},
                             "effective_state": {"enum": ["in_force", "expired", "revoked"]},
                             "provenance": {"enum": ["digitized", "agency_result", "certified_copy", "uploaded"]},
                             "dossier_code": STR, "procedure_code": STR, "extraction": {"enum": ["ocr", "manual"]},
                             "filename": STR, "content_type": {"enum": ["application/pdf", "image/png",
                                                                        "image/jpeg", "image/tiff"]},
                             "size": {"type": "integer"}, "sha256": STR, "pages": {"type": "integer"},
                             "signatures": {"oneOf": [{"type": "null"}, _ref("VerificationReport")]},
                             "deleted": NSTR, "review_state": {"enum": ["pending", "confirmed", None]},
                             "active_content": {"type": "array", "items": {"enum": ACTIVE_CONTENT},
                                                "description": "what a PDF carries that runs or reaches "
                                                               "out; never opened in a browser"},
                             "signed_by": NSTR,
                             "scan_quality": {
                                 "type": ["object", "null"],
                                 "description": "a desk scan's quality (repository.intake): each page's dpi "
                                                "and colour, the warnings accepted, by whom and when",
                                 "properties": {
                                     "pages": {"type": "array", "items": {"type": "object", "properties": {
                                         "page": {"type": "integer"}, "dpi": {"type": ["integer", "null"]},
                                         "colour": {"type": "boolean"}}}},
                                     "warnings": {"type": "array", "items": STR},
                                     "accepted_by": NSTR, "accepted": NSTR}},
                             "retention": {"type": "object", "description": "schedule, status, "
                                           "retained_until, disposition_date, holds (repository.retention)"},
                             "created": STR, "created_by": STR, "links": {"type": "object"}}},
            "VerificationReport": {
                "type": "object", "required": ["ok", "problems", "signatures"],
                "properties": {"ok": {"type": "boolean"}, "filename": STR, "checked": STR,
                               "verdict": {"enum": ["genuine", "changed", "untrusted", "unsigned"]},
                               "problems": {"type": "array", "items": STR},
                               "signatures": {"type": "array", "items": {
                                   "type": "object", "required": ["signer", "intact", "trusted", "ok"],
                                   "properties": {"signer": STR, "signing_time": NSTR, "timestamp_time": NSTR,
                                                  "intact": {"type": "boolean"}, "trusted": {"type": "boolean"},
                                                  "trust_problem": NSTR, "revocation": STR,
                                                  "changes_after": STR, "level": STR,
                                                  "ok": {"type": "boolean"}}}}}},
            "OcrStatus": {
                "type": "object", "required": ["state"],
                "properties": {"state": {"enum": ["queued", "running", "done", "failed", None]},
                               "pages_done": {"type": "integer"}, "pages_total": {"type": "integer"},
                               "error": NSTR, "attempts": {"type": "integer"}, "job_id": STR,
                               "review_state": {"enum": ["pending", "confirmed", None]},
                               "mean_confidence": {"type": "number"}, "needs_review": {"type": "boolean"},
                               "pages_needing_review": {"type": "array", "items": {"type": "integer"}}}},
            "Token": {"type": "object", "required": ["id", "username", "label", "created", "expires", "expired"],
                      "properties": {"id": STR, "username": STR, "label": STR,
                                     "created": {"type": "string", "format": "date-time"},
                                     "expires": {"type": "string", "format": "date-time"},
                                     "expired": {"type": "boolean"}, "revoked": {"type": "boolean"}}},
            "List": {"type": "object", "required": ["items", "total"],
                     "properties": {"items": {"type": "array"}, "total": {"type": "integer"},
                                    "next": NSTR}},
        },
    },
    "security": [{"bearer": []}, {"session": []}],
    "paths": {
        "/openapi.json": {"get": {"summary": "This description", "security": [],
                                  "responses": {"200": _json({"type": "object"})}}},
        "/verify": {"post": {
            "summary": "Check the signatures of a PDF (anyone; nothing is kept)", "security": [],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"contentMediaType": "application/pdf"}}}}}},
            "responses": {"200": _json(_ref("VerificationReport")), **_errors("400")}}},
        "/me": {"get": {"summary": "The account behind the request",
                        "responses": {"200": _json(_ref("User")), **_errors("401")}}},
        "/tokens": {"post": {
            "summary": "Exchange username and password for a bearer token", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string", "minLength": 1},
                               "password": {"type": "string", "minLength": 1},
                               "label": {"type": "string", "maxLength": 80},
                               "days": {"type": "integer", "minimum": 1,
                                        "description": "lifetime in days, at most kho.token.days (30)"}}}}}},
            "responses": {"201": _json({"type": "object", "required": ["token", "username", "id", "expires"],
                                        "properties": {"token": STR, "username": STR, "id": STR,
                                                       "expires": {"type": "string", "format": "date-time"}}}),
                          **_errors("400", "401", "429")}},
            "get": {"summary": "The caller's API tokens, never their secrets (administrators: ?user=NAME)",
                    "parameters": [{"name": "user", "in": "query", "schema": {"type": "string"}}],
                    "responses": {"200": _json({"type": "object", "required": ["items", "total"], "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}},
                        "total": {"type": "integer"}}}), **_errors("401", "403")}}},
        "/tokens/{token_id}": {
            "parameters": [{"name": "token_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "delete": {"summary": "Revoke a token (its owner or an administrator); it stops working at once",
                       "responses": {"200": _json({"$ref": "#/components/schemas/Token"}),
                                     **_errors("400", "401", "404")}}},
        "/password": {"post": {
            "summary": "Change the caller's password; every session of the account ends",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["old_password", "new_password"],
                "properties": {"old_password": {"type": "string"},
                               "new_password": {"type": "string", "minLength": 8}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["username", "sessions_ended"],
                                        "properties": {"username": STR, "sessions_ended": {"type": "integer"}}}),
                          **_errors("400", "401", "429")}}},
        "/users/{username}/logout": {
            "parameters": [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {"summary": "End every session of an account at once (administrators); "
                                "tokens: true revokes its API tokens too",
                     "requestBody": {"required": False, "content": {"application/json": {"schema": {
                         "type": "object", "properties": {"tokens": {"type": "boolean"}}}}}},
                     "responses": {"200": _json({"type": "object",
                                                 "required": ["username", "sessions_ended", "tokens_revoked"],
                                                 "properties": {"username": STR,
                                                                "sessions_ended": {"type": "integer"},
                                                                "tokens_revoked": {"type": "integer"}}}),
                                   **_errors("400", "401", "403", "404")}}},
        "/subjects": {
            "get": {"summary": "All warehouses (records managers)",
                    "parameters": [{"name": "limit", "in": "query",
                                    "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
                                   {"name": "after", "in": "query", "schema": STR,
                                    "description": "the last key of the previous page (its `next`)"}],
                    "responses": {"200": _json(_ref("List")), **_errors("400", "401", "403")}},
            "post": {"summary": "Open a warehouse for a person or organisation (desk)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["subject_id", "name"],
                         "properties": {"subject_id": SUBJECT, "name": {"type": "string", "minLength": 1},
                                        "birth_date": NDATE, "sex": {"enum": ["male", "female", None]}}}}}},
                     "responses": {"201": _json(_ref("Warehouse")), **_errors("400", "401", "403")}}},
        "/subjects/{subject_id}": {
            "parameters": [SUBJECT_ID],
            "get": {"summary": "A warehouse", "responses": {"200": _json(_ref("Warehouse")),
                                                            **_errors("401", "403", "404")}}},
        "/subjects/{subject_id}/documents": {
            "parameters": [SUBJECT_ID],
            "get": {"summary": "The papers in a warehouse",
                    "responses": {"200": _json(_ref("List")), **_errors("401", "403", "404")}},
            "post": {"summary": "Upload a paper with its metadata",
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["file", "type_code"],
                         "properties": {"file": {"description": "the file (PDF, PNG, JPEG or TIFF)",
                                                 "contentMediaType": "application/octet-stream"},
                                        **DOCUMENT_FIELDS}}}}},
                     "responses": {"201": _json(_ref("Document")), **_errors("400", "401", "403", "404")}}},
        "/subjects/{subject_id}/documents/{document_id}": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "A paper's metadata",
                    "responses": {"200": _json(_ref("Document")), **_errors("401", "403", "404")}},
            "patch": {"summary": "Correct some metadata fields (desk staff)",
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "properties": PATCH_FIELDS, "additionalProperties": False}}}},
                      "responses": {"200": _json(_ref("Document")), **_errors("400", "401", "403", "404", "409")}},
            "delete": {"summary": "Take a paper out of use (records managers); it can be restored",
                       "parameters": [{"name": "reason", "in": "query", "schema": STR}],
                       "responses": {"200": _json(_ref("Document")), **_errors("400", "401", "403", "404", "409")}}},
        "/subjects/{subject_id}/documents/{document_id}/restore": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "post": {"summary": "Bring a deleted paper back (records managers)",
                     "responses": {"200": _json(_ref("Document")), **_errors("400", "401", "403", "404", "409")}}},
        "/search": {"get": {
            "summary": "Full-text search over the papers the account may see",
            "parameters": [{"name": "q", "in": "query", "required": True,
                            "schema": {"type": "string", "minLength": 1, "pattern": "\\S"}},
                           {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                           _purpose("staff: the purpose of the search (required; logged)"),
                           {"name": "type_code", "in": "query", "schema": STR},
                           {"name": "year", "in": "query",
                            "schema": {"type": "string", "pattern": "^[0-9]{4}$"}},
                           {"name": "state", "in": "query",
                            "schema": {"enum": ["in_force", "expired", "revoked"]}},
                           {"name": "desk", "in": "query",
                            "schema": {"type": "string", "pattern": UNIT_PATTERN}}],
            "responses": {"200": _json({"type": "object", "required": ["total", "hits", "facets"],
                                        "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                                                       "pagecount": {"type": "integer"},
                                                       "facets": {"type": "object"},
                                                       "hits": {"type": "array"}}}),
                          **_errors("400", "401", "403")}}},
        "/subjects/{subject_id}/documents/{document_id}/content": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "The original file; staff must state a purpose (logged)",
                    "parameters": [_purpose("the dossier (or records purpose) this reading serves"),
                                   {"name": "v", "in": "query", "schema": {"enum": ["original", "signed", "searchable"]},
                                    "description": "the original (default), the desk-signed copy, or the searchable PDF"}],
                    "responses": {"200": {"description": "the file", "content": {
                        "application/pdf": {}, "image/png": {}, "image/jpeg": {}, "image/tiff": {}}},
                        **_errors("400", "401", "403", "404")}}},
        "/subjects/{subject_id}/documents/{document_id}/ocr": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "The paper's OCR job: state and page progress",
                    "responses": {"200": _json(_ref("OcrStatus")), **_errors("401", "403", "404")}},
            "post": {"summary": "Queue a failed OCR job again",
                     "responses": {"202": _json(_ref("OcrStatus")),
                                   "409": _json(_ref("Error"), "The job has not failed"),
                                   **_errors("401", "403", "404")}}},
        "/subjects/{subject_id}/documents/{document_id}/text": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "The recognised text; staff must state a purpose (logged)",
                    "parameters": [_purpose("the dossier (or records purpose) this reading serves")],
                    "responses": {"200": _json({"type": "object", "required": ["text", "pages"],
                                                "properties": {"text": STR, "extraction": STR,
                                                               "pages": {"type": "array"}}}),
                                  **_errors("400", "401", "403", "404")}}},
    },
}


# --- the reuse cycle: catalogues, dossiers, reception, consents -------------------

from repository.catalogue_file import MAXIMA  # noqa: E402
from repository.catalogues import LEVELS, PARTIES  # noqa: E402
from repository.consents import CHANNELS, NOTICE_VERSION, PURPOSES, SCOPES  # noqa: E402
from repository.dossiers import ACTIONS, OUTCOMES, STATUSES, TRANSITIONS  # noqa: E402
from repository.reception import REQUEST_STATES  # noqa: E402

NONEMPTY = {"type": "string", "minLength": 1}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
STRS = {"type": "array", "items": STR}
NDATETIME = {"type": ["string", "null"], "format": "date-time"}
DATETIME = {"type": "string", "format": "date-time"}
CATALOGUES = ["doctypes", "procedures", "desks", "retention", "holidays"]


def _obj(required, properties, **extra):
    return {"type": "object", "required": list(required), "properties": properties, **extra}


def _body(schema, required=True):
    return {"required": required, "content": {"application/json": {"schema": schema}}}


PDF = {"description": "a PDF signed with the agency key (`copy` profile)",
       "headers": {"Cache-Control": {"schema": STR}}, "content": {"application/pdf": {}}}
CATALOGUE = {"name": "catalogue", "in": "path", "required": True, "schema": {"enum": CATALOGUES}}
DOSSIER_CODE = {"name": "code", "in": "path", "required": True, "schema": DOSSIER,
                "description": "the dossier code, e.g. 000.16.16.H10-261128-0001"}
REQUEST_ID = {"name": "request_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^[0-9a-f]{12}$"}}
CONSENT_ID = {"name": "consent_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^[0-9a-f]{12}$"}}
TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
         "description": "the secret of the confirmation link (shown once, expires)"}

# catalogue entries as the catalogue file writes them (repository/data/demo-catalogue.yaml)
COMPONENT_ENTRY = _obj(["key", "name", "doctypes"], {
    "key": NONEMPTY, "name": NONEMPTY,
    "doctypes": {"type": "array", "minItems": 1, "items": NONEMPTY},
    "required": BOOL, "count": {"type": "integer", "minimum": 1, "maximum": MAXIMA["count"]},
    "party": {"enum": list(PARTIES)}})
ENTRY_FILE_SCHEMAS = {
    "RetentionEntry": _obj(["code", "name"], {"code": NONEMPTY, "name": NONEMPTY,
                                              "years": {"type": ["integer", "null"], "minimum": 1,
                                                        "maximum": MAXIMA["years"]}},
                           description="retention: permanent (years null) or N years"),
    "UnitEntry": _obj(["code", "level", "name"], {"code": NONEMPTY, "level": {"enum": list(LEVELS)},
                                                  "name": NONEMPTY, "parent": NSTR},
                      description="desks: a unit (QCVN 102:2016 code)"),
    "DoctypeEntry": _obj(["code", "name", "retention"], {
        "code": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9_]+$"}, "name": NONEMPTY,
        "retention": NONEMPTY, "validity_months": {"type": ["integer", "null"], "minimum": 1,
                                                   "maximum": MAXIMA["validity_months"]}},
        description="doctypes: a kind of paper"),
    "ProcedureEntry": _obj(["code", "name", "level", "agency", "time_limit_days", "components"], {
        "code": NONEMPTY, "name": NONEMPTY, "level": {"enum": list(LEVELS)}, "agency": NONEMPTY,
        "time_limit_days": {"type": "integer", "minimum": 1, "maximum": MAXIMA["time_limit_days"]},
        "result_type": NSTR, "retention": NSTR,
        "components": {"type": "array", "minItems": 1, "items": COMPONENT_ENTRY}},
        description="procedures: time limit in working days, components"),
    "HolidayEntry": _obj(["date", "name"], {"date": {"type": "string", "format": "date"}, "name": NONEMPTY},
                         description="holidays: one day off"),
}
ENTRY_SCHEMAS = {
    "DoctypeItem": _obj(["code", "name", "retention"], {
        "code": STR, "name": STR, "retention": STR, "validity_months": {"type": ["integer", "null"]}}),
    "ProcedureItem": _obj(["code", "name", "level", "time_limit_days", "components"], {
        "code": STR, "name": STR, "level": {"enum": list(LEVELS)}, "agency": NSTR,
        "time_limit_days": INT, "result_type": NSTR, "retention": NSTR,
        "components": {"type": "array", "items": _obj(
            ["key", "name", "doctypes", "required", "count", "party"],
            {"key": STR, "name": STR, "doctypes": STRS, "required": BOOL, "count": INT,
             "party": {"enum": list(PARTIES)}})}}),
    "DeskItem": _obj(["code", "level", "name"], {"code": STR, "level": {"enum": list(LEVELS)},
                                                 "name": STR, "parent": NSTR}),
    "RetentionItem": _obj(["code", "name", "years", "permanent"], {
        "code": STR, "name": STR, "years": {"type": ["integer", "null"]}, "permanent": BOOL}),
    "HolidayItem": _obj(["date", "name"], {"date": {"type": "string", "format": "date"}, "name": STR}),
}
CATALOGUE_ITEM = {"anyOf": [_ref(n) for n in ENTRY_SCHEMAS]}

UNIT = _obj(["code", "name"], {"code": STR, "name": NSTR})
DOSSIER_SUMMARY = {
    "code": STR,
    "procedure": _obj(["code", "name"], {"code": STR, "name": NSTR}),
    "status": {"enum": list(STATUSES)}, "status_label": {"enum": list(STATUSES.values())},
    "outcome": {"enum": [*OUTCOMES, None]}, "outcome_label": {"enum": [*OUTCOMES.values(), None]},
    "applicant_id": STR, "received": DATETIME, "due": {"type": "string", "format": "date"},
    "desk": UNIT, "agency": UNIT, "links": {"type": "object"},
}
PAPER = _obj(["id", "owner_id", "type_code", "name", "effective_state", "provenance", "signed"], {
    "id": STR, "owner_id": STR, "type_code": STR, "name": STR, "number": STR, "issue_date": NDATE,
    "issuer": STR, "valid_until": NDATE, "effective_state": {"enum": ["in_force", "expired", "revoked"]},
    "provenance": {"enum": ["digitized", "agency_result", "certified_copy", "uploaded"]},
    "dossier_code": STR, "signed": BOOL, "approved_in": STRS, "created": STR,
    "links": {"type": "object"}}, description="a paper's metadata; never its content")
REUSE_REQUEST = {
    "id": STR, "dossier": STR, "owner_id": STR,
    "items": {"type": "array", "items": _obj(["component", "document"], {"component": STR, "document": STR})},
    "state": {"enum": list(REQUEST_STATES)}, "state_label": {"enum": list(REQUEST_STATES.values())},
    "created": DATETIME, "expires": DATETIME, "decided": NDATETIME,
    "decided_via": {"enum": ["desk", "online", None]}, "links": {"type": "object"},
}
REUSE_REQUIRED = ["id", "dossier", "owner_id", "items", "state", "expires"]
CONSENT = {
    "id": STR, "owner_id": STR, "scope": {"enum": list(SCOPES)}, "target": STR,
    "purposes": {"type": "array", "items": {"enum": list(PURPOSES)}},
    "purpose_labels": STRS, "recipients": STRS, "channel": {"enum": list(CHANNELS)},
    "channel_label": STR, "witness": NSTR, "notice_version": STR, "granted": DATETIME,
    "granted_by": STR, "active": BOOL, "withdrawn": NDATETIME, "scope_label": STR,
    "history": {"type": "array", "items": _obj(["time", "action", "actor", "channel", "purposes"], {
        "time": DATETIME, "action": {"enum": ["grant", "narrow", "withdraw"]}, "actor": STR,
        "channel": {"enum": list(CHANNELS)}, "purposes": STRS})},
    "receipts": STRS, "links": {"type": "object"},
    "consequences": {"type": ["string", "null"], "description": "what follows a withdrawal"},
}
CONSENT_REQUIRED = ["id", "owner_id", "scope", "target", "purposes", "channel", "notice_version",
                    "granted", "active", "receipts"]

SPEC["components"]["schemas"].update({
    **ENTRY_FILE_SCHEMAS, **ENTRY_SCHEMAS,
    "Paper": PAPER,
    "DossierSummary": _obj(["code", "procedure", "status", "status_label", "applicant_id", "received",
                            "due", "desk", "agency", "links"], DOSSIER_SUMMARY),
    "Dossier": _obj(
        ["code", "procedure", "status", "status_label", "outcome", "applicant_id", "received", "due",
         "desk", "agency", "persons", "timeline", "components", "links"],
        {**DOSSIER_SUMMARY, "reason": STR, "resolved": NDATETIME, "received_by": STR,
         "channel": {"enum": ["desk", "online"]}, "others": STRS,
         "persons": {"type": "array", "items": _obj(["subject_id", "name", "applicant"], {
             "subject_id": STR, "name": NSTR, "applicant": BOOL})},
         "timeline": {"type": "array", "items": _obj(["time", "actor", "action", "action_label", "detail"], {
             "time": DATETIME, "actor": STR, "action": {"enum": list(ACTIONS)}, "action_label": STR,
             "detail": {"type": "object"}})},
         "components": {"type": "array", "items": _obj(
             ["key", "name", "doctypes", "required", "count", "party", "owner_id", "attachments"], {
                 "key": STR, "name": STR, "doctypes": STRS, "required": BOOL, "count": INT,
                 "party": {"enum": list(PARTIES)}, "owner_id": NSTR,
                 "attachments": {"type": "array", "items": _obj(
                     ["owner_id", "document", "reused", "by", "at"], {
                         "owner_id": STR, "document": STR, "reused": BOOL, "by": STR, "at": DATETIME,
                         "name": NSTR, "type_code": NSTR})},
                 "candidates": {"description": "the receiving desk only: the person's papers of a "
                                               "matching type, best first; reasons empty = reusable",
                                "type": "array", "items": _obj(["document", "reusable", "reasons"], {
                                    "document": _ref("Paper"), "reusable": BOOL, "reasons": STRS})}})}}),
    "ReuseRequest": _obj(REUSE_REQUIRED, REUSE_REQUEST),
    "ReuseOffer": _obj(REUSE_REQUIRED + ["confirm_url", "confirmation"], {
        **REUSE_REQUEST,
        "confirm_url": {"type": "string", "description": "the page facing the person: /confirm/{token}"},
        "confirmation": {"type": "string", "description": "the same confirmation over the API"}}),
    "Confirmation": _obj(REUSE_REQUIRED + ["owner_name", "procedure", "desk", "papers"], {
        **{k: v for k, v in REUSE_REQUEST.items() if k != "links"},
        "owner_name": STR, "procedure": _obj(["code", "name"], {"code": STR, "name": NSTR}), "desk": UNIT,
        "papers": {"type": "array", "items": _obj(["component", "component_name", "document"], {
            "component": STR, "component_name": STR, "document": _ref("Paper")})}},
        additionalProperties=False),
    "Consent": _obj(CONSENT_REQUIRED, CONSENT),
})

SPEC["paths"].update({
    "/catalogues/{catalogue}": {
        "parameters": [CATALOGUE],
        "get": {"summary": "A catalogue", "responses": {"200": _json(_ref("List")), **_errors("401", "404")}},
        "post": {
            "summary": "Add or replace one entry (administrators), in the catalogue file's format",
            "description": "The entry is checked as `kho catalogue load` checks a file: doctypes take "
                           "DoctypeEntry, procedures ProcedureEntry, desks UnitEntry, retention "
                           "RetentionEntry, holidays HolidayEntry. 201 when added, 200 when replaced.",
            "requestBody": _body({"anyOf": [_ref(n) for n in ENTRY_FILE_SCHEMAS]}),
            "responses": {"200": _json(CATALOGUE_ITEM, "Replaced"), "201": _json(CATALOGUE_ITEM, "Added"),
                          **_errors("400", "401", "403", "404")}}},
    "/catalogues/{catalogue}/{code}": {
        "parameters": [CATALOGUE, {"name": "code", "in": "path", "required": True, "schema": STR,
                                   "description": "the entry's code (a holiday: its ISO date)"}],
        "get": {"summary": "One entry of a catalogue",
                "responses": {"200": _json(CATALOGUE_ITEM), **_errors("401", "404")}}},
    "/dossiers": {
        "get": {"summary": "The dossiers the account may see, newest first (own; the unit's)",
                "responses": {"200": _json(_obj(["items", "total"], {
                    "items": {"type": "array", "items": _ref("DossierSummary")}, "total": INT})),
                    **_errors("401", "403")}},
        "post": {"summary": "Receive a dossier at the account's desk, whatever the boundary",
                 "requestBody": _body(_obj(["procedure_code", "applicant_id"], {
                     "procedure_code": NONEMPTY,
                     "applicant_id": {**SUBJECT, "description": "personal id (12 digits) or enterprise code "
                                                                "of a person with a warehouse"},
                     "others": {"type": "array", "items": SUBJECT, "uniqueItems": True,
                                "description": "the other persons (a two-person procedure)"}})),
                 "responses": {"201": _json(_ref("Dossier")), **_errors("400", "401", "403")}}},
    "/dossiers/{code}": {
        "parameters": [DOSSIER_CODE],
        "get": {"summary": "A dossier: status, timeline, components; the receiving desk also sees "
                           "each component's candidate papers with the reasons they cannot serve",
                "responses": {"200": _json(_ref("Dossier")), **_errors("401", "403", "404")}}},
    "/dossiers/{code}/transition": {
        "parameters": [DOSSIER_CODE],
        "post": {"summary": "Move the dossier along: the agency starts or asks for a supplement, "
                            "the desk records the supplement, the desk or a person withdraws it",
                 "requestBody": _body(_obj(["action"], {
                     "action": {"enum": list(TRANSITIONS)},
                     "reason": {"type": "string", "description": "required for request_supplement"}})),
                 "responses": {"200": _json(_ref("Dossier")), **_errors("400", "401", "403", "404", "409")}}},
    "/dossiers/{code}/resolve": {
        "parameters": [DOSSIER_CODE],
        "post": {"summary": "The competent agency's decision (a rejection needs a reason)",
                 "requestBody": _body(_obj(["approved"], {"approved": BOOL, "reason": STR})),
                 "responses": {"200": _json(_ref("Dossier")), **_errors("400", "401", "403", "404", "409")}}},
    "/dossiers/{code}/attach": {
        "parameters": [DOSSIER_CODE],
        "post": {"summary": "Attach a paper digitized for this dossier to a component (receiving desk)",
                 "requestBody": _body(_obj(["component", "document"], {"component": NONEMPTY,
                                                                       "document": NONEMPTY})),
                 "responses": {"200": _json(_ref("Dossier")), **_errors("400", "401", "403", "404", "409")}}},
    "/dossiers/{code}/receipt": {
        "parameters": [DOSSIER_CODE],
        "get": {"summary": "The reception receipt (Form 01, Decree 61/2018), signed: the receiving "
                           "desk and the dossier's persons",
                "responses": {"200": PDF, **_errors("401", "403", "404")}}},
    "/dossiers/{code}/reuse-requests": {
        "parameters": [DOSSIER_CODE],
        "get": {"summary": "The papers offered for reuse and the persons' answers",
                "responses": {"200": _json(_obj(["items", "total"], {
                    "items": {"type": "array", "items": _ref("ReuseRequest")}, "total": INT})),
                    **_errors("401", "403", "404")}},
        "post": {"summary": "Offer papers of one person's warehouse for this dossier (receiving desk); "
                            "nothing is attached until the person confirms",
                 "requestBody": _body(_obj(["items"], {"items": {
                     "type": "array", "minItems": 1,
                     "items": _obj(["component", "document"], {"component": NONEMPTY, "document": NONEMPTY})}})),
                 "responses": {"201": _json(_ref("ReuseOffer")), **_errors("400", "401", "403", "404", "409")}}},
    "/dossiers/{code}/reuse-requests/{request_id}": {
        "parameters": [DOSSIER_CODE, REQUEST_ID],
        "get": {"summary": "One reuse request",
                "responses": {"200": _json(_ref("ReuseRequest")), **_errors("401", "403", "404")}}},
    "/dossiers/{code}/reuse-requests/{request_id}/decision": {
        "parameters": [DOSSIER_CODE, REQUEST_ID],
        "post": {"summary": "The owner's answer online: accept attaches the papers by reference",
                 "requestBody": _body(_obj(["accept"], {"accept": BOOL})),
                 "responses": {"200": _json(_ref("ReuseRequest")), **_errors("400", "401", "403", "404", "409")}}},
    "/identify": {
        "post": {"summary": "Identify the person at the desk from a typed id or the chip ID card's QR "
                            "text (posted: never in a URL); mismatches are listed",
                 "requestBody": _body(_obj(["text"], {"text": NONEMPTY})),
                 "responses": {"200": _json(_obj(["subject_id", "kind", "card", "warehouse", "mismatches"], {
                     "subject_id": STR, "kind": {"enum": ["person", "organisation"]},
                     "card": {"type": ["object", "null"]},
                     "warehouse": {"oneOf": [{"type": "null"}, _ref("Warehouse")]},
                     "mismatches": STRS})), **_errors("400", "401", "403")}}},
    "/confirmations/{token}": {
        "parameters": [TOKEN],
        "get": {"summary": "What the person is asked to confirm at the desk (no account): the papers' "
                           "metadata and the state",
                "security": [],
                "responses": {"200": _json(_ref("Confirmation")), "404": ERRORS["404"],
                              "409": _json(_ref("Error"), "The link has expired")}},
        "post": {"summary": "The person's answer at the desk (no account)",
                 "security": [],
                 "requestBody": _body(_obj(["accept"], {"accept": BOOL})),
                 "responses": {"200": _json(_ref("Confirmation")), "400": ERRORS["400"], "403": ERRORS["403"],
                               "404": ERRORS["404"],
                               "409": _json(_ref("Error"), "Expired, already answered, or a paper "
                                                           "can no longer be reused")}}},
    "/subjects/{subject_id}/consents": {
        "parameters": [SUBJECT_ID],
        "get": {"summary": "The owner's consents, newest first",
                "responses": {"200": _json(_obj(["items", "total"], {
                    "items": {"type": "array", "items": _ref("Consent")}, "total": INT})),
                    **_errors("401", "403", "404")}},
        "post": {"summary": "Grant a consent: the owner online, or a desk officer as witness when "
                            "the person agreed at the desk (agreed: true); returns it with its signed receipt",
                 "requestBody": _body(_obj(["scope", "target", "purposes", "notice_version"], {
                     "scope": {"enum": list(SCOPES)},
                     "target": {"type": "string", "minLength": 1,
                                "description": "a document id (scope document) or a paper type (doctype)"},
                     "purposes": {"type": "array", "minItems": 1, "uniqueItems": True,
                                  "items": {"enum": list(PURPOSES)}},
                     "recipients": {"type": "array", "items": NONEMPTY,
                                    "description": "required with the purpose share"},
                     "channel": {"enum": list(CHANNELS)},
                     "notice_version": {"enum": [NOTICE_VERSION],
                                        "description": "the notice the person was shown"},
                     "agreed": {"type": "boolean", "description": "at a desk: the person agreed in person"}})),
                 "responses": {"201": _json(_ref("Consent")), **_errors("400", "401", "403", "404")}}},
    "/subjects/{subject_id}/consents/{consent_id}": {
        "parameters": [SUBJECT_ID, CONSENT_ID],
        "get": {"summary": "One consent",
                "responses": {"200": _json(_ref("Consent")), **_errors("401", "403", "404")}},
        "patch": {"summary": "Narrow: keep fewer purposes (an empty list withdraws)",
                  "requestBody": _body(_obj(["purposes"], {
                      "purposes": {"type": "array", "uniqueItems": True, "items": {"enum": list(PURPOSES)}},
                      "agreed": BOOL})),
                  "responses": {"200": _json(_ref("Consent")), **_errors("400", "401", "403", "404", "409")}}},
    "/subjects/{subject_id}/consents/{consent_id}/withdraw": {
        "parameters": [SUBJECT_ID, CONSENT_ID],
        "post": {"summary": "Withdraw: no more offers from now on; past uses stay in the log",
                 "requestBody": _body(_obj([], {"agreed": {"type": "boolean",
                                                           "description": "at a desk: the person asked"}}),
                                      required=False),
                 "responses": {"200": _json(_ref("Consent")), **_errors("400", "401", "403", "404", "409")}}},
    "/subjects/{subject_id}/consents/{consent_id}/receipts/{name}": {
        "parameters": [SUBJECT_ID, CONSENT_ID,
                       {"name": "name", "in": "path", "required": True, "schema": STR,
                        "description": "grant, narrow-1, narrow-2, …, withdrawal"}],
        "get": {"summary": "A signed consent receipt",
                "responses": {"200": PDF, **_errors("401", "403", "404")}}},
})

# issue 10: the owner's access log (views/api/access_log.py)
SPEC["paths"]["/subjects/{subject_id}/access-log"] = {
    "parameters": [SUBJECT_ID],
    "get": {"summary": "Who used the owner's papers, newest first: the owner, records managers, auditors",
            "parameters": [
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                {"name": "paper", "in": "query", "schema": {"type": "string", "maxLength": 64},
                 "description": "only the uses of this paper (a document id)"}],
            "responses": {"200": _json(_obj(["subject_id", "total", "offset", "limit", "next_offset", "items"], {
                "subject_id": STR, "total": INT, "offset": INT, "limit": INT,
                "next_offset": {"type": ["integer", "null"]},
                "items": {"type": "array", "items": _obj(["time", "action", "actor"], {
                    "time": DATETIME, "action": {"enum": ["read_content", "read_metadata", "reuse", "search_read",
                                                          "issue_copy"]},
                    "actor": STR, "actor_name": STR, "roles": STRS, "unit": NSTR, "unit_name": NSTR,
                    "dossier": NSTR, "purpose": NSTR, "channel": NSTR, "component": NSTR, "paper": NSTR,
                    "papers": {"type": "array", "items": _obj(["id"], {"id": STR, "name": NSTR})},
                    "pending": BOOL})}})),
                **_errors("400", "401", "403", "404")}}}


@view_config(route_name="api", context=Root, name="openapi.json", request_method="GET", renderer="json")
def openapi(request):
    return SPEC
