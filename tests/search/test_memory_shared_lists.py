"""The decoded lists of a segment live in one file every process maps
(search.segments.SharedLists), not in each process's own memory."""
import os

import numpy
import pytest

from search import open_index, segments

from .test_live import _bench


@pytest.fixture(scope="module")
def docs():
    return list(_bench().documents(400))


@pytest.fixture
def ix(tmp_path, docs, monkeypatch):
    monkeypatch.setattr(segments, "CACHE_MIN_POSTINGS", 20)
    monkeypatch.setattr(segments, "_LISTS", segments._ListCache())
    index = open_index(tmp_path / "ix")
    index.rebuild(docs, segment_docs=200)               # two segments
    yield index
    index.close()


QUERIES = ('"nguyễn văn"', "nguyen van", "giấy chứng nhận", "thửa đất 12", "hà nội",
           '"quyết định"', "ngày 2020")


def _answers(ix):
    return [[(h.doc_id, round(h.score, 9)) for h in ix.search(q, facets=()).hits]
            for q in QUERIES]


def _files(ix):
    return sorted(os.listdir(os.path.join(ix.path, segments.LISTS_DIR)))


def _a_common_list(ix):
    """(Segment, field, text) of a list the warming made ready."""
    searcher = ix._searcher()
    sub, offset = searcher.leaf_searchers()[0]
    seg = segments.Segment(ix.path, sub.reader(), offset)
    return seg, "text_exact", "nguyễn"


def test_warming_writes_a_file_per_segment_and_searches_answer_the_same(ix):
    before = _answers(ix)
    segments.clear_caches()
    assert ix.warm() > 10
    assert len(_files(ix)) == 2
    assert segments._LISTS.own_entries() == 0          # nothing decoded privately
    assert _answers(ix) == before
    # (only lists the files do not hold: rarer words' positions)
    cache = segments._LISTS
    assert not [key for key in cache._items if cache.store(key[:2]).get(*key[2:]) is not None]


def test_a_shared_list_is_a_read_only_view_of_the_map(ix):
    ix.warm()
    seg, field, text = _a_common_list(ix)
    ids, freqs = seg.postings(field, text)
    docs, positions = seg.positions(field, text)
    assert not ids.flags.writeable and not positions.flags.writeable
    assert not ids.flags.owndata and not docs.flags.owndata
    assert ids.dtype == numpy.int32 and freqs.dtype == numpy.float32
    # the same values as decoding the postings again
    segments.clear_caches()
    matcher = seg._matcher(field, text)
    (want_ids, want_freqs), (want_docs, want_positions) = segments._read_list(matcher, True)
    assert ids.tolist() == want_ids.tolist() and freqs.tolist() == want_freqs.tolist()
    assert docs.tolist() == want_docs.tolist()
    assert positions.tolist() == want_positions.tolist()


def test_another_process_maps_the_file_it_finds(ix, monkeypatch):
    ready = ix.warm()
    stamps = {name: os.stat(os.path.join(ix.path, segments.LISTS_DIR, name)).st_mtime_ns
              for name in _files(ix)}
    segments.clear_caches()                 # (a process started afterwards)
    monkeypatch.setattr(segments, "_read_list", None)      # nothing is decoded again
    assert ix.warm() == ready
    assert {name: os.stat(os.path.join(ix.path, segments.LISTS_DIR, name)).st_mtime_ns
            for name in _files(ix)} == stamps


def test_a_file_another_process_writes_later_is_found(ix, monkeypatch):
    """A process that searched a segment before its file was there (a
    segment merged after it warmed) maps it once another process wrote it."""
    seg, field, text = _a_common_list(ix)
    assert segments._LISTS.store(seg.key) is None
    mine = segments._LISTS
    monkeypatch.setattr(segments, "_LISTS", segments._ListCache())   # (the other process)
    ix.warm()
    monkeypatch.setattr(segments, "_LISTS", mine)
    assert mine.store(seg.key) is None                  # (looked for a moment ago)
    monkeypatch.setattr(segments, "RECHECK_SECONDS", 0)
    assert mine.store(seg.key) is not None
    assert not seg.postings(field, text)[0].flags.writeable


def test_the_files_of_segments_merged_away_are_removed(ix):
    ix.warm()
    old = _files(ix)
    ix.optimize()
    ix.warm()
    new = _files(ix)
    assert len(new) == 1 and not set(new) & set(old)


def test_without_a_writable_directory_the_process_caches_its_own(ix, monkeypatch):
    def refuse(*args):
        raise PermissionError("read-only")
    before = _answers(ix)
    segments.clear_caches()
    monkeypatch.setattr(segments, "_write_shared", refuse)
    assert ix.warm() > 10
    assert segments._LISTS.own_entries() > 0
    assert not os.path.exists(os.path.join(ix.path, segments.LISTS_DIR))
    assert _answers(ix) == before


def test_a_torn_file_is_written_again(ix):
    ix.warm()
    name = os.path.join(ix.path, segments.LISTS_DIR, _files(ix)[0])
    with open(name, "r+b") as f:
        f.truncate(100)
    segments.clear_caches()
    ix.warm()
    assert segments.SharedLists(name)                   # whole again
    assert segments._LISTS.own_entries() == 0


def test_a_file_keeps_each_list_as_the_process_cache_does(tmp_path):
    wide = numpy.array([0, 70_000], dtype=numpy.int64)
    small = numpy.array([3, 65_535], dtype=numpy.int64)
    lists = [("postings", "f", "a", (small, numpy.array([1.0, 2.0]))),
             ("postings", "f", "b", (wide, numpy.array([1.5, 2.0]))),
             ("positions", "f", "a", (small, wide))]
    name = str(tmp_path / "lists")
    assert segments.SharedLists.write(name, lists) == 3
    store = segments.SharedLists(name)
    for kind, field, text, arrays in lists:
        found = store.get(kind, field, text)
        assert [a.tolist() for a in found] == [a.tolist() for a in arrays]
        assert [a.dtype.str for a in found] == \
            ["<i4", "<f4" if kind == "postings" else "<i4"]
    assert store.get("positions", "f", "b") is None


def test_a_background_merge_writes_the_merged_segment_its_file(ix, docs, monkeypatch):
    """Without it, every process decoded the merged segment's common lists
    again and again into its own small cache until the next start."""
    from search import live
    ix.warm()
    monkeypatch.setattr(live, "MAX_SMALL_SEGMENTS", 1)
    monkeypatch.setattr(live, "MERGE_FACTOR", 2)
    monkeypatch.setattr(live, "MAX_MERGE_DOCS", 10_000)       # the two 200-paper segments merge too
    ix.apply(upserts=docs[:2])
    assert ix.merger.wait(120) and ix.merger.merges >= 1
    searcher = ix._searcher()
    ids = {sub.reader().segment().segment_id() for sub, _ in searcher.leaf_searchers()}
    assert {name.split(".", 1)[0] for name in _files(ix)} == ids
