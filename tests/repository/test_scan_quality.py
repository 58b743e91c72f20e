"""Scan quality at the desk (RULES-VN: colour, at least 200 dpi): what breaks
the rules is named for the officer, who accepts it or scans again."""
import io

import pytest
from PIL import Image

from repository.intake import quality_rules, scan_warnings
from tests.files import pdf_bytes
from tests.ocr import scans


def encoded(image, fmt="PNG", **kwargs):
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def test_a_72_dpi_jpeg_is_named():
    page = scans.render_page(dpi=72, lines=scans.PAPER_LINES[:3])
    pages, warnings = scan_warnings(encoded(page, "JPEG", dpi=(72, 72)), {})
    assert pages[0]["dpi"] == 72 and pages[0]["colour"]
    assert len(warnings) == 1 and "dưới 200 dpi ở trang 1 (72 dpi)" in warnings[0]


def test_a_grey_scan_is_named_where_colour_is_required():
    grey = scans.render_page(lines=scans.PAPER_LINES[:3]).convert("L")
    pages, warnings = scan_warnings(encoded(grey, dpi=(300, 300)), {})
    assert pages[0] == {"page": 1, "dpi": 300, "colour": False}
    assert len(warnings) == 1 and "thang xám" in warnings[0] and "colour is required" in warnings[0]
    assert scan_warnings(encoded(grey, dpi=(300, 300)), {"kho.scan.colour_required": "false"})[1] == []


def test_a_good_colour_scan_passes_and_a_scanner_pdf_is_judged_per_page():
    page = scans.render_page(lines=scans.PAPER_LINES[:3])
    assert scan_warnings(encoded(page, dpi=(300, 300)), {})[1] == []
    pages, warnings = scan_warnings(pdf_bytes(2), {})          # two images at 75 dpi
    assert [p["dpi"] for p in pages] == [75, 75] and "trang 1 (75 dpi), 2 (75 dpi)" in warnings[0]
    assert scan_warnings(scans.lossless_pdf([page]), {})[1] == []


def test_a_phone_photo_without_a_density_is_judged_by_its_pixels():
    photo = Image.new("RGB", (3000, 4000), (240, 238, 230))
    pages, warnings = scan_warnings(encoded(photo, "JPEG"), {})
    assert pages[0]["dpi"] > 300 and warnings == []


def test_the_rules_are_settings():
    assert quality_rules({}) == (200, True, False)
    assert quality_rules({"kho.scan.min_dpi": "300", "kho.scan.low_quality": "refuse"}) == (300, True, True)


def test_a_bulk_import_records_or_refuses_a_poor_scan(root, tmp_path):
    from repository.intake import ImportActor, import_files
    path = tmp_path / "scan-72dpi.jpg"
    path.write_bytes(encoded(scans.render_page(dpi=72, lines=scans.PAPER_LINES[:3]), "JPEG", dpi=(72, 72)))
    conn = root._p_jar
    owner = "001090012345"
    accepted, refused = import_files(conn, [str(path)], owner, "GKS", ImportActor(),
                                     {"provenance": "digitized"}, settings={})
    assert refused == [] and len(accepted) == 1
    document = root.subjects[owner].documents[accepted[0]]
    assert document.scan_quality["accepted_by"] == "kho-import" and "72 dpi" in document.scan_quality["warnings"][0]
    accepted, refused = import_files(conn, [str(path)], owner, "GKS", ImportActor(),
                                     {"provenance": "digitized"}, settings={"kho.scan.low_quality": "refuse"})
    assert accepted == [] and "dưới 200 dpi" in refused[0][1]


