"""Search in the app: a scan found by a phrase from its text with and without
diacritics, each role's view, deletion and restore at once, and a crash
between commit and indexing repaired at the next start."""
import os
import subprocess
import sys
import textwrap

import pytest


from ..conftest import write_ini
from ..files import pdf_bytes
from .openapi_check import validate
from .test_ocr_flow import run_worker, upload_scan

pytestmark = [pytest.mark.slow]
OWNER = "001090012345"
PURPOSE = "retention_review"      # a records purpose from the fixed list


@pytest.fixture
def scanned(as_user, wsgi_app, settings, dossier_code):
    """A desk scan of a birth certificate for a dossier, recognised by tesseract."""
    app = as_user("canbo")
    doc_url = upload_scan(app, dossier_code).request.path
    assert run_worker(wsgi_app, settings) == 1
    return doc_url


def hits(app, q, headers=None, **params):
    response = validate(app.get("/api/v1/search", dict(params, q=q), headers=headers or {}))
    return response.json


def test_found_by_a_phrase_from_its_text_with_and_without_diacritics(scanned, as_user):
    app = as_user("congdan")
    for query in ('"giấy khai sinh"', "giay khai sinh", '"ngày 21 tháng 7 năm 2022"', "nguyen thi hong nhung",
                  "123/QĐ-UBND", "Yên Bình"):
        page = app.get("/search", {"q": query})
        assert "1 giấy tờ tìm thấy" in page.text, query
        assert "<mark>" in page.text, query
    found = page.click(description="Giấy khai sinh", index=0)
    assert 'class="match"' in found.text       # the query's words boxed on the page image
    nothing = app.get("/search", {"q": "hộ chiếu"})
    assert "Không tìm thấy" in nothing.text


def test_each_role_sees_what_it_may(scanned, testapp, token_for, wsgi_app, open_root, dossier_code):
    root = open_root()
    tm = root._p_jar.transaction_manager
    root.accounts.add_user("canbo-batxat", "Lò Văn Pá", {"officer"}, "matkhau-demo", desk="000.16.16.H10")
    tm.commit()
    assert hits(testapp, "giay khai sinh", token_for("congdan"))["total"] == 1
    # staff search under a purpose, and find what it lets them read (tests/views/test_reads.py)
    assert hits(testapp, "giay khai sinh", token_for("canbo"), purpose=dossier_code)["total"] == 1  # its desk's
    testapp.get("/api/v1/search", {"q": "giay khai sinh"}, headers=token_for("canbo"), status=400)
    for other in ("xuly", "canbo-batxat"):          # the district above, another district: not their dossier
        testapp.get("/api/v1/search", {"q": "giay khai sinh", "purpose": dossier_code},
                    headers=token_for(other), status=403)
    for query in ("giay khai sinh", OWNER, "0010*", '"Hồng Nhung"', "*"):
        result = testapp.get("/api/v1/search", {"q": query}, headers=token_for("congdan2"), status="*")
        assert result.status_int in (200, 400) and (result.status_int == 400 or result.json["total"] == 0), query
    testapp.get("/api/v1/search", {"q": "giay khai sinh"}, headers=token_for("luutru"), status=400)
    with_purpose = hits(testapp, "giay khai sinh", token_for("luutru"), purpose=PURPOSE)
    assert "<mark>" in with_purpose["hits"][0]["snippet_html"]
    testapp.get("/api/v1/search", {"q": "giấy"}, headers=token_for("kiemtoan"), status=403)
    testapp.reset()
    testapp.get("/api/v1/search", {"q": "giấy"}, status=401)
    bad = testapp.get("/api/v1/search", {"q": '"giấy khai'}, headers=token_for("congdan"), status=400)
    assert "q" in bad.json["errors"]


