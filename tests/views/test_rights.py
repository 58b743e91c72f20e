"""The person's rights through the pages and the API: the owner downloads all
their data; flags a wrong detail; the records manager sees it on the list
with its deadline and corrects it with a reason; the owner sees the history."""
import io
import json
import zipfile

from repository.seed import DEMO_PASSWORD

from ..conftest import csrf_from, login

OWNER = "001090012345"


def test_owner_downloads_all_their_data(reuse_testapp, world):
    app = reuse_testapp
    login(app, "congdan")
    page = app.get(f"/subjects/{OWNER}/rights")
    assert "export-form" in page.text
    response = app.post(f"/subjects/{OWNER}/export", {"csrf_token": csrf_from(page)})
    assert response.content_type == "application/zip"
    assert f"kho-{OWNER}-" in response.headers["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(response.body))
    names = set(z.namelist())
    assert {"papers.json", "consents.json", "dossiers.json", "access-log.json", "profile.json",
            "corrections.json", "manifest.json", "README.txt"} <= names
    assert {p["id"] for p in json.loads(z.read("papers.json"))["papers"]} == {world.id_card, world.birth}
    # a page without a CSRF token is refused
    assert app.post(f"/subjects/{OWNER}/export", status="*").status_int == 400


def test_correction_on_pages_flagged_answered_history_kept(reuse_testapp, world):
    app = reuse_testapp
    doc = f"/subjects/{OWNER}/documents/{world.id_card}"
    login(app, "congdan")
    page = app.get(doc + "/corrections")
    csrf = csrf_from(page)
    empty = app.post(doc + "/corrections", {"csrf_token": csrf, "note": ""}, status=400)
    assert "field-error" in empty.text                          # a form error, nothing written
    app.post(doc + "/corrections", {"csrf_token": csrf, "fields": "number", "proposed_number": "99/2020",
                                    "note": "Số giấy tờ sai so với bản gốc"}, status=302)
    page = app.get(doc + "/corrections")
    assert 'data-status="open"' in page.text and "flag-form" not in page.text   # one open request at a time
    app.reset()
    login(app, "luutru")
    queue = app.get("/corrections")
    assert world.id_card in queue.text
    page = app.get(doc + "/corrections")
    assert "answer-form" in page.text
    request_id = page.html.find("input", {"name": "request"})["value"]
    csrf = csrf_from(page)
    no_reason = app.post(doc + "/correction-answer", {"csrf_token": csrf, "request": request_id,
                                                      "decision": "correct", "value_number": "99/2020",
                                                      "reason": ""}, status=400)
    assert "field-error" in no_reason.text
    app.post(doc + "/correction-answer", {"csrf_token": csrf, "request": request_id, "decision": "correct",
                                          "value_number": "99/2020",
                                          "reason": "Đối chiếu bản gốc"}, status=302)
    assert world.id_card not in app.get("/corrections").text
    app.reset()
    login(app, "congdan")
    page = app.get(doc + "/corrections")
    assert 'data-status="corrected"' in page.text
    assert "«12/2020» → «99/2020»" in page.text and "Đối chiếu bản gốc" in page.text
    assert page.html.find(id="current-number").text == "99/2020"


def test_correction_through_the_api(reuse_testapp, world):
    app = reuse_testapp

    def token(user):
        response = app.post_json("/api/v1/tokens", {"username": user, "password": DEMO_PASSWORD})
        return {"Authorization": f"Bearer {response.json['token']}"}
    owner, records, desk = token("congdan"), token("luutru"), token("canbo2")
    path = f"/api/v1/subjects/{OWNER}/documents/{world.birth}"
    bad = app.post_json(path + "/corrections", {"fields": ["dossier_code"], "note": "x"}, headers=owner,
                        status=400)
    assert "fields" in bad.json["errors"]
    made = app.post_json(path + "/corrections", {"fields": ["issuer"], "note": "Thiếu nơi cấp",
                                                 "proposed": {"issuer": "UBND xã Bản Vược"}},
                         headers=owner, status=201).json
    assert made["status"] == "open" and made["deadline"] > made["asked"]
    listed = app.get("/api/v1/corrections", headers=records).json
    assert [i["id"] for i in listed["items"]] == [made["id"]]
    app.post_json(path + "/correction-answer", {"request": made["id"], "decision": "refuse", "reason": "x"},
                  headers=desk, status=403)          # a signed paper: the desk no longer changes it
    answer = app.post_json(path + "/correction-answer",
                           {"request": made["id"], "decision": "correct", "changes": {"issuer": "UBND xã Bản Vược"},
                            "reason": "Theo sổ đăng ký khai sinh"}, headers=records).json
    assert answer["status"] == "corrected" and answer["changes"] == {"issuer": ["", "UBND xã Bản Vược"]}
    seen = app.get(path + "/corrections", headers=owner).json
    assert seen["history"][0]["reason"] == "Theo sổ đăng ký khai sinh"
    again = app.post_json(path + "/correction-answer", {"request": made["id"], "decision": "refuse",
                                                        "reason": "x"}, headers=records, status=409)
    assert again.json["error"] == "conflict"
    assert app.get(f"/api/v1/subjects/{OWNER}/documents/{world.birth}", headers=owner).json["issuer"] == \
        "UBND xã Bản Vược"


def test_export_through_the_api(reuse_testapp):
    app = reuse_testapp
    token = app.post_json("/api/v1/tokens", {"username": "congdan", "password": DEMO_PASSWORD}).json["token"]
    response = app.post(f"/api/v1/subjects/{OWNER}/export", headers={"Authorization": f"Bearer {token}"})
    assert response.content_type == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(response.body)).namelist()


