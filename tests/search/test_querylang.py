import pytest

from search.errors import QuerySyntaxError, SearchError
from search.querylang import And, MatchAll, Not, Or, Phrase, Prefix, Word, parse_query


def test_words_phrases_prefixes_and_operators():
    tree = parse_query('"Giấy khai sinh" 123/QĐ-UBND -thuế (hộ OR khai*)')
    assert tree == And((
        Phrase(("giấy", "khai", "sinh")),
        Word("123/qđ-ubnd", ("123", "qđ", "ubnd")),
        Not(Word(None, ("thuế",))),
        Or((Word(None, ("hộ",)), Prefix("khai"))),
    ))


def test_blank_query_matches_all():
    assert parse_query("   ") == MatchAll()


def test_only_negative_terms_are_taken_from_everything():
    assert parse_query("-thuế") == And((MatchAll(), Not(Word(None, ("thuế",)))))


def test_old_style_tones_in_a_query_are_normalized():
    assert parse_query("hóa") == Word(None, ("hoá",))


@pytest.mark.parametrize("text, fragment", [
    ('"giấy khai', "unbalanced quote"),
    ("(giấy khai", "never closed"),
    ("giấy khai)", "no matching '('"),
    ("giấy OR", "nothing after"),
    ("OR giấy", "nothing before"),
    ("AND giấy", "nothing before"),
    ("giấy AND", "nothing after"),
    ("NOT", "nothing after"),
    ("()", "empty parentheses"),
    ("g*y", "trailing *"),
    ("*", "at least"),
    ("a*", "at least"),
    ("!!! ???", "no letters or digits"),
])
def test_malformed_queries_raise_a_readable_error(text, fragment):
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, SearchError)
