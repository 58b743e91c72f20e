"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Tests validate every request and response they make against it, and check
that every API view registered in the app has a path here."""
from pyramid.view import view_config

from repository.resources import Root

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NDATE = {"type": ["string", "null"], "format": "date"}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Bad input"),
    "401": _json(_ref("Error"), "Not authenticated"),
    "403": _json(_ref("Error"), "Not allowed"),
    "404": _json(_ref("Error"), "Not found"),
}


def _errors(*codes):
    return {c: ERRORS[c] for c in codes}


SUBJECT_ID = {"name": "subject_id", "in": "path", "required": True, "schema": STR,
              "description": "personal id (12 digits) or enterprise code"}
DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True, "schema": STR}

DOCUMENT_FIELDS = {
    "type_code": STR, "name": STR, "number": STR, "issue_date": {"type": "string"},
    "issuer": STR, "summary": STR, "valid_from": {"type": "string"}, "valid_until": {"type": "string"},
    "validity_scope": STR, "state": {"type": "string", "enum": ["in_force", "expired", "revoked"]},
    "provenance": {"type": "string", "enum": ["digitized", "agency_result", "certified_copy", "uploaded"]},
    "dossier_code": STR, "procedure_code": STR,
    "extraction": {"type": "string", "enum": ["ocr", "manual"]},
}

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
                             "signed_by": NSTR,
                             "created": STR, "created_by": STR, "links": {"type": "object"}}},
            "VerificationReport": {
                "type": "object", "required": ["ok", "problems", "signatures"],
                "properties": {"ok": {"type": "boolean"}, "filename": STR, "checked": STR,
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
                "properties": {"username": STR, "password": STR, "label": STR}}}}},
            "responses": {"201": _json({"type": "object", "required": ["token", "username"],
                                        "properties": {"token": STR, "username": STR}}),
                          **_errors("400", "401")}}},
        "/catalogues/{catalogue}": {
            "parameters": [{"name": "catalogue", "in": "path", "required": True,
                            "schema": {"enum": ["doctypes", "procedures", "desks", "retention"]}}],
            "get": {"summary": "A catalogue", "responses": {"200": _json(_ref("List")), **_errors("401", "404")}},
            "post": {"summary": "Add a document type (administrators; doctypes only)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["code", "name", "retention_class"],
                         "properties": {"code": STR, "name": STR, "retention_class": STR,
                                        "validity_months": {"type": ["integer", "null"]}}}}}},
                     "responses": {"201": _json({"type": "object"}), **_errors("400", "401", "403")}}},
        "/subjects": {
            "get": {"summary": "All warehouses (records managers)",
                    "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}},
                                   {"name": "after", "in": "query", "schema": STR}],
                    "responses": {"200": _json(_ref("List")), **_errors("400", "401", "403")}},
            "post": {"summary": "Open a warehouse for a person or organisation (desk)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["subject_id", "name"],
                         "properties": {"subject_id": STR, "name": STR, "birth_date": NSTR,
                                        "sex": {"enum": ["male", "female", None]}}}}}},
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
                          "type": "object", "properties": {k: v for k, v in DOCUMENT_FIELDS.items()
                                                           if k not in ("provenance", "extraction")},
                          "additionalProperties": True}}}},
                      "responses": {"200": _json(_ref("Document")), **_errors("400", "401", "403", "404")}},
            "delete": {"summary": "Take a paper out of use (records managers); it can be restored",
                       "parameters": [{"name": "reason", "in": "query", "schema": STR}],
                       "responses": {"200": _json(_ref("Document")), **_errors("400", "401", "403", "404")}}},
        "/subjects/{subject_id}/documents/{document_id}/restore": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "post": {"summary": "Bring a deleted paper back (records managers)",
                     "responses": {"200": _json(_ref("Document")), **_errors("400", "401", "403", "404")}}},
        "/search": {"get": {
            "summary": "Full-text search over the papers the account may see",
            "parameters": [{"name": "q", "in": "query", "required": True, "schema": STR},
                           {"name": "page", "in": "query", "schema": {"type": "integer"}},
                           {"name": "purpose", "in": "query", "schema": STR,
                            "description": "staff: a dossier code, to receive text excerpts (logged)"},
                           {"name": "type_code", "in": "query", "schema": STR},
                           {"name": "year", "in": "query", "schema": STR},
                           {"name": "state", "in": "query", "schema": STR},
                           {"name": "desk", "in": "query", "schema": STR}],
            "responses": {"200": _json({"type": "object", "required": ["total", "hits", "facets"],
                                        "properties": {"total": {"type": "integer"}, "page": {"type": "integer"},
                                                       "pagecount": {"type": "integer"},
                                                       "facets": {"type": "object"},
                                                       "hits": {"type": "array"}}}),
                          **_errors("400", "401", "403")}}},
        "/subjects/{subject_id}/documents/{document_id}/content": {
            "parameters": [SUBJECT_ID, DOCUMENT_ID],
            "get": {"summary": "The original file; staff must state a purpose (logged)",
                    "parameters": [{"name": "purpose", "in": "query", "schema": STR,
                                    "description": "the dossier code this reading serves"},
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
                    "parameters": [{"name": "purpose", "in": "query", "schema": STR}],
                    "responses": {"200": _json({"type": "object", "required": ["text", "pages"],
                                                "properties": {"text": STR, "extraction": STR,
                                                               "pages": {"type": "array"}}}),
                                  **_errors("400", "401", "403", "404")}}},
    },
}


@view_config(route_name="api", context=Root, name="openapi.json", request_method="GET", renderer="json")
def openapi(request):
    return SPEC