def test_rights_pages_are_vietnamese(reuse_testapp, world):
    """My data and rights, a paper's corrections (with a form error, an answer and
    the history) and the records list read in Vietnamese only."""
    from .test_language import assert_vietnamese
    app = reuse_testapp
    app.set_cookie("_LOCALE_", "vi")
    doc = f"/subjects/{OWNER}/documents/{world.id_card}"
    login(app, "congdan")
    assert_vietnamese(app.get(f"/subjects/{OWNER}/rights"), "rights")
    page = app.get(doc + "/corrections")
    assert_vietnamese(page, "corrections (owner)")
    csrf = csrf_from(page)
    assert_vietnamese(app.post(doc + "/corrections", {"csrf_token": csrf, "note": ""}, status=400), "flag error")
    app.post(doc + "/corrections", {"csrf_token": csrf, "fields": "issuer", "note": "Thiếu nơi cấp"}, status=302)
    app.reset()
    app.set_cookie("_LOCALE_", "vi")
    login(app, "luutru")
    assert_vietnamese(app.get("/corrections"), "records list")
    page = app.get(doc + "/corrections")
    assert_vietnamese(page, "corrections (records)")
    request_id = page.html.find("input", {"name": "request"})["value"]
    answer = app.post(doc + "/correction-answer", {"csrf_token": csrf_from(page), "request": request_id,
                                                   "decision": "correct", "value_issuer": "", "reason": "x"},
                      status=400)
    assert_vietnamese(answer, "answer error")
    app.post(doc + "/correction-answer", {"csrf_token": csrf_from(page), "request": request_id,
                                          "decision": "correct", "value_issuer": "Công an tỉnh Lào Cai",
                                          "reason": "Theo bản gốc"}, status=302)
    assert_vietnamese(app.get(doc + "/corrections"), "history")
    token = app.post_json("/api/v1/tokens", {"username": "congdan", "password": DEMO_PASSWORD}).json["token"]
    bad = app.post_json(f"/api/v1{doc}/corrections", {"fields": [], "note": ""},
                        headers={"Authorization": f"Bearer {token}"}, status=400)
    assert_vietnamese(bad, "API error")
