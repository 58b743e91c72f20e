import datetime

import pytest

from repository.identifiers import (InvalidIdentifier, enterprise_check_digit, format_dossier_code,
                                    validate_dossier_code, validate_enterprise_code,
                                    validate_personal_id, validate_subject_id, validate_unit_code)


@pytest.mark.parametrize("value,birth,sex", [
    ("001090012345", "1990-05-12", "male"),
    ("010195004321", "1995-08-30", "female"),
    ("079203000001", "2003-01-01", "male"),     # 2000s male: digit 2
    ("096305999999", "2005-12-31", "female"),   # 2000s female: digit 3
    ("001090012345", None, None),
])
def test_good_personal_ids(value, birth, sex):
    assert validate_personal_id(value, birth_date=birth, sex=sex) == value


@pytest.mark.parametrize("value,birth,sex,words", [
    ("00109001234", None, None, "12"),            # 11 digits
    ("0010900123456", None, None, "12"),          # 13 digits
    ("00109001234a", None, None, "12"),
    ("000090012345", None, None, "001"),          # province 000
    ("097090012345", None, None, "001"),          # province 097
    ("001090012345", "1991-05-12", "male", "1991"),   # year disagrees
    ("001090012345", "1990-05-12", "female", "Giới tính"),  # digit 4 = 0 is male
    ("001290012345", "1990-05-12", None, "1990"),     # digit 4 = 2 means 2000s
])
def test_bad_personal_ids(value, birth, sex, words):
    with pytest.raises(InvalidIdentifier) as err:
        validate_personal_id(value, birth_date=birth, sex=sex)
    assert words in str(err.value)


def test_enterprise_check_digit_rule():
    # Σ w·d over 0,1,0,0,1,0,1,0,7 = 29+17+7+21 = 74; 74 mod 11 = 8; 10 − 8 = 2
    assert enterprise_check_digit("010010107") == 2
    assert validate_enterprise_code("0100101072") == "0100101072"
    assert validate_enterprise_code("0100101072-001") == "0100101072-001"
    assert validate_enterprise_code("0100101072001") == "0100101072-001"


def test_enterprise_code_where_the_rule_gives_ten_is_invalid():
    # find nine digits whose weighted sum is ≡ 0 (mod 11): the check would be 10
    first9 = next(f"{n:09d}" for n in range(1, 10**6) if enterprise_check_digit(f"{n:09d}") is None)
    for last in "0123456789":
        with pytest.raises(InvalidIdentifier):
            validate_enterprise_code(first9 + last)


@pytest.mark.parametrize("value", ["0100101073", "010010107", "01001010722", "0100101072-000",
                                   "0100101072-01", "abcdefghij"])
def test_bad_enterprise_codes(value):
    with pytest.raises(InvalidIdentifier):
        validate_enterprise_code(value)


def test_subject_id_kinds():
    assert validate_subject_id("001090012345") == ("person", "001090012345")
    assert validate_subject_id(" 0100101072 ") == ("organisation", "0100101072")


def test_dossier_codes():
    assert validate_dossier_code("000.15.16.H10-261128-0001") == "000.15.16.H10-261128-0001"
    assert format_dossier_code("000.15.16.H10", datetime.date(2026, 11, 28), 7) == "000.15.16.H10-261128-0007"
    for bad in ["000.15.16.H10-261128-0000", "000.15.16.H10-261332-0001", "000.15.16-261128-0001",
                "000.15.16.H10-261128-001", "H10-261128-0001", ""]:
        with pytest.raises(InvalidIdentifier):
            validate_dossier_code(bad)


def test_unit_codes():
    assert validate_unit_code("000.00.15.H10") == "000.00.15.H10"
    with pytest.raises(InvalidIdentifier) as err:
        validate_unit_code("00.00.15.H10")
    assert "QCVN 102:2016" in str(err.value)


