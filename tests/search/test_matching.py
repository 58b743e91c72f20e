import pytest

from search import fold_vi, match_words
from search.errors import QuerySyntaxError
from search.highlight import highlight_all, snippet
from search.matching import QueryMarker
from search.querylang import parse_query

WORDS = ["CỘNG", "HÒA", "Giấy", "khai", "sinh,", "số:", "123/QĐ-UBND", "của", "giày", "thuế"]


def test_words_match_exact_and_folded():
    assert match_words("giấy", WORDS) == [2, 8]          # giày folds to giay too
    assert match_words("giay khai", WORDS) == [2, 3, 8]


def test_old_style_query_matches_new_style_word():
    assert match_words("hoà", WORDS) == [1]
    assert match_words("HÓA", ["văn", "hoá"]) == [1]


def test_phrase_marks_only_consecutive_words():
    assert match_words('"khai sinh"', WORDS) == [3, 4]
    assert match_words('"sinh khai"', WORDS) == []


def test_code_prefix_marks_the_code():
    assert match_words("123/QĐ", WORDS) == [6]
    assert match_words("ubnd", WORDS) == [6]


def test_negated_words_are_not_marked():
    assert match_words("khai -thuế", WORDS) == [3]


def test_malformed_query_raises():
    with pytest.raises(QuerySyntaxError):
        match_words('"khai', WORDS)


def test_snippet_escapes_and_marks():
    text = "Ông <b>Nguyễn</b> & bà: Giấy khai sinh số 123/QĐ-UBND. " + "lorem " * 100
    html = snippet(text, QueryMarker(parse_query("giay khai sinh 123/QĐ")))
    assert "&lt;b&gt;Nguyễn&lt;/b&gt; &amp;" in html
    assert "<mark>Giấy khai sinh</mark>" in html
    assert "<mark>123/QĐ-UBND</mark>" in html
    assert "<b>" not in html
    assert html.endswith("\u2026")
    assert len(html) < 400


def test_snippet_picks_the_passage_with_the_matches():
    text = "mở đầu " * 200 + "Giấy khai sinh" + " kết thúc" * 200
    html = snippet(text, QueryMarker(parse_query('"khai sinh"')))
    assert "Giấy <mark>khai sinh</mark>" in html
    assert html.startswith("\u2026")


def test_highlight_all_marks_every_match():
    assert highlight_all("Giấy khai sinh & giày", QueryMarker(parse_query("giay"))) == \
        "<mark>Giấy</mark> khai sinh &amp; <mark>giày</mark>"


def _spans_by_full_tokenizing(text, marker):
    from search.analysis import tokenize
    tokens = list(tokenize(text))
    return sorted((tokens[i].start, tokens[i].end) for i in marker.marked(tokens))


def test_marks_found_through_needles_equal_those_of_tokenizing_everything():
    """highlight tokenizes only around needle hits; it must mark what
    tokenizing the whole text marks."""
    import random
    import unicodedata
    from search import highlight
    from tests.search.test_evaluation import _bench
    bench = _bench()
    docs = list(bench.documents(40))
    rng = random.Random(5)
    extra = ("Hóa đơn THUỶ LỢI, hoá đơn số 12/HĐ-TL; Đà Nẵng, ÐÀ NẴNG. "
             "Ông Nguyễn Văn An sinh 05/03/1990 tại xã Tân Phú. q\u0300 x\u0301y "
             "Tân" + " " * 40 + "Phú, Hà ------------------------------ Nội\n\n\n Hà\n" * 3
             + "Nội")
    queries = ["hoá đơn", "THUY", '"van an"', "12/hđ", "nguy*", "da nang", "05/03/1990",
               '"tân phú"', "q", "xy", "an -sinh", '"hà nội"', '"phú hà nội"']
    for doc in docs[:12]:
        words = doc["text"].split()
        queries.append(rng.choice(words))
        queries.append('"%s"' % " ".join(words[5:8]))
        queries.append(fold_vi(" ".join(words[10:12])))
    for doc in docs + [{"text": extra}]:
        text = unicodedata.normalize("NFC", doc["text"])
        for query in queries:
            marker = QueryMarker(parse_query(query))
            got = highlight._token_spans(text, marker)
            assert got == _spans_by_full_tokenizing(text, marker), (query, text[:60])
