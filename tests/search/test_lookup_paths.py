"""The shortcuts of a lookup change only the time taken: sparse matches
(search.evaluation.Matches) give what whole-segment arrays give, prefixes
looked up per segment give what the index-wide term list gave, and a
snippet skips folding a text only where no needle can be in it.

Each shortcut is compared with its general path on the same index: codes,
personal ids, words, phrases, prefixes and compound queries, with and
without an owner filter, over several segments with deletions."""
import importlib.util
import os
import random

import pytest

from search import QuerySyntaxError, evaluation, highlight, open_index
from search import whoosh_index as engine
from search.highlight import highlight_all, snippet
from search.matching import QueryMarker
from search.querylang import parse_query

from .test_exact_lookup import _docs as _code_docs

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "search.py")


def _bench_documents(n):
    spec = importlib.util.spec_from_file_location("kho_bench_search_paths", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.documents(n))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    docs = _bench_documents(400) + _code_docs()
    ix = open_index(tmp_path_factory.mktemp("paths") / "index")
    ix.rebuild(docs[:150])          # (a rebuild's folded terms share their twins' postings)
    for start in range(150, len(docs), 150):         # several segments
        ix.apply(upserts=docs[start:start + 150])
    ix.apply(deletes=[d["doc_id"] for d in docs[3:400:41]])
    assert ix.stats().segments > 2
    yield ix, docs
    ix.close()


def _queries(docs):
    rng = random.Random(11)
    queries = ["123/QĐ-UBND", "123/qd-ubnd", "456/QĐ-UBND", "789/QD-UBND", "999/QĐ-UBND",
               "079012345678", "0790123", "HS-2024-0001", "giấy", "giay", "khai sinh",
               '"quyền sử dụng đất"', "nhân dân OR tư pháp", "chủ tịch -quận", "phườ*",
               "ubnd", "-đất", "(cha OR mẹ) quốc tịch", "079012345678 OR 456/QĐ-UBND", ""]
    for doc in rng.sample(docs[:400], 6):
        queries += [doc["number"], doc["owner_id"], doc["dossier_codes"][0],
                    doc["number"].split("/")[0]]
    return queries


def _results(ix, query, filters):
    results = ix.search(query, filters=filters, pagelen=100)
    return results.total, results.facets, [
        (h.doc_id, h.score, h.fields, h.snippets) for h in results.hits]


@pytest.mark.parametrize("share", [1, 4], ids=["sparse up to the whole segment", "a quarter"])
def test_sparse_matches_give_what_whole_segment_arrays_give(corpus, monkeypatch, share):
    ix, docs = corpus
    owners = {docs[0]["owner_id"], "079012345678", "079011111111"}
    cases = [(query, filters) for query in _queries(docs)
             for filters in (None, {"owner_ids": owners})]
    monkeypatch.setattr(evaluation, "SPARSE_SHARE", share)
    fast = [_results(ix, query, filters) for query, filters in cases]
    monkeypatch.setattr(evaluation, "SPARSE_SHARE", 10 ** 9)     # dense everywhere
    slow = [_results(ix, query, filters) for query, filters in cases]
    for (query, filters), got, expected in zip(cases, fast, slow):
        assert got == expected, (query, filters)
    assert any(total for total, _, _ in fast)


def _phrase_each_time(self, seg, field, words, whole):
    infos = {word: seg.term_info(self._source(seg, field, word), word) for word in words}
    if None in infos.values():
        return None
    return self._find_phrase(seg, field, words, whole, infos)


def test_reading_each_list_and_phrase_once_per_search_changes_nothing(corpus, monkeypatch):
    ix, docs = corpus
    queries = _queries(docs) + ['"%s"' % " ".join(docs[7]["text"].split()[3:6]),
                                '"ubnd ngày"', "2939/2004/KH-STP"]
    once = [_results(ix, query, None) for query in queries]
    monkeypatch.setattr(evaluation.Evaluator, "_postings", lambda self, seg, field, text: (
        seg.postings(self._source(seg, field, text), text)))
    monkeypatch.setattr(evaluation.Evaluator, "_phrase_docs", _phrase_each_time)
    assert [_results(ix, query, None) for query in queries] == once


PREFIXES = ["0790", "079012345678", "123/qđ-ubnd", "123/qd-ubnd", "hs-2024", "ng", "ph",
            "29", "2/3", "ubnd", "qd", "qđ", "số", "xyz"]


def test_an_exact_field_is_looked_up_where_its_folded_twin_has_the_prefix(tmp_path,
                                                                           monkeypatch):
    docs = _bench_documents(120) + _code_docs() + [
        {"doc_id": "marks", "text": "số 0790\u0301123 và ngày 2\u0303/3 UBND ngừ 29\u0303"}]
    ix = open_index(tmp_path / "ix")
    ix.rebuild(docs[:100])
    ix.apply(upserts=docs[100:])
    searcher = ix._searcher()
    general = evaluation.Evaluator._prefix_terms

    def without_shortcut(self, field, text):
        self._folded_twin = {}
        return general(self, field, text)

    def terms():
        evaluator = evaluation.Evaluator(searcher, ix.path, engine._plan())
        return {(field, text): evaluator._prefix_terms(field, text)
                for text in PREFIXES for field in ("text_exact", "title_exact", "codes")}

    queries = PREFIXES + [p + "*" for p in PREFIXES if len(p) > 1]
    fast = terms(), [_results(ix, query, None) for query in queries]
    monkeypatch.setattr(evaluation.Evaluator, "_prefix_terms", without_shortcut)
    assert (terms(), [_results(ix, query, None) for query in queries]) == fast
    assert any(terms for _, per_segment in fast[0].values() for terms in per_segment.values())


