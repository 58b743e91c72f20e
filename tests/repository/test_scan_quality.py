"""Scan quality at the desk (RULES-VN: colour, at least 200 dpi): what breaks
the rules is named for the officer, who accepts it or scans again."""
import io

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