# --- ASCII digits only (issue 12): \d and str.isdigit also match other scripts' digits

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC, DEVANAGARI], ids=["fullwidth", "arabic", "devanagari"])
def test_identifiers_in_other_digits_are_refused(digits):
    from repository.identifiers import parse_date
    cases = [
        (validate_personal_id, "001090012345"),
        (validate_subject_id, "001090012345"),
        (validate_subject_id, "0100101072"),
        (validate_enterprise_code, "0100101072"),
        (validate_enterprise_code, "0100101072-001"),
        (validate_unit_code, "000.15.16.H10"),
        (validate_dossier_code, "000.15.16.H10-261128-0001"),
        (parse_date, "2020-02-03"),
    ]
    for validate, good in cases:
        validate(good)                                   # the ASCII form passes
        with pytest.raises(InvalidIdentifier):
            validate(good.translate(digits))             # every digit in another script
        with pytest.raises(InvalidIdentifier):
            validate(good[:-1] + good[-1].translate(digits))   # one digit is enough


def test_one_key_per_person_whatever_the_digits():
    """A warehouse typed in full-width digits is not a second warehouse."""
    import transaction
    from repository.errors import ValidationError
    from repository.operations import create_warehouse
    from repository.resources import Root

    root = Root()
    for digits in (FULLWIDTH, ARABIC_INDIC):
        with pytest.raises(ValidationError) as err:
            create_warehouse(root, "001090012345".translate(digits), "Nguyễn Văn An", None)
        assert "12" in err.value.errors["subject_id"]
    assert list(root.subjects.keys()) == []
    transaction.abort()


def test_dates_are_iso_days_in_ascii():
    from repository.identifiers import parse_date
    assert parse_date(" 2020-02-03 ") == datetime.date(2020, 2, 3)
    for bad in ["2020-2-3", "20200203", "2020-02-03T00:00", "2020-02-30", "2020-02-03\n1"]:
        with pytest.raises(InvalidIdentifier):
            parse_date(bad)


def _database_with_twins(base):
    """A current database (storage_settings under base) holding, as an older
    version could write them, a full-width twin of 001090012345 and an
    Arabic-Indic key with no ASCII twin; its generation set back to just before
    the step that reports them."""
    import transaction

    from repository.db import ROOT_KEY, app_root, close_databases, open_databases
    from repository.evolve import STEPS, evolve, evolve_report_duplicate_keys
    from repository.resources import Warehouse
    from tests.conftest import storage_settings

    settings = storage_settings(base)
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    evolve(conn)
    twins = ["001090012345".translate(FULLWIDTH), "079203000001".translate(ARABIC_INDIC)]
    with conn.transaction_manager:
        subjects = app_root(conn).subjects
        for key in ["001090012345"] + twins:
            subjects.add(key, Warehouse(key, "person", "Nguyễn Văn An"))
        conn.root()[ROOT_KEY].generation = STEPS.index(evolve_report_duplicate_keys)
    conn.close()
    close_databases(db)
    return settings, twins


def test_evolve_reports_stored_twins_and_changes_nothing(tmp_path, caplog):
    import logging

    import transaction

    from repository.db import app_root, close_databases, open_databases
    from repository.evolve import GENERATION, STEPS, evolve, evolve_report_duplicate_keys, key_duplicates

    assert key_duplicates(["001090012345", "0100101072"]) == {}
    settings, twins = _database_with_twins(tmp_path)
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    before = sorted(app_root(conn).subjects.keys())
    with caplog.at_level(logging.WARNING, logger="repository.evolve"):
        ran = evolve(conn)
    assert STEPS.index(evolve_report_duplicate_keys) + 1 in ran and ran[-1] == GENERATION
    text = caplog.text
    assert repr(twins[0]) in text and "duplicate the warehouse 001090012345" in text
    assert repr(twins[1]) in text and "079203000001 in ASCII" in text
    assert sorted(app_root(conn).subjects.keys()) == before      # nothing changed
    conn.close()
    close_databases(db)


def test_kho_evolve_prints_the_report(tmp_path):
    import subprocess
    import sys

    from tests.conftest import write_ini

    (tmp_path / "var").mkdir()
    settings, twins = _database_with_twins(tmp_path / "var")
    ini = write_ini(tmp_path, settings)
    kho = [sys.executable, "-c", "import sys; from repository.cli import main; sys.exit(main())"]
    done = subprocess.run(kho + ["-c", ini, "evolve"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert twins[0] in output and "duplicate the warehouse 001090012345" in output
    assert "nothing was changed" in output