def test_a_desk_scan_is_checked_before_it_is_kept(root):
    from repository.errors import ValidationError
    from repository.intake import LowScanQuality, check_scan_quality
    from repository.operations import add_document
    canbo = root.accounts.users["canbo"]
    owner = root.subjects["001090012345"]
    poor = encoded(scans.render_page(dpi=72, lines=scans.PAPER_LINES[:3]), "JPEG", dpi=(72, 72))
    scan = add_document(root, owner, poor, "scan.jpg", {"type_code": "GKS", "provenance": "digitized"}, canbo)
    with pytest.raises(LowScanQuality) as low:
        check_scan_quality(scan, poor, {}, canbo, accepted=False)
    assert len(low.value.warnings) == 1 and "72 dpi" in low.value.warnings[0] and scan.scan_quality is None
    with pytest.raises(ValidationError) as refused:
        check_scan_quality(scan, poor, {"kho.scan.low_quality": "refuse"}, canbo, accepted=True)
    assert not isinstance(refused.value, LowScanQuality) and "dưới 200 dpi" in refused.value.errors["file"]
    assert check_scan_quality(scan, poor, {}, canbo, accepted=True) == low.value.warnings
    assert scan.scan_quality["accepted_by"] == "canbo"
    uploaded = add_document(root, owner, poor, "copy.jpg", {"type_code": "GKS", "provenance": "uploaded"}, canbo)
    assert check_scan_quality(uploaded, poor, {"kho.scan.low_quality": "refuse"}, canbo, accepted=False) == []
    assert uploaded.scan_quality is None            # not a desk scan: the rules are not its


def test_the_api_applies_the_page_s_rules(testapp, token_for, wsgi_app):
    import views.api.subjects  # noqa: F401 - adds the upload's answers to the OpenAPI document
    from tests.views.openapi_check import validate
    headers = token_for("canbo")
    url = "/api/v1/subjects/001090012345/documents"
    poor = encoded(scans.render_page(dpi=72, lines=scans.PAPER_LINES[:3]), "JPEG", dpi=(72, 72))
    good = encoded(scans.render_page(lines=scans.PAPER_LINES[:3]), dpi=(300, 300))
    before = testapp.get(url, headers=headers).json["total"]

    def upload(data, status, **fields):
        return testapp.post(url, dict({"type_code": "GKS", "provenance": "digitized"}, **fields),
                            upload_files=[("file", "scan.jpg", data)], headers=headers, status=status)
    warned = validate(upload(poor, 422)).json
    assert warned["error"] == "low_scan_quality" and "accept_low_quality" in warned["message"]
    assert warned["warnings"] == ["Bản quét có độ phân giải dưới 200 dpi ở trang 1 (72 dpi)."]
    assert " / " not in warned["message"]
    assert testapp.get(url, headers=headers).json["total"] == before          # nothing kept
    assert upload(poor, 400, accept_low_quality="maybe").json["errors"]["accept_low_quality"]
    accepted = validate(upload(poor, 201, accept_low_quality="true")).json
    assert accepted["scan_quality"]["accepted_by"] == "canbo"
    assert accepted["scan_quality"]["pages"] == [{"page": 1, "dpi": 72, "colour": True}]
    fine = validate(upload(good, 201)).json
    assert fine["scan_quality"]["warnings"] == [] and fine["scan_quality"]["accepted_by"] is None
    shown = validate(testapp.get(fine["links"]["self"].replace("http://localhost", ""), headers=headers)).json
    assert shown["scan_quality"] == fine["scan_quality"]
    wsgi_app.registry.settings["kho.scan.low_quality"] = "refuse"
    refused = upload(poor, 400, accept_low_quality="true").json
    assert refused["error"] == "invalid" and "dưới 200 dpi" in refused["errors"]["file"]
    assert testapp.get(url, headers=headers).json["total"] == before + 2
    spec = testapp.get("/api/v1/openapi.json").json
    assert "scan_quality" in spec["components"]["schemas"]["Document"]["properties"]
    post = spec["paths"]["/subjects/{subject_id}/documents"]["post"]
    assert "422" in post["responses"]
    assert "accept_low_quality" in post["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
