"""The catalogue file: a province loads units, paper types, procedures and
holidays; an error names the entry at fault and nothing is written."""
import os
import subprocess
import sys

import pytest

from repository.catalogue_file import load_catalogue, load_one, parse_catalogue_text
from repository.errors import ValidationError

from ..conftest import write_ini

BAD = """
units:
  - {code: 000.99.99.H10, level: commune, name: Xã Thử, parent: 000.00.77.H10}
doctypes:
  - {code: GPLX, name: Giấy phép lái xe, retention: 10y, validity_months: 0}
procedures:
  - code: "9.000001"
    name: Thủ tục thử
    level: commune
    agency: 000.15.16.H10
    time_limit_days: 2
    components:
      - {key: a, name: A, doctypes: [GKS, NOPE]}
      - {key: a, name: B, doctypes: [GKS], party: third}
holidays:
  - {date: "2026-13-01", name: Không có}
"""


def test_every_error_names_its_entry_and_nothing_is_written(root):
    before = {name: len(root.catalogues[name]) for name in root.catalogues.NAMES}
    with pytest.raises(ValidationError) as err:
        load_catalogue(root, parse_catalogue_text(BAD), None)
    assert set(err.value.errors) == {
        "units[0] (000.99.99.H10) › parent", "doctypes[0] (GPLX) › validity_months",
        "procedures[0] (9.000001) › components[0] › doctypes", "procedures[0] (9.000001) › components[1] › party",
        "holidays[0] (2026-13-01) › date"}
    assert "NOPE" in err.value.errors["procedures[0] (9.000001) › components[0] › doctypes"]
    assert {name: len(root.catalogues[name]) for name in root.catalogues.NAMES} == before


def test_entries_are_added_or_replaced_and_references_resolve_within_the_file(root):
    text = """
units:
  - {code: 000.99.99.H10, level: commune, name: Xã Thử, parent: 000.00.15.H10}
doctypes:
  - {code: GPLX, name: Giấy phép lái xe, retention: 10y, validity_months: 120}
procedures:
  - code: "1.004227"
    name: Cấp Giấy xác nhận tình trạng hôn nhân (sửa)
    level: commune
    agency: 000.99.99.H10
    time_limit_days: 5
    result_type: XNTTHN
    components:
      - {key: lai_xe, name: Giấy phép lái xe, doctypes: [GPLX], required: false, count: 2}
"""
    written = load_catalogue(root, parse_catalogue_text(text), None)
    assert [len(written[s]) for s in ("units", "doctypes", "procedures")] == [1, 1, 1]
    procedure = root.catalogues.procedures["1.004227"]
    assert procedure.agency == "000.99.99.H10" and procedure.time_limit_days == 5
    assert procedure.components[0].as_dict() == {"key": "lai_xe", "name": "Giấy phép lái xe",
                                                 "doctypes": ["GPLX"], "required": False, "count": 2,
                                                 "party": "applicant"}
    holiday = load_one(root, "holidays", {"date": "2028-01-01", "name": "Tết Dương lịch"}, None)
    assert holiday.date.year == 2028 and "2028-01-01" in root.catalogues.holidays
    with pytest.raises(ValidationError):
        load_one(root, "accounts", {}, None)


def test_malformed_files_are_refused_clearly():
    for text in ("procedures: [", "- just a list", "pets: []"):
        with pytest.raises(ValidationError) as err:
            parse_catalogue_text(text)
        assert "file" in err.value.errors


def test_kho_catalogue_load_reports_errors_then_loads(settings, tmp_path):
    ini = write_ini(tmp_path, settings)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    kho = os.path.join(os.path.dirname(sys.executable), "kho")
    result = subprocess.run([kho, "-c", ini, "catalogue", "load", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2 and "nothing was loaded" in result.stderr
    assert "procedures[0] (9.000001) › components[0] › doctypes" in result.stderr
    good = tmp_path / "good.json"
    good.write_text('{"holidays": [{"date": "2028-01-01", "name": "Tết Dương lịch"}]}', encoding="utf-8")
    result = subprocess.run([kho, "-c", ini, "catalogue", "load", str(good)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "1 holidays" in result.stdout
