"""Applies into a live index (search.live): readers kept, one small segment per
apply, merges in the background that lose no change made meanwhile."""
import importlib.util
import os
import threading

import pytest

from search import live, open_index

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "search.py")


def _bench():
    spec = importlib.util.spec_from_file_location("kho_bench_search_live", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def docs():
    return list(_bench().documents(400))


@pytest.fixture(autouse=True)
def merge_here(monkeypatch):
    """Merged segments built in this process (a child process per merge is
    slow to start; test_a_merge_in_a_child_process covers it)."""
    monkeypatch.setattr(live, "build_merged", live.build_here)


@pytest.fixture
def ix(tmp_path, docs):
    index = open_index(tmp_path / "ix")
    index.rebuild(docs[:300], segment_docs=100)          # three bulk segments
    yield index
    index.merger.wait(120)
    index.close()


def _opened(monkeypatch):
    """A list that grows by one per segment reader opened."""
    opened = []
    real = live.SegmentReader

    def counting(*args, **kwargs):
        opened.append(args[2].segment_id())
        return real(*args, **kwargs)
    monkeypatch.setattr(live, "SegmentReader", counting)
    return opened


def _ids(ix, query, **kw):
    return {h.doc_id for h in ix.search(query, pagelen=1000, facets=(), **kw).hits}


def test_an_apply_opens_only_the_segment_it_writes(ix, docs, monkeypatch):
    ix.count()                                  # this thread's readers are open
    opened = _opened(monkeypatch)
    ix.apply(upserts=[dict(docs[5], doc_id="fresh-1", number="77/2024/QĐ-UBND")])
    ix.apply(deletes=[docs[7]["doc_id"]])
    assert len(opened) == 1                     # the new segment; the delete opens nothing
    assert _ids(ix, "77/2024/QĐ-UBND") == {"fresh-1"}
    assert ix.count() == 300


def test_an_upsert_replaces_and_a_delete_removes_at_once(ix, docs):
    changed = dict(docs[10], text="giấy chứng nhận mới hoàn toàn xyzzy", stamp="v2")
    report = ix.apply(upserts=[changed], deletes=[docs[11]["doc_id"], "no-such-doc"])
    assert (report.upserted, report.deleted) == (1, 1)
    assert _ids(ix, "xyzzy") == {docs[10]["doc_id"]}
    assert ix.stamps()[docs[10]["doc_id"]] == "v2"
    assert docs[11]["doc_id"] not in ix.stamps()
    assert ix.count() == 299
    ix.apply(upserts=[dict(changed, text="lần thứ ba quux", stamp="v3")])
    assert _ids(ix, "xyzzy") == set() and _ids(ix, "quux") == {docs[10]["doc_id"]}
    assert ix.count() == 299


def test_another_thread_and_another_index_object_see_the_change(ix, docs):
    ix.count()
    other = open_index(ix.path)
    other.count()
    seen = []
    ix.apply(upserts=[dict(docs[300], doc_id="seen-by-all", text="plugh")])
    thread = threading.Thread(target=lambda: seen.append(_ids(ix, "plugh")))
    thread.start()
    thread.join()
    assert seen == [{"seen-by-all"}]
    assert _ids(other, "plugh") == {"seen-by-all"}


def test_merges_keep_the_segment_count_bounded_and_lose_nothing(ix, docs):
    for doc in docs[300:340]:
        ix.apply(upserts=[doc])
    ix.apply(deletes=[docs[301]["doc_id"], docs[0]["doc_id"]])
    assert ix.merger.wait(120)
    small = [s for s in ix._ix._segments() if s.doc_count_all() < live.MAX_MERGE_DOCS]
    assert len(small) <= live.MAX_SMALL_SEGMENTS
    assert ix.merger.merges >= 1
    assert ix.count() == 338
    stamps = ix.stamps()
    expected = {d["doc_id"]: d["stamp"] for d in docs[:340]
                if d["doc_id"] not in (docs[301]["doc_id"], docs[0]["doc_id"])}
    assert stamps == expected
    number = docs[320]["number"]
    assert docs[320]["doc_id"] in _ids(ix, number)
    assert ix.search(number).hits[0].fields["owner_id"] == docs[320]["owner_id"]


def test_a_change_made_during_a_merge_is_carried_into_the_merged_segment(ix, docs,
                                                                          monkeypatch):
    monkeypatch.setattr(live, "MAX_SMALL_SEGMENTS", 1)
    monkeypatch.setattr(live, "MERGE_FACTOR", 2)
    ix.apply(upserts=docs[300:302])
    ix.apply(upserts=docs[302:304])
    assert ix.merger.wait(120)
    real = live.build_merged
    done = []

    def slow_build(path, segments):
        built = real(path, segments)
        if not done:
            # meanwhile a request deletes one of the documents being merged
            # and replaces another
            done.append(True)
            ix.apply(deletes=[docs[300]["doc_id"]])
            ix.apply(upserts=[dict(docs[303], text="thay thế frobnitz")])
        return built
    monkeypatch.setattr(live, "build_merged", slow_build)
    ix.apply(upserts=[docs[304]])
    assert ix.merger.wait(120)
    assert docs[300]["doc_id"] not in ix.stamps()
    assert _ids(ix, "frobnitz") == {docs[303]["doc_id"]}
    assert ix.count() == 304
    texts = [h.doc_id for h in ix.search(docs[303]["number"], pagelen=100).hits]
    assert texts.count(docs[303]["doc_id"]) == 1


def test_files_of_an_unfinished_apply_are_harmless_and_cleaned(ix, docs):
    segment = live.write_segment(ix._ix, ix._schema, [])      # written, never in a TOC
    orphan = segment.make_filename(segment.COMPOUND_EXT)
    assert os.path.exists(os.path.join(ix.path, orphan))
    assert ix.count() == 300
    for doc in docs[300:312]:
        ix.apply(upserts=[doc])
    assert ix.merger.wait(120)
    assert not os.path.exists(os.path.join(ix.path, orphan))
    assert ix.count() == 312


def test_a_merge_in_a_child_process(ix, docs, monkeypatch):
    monkeypatch.setattr(live, "build_merged", _real_build_merged)
    monkeypatch.setattr(live, "MAX_SMALL_SEGMENTS", 2)
    monkeypatch.setattr(live, "MERGE_FACTOR", 2)
    ix.apply(upserts=docs[300:302])
    assert ix.merger.wait(120)
    assert len(ix._ix._segments()) <= 3
    assert ix.count() == 302
    assert docs[301]["doc_id"] in _ids(ix, docs[301]["number"])


_real_build_merged = live.build_merged


def test_one_merge_process_serves_the_merges_and_is_replaced_when_gone(ix, docs,
                                                                      monkeypatch):
    import signal
    monkeypatch.setattr(live, "build_merged", _real_build_merged)
    monkeypatch.setattr(live, "MAX_SMALL_SEGMENTS", 2)
    monkeypatch.setattr(live, "MERGE_FACTOR", 2)
    ix.apply(upserts=docs[300:302])
    assert ix.merger.wait(120)
    first = live.QUICK_WORKER.pid
    assert first is not None
    ix.apply(upserts=docs[302:304])
    assert ix.merger.wait(120)
    assert live.QUICK_WORKER.pid == first            # no new interpreter per merge
    os.kill(first, signal.SIGKILL)
    ix.apply(upserts=docs[304:306])
    assert ix.merger.wait(120)
    assert live.QUICK_WORKER.pid not in (None, first)
    assert live.QUICK_WORKER.priority == os.getpriority(os.PRIO_PROCESS, 0)
    assert ix.count() == 306
    assert len(ix._ix._segments()) <= 5
    assert docs[305]["doc_id"] in _ids(ix, docs[305]["number"])


def test_long_merges_run_at_a_lower_priority(ix, docs, monkeypatch):
    monkeypatch.setattr(live, "build_merged", _real_build_merged)
    monkeypatch.setattr(live, "MAX_SMALL_SEGMENTS", 2)
    monkeypatch.setattr(live, "MERGE_FACTOR", 2)
    monkeypatch.setattr(live, "QUICK_MERGE_DOCS", 2)
    ix.apply(upserts=docs[300:302])
    assert ix.merger.wait(120)
    assert live.SLOW_WORKER.priority == os.getpriority(os.PRIO_PROCESS, 0) + 10
    assert live.SLOW_WORKER.pid is None          # (it ended after its merge)
    assert ix.count() == 302


def test_a_failed_merge_says_why(tmp_path):
    with pytest.raises(RuntimeError, match="merging segments failed"):
        _real_build_merged(tmp_path / "nowhere", [])
    assert live.QUICK_WORKER.pid is not None            # (and the process serves on)


def test_segment_files_are_read_from_the_map_not_copied(ix):
    """Whoosh's BufferFile copied each compound file into a BytesIO: every
    process held its own copy of the postings (search.mapped)."""
    from search import mapped
    reader = ix._view().readers[0]
    postfile = reader._terms._postfile
    assert isinstance(postfile, mapped.MappedBufferFile)
    assert isinstance(postfile.file, mapped._ViewReader)
    assert ix.search("giấy").total > 0


def test_a_pickle_is_read_from_the_map_as_whoosh_reads_it():
    """MappedBufferFile.read_pickle unpickles from a window of the map (and
    from the rest of it for a bigger pickle) and leaves the position after
    the pickle, as StructFile.read_pickle does."""
    import pickle

    from search import mapped
    big = list(range(400))                     # (beyond the window)
    data = pickle.dumps((3, 17, 2.5, -2, 4, 9), 2) + pickle.dumps(big, 2) + b"tail"
    mapped_file = mapped.MappedBufferFile(memoryview(data))
    assert mapped_file.read_pickle() == (3, 17, 2.5, -2, 4, 9)
    assert mapped_file.read_pickle() == big
    assert mapped_file.read(4) == b"tail"


class _FakeSegment:
    def __init__(self, name, docs, deleted=0):
        self.name, self.docs, self.deleted = name, docs, deleted

    def segment_id(self):
        return self.name

    def doc_count_all(self):
        return self.docs

    def deleted_count(self):
        return self.deleted


def test_new_segments_are_merged_without_the_big_ones():
    big = [_FakeSegment("big%d" % k, 5000) for k in range(2)]
    full = [_FakeSegment("full", live.MAX_MERGE_DOCS, deleted=3)]      # (not small)
    new = [_FakeSegment("new%d" % k, 1) for k in range(7)]
    chosen = live.pick_merge(big + full + new)
    assert sorted(chosen) == sorted(s.name for s in new)
    # ever growing merged segments are still taken in once the others catch up
    grown = [_FakeSegment("grown", 40)] + [_FakeSegment("n%d" % k, 5) for k in range(6)]
    assert "grown" in live.pick_merge(big + grown)
    assert live.pick_merge(big + new[:6]) == []
