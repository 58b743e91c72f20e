"""A query that is one code (a paper number, a personal id, a dossier code)
finds, ranks, filters and marks exactly what the phrase of its parts matched
by position: the shortcut (search.evaluation's _only_whole) changes only the
time taken."""
import pytest

from search import evaluation, open_index

FILLER = "căn cứ Luật Tổ chức chính quyền địa phương theo đề nghị của trưởng phòng"


def _docs():
    docs = []
    for k in range(30):
        docs.append({"doc_id": "filler-%02d" % k, "text": "%s số %d năm 2020" % (FILLER, k),
                     "paper_name": "Quyết định", "owner_id": "0790%08d" % k,
                     "number": "%d/QĐ-UBND" % (200 + k), "type_code": "QD"})
    docs += [
        # one number in several papers, and cited in another's text
        {"doc_id": "shared-a", "text": FILLER, "paper_name": "Quyết định", "number": "123/QĐ-UBND",
         "owner_id": "079012345678", "dossier_codes": ["HS-2024-0001"]},
        {"doc_id": "shared-b", "text": FILLER + " 123/QĐ-UBND", "paper_name": "Quyết định",
         "number": "123/QĐ-UBND", "owner_id": "079087654321"},
        {"doc_id": "cites", "text": "theo Quyết định số 123/QĐ-UBND ngày 2/3/2020",
         "owner_id": "079012345678"},
        # the parts of a number stand together without its joiners: the phrase
        # matches where the whole code is not
        {"doc_id": "spaced", "text": "theo Quyết định 456 QĐ UBND ngày", "owner_id": "079011111111"},
        {"doc_id": "joined", "text": FILLER, "number": "456/QĐ-UBND", "owner_id": "079011111111"},
        # ... and apart: no phrase, though the paper holds every part
        {"doc_id": "apart", "text": "UBND ra QĐ số 456 ngày", "owner_id": "079011111111"},
        {"doc_id": "apart-too", "text": "UBND ra QĐ số 456 và 456/QĐ-UBND",
         "owner_id": "079044444444"},
        # the personal id in the text of a card, and a longer code starting with it
        {"doc_id": "card", "text": "Căn cước công dân số 079012345678 Nguyễn Văn An",
         "owner_id": "079012345678", "paper_name": "Căn cước công dân"},
        {"doc_id": "longer", "text": FILLER, "number": "123/QĐ-UBND-2",
         "owner_id": "079022222222", "dossier_codes": ["HS-2024-0001-B"]},
        # a code written in folded form only
        {"doc_id": "folded", "text": "công văn 789/QD-UBND", "owner_id": "079033333333"},
        {"doc_id": "accented", "text": FILLER, "number": "789/QĐ-UBND", "owner_id": "079033333333"},
    ]
    return docs


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    docs = _docs()
    index = open_index(tmp_path_factory.mktemp("exact"))
    index.rebuild(docs[:25])
    index.apply(upserts=docs[25:34])       # codes in several segments
    index.apply(upserts=docs[34:])
    return index


QUERIES = ["123/QĐ-UBND", "123/qd-ubnd", "456/QĐ-UBND", "789/QĐ-UBND", "789/QD-UBND",
           "205/QĐ-UBND", "999/QĐ-UBND", "079012345678", "079000000007", "079099999999",
           "HS-2024-0001", "hs-2024-0001-b", "HS-2024-9999"]
FILTERS = [None, {"owner_ids": {"079012345678"}}, {"owner_ids": {"079011111111", "079033333333"}}]


def _results(index, query, filters):
    results = index.search(query, filters=filters, pagelen=50)
    return results.total, results.facets, [
        (h.doc_id, h.score, h.fields, h.snippets) for h in results.hits]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("query", QUERIES)
def test_a_code_finds_what_the_phrase_by_position_finds(ix, monkeypatch, query, filters):
    taken = []
    only_whole = evaluation.Evaluator._only_whole

    def counted(self, *args):
        taken.append(only_whole(self, *args))
        return taken[-1]

    monkeypatch.setattr(evaluation.Evaluator, "_only_whole", counted)
    fast = _results(ix, query, filters)
    monkeypatch.setattr(evaluation.Evaluator, "_only_whole", lambda self, *args: False)
    slow = _results(ix, query, filters)
    assert fast == slow
    if query in ("123/QĐ-UBND", "456/QĐ-UBND"):
        assert True in taken        # the shortcut was taken somewhere


def test_the_shortcut_keeps_papers_where_the_parts_stand_apart_from_the_code(ix):
    found = [h.doc_id for h in ix.search("456/QĐ-UBND", pagelen=50).hits]
    assert set(found) == {"spaced", "joined", "apart-too"}
    found = [h.doc_id for h in ix.search("123/QĐ-UBND", pagelen=50).hits]
    assert {"shared-a", "shared-b", "cites", "longer"} <= set(found)
    assert ix.search("999/QĐ-UBND").total == 0
