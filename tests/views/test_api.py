"""The JSON API, every call checked against the OpenAPI document."""

from repository.audit import audit_log

from ..files import bomb_png, image_bytes, pdf_bytes
from .openapi_check import validate

PERSON = "001090012345"


def upload(testapp, headers, subject=PERSON, data=None, status=201, **fields):
    fields.setdefault("type_code", "GKS")
    files = [("file", "giấy khai sinh.pdf", data if data is not None else pdf_bytes(2))]
    return testapp.post(f"/api/v1/subjects/{subject}/documents", params=fields, upload_files=files,
                        headers=headers, status=status)


def test_openapi_document_is_served_and_valid(testapp):
    from openapi_spec_validator import validate as validate_spec
    spec = testapp.get("/api/v1/openapi.json").json
    validate_spec(spec)
    assert "/subjects/{subject_id}/documents" in spec["paths"]


def test_token_me_and_catalogues(testapp, token_for):
    headers = token_for("canbo")
    me = validate(testapp.get("/api/v1/me", headers=headers)).json
    assert me["roles"] == ["officer"] and me["desk"] == "000.15.16.H10"
    for name in ("doctypes", "procedures", "desks", "retention"):
        listing = validate(testapp.get(f"/api/v1/catalogues/{name}", headers=headers)).json
        assert listing["total"] == len(listing["items"]) > 0
    bad = testapp.post_json("/api/v1/tokens", {"username": "canbo", "password": "wrong"}, status=401)
    assert bad.json["error"] == "unauthenticated"


def test_upload_list_read_with_purpose(testapp, token_for, dossier_code):
    headers = token_for("canbo")
    created = validate(upload(testapp, headers, number="12/2020", issue_date="2020-02-03",
                              issuer="UBND phường Cốc Lếu")).json
    assert created["pages"] == 2 and created["name"] == "Giấy khai sinh"
    listing = validate(testapp.get(f"/api/v1/subjects/{PERSON}/documents", headers=headers)).json
    assert [d["id"] for d in listing["items"]] == [created["id"]]
    meta = validate(testapp.get(f"/api/v1/subjects/{PERSON}/documents/{created['id']}", headers=headers)).json
    assert meta["sha256"] == created["sha256"]

    content_url = f"/api/v1/subjects/{PERSON}/documents/{created['id']}/content"
    refused = validate(testapp.get(content_url, headers=headers, status=403))
    assert refused.json["error"] == "purpose_refused"
    made_up = validate(testapp.get(content_url, {"purpose": "000.15.16.H10-261128-0001"}, headers=headers,
                                   status=403))
    assert "Không có hồ sơ" in made_up.json["message"]
    ok = validate(testapp.get(content_url, {"purpose": dossier_code}, headers=headers))
    assert ok.body[:5] == b"%PDF-" and ok.content_type == "application/pdf"
    owner = testapp.get(content_url, headers=token_for("congdan"))
    assert owner.body == ok.body


def test_bad_uploads_get_clear_errors_and_store_nothing(testapp, token_for, open_root):
    headers = token_for("canbo")
    cases = [
        ({"data": b"just some text"}, "file"),
        ({"data": image_bytes("PNG")[:300]}, "file"),
        ({"data": bomb_png()}, "file"),
        ({"type_code": "NOPE"}, "type_code"),
        ({"issue_date": "31/12/2020"}, "issue_date"),
        ({"dossier_code": "HS-1"}, "dossier_code"),
    ]
    for kwargs, field in cases:
        outside = field in ("issue_date", "dossier_code")      # the document says what these look like
        response = validate(upload(testapp, headers, status=400, **kwargs), request=not outside)
        assert response.json["error"] == "invalid" and field in response.json["errors"], response.json
    too_big = upload(testapp, headers, data=b"%PDF-" + b"0" * (6 * 1024 * 1024), status=400)
    assert "giới hạn" in too_big.json["errors"]["file"]
    root = open_root()
    assert len(root.subjects[PERSON].documents) == 0


def test_create_subject_and_list_for_records(testapp, token_for):
    created = validate(testapp.post_json("/api/v1/subjects", {
        "subject_id": "079203000001", "name": "Lê Văn Bình", "birth_date": "2003-04-05", "sex": "male"},
        headers=token_for("canbo"), status=201)).json
    assert created["kind"] == "person"
    wrong = validate(testapp.post_json("/api/v1/subjects", {"subject_id": "079203000002", "name": "X",
                                                            "sex": "female"},
                                       headers=token_for("canbo"), status=400)).json
    assert "subject_id" in wrong["errors"]
    listing = validate(testapp.get("/api/v1/subjects", {"limit": 2}, headers=token_for("luutru"))).json
    assert listing["total"] == 3 and len(listing["items"]) == 2 and listing["next"]
    rest = validate(testapp.get("/api/v1/subjects", {"after": listing["next"]},
                                headers=token_for("luutru"))).json
    assert len(rest["items"]) == 1


def test_session_writes_need_the_csrf_header(testapp, as_user):
    app = as_user("canbo")
    body = {"subject_id": "079203000001", "name": "Lê Văn Bình"}
    refused = app.post_json("/api/v1/subjects", body, status=400)
    assert refused.json["error"] == "csrf"
    token = app.get("/desk").html.find("input", {"name": "csrf_token"})["value"]
    app.post_json("/api/v1/subjects", body, headers={"X-CSRF-Token": token}, status=201)


def test_unknown_things_are_404_json(testapp, token_for):
    headers = token_for("canbo")
    for url in ("/api/v1/subjects/079203999999", "/api/v1/catalogues/nothing",
                f"/api/v1/subjects/{PERSON}/documents/nope"):
        assert testapp.get(url, headers=headers, status=404).json["error"] == "not_found"


def test_every_read_of_content_is_in_the_audit_trail(testapp, token_for, open_root, dossier_code):
    headers = token_for("xuly2")        # the processor of the competent agency
    doc = upload(testapp, token_for("canbo")).json
    testapp.get(f"/api/v1/subjects/{PERSON}/documents/{doc['id']}/content", {"purpose": dossier_code},
                headers=headers)
    root = open_root()
    last = audit_log(root._p_jar).entries[len(audit_log(root._p_jar))]
    assert (last["actor"], last["action"], last["purpose"], last["document"]) == (
        "xuly2", "read_content", dossier_code, doc["id"])


def test_bad_tokens_are_401(testapp):
    response = testapp.get("/api/v1/me", headers={"Authorization": "Bearer kho_nope"}, status=401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
