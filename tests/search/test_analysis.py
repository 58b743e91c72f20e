import unicodedata

import pytest

from search.analysis import PART, WHOLE, WORD, fold_vi, normalize_vi, tokenize


@pytest.mark.parametrize("old, new", [
    ("hóa", "hoá"), ("Hòa Bình", "Hoà Bình"), ("HÓA ĐƠN", "HOÁ ĐƠN"),
    ("thủy", "thuỷ"), ("Thụy", "Thuỵ"), ("tùy", "tuỳ"), ("khỏe", "khoẻ"), ("xòe", "xoè"),
    ("lõa", "loã"), ("họa", "hoạ"),
])
def test_old_and_new_tone_placement_have_one_spelling(old, new):
    assert normalize_vi(old) == new
    assert normalize_vi(new) == new


@pytest.mark.parametrize("word", ["hoàng", "khuỷu", "quý", "mùa", "của", "thuyền", "toán",
                                  "Nguyễn", "giấy"])
def test_tone_inside_a_syllable_with_a_final_letter_is_not_moved(word):
    assert normalize_vi(word) == word


@pytest.mark.parametrize("lookalike", ["\u00d0", "\u0189"])
def test_capital_d_lookalikes_become_d_stroke(lookalike):
    assert normalize_vi(lookalike + "ồng Nai") == "\u0110ồng Nai"


@pytest.mark.parametrize("lookalike", ["\u00f0", "\u0256"])
def test_small_d_lookalikes_become_d_stroke(lookalike):
    assert normalize_vi(lookalike + "ịa chỉ") == "\u0111ịa chỉ"


def test_decomposed_input_is_composed_and_keeps_length():
    nfd = unicodedata.normalize("NFD", "Giấy chứng nhận quyền sử dụng đất, thủy lợi")
    out = normalize_vi(nfd)
    assert out == "Giấy chứng nhận quyền sử dụng đất, thuỷ lợi"
    assert len(out) == len(unicodedata.normalize("NFC", nfd))


@pytest.mark.parametrize("accented, folded", [
    ("ã", "a"), ("ạ", "a"), ("ẫ", "a"), ("ỹ", "y"), ("ỵ", "y"), ("ọ", "o"), ("ộ", "o"),
    ("ữ", "u"), ("ự", "u"), ("ẽ", "e"), ("ệ", "e"), ("ĩ", "i"), ("ị", "i"),
    ("đ", "d"), ("Đ", "D"), ("ð", "d"), ("Ð", "D"),
    ("Nguyễn Thị Thuỷ", "Nguyen Thi Thuy"), ("Đồng bằng sông Cửu Long", "Dong bang song Cuu Long"),
    ("giấy chứng nhận", "giay chung nhan"),
])
def test_folding_removes_tones_and_marks(accented, folded):
    assert fold_vi(accented) == folded
    assert fold_vi(unicodedata.normalize("NFD", accented)) == folded


def test_folding_matches_old_and_new_placement():
    assert fold_vi("hóa") == fold_vi("hoá") == "hoa"


def test_tokens_are_lower_case_syllables_with_positions_and_offsets():
    text = "Giấy KHAI sinh, của: Nguyễn Văn A."
    tokens = list(tokenize(text))
    assert [t.text for t in tokens] == ["giấy", "khai", "sinh", "của", "nguyễn", "văn", "a"]
    assert [t.pos for t in tokens] == list(range(7))
    assert all(t.kind == WORD for t in tokens)
    assert [text[t.start:t.end] for t in tokens] == ["Giấy", "KHAI", "sinh", "của", "Nguyễn",
                                                     "Văn", "A"]


def test_a_code_is_kept_whole_and_split_into_parts():
    tokens = list(tokenize("Quyết định số 123/QĐ-UBND ngày 05/01/2024."))
    got = [(t.text, t.pos, t.kind) for t in tokens]
    assert got == [
        ("quyết", 0, WORD), ("định", 1, WORD), ("số", 2, WORD),
        ("123/qđ-ubnd", 3, WHOLE), ("123", 3, PART), ("qđ", 4, PART), ("ubnd", 5, PART),
        ("ngày", 6, WORD),
        ("05/01/2024", 7, WHOLE), ("05", 7, PART), ("01", 8, PART), ("2024", 9, PART),
    ]


def test_code_with_en_dash_and_eth_is_normalized():
    tokens = [t.text for t in tokenize("Số 45/2023/NÐ\u2013CP") if t.kind == WHOLE]
    assert tokens == ["45/2023/nđ-cp"]


def test_normalize_rejects_non_text():
    with pytest.raises(TypeError):
        normalize_vi(b"bytes")


def test_the_indexing_fast_path_gives_the_tokens_of_tokenize():
    from search.analysis import token_texts, tokenize
    from tests.search.test_evaluation import _bench
    texts = [d["text"] for d in _bench().documents(200)]
    texts.append("a_b 12a x\u0301y 123/QĐ-UBND Ⅻ ½ ² đ:e hóa-đơn 05.03.2024 ")
    for text in texts:
        assert token_texts(text) == [(t.text, t.pos) for t in tokenize(text)]
