"""Uploads into an index pre-built with a few thousand papers: each paper is
found by the officer's search as soon as its upload's response comes back,
and the background merges bring the number of segments back within
search.live's bound. (test_search_scale.py counts the segments each apply
opens; bench/upload.py times the same upload at 100 000 papers.)"""
import importlib.util
import os

from search import live
from views.services import ISearchIndex, lookup

from .test_search_scale import PREBUILT, big_index, settings  # noqa: F401 (fixtures)

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "upload.py")
UPLOADS = 6           # with the pre-built segments, more than live.MAX_SMALL_SEGMENTS


def _bench():
    spec = importlib.util.spec_from_file_location("kho_bench_upload", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_upload_is_findable_on_return_and_segments_stay_bounded(as_user, token_for, wsgi_app,
                                                                   dossier_code):
    bench = _bench()
    index = lookup(wsgi_app.registry, ISearchIndex)
    before = index.count()
    assert before >= PREBUILT
    assert index.stats().segments + UPLOADS > live.MAX_SMALL_SEGMENTS
    auth = token_for("canbo")
    app = as_user("canbo")
    scan = bench.scan_png()
    uploaded = {}
    for k in range(UPLOADS):
        number = "%d/2099/BIG-INDEX" % (k + 1)
        name = bench.upload_paper(app, dossier_code, scan, number)
        assert name in bench.officer_finds(app, auth, dossier_code, number), number
        uploaded[number] = name
    assert index.merger.wait(60)
    assert index.stats().segments <= live.MAX_SMALL_SEGMENTS
    assert index.count() == before + UPLOADS
    for number, name in uploaded.items():          # (still there after the merges)
        assert name in bench.officer_finds(app, auth, dossier_code, number), number