def test_delete_restore_and_revocation_show_at_once(testapp, token_for, dossier_code):
    headers = token_for("canbo")
    doc = testapp.post(f"/api/v1/subjects/{OWNER}/documents",
                       {"type_code": "GKS", "issuer": "UBND phường Cốc Lếu", "number": "77/2021"},
                       upload_files=[("file", "a.pdf", pdf_bytes())], headers=headers).json
    assert hits(testapp, "Cốc Lếu", headers, purpose=dossier_code)["total"] == 1
    records = token_for("luutru")
    testapp.delete(doc["links"]["self"], headers=records)
    assert hits(testapp, "Cốc Lếu", headers, purpose=dossier_code)["total"] == 0
    listing = testapp.get(f"/api/v1/subjects/{OWNER}/documents", headers=headers).json
    assert listing["total"] == len(listing["items"]) == 0
    testapp.post(doc["links"]["self"] + "restore", headers=records)
    assert hits(testapp, "coc leu", headers, purpose=dossier_code)["total"] == 1
    validate(testapp.patch_json(doc["links"]["self"].rstrip("/"), {"state": "revoked"}, headers=headers))
    result = hits(testapp, "coc leu", headers, state="revoked", purpose=dossier_code)
    assert result["total"] == 1 and result["facets"]["state"] == {"revoked": 1}
    assert hits(testapp, "coc leu", headers, state="in_force", purpose=dossier_code)["total"] == 0


def test_a_crash_between_commit_and_indexing_is_repaired_at_the_next_start(settings, tmp_path):
    ini = write_ini(tmp_path, settings)
    kho = [sys.executable, "-m", "repository.cli", "-c", ini]
    assert subprocess.run(kho + ["search", "reindex"], capture_output=True).returncode == 0
    crash = textwrap.dedent(f"""
        import os, transaction
        from repository.db import app_root, open_databases, load_settings
        from repository.operations import add_document
        from tests.files import pdf_bytes
        db = open_databases(load_settings({ini!r}))
        conn = db.open(transaction.TransactionManager())
        with conn.transaction_manager:
            root = app_root(conn)
            add_document(root, root.subjects[{OWNER!r}], pdf_bytes(), "x.pdf",
                         {{"type_code": "GKS", "issuer": "Bát Xát"}}, root.accounts.users["canbo"])
        os._exit(9)      # dies after the commit, before anything reaches the index
        """)
    died = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert died.returncode == 9, died.stderr
    check = subprocess.run(kho + ["search", "check"], capture_output=True, text=True)
    assert check.returncode == 1 and "missing: 1" in check.stdout

    from views import main
    from views.startup import shutdown
    app = main({}, **settings)            # the next start applies what the dead process left queued
    shutdown(app.registry)
    check = subprocess.run(kho + ["search", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert "index consistent" in check.stdout

    query = subprocess.run(kho + ["search", "query", "bat xat", "--as", "congdan", "--json"],
                           capture_output=True, text=True)
    assert query.returncode == 0 and '"total": 1' in query.stdout
    other = subprocess.run(kho + ["search", "query", "bat xat", "--as", "congdan2"], capture_output=True, text=True)
    assert "0 hit(s)" in other.stdout


def test_an_index_from_another_version_is_rebuilt_at_start(settings, tmp_path):
    import shutil
    from ..search.test_index import _old_format_index
    from views import main
    from views.startup import shutdown
    ini = write_ini(tmp_path, settings)
    kho = [sys.executable, "-m", "repository.cli", "-c", ini]
    index_dir = tmp_path / "old-index"
    _old_format_index(index_dir)
    shutil.rmtree(settings["kho.index_dir"], ignore_errors=True)
    shutil.copytree(index_dir, settings["kho.index_dir"])
    outdated = subprocess.run(kho + ["search", "check"], capture_output=True, text=True)
    assert outdated.returncode != 0 and "kho search reindex" in outdated.stderr + outdated.stdout
    app = main({}, **settings)            # the embedded indexer rebuilds it from the repository
    shutdown(app.registry)
    check = subprocess.run(kho + ["search", "check"], capture_output=True, text=True)
    assert check.returncode == 0 and "index consistent" in check.stdout, check.stdout
