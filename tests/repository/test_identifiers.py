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
