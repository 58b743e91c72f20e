"""An upload into a big index: the request applies its paper by opening only
the segment it writes (nothing grows with the index on the request path; the
merges run in a child process), and the paper is findable when the response
comes back. bench/search.py times the same apply at 10 000 and 100 000
papers; here what is done is counted, not timed."""
import importlib.util
import os

import pytest

from search import live, open_index
from views.services import ISearchIndex, lookup

from ..conftest import copy_template
from .test_ocr_flow import upload_scan

pytestmark = [pytest.mark.slow]
BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "search.py")
PREBUILT = 3000


def _bench():
    spec = importlib.util.spec_from_file_location("kho_bench_search_scale", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big_index(tmp_path_factory):
    """An index of PREBUILT papers in several segments, written once."""
    path = tmp_path_factory.mktemp("big") / "index"
    ix = open_index(path)
    ix.rebuild(_bench().documents(PREBUILT), segment_docs=600)
    ix.close()
    return path


@pytest.fixture
def settings(seeded_template, tmp_path, big_index):
    """The app's settings over a copy of the seeded database and of the big index."""
    import shutil
    found = copy_template(seeded_template, tmp_path)
    shutil.rmtree(found["kho.index_dir"], ignore_errors=True)
    shutil.copytree(big_index, found["kho.index_dir"])
    return found


def test_an_upload_opens_one_new_segment_and_is_findable_at_once(as_user, wsgi_app,
                                                                 dossier_code, monkeypatch):
    index = lookup(wsgi_app.registry, ISearchIndex)
    assert index.count() >= PREBUILT and index.stats().segments >= 5
    app = as_user("canbo")     # (WebTest runs the requests in this thread: its readers are open)
    opened, merged_here = [], []
    real_reader = live.SegmentReader
    monkeypatch.setattr(live, "SegmentReader",
                        lambda *a, **k: opened.append(a[2]) or real_reader(*a, **k))
    monkeypatch.setattr(live, "build_here", lambda *a: merged_here.append(a))
    for _ in range(3):
        before = len(opened)
        page = upload_scan(app, dossier_code)
        # the apply after commit wrote one segment; at most the new ones are opened
        # (by the request thread and the indexer's own), never the big ones again
        assert len(opened) - before <= 2
        assert all(s.doc_count_all() < 10 for s in opened)
    assert not merged_here           # merges never run in the web process
    name = page.request.path.rstrip("/").rsplit("/", 1)[-1]
    found = index.search('"%s"' % name, facets=())
    stamps = index.stamps()
    assert any(doc_id.endswith("/" + name) for doc_id in stamps)
    assert index.count() == PREBUILT + 3
    assert found is not None
