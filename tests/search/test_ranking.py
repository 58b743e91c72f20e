"""Ranking of words typed without quotes: where they stand together, in order,
comes first (a name typed without diacritics, a paper number, an address)."""
import random

import pytest

from search import open_index

FILLER = ["căn cứ Luật Tổ chức chính quyền địa phương", "theo đề nghị của trưởng phòng",
          "nơi cư trú", "quốc tịch Việt Nam", "hồ sơ đã được tiếp nhận", "ngày làm việc"]


def _doc(doc_id, text, **extra):
    return dict({"doc_id": doc_id, "text": text, "paper_name": "Giấy khai sinh"}, **extra)


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    rng = random.Random(7)
    docs = []
    # decoys: short papers holding every syllable of the names, often, but apart
    for k in range(60):
        # (each pair of the name stands together somewhere, never the whole name)
        parts = ["Triệu Thị Lan", "Lê Văn Nam", "Phạm Quang Cường", "Cường", "Triệu",
                 "phường Tân Định", "bến xe", "nghệ nhân", "số 123", "quyết định",
                 "Ủy ban nhân dân", "qđ", "Hà Văn Cường", "Triệu Văn Nam"]
        rng.shuffle(parts)
        docs.append(_doc("decoy-%02d" % k, " ".join(parts)))
    # the papers sought: long, the name or number once, together
    long_text = " ".join(rng.choice(FILLER) for _ in range(60))
    docs.append(_doc("target-name", long_text + " người đi đăng ký Triệu Văn Cường " + long_text))
    docs.append(_doc("twin-name", long_text + " bên bán Triều Văn Cương " + long_text))
    docs.append(_doc("target-address", long_text + " thường trú phường Bến Nghé quận Một "
                     + long_text))
    docs.append(_doc("target-number", long_text + " theo Quyết định 123 QĐ UBND ngày "
                     + long_text))
    index = open_index(tmp_path_factory.mktemp("ranking"))
    index.rebuild(docs[:40])
    index.apply(upserts=docs[40:])        # ranking is the same across segments
    return index


def _ranked(ix, query):
    return [h.doc_id for h in ix.search(query, pagelen=10, highlight=False).hits]


def test_a_name_typed_without_diacritics_finds_it_together_first(ix):
    top = _ranked(ix, "trieu van cuong")
    # both names fold to "trieu van cuong": they come before every decoy
    assert set(top[:2]) == {"target-name", "twin-name"}


def test_the_exact_spelling_still_comes_first(ix):
    assert _ranked(ix, "Triệu Văn Cường")[0] == "target-name"
    assert _ranked(ix, "Triều Văn Cương")[0] == "twin-name"


def test_an_address_and_a_paper_number_without_quotes(ix):
    assert _ranked(ix, "phuong ben nghe")[0] == "target-address"
    assert _ranked(ix, "quyet dinh 123 qd ubnd")[0] == "target-number"


def test_every_match_is_still_found(ix):
    # the lift changes the order only: the same documents match
    assert ix.search("trieu van cuong", pagelen=100).total == 62
    assert ix.search('"trieu van cuong"', pagelen=100).total == 2
