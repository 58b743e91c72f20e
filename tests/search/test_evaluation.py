"""search.evaluation against Whoosh's own matchers, the reference.

The same parsed queries are translated into whoosh.query objects here (the
translation Kho used before the array evaluator) and run with Whoosh's
searcher; both must find the same documents with the same BM25F scores.
The corpus is the bench's generator (seeded), written in several segments
with deletions, so per-segment offsets, deleted documents and cached
posting lists are all exercised.
"""
import importlib.util
import os
import random

import pytest
from whoosh import query as wq

from search import analysis, open_index
from search import whoosh_index as engine
from search.querylang import And, MatchAll, Not, Or, Phrase, Prefix, parse_query

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "search.py")


def _bench():
    spec = importlib.util.spec_from_file_location("kho_bench_search", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the reference: Whoosh queries ----------------------------------------------------

def _terms(text):
    folded = analysis.fold_token(text)
    return [wq.Term("text_exact", text, boost=engine.BOOST_TEXT_EXACT),
            wq.Term("title_exact", text, boost=engine.BOOST_TITLE_EXACT),
            wq.Term("text_folded", folded, boost=engine.BOOST_TEXT_FOLDED),
            wq.Term("title_folded", folded, boost=engine.BOOST_TITLE_FOLDED)]


def _phrases(parts):
    folded = [analysis.fold_token(p) for p in parts]
    return [wq.Phrase("text_exact", list(parts), boost=engine.BOOST_TEXT_EXACT),
            wq.Phrase("title_exact", list(parts), boost=engine.BOOST_TITLE_EXACT),
            wq.Phrase("text_folded", folded, boost=engine.BOOST_TEXT_FOLDED),
            wq.Phrase("title_folded", folded, boost=engine.BOOST_TITLE_FOLDED)]


def _prefix(reader, fields, text):
    out = []
    for field, boost in fields:
        texts = {text, analysis.fold_token(text)} if field == "codes" else (
            [analysis.fold_token(text)] if field.endswith("_folded") else [text])
        for item in texts:
            terms = list(reader.expand_prefix(field, item))
            if terms:
                out.append(wq.ConstantScoreQuery(wq.Or([wq.Term(field, t) for t in terms]),
                                                 score=boost))
    return out


def reference_query(node, reader):
    if isinstance(node, MatchAll):
        return wq.Every()
    if isinstance(node, And):
        return wq.And([reference_query(i, reader) for i in node.items])
    if isinstance(node, Or):
        return wq.Or([reference_query(i, reader) for i in node.items])
    if isinstance(node, Not):
        return wq.Not(reference_query(node.item, reader))
    if isinstance(node, Phrase):
        return wq.Or(_phrases(node.parts))
    if isinstance(node, Prefix):
        return wq.Or(_prefix(reader, (
            ("text_exact", engine.BOOST_TEXT_EXACT), ("title_exact", engine.BOOST_TITLE_EXACT),
            ("text_folded", engine.BOOST_TEXT_FOLDED),
            ("title_folded", engine.BOOST_TITLE_FOLDED), ("codes", engine.BOOST_CODE)),
            node.text))
    key = node.whole if node.whole is not None else node.parts[0]
    sub = _terms(key) + (_phrases(node.parts) if node.whole is not None else [])
    if node.code_like and len(key) >= engine.MIN_AUTO_PREFIX:
        sub += _prefix(reader, (("codes", engine.BOOST_CODE),
                                ("text_exact", engine.BOOST_TEXT_EXACT),
                                ("text_folded", engine.BOOST_TEXT_FOLDED)), key)
    return wq.Or(sub)


# -- the corpus -----------------------------------------------------------------------

N_DOCS = 600


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    bench = _bench()
    docs = list(bench.documents(N_DOCS))
    ix = open_index(tmp_path_factory.mktemp("evaluation") / "index")
    for start in range(0, N_DOCS, 200):         # three segments
        ix.apply(upserts=docs[start:start + 200])
    ix.apply(deletes=[d["doc_id"] for d in docs[5:N_DOCS:37]])
    assert ix.stats().segments > 1
    yield ix, docs, bench
    ix.close()


def _queries(docs, bench):
    rng = random.Random(7)
    picked = rng.sample(docs, 8)
    queries = ["giấy", "giay", "khai sinh", '"quyền sử dụng đất"', '"quyen su dung"',
               "nhân dân OR tư pháp", "chủ tịch -quận", "thửa đất số", "Nguyễn Văn",
               "hoà OR hóa", "phườ*", "ubnd", "-đất", "(cha OR mẹ) quốc tịch"]
    for doc in picked:
        queries += [doc["number"], doc["owner_id"], doc["dossier_codes"][0][:12],
                    '"%s"' % " ".join(doc["text"].split()[5:8])]
        dates = bench._DATE.findall(doc["text"])
        if dates:
            queries.append(dates[0])
    return queries


@pytest.mark.parametrize("slice_share", [64, 1, 10 ** 9],
                         ids=["as shipped", "phrases by runs", "phrases by masks"])
def test_the_same_matches_and_scores_as_whoosh(corpus, monkeypatch, slice_share):
    # BM25F as Whoosh scores it; the lift of words standing together (which
    # Whoosh has no query for) is tested in test_ranking.py. Phrases are
    # checked through both ways of picking the candidates' positions.
    from search import evaluation
    monkeypatch.setattr(evaluation, "PROXIMITY_STEP", 0.0)
    monkeypatch.setattr(evaluation, "_SLICE_SHARE", slice_share)
    ix, docs, bench = corpus
    searcher = ix._searcher()
    for text in _queries(docs, bench):
        tree = parse_query(text)
        reference = searcher.search(reference_query(tree, searcher.reader()), limit=None)
        expected = {hit.docnum: hit.score for hit in reference}
        results = ix.search(text, pagelen=1000, facets=(), highlight=False)
        assert results.total == len(expected), text
        stored = {searcher.stored_fields(d)["doc_id"]: s for d, s in expected.items()}
        got = {hit.doc_id: hit.score for hit in results.hits}
        assert set(got) == set(stored), text
        for doc_id, score in got.items():
            assert score == pytest.approx(stored[doc_id], rel=1e-6, abs=1e-9), (text, doc_id)
        ranked = [hit.score for hit in results.hits]
        assert ranked == sorted(ranked, reverse=True), text


def test_facets_and_filters_agree_with_a_count_by_hand(corpus):
    ix, docs, _ = corpus
    deleted = {d["doc_id"] for d in docs[5:N_DOCS:37]}
    live = [d for d in docs if d["doc_id"] not in deleted]
    owner = live[3]["owner_id"]
    results = ix.search("", filters={"type_code": {"KS", "QD"}, "state": "reusable"},
                        facets=("type_code", "year", "desk"), pagelen=1000)
    expected = [d for d in live if d["type_code"] in ("KS", "QD") and d["state"] == "reusable"]
    assert results.total == len(expected)
    assert {h.doc_id for h in results.hits} == {d["doc_id"] for d in expected}
    by_type = {}
    for d in expected:
        by_type[d["type_code"]] = by_type.get(d["type_code"], 0) + 1
    assert results.facets["type_code"] == by_type
    assert sum(results.facets["year"].values()) == len(expected)
    mine = ix.search("", filters={"owner_ids": {owner}}, pagelen=1000)
    assert {h.doc_id for h in mine.hits} == {d["doc_id"] for d in live if d["owner_id"] == owner}


def test_warming_fills_the_cache_and_changes_no_result(corpus, monkeypatch):
    from search import segments
    ix, docs, bench = corpus
    queries = _queries(docs, bench)
    before = [[(h.doc_id, round(h.score, 9)) for h in ix.search(q, facets=()).hits]
              for q in queries]
    monkeypatch.setattr(segments, "CACHE_MIN_POSTINGS", 20)
    monkeypatch.setattr(segments, "_LISTS", segments._ListCache())
    assert ix.warm() > 10
    assert segments._LISTS._entries > 0
    after = [[(h.doc_id, round(h.score, 9)) for h in ix.search(q, facets=()).hits]
             for q in queries]
    assert after == before


def test_a_number_with_a_stray_mark_is_found_by_the_bare_number(tmp_path):
    """"2\u0303" folds to "2": the folded field's list of "2" is not the
    exact field's, so it must not be read from there."""
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "mark", "text": "thửa số 2\u0303 tờ 7"},
                      {"doc_id": "bare", "text": "thửa số 2 tờ 8"}])
    assert {h.doc_id for h in ix.search("2").hits} == {"mark", "bare"}
    assert [h.doc_id for h in ix.search("2").hits][0] == "bare"      # exact first


def test_a_typed_prefix_is_refused_whatever_the_word_order(tmp_path, monkeypatch):
    from search import QuerySyntaxError
    monkeypatch.setattr(engine, "MAX_PREFIX_TERMS", 2)
    ix = open_index(tmp_path / "ix")
    ix.apply(upserts=[{"doc_id": "d", "text": "ab10 ab11 ab12 ab13"}])
    for text in ("ab1*", "ab1* ab1", "ab1 ab1*"):
        with pytest.raises(QuerySyntaxError, match="too many"):
            ix.search(text)