def test_a_lookup_stays_sparse(corpus, monkeypatch):
    ix, _ = corpus
    densified = []
    dense = evaluation.Matches.dense

    def counted(self):
        densified.append(self.mask is None)
        return dense(self)

    monkeypatch.setattr(evaluation.Matches, "dense", counted)
    assert ix.search("123/QĐ-UBND", facets=engine.DEFAULT_FACETS).total
    assert ix.search("079012345678", filters={"owner_ids": "079012345678"}).total
    assert not any(densified)


def test_the_prefix_limit_counts_the_index_terms_once(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MAX_PREFIX_TERMS", 2)
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "a", "text": "ab10 ab11"}])
    ix.apply(upserts=[{"doc_id": "b", "text": "ab10 ab11"}])       # the same two terms
    assert {h.doc_id for h in ix.search("ab1*").hits} == {"a", "b"}
    ix.apply(upserts=[{"doc_id": "c", "text": "ab12"}])            # a third, elsewhere
    with pytest.raises(QuerySyntaxError, match="too many"):
        ix.search("ab1*")
    # a code's automatic prefix gives up quietly: the code alone still counts
    ix.apply(upserts=[{"doc_id": "d", "text": "x", "number": "9/AB"},
                      {"doc_id": "e", "text": "x", "number": "9/AB-1"}])
    ix.apply(upserts=[{"doc_id": "f", "text": "x", "number": "9/AB-2"}])
    assert ix.search("9/AB").total >= 1


TEXTS = ["Căn cước công dân số 079012345678 Nguyễn Văn An",
         "số 0790123456789 và x079012345678 và 079012345678x",
         "theo Quyết định số 123/QĐ-UBND ngày 2/3/2020 của 123/qd-ubnd-2",
         "UBND ra QĐ số 456 ngày, 456 QĐ UBND",
         "căn cứ Luật Tổ chức chính quyền địa phương " * 20,
         "Số 2939/2004/KH-STP ngày 1/1/2004", "2939 / 2004 / KH - STP", "",
         "số 0790\u030112345678 và 079012345678\u0301 và 123\u0303/QĐ-UBND"]
MARKED = ["079012345678", "0790123", "123/QĐ-UBND", "123/qd-ubnd", "456/QĐ-UBND",
          "2939/2004/KH-STP", "2939", "2/3/2020", "ubnd", "số 456", '"456 qđ"', "chính*"]


@pytest.mark.parametrize("query", MARKED)
def test_a_snippet_skips_only_texts_no_needle_can_match(monkeypatch, query):
    marker = QueryMarker(parse_query(query))
    fast = [(snippet(t, marker), highlight_all(t, marker)) for t in TEXTS]
    monkeypatch.setattr(highlight, "_may_hold", lambda text, leads: True)
    slow = [(snippet(t, marker), highlight_all(t, marker)) for t in TEXTS]
    assert fast == slow


def test_a_filter_keeps_the_unfiltered_order_and_scores(corpus):
    ix, docs = corpus
    owner_of = {d["doc_id"]: d.get("owner_id") for d in docs}
    owners = {docs[0]["owner_id"], "079012345678", "079011111111"}
    for query in _queries(docs):
        everything = ix.search(query, pagelen=1000, facets=())
        mine = ix.search(query, filters={"owner_ids": owners}, pagelen=1000, facets=())
        expected = [(h.doc_id, h.score) for h in everything.hits if owner_of[h.doc_id] in owners]
        assert [(h.doc_id, h.score) for h in mine.hits] == expected, query
        assert mine.total == len(expected), query


def test_the_filter_is_made_only_for_segments_with_matches(corpus, monkeypatch):
    ix, _ = corpus
    asked = []
    made = engine.WhooshIndex._allowed_mask

    def counted(checks, seg):
        asked.append(seg.key)
        return made(checks, seg)

    monkeypatch.setattr(engine.WhooshIndex, "_allowed_mask", staticmethod(counted))
    results = ix.search("456/QĐ-UBND", filters={"owner_ids": {"079011111111"}})
    assert [h.doc_id for h in results.hits] and len(asked) < ix.stats().segments
    asked.clear()
    assert ix.search("", filters={"owner_ids": {"079011111111"}}).total
    assert len(asked) == ix.stats().segments


def test_loose_marks_are_found_as_the_pattern_finds_them():
    texts = ["", "plain", "Nguyễn Văn An", "so\u0301 2\u0303", "\u0370\u037f Greek", "\u036f",
             "a\u0340b", "\u0330", "x\ud800y", "\u0300" * 3] + [
        "ab%sc" % chr(code) for code in range(0x2f0, 0x390)]
    for text in texts:
        assert highlight._loose_marks(text) == bool(highlight._COMBINING_MARK.search(text)), text
