"""Reception figures: listing a person's reusable papers, and receiving
dossiers with parallel clients over ZEO, each beside a raw-ZODB reference
measured in the same run.

    .venv/bin/python bench/reception.py [--warehouses 100000] [--persons 1000]
                                        [--per-client 150] [--zeo-warehouses 300]
                                        [--procs N] [--dir DIR] [--keep]
                                        [--skip-listing] [--skip-zeo]

1. Generates N warehouses (seeded, deterministic) of 5-20 papers each,
   metadata only (no files: a Document's `original` is None), straight into
   a FileStorage in the app's own tree (Root → subjects → Warehouse →
   Documents / consents) with the demo catalogue: ID cards (some replaced and
   revoked, some past their date), birth certificates, passports (10-year
   validity), marital-status certificates (6 months), certified copies,
   social-insurance books, ...; most signed with a verification report
   {"ok": True, ...}, some unsigned or failing; most from an approved dossier
   (approved_in = (a code,)), some not; consents per paper type for some
   persons, per paper for others, some withdrawn, some narrowed to "keep".
   The audit trail and the search index are skipped (a bench fixture).
   Worker processes (one per core) build and pickle 2 000 warehouses at a
   time, each in its own range of oids; this process stores the records and
   links the warehouses into root.subjects (see generate()).
2. Lists with repository.reception.components_view, for random persons, the
   candidates of each component of 1.004227 or 2.001417 (a dossier built in
   memory, not committed): cold (the connection cache emptied before each
   listing, so every object, from the root down, is read from the storage;
   the OS file cache is not dropped) and warm (the same listing again),
   next to a reference: the plain BTree lookup of the warehouse and a loop
   over its papers' attributes (raw ZODB).
3. Starts a ZEO server (runzeo) over a fresh seeded database (the demo seed
   and --zeo-warehouses warehouses) and 4 client processes that each
   receive --per-client dossiers (repository.dossiers.receive_dossier, one
   transaction each, retried on conflicts as the app's pyramid_retry set-up
   does: retry.attempts = 10, a random wait of up to 40 ms × attempt
   between tries), first all at one desk (one DailySequence for all), then
   each at its own desk; beside them the same 4 clients committing a
   trivial write to an object of their own (raw ZEO commit rate) and to one
   shared object (the cost of a hot object without the domain). Then it
   checks that every code is unique and that each (unit, day) sequence is
   exactly 1..n, and verifies the audit chain.

Timings are printed, never asserted."""
import argparse
import datetime
import multiprocessing
import os
import queue
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import transaction  # noqa: E402
import ZODB  # noqa: E402
from persistent.mapping import PersistentMapping  # noqa: E402
from transaction.interfaces import TransientError  # noqa: E402
from ZODB.FileStorage import FileStorage  # noqa: E402
from ZODB.MappingStorage import MappingStorage  # noqa: E402

from repository.consents import NOTICE_VERSION, Consent  # noqa: E402
from repository.db import ROOT_KEY, app_root, close_databases, open_databases  # noqa: E402
from repository.dossiers import Dossier  # noqa: E402
from repository.reception import components_view  # noqa: E402
from repository.resources import Document, Root, Warehouse  # noqa: E402

SEED = 20260302
TODAY = datetime.date(2026, 3, 2)          # the day the listings are made for
UTC = datetime.timezone.utc
BATCH = 5000                               # warehouses per commit (populate)
PROCEDURES = ("1.004227", "2.001417")      # listed in part 2
RETRY_ATTEMPTS = 10                        # development.ini / production.ini retry.attempts
RETRY_BASE_DELAY = 0.02                    # views/retries.py BASE_DELAY

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Lương", "Lò", "Giàng"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn",
         "Tâm", "Thảo", "Trang", "Trung", "Tuấn", "Vân", "Việt", "Yến", "Đạt", "Huyền", "Pao", "Sùng"]
ISSUERS = {
    "CCCD": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "HC": "Cục Quản lý xuất nhập cảnh",
    "GKS": "UBND phường Cốc Lếu", "GCS": "Bệnh viện Đa khoa tỉnh Lào Cai",
    "XNTTHN": "UBND phường Cốc Lếu", "GCNKH": "UBND xã Bản Vược",
    "STBHXH": "Bảo hiểm xã hội tỉnh Lào Cai", "QDTV": "Công ty TNHH Thương mại Hoàng Liên",
    "QDTCTN": "Sở Lao động - Thương binh và Xã hội tỉnh Lào Cai",
    "BSCT": "UBND phường Cốc Lếu", "LLTP": "Sở Tư pháp tỉnh Lào Cai",
    "GCNDKDN": "Sở Kế hoạch và Đầu tư tỉnh Lào Cai",
}
# which procedure a paper of that type usually came with
ORIGIN = {"CCCD": "2.000815", "HC": "2.000815", "GKS": "1.001193", "GCS": "1.001193",
          "XNTTHN": "1.004227", "GCNKH": "1.000894", "STBHXH": "1.001978", "QDTV": "1.001978",
          "QDTCTN": "1.001978", "BSCT": "2.000815", "LLTP": "2.001417", "GCNDKDN": "2.000815"}
RESULTS = {"XNTTHN", "GCNKH", "GKS", "QDTCTN", "LLTP", "BSCT"}   # results an agency issues
# papers beyond the ID card, birth certificate and passport: (type, weight)
FILLER = [("BSCT", 30), ("XNTTHN", 12), ("LLTP", 10), ("STBHXH", 8), ("QDTV", 6),
          ("GCNKH", 6), ("QDTCTN", 5), ("GCS", 5), ("HC", 5), ("CCCD", 4), ("GKS", 4),
          ("GCNDKDN", 2)]
FILLER_TYPES = [t for t, _ in FILLER]
FILLER_WEIGHTS = [w for _, w in FILLER]
UNITS = ["000.00.00.H10", "000.00.01.H10", "000.00.15.H10", "000.15.16.H10", "000.16.16.H10"]
SIGNATURE = {
    "field_name": "Signature1", "signer": "Nguyễn Thị Hoà", "signer_subject": "CN=Nguyễn Thị Hoà",
    "issuer": "CN=Kho Dev CA", "signing_time": None, "timestamp_time": None, "timestamp_ok": None,
    "intact": True, "trusted": True, "chain": ["CN=Nguyễn Thị Hoà", "CN=Kho Dev CA"],
    "trust_problem": None, "validated_at": None, "revocation": "not checked: no CRL or OCSP",
    "coverage": "ENTIRE_FILE", "modification_level": "NONE", "changes_after": "nothing",
    "docmdp_ok": None, "level": "B-B", "ok": True,
}


# -- generating warehouses -------------------------------------------------------------

def personal_ids(count, seed=SEED):
    """count distinct valid personal ids with their birth dates and sexes, sorted
    (inserting in key order keeps each commit to the subjects tree's new buckets)."""
    rng = random.Random(seed)
    found = {}
    while len(found) < count:
        year = rng.randint(1940, 2006)
        sex = rng.choice(("male", "female"))
        digit = (year // 100 - 19) * 2 + (sex == "female")
        pid = "%03d%d%02d%06d" % (rng.randint(1, 96), digit, year % 100, rng.randint(0, 999_999))
        if pid not in found:
            found[pid] = (datetime.date(year, rng.randint(1, 12), rng.randint(1, 28)), sex)
    return sorted(found.items())


def _day(rng, start, end):
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randrange((end - start).days))


def _moment(day, rng):
    return datetime.datetime(day.year, day.month, day.day, rng.randint(1, 9), rng.randint(0, 59),
                             rng.randint(0, 59), tzinfo=UTC)


def _code(rng, day):
    return "%s-%s-%04d" % (rng.choice(UNITS), day.strftime("%y%m%d"), rng.randint(1, 400))


def _paper(rng, pid, birth, type_code, names, state="in_force"):
    """One Document (not yet added) of type_code for pid: metadata only."""
    earliest = max(birth + datetime.timedelta(days=30), datetime.date(2005, 1, 1))
    issued = _day(rng, earliest, TODAY)
    provenance = rng.choices(("digitized", "agency_result", "uploaded"), (70, 20, 10))[0]
    if provenance == "agency_result" and type_code not in RESULTS:
        provenance = "digitized"
    dossier_code = _code(rng, issued)
    valid_until = None
    if type_code == "CCCD":                  # cards run to the owner's 25th, 40th or 60th birthday
        ages = [a for a in (25, 40, 60) if birth.replace(year=birth.year + a) > issued]
        valid_until = birth.replace(year=birth.year + ages[0]) if ages else None
    if state == "in_force":
        state = rng.choices(("in_force", "expired", "revoked"), (93, 4, 3))[0]
    document = Document(
        type_code=type_code, owner_id=pid, name=names[type_code], original=None,
        filename=f"{type_code}.pdf", content_type="application/pdf",
        size=rng.randint(80_000, 4_000_000), sha256="%064x" % rng.getrandbits(256),
        pages=rng.randint(1, 4), created_by="canbo",
        number="%d/%d" % (rng.randint(1, 9999), issued.year), issue_date=issued,
        issuer=ISSUERS[type_code], valid_until=valid_until, state=state,
        provenance=provenance, dossier_code=dossier_code, procedure_code=ORIGIN[type_code],
        extraction=rng.choice(("ocr", "ocr", "ocr", "manual")))
    created = _moment(_day(rng, issued, min(issued + datetime.timedelta(days=400), TODAY)), rng)
    document.created = document.modified = created
    signed = rng.random()
    if provenance == "uploaded" and signed < 0.5 or signed < 0.04:
        document.signature_report = None
    elif signed < 0.07:
        document.signature_report = {"ok": False, "problems": ["the signed data does not match"],
                                     "signatures": [dict(SIGNATURE, intact=False, ok=False)],
                                     "checked": created.isoformat()}
    else:
        document.signature_report = {"ok": True, "problems": [], "checked": created.isoformat(),
                                     "signatures": [dict(SIGNATURE, signing_time=created.isoformat(),
                                                         validated_at=created.isoformat())]}
        document.signed_by = "canbo"
    if rng.random() < 0.82:
        document.approved_in = (dossier_code,)
    document.review_state = "confirmed"
    document.reviewed_by = "canbo"
    return document


def _papers(rng, pid, birth, names):
    """5-20 papers: an ID card (maybe an older one, revoked), a birth
    certificate, maybe a passport, then a mix of the others."""
    wanted = rng.randint(5, 20)
    papers = []
    if rng.random() < 0.2:
        papers.append(_paper(rng, pid, birth, "CCCD", names, state="revoked"))
    if rng.random() < 0.96:
        papers.append(_paper(rng, pid, birth, "CCCD", names))
    if rng.random() < 0.88:
        papers.append(_paper(rng, pid, birth, "GKS", names))
    if rng.random() < 0.3:
        papers.append(_paper(rng, pid, birth, "HC", names))
    while len(papers) < wanted:
        papers.append(_paper(rng, pid, birth, rng.choices(FILLER_TYPES, FILLER_WEIGHTS)[0], names))
    return papers[:wanted]


def _consent(rng, pid, scope, target, granted):
    purposes = ("keep", "reuse") if rng.random() < 0.85 else ("keep",)
    channel = rng.choice(("desk", "online"))
    consent = Consent("%012x" % rng.getrandbits(48), pid, scope, target, purposes, (), channel,
                      "canbo" if channel == "desk" else None, NOTICE_VERSION,
                      "canbo" if channel == "desk" else f"subject:{pid}")
    consent.granted = granted
    consent.history.append({"time": granted, "action": "grant", "actor": consent.granted_by,
                            "channel": channel, "purposes": list(purposes)})
    r = rng.random()
    if r < 0.10:                              # withdrawn later
        consent.withdrawn = granted + datetime.timedelta(days=rng.randint(1, 300))
        consent.withdrawn_by = consent.granted_by
        consent.history.append({"time": consent.withdrawn, "action": "withdraw",
                                "actor": consent.granted_by, "channel": channel,
                                "purposes": list(purposes)})
    elif r < 0.15 and "reuse" in purposes:   # narrowed to keeping only
        consent.purposes = ("keep",)
        consent.history.append({"time": granted + datetime.timedelta(days=30), "action": "narrow",
                                "actor": consent.granted_by, "channel": channel,
                                "purposes": ["keep"]})
    return consent


def build_warehouse(rng, pid, birth, sex, names):
    """One warehouse with its papers and consents (not yet in the tree):
    (warehouse, papers, consents). Written directly: no audit, no index."""
    name = "%s %s %s" % (rng.choice(FAMILY), "Thị" if sex == "female" else rng.choice(MIDDLE),
                         rng.choice(GIVEN))
    warehouse = Warehouse(pid, "person", name, birth_date=birth, sex=sex)
    papers = _papers(rng, pid, birth, names)
    for document in papers:
        warehouse.documents.add("%016x" % rng.getrandbits(64), document)
    first = min(d.created for d in papers)
    kind = rng.random()
    consents = []
    if kind < 0.55:          # per paper type: the ID card and birth certificate, sometimes more
        for target in ("CCCD", "GKS") + (("HC",) if rng.random() < 0.3 else ()):
            consents.append(_consent(rng, pid, "doctype", target, first))
    if 0.45 < kind < 0.92:   # per paper: some of them
        for document in rng.sample(papers, min(len(papers), rng.randint(1, 5))):
            consents.append(_consent(rng, pid, "document", document.__name__, document.created))
    for consent in consents:   # kind ≥ 0.92: no consent at all
        warehouse.consents.add(consent.id, consent)
    return warehouse, len(papers), len(consents)


def new_root(conn):
    """The app's Root in conn's database, with the demo catalogue (its audit
    entry goes to the audit database conn was opened with)."""
    from repository.seed import load_demo_catalogue
    zodb_root = conn.root()
    root = zodb_root[ROOT_KEY] = Root()
    conn.add(root)
    from repository.evolve import GENERATION
    root.generation = GENERATION
    load_demo_catalogue(root)
    return root


def populate(conn, root, people, rng, batch=BATCH, progress=None):
    """Add a warehouse per (pid, (birth, sex)) of people, committing every batch."""
    names = {code: t.name for code, t in root.catalogues.doctypes.items()}
    papers = consents = 0
    for i, (pid, (birth, sex)) in enumerate(people, 1):
        warehouse, p, c = build_warehouse(rng, pid, birth, sex, names)
        root.subjects.add(pid, warehouse)
        papers, consents = papers + p, consents + c
        if i % batch == 0 or i == len(people):
            conn.transaction_manager.commit()
            conn.cacheMinimize()             # let go of what was written
            if progress:
                progress(i, papers)
    return papers, consents


CHUNK = 2000                   # warehouses per worker task
OID_BASE, OID_STRIDE = 1 << 24, 1 << 20   # each task's own range of oids (a task writes < 200 000 objects)


def _build_chunk(task):
    """Worker: build one chunk of warehouses in a throw-away in-memory
    database whose new oids are the task's own range, and return the records
    ZODB wrote for them ((oid, pickle) pairs), (pid, warehouse oid) pairs and
    counts. Each warehouse's __parent__ is a reference to the real subjects
    folder (its oid), so the records can be stored as they are."""
    from ZODB.utils import z64
    from repository.resources import Subjects
    index, people, subjects_oid, names = task
    storage = MappingStorage()
    db = ZODB.DB(storage)
    storage._oid = OID_BASE + index * OID_STRIDE
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    subjects = Subjects.__new__(Subjects)      # stands for the parent's folder, never loaded here
    subjects._p_oid, subjects._p_jar = subjects_oid, conn
    rng = random.Random(SEED + 1 + index)
    warehouses, papers, consents = [], 0, 0
    for pid, (birth, sex) in people:
        warehouse, p, c = build_warehouse(rng, pid, birth, sex, names)
        warehouse.__name__, warehouse.__parent__ = pid, subjects
        conn.add(warehouse)
        warehouses.append((pid, warehouse))
        papers, consents = papers + p, consents + c
    tm.commit()
    pairs = [(pid, w._p_oid) for pid, w in warehouses]
    records = [(r.oid, r.data) for t in storage.iterator() for r in t if r.oid != z64]
    conn.close()
    db.close()
    return records, pairs, papers, consents


def generate(path, count, persons_out, procs=None):
    """A FileStorage at path with count warehouses; returns (db, stats).

    ZODB's serializer calls a Python persistent_id() for every value inside
    every record (about 50 per record here, 3.8 million records at 100 000
    warehouses), so building and pickling the objects, not writing them, is
    what takes the time: `procs` worker processes do that in parallel (each
    into its own oid range) and this process only stores the finished
    records and links each warehouse into root.subjects."""
    from ZODB.Connection import TransactionMetaData
    from ZODB.utils import z64
    databases = {}
    storage = FileStorage(path)
    db = ZODB.DB(storage, databases=databases, database_name="unnamed", cache_size=400_000)
    ZODB.DB(MappingStorage(), databases=databases, database_name="audit")
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    root = new_root(conn)
    tm.commit()
    subjects_oid = root.subjects._p_oid
    names = {code: t.name for code, t in root.catalogues.doctypes.items()}
    people = personal_ids(count)
    persons_out.extend(pid for pid, _ in people)
    tasks = [(i, people[start:start + CHUNK], subjects_oid, names)
             for i, start in enumerate(range(0, count, CHUNK))]
    procs = procs or os.cpu_count() or 1
    t0 = time.perf_counter()
    papers = consents = done = 0
    pool = multiprocessing.get_context("spawn").Pool(procs) if procs > 1 else None
    try:
        results = pool.imap(_build_chunk, tasks) if pool else map(_build_chunk, tasks)
        for records, pairs, p, c in results:
            meta = TransactionMetaData("bench", "bench: %d warehouses" % len(pairs))
            storage.tpc_begin(meta)
            for oid, data in records:
                storage.store(oid, z64, data, "", meta)
            storage.tpc_vote(meta)
            storage.tpc_finish(meta)
            tm.begin()
            subjects = app_root(conn).subjects
            for pid, oid in pairs:
                subjects.data[pid] = conn.get(oid)
            subjects._num_objects.change(len(pairs))
            tm.commit()
            conn.cacheMinimize()
            done, papers, consents = done + len(pairs), papers + p, consents + c
            if done % 20_000 == 0 or done == count:
                elapsed = time.perf_counter() - t0
                print("  %7d warehouses, %8d papers, %5.0f s (%.0f papers/s)"
                      % (done, papers, elapsed, papers / elapsed), flush=True)
    finally:
        if pool:
            pool.close()
            pool.join()
    elapsed = time.perf_counter() - t0
    conn.close()
    return db, {"papers": papers, "consents": consents, "seconds": elapsed,
                "size": os.path.getsize(path), "procs": procs}


# -- listing reusable papers ---------------------------------------------------------

def reference_read(root, pid):
    """The floor: a plain BTree lookup of the warehouse and its papers' attributes."""
    warehouse = root.subjects.data[pid]
    out = []
    for document in warehouse.documents.data.values():
        out.append((document.type_code, document.deleted, document.state, document.issue_date,
                    document.valid_until, document.signature_report, document.approved_in,
                    document.provenance, document.created))
    return out


def measure_listing(db, persons, samples, seed=SEED + 2):
    rng = random.Random(seed)
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    root = app_root(conn)
    procedures = {code: root.catalogues.procedures[code] for code in PROCEDURES}
    chosen = rng.sample(persons, min(samples, len(persons)))
    received = datetime.datetime(TODAY.year, TODAY.month, TODAY.day, 3, tzinfo=UTC)
    times = {k: [] for k in ("view cold", "view warm", "ref cold", "ref warm")}
    papers = candidates = reusable = 0
    for n, pid in enumerate(chosen):
        procedure = procedures[PROCEDURES[n % 2]]
        dossier = Dossier(f"000.16.16.H10-{TODAY:%y%m%d}-{n + 1:04d}", procedure.code,
                          "000.16.16.H10", procedure.agency, pid, (), received, TODAY, "canbo2")
        conn.cacheMinimize()
        t0 = time.perf_counter()
        reference_read(root, pid)
        times["ref cold"].append(time.perf_counter() - t0)
        conn.cacheMinimize()
        t0 = time.perf_counter()
        view = components_view(root, dossier, TODAY)
        times["view cold"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        components_view(root, dossier, TODAY)
        times["view warm"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        papers += len(reference_read(root, pid))
        times["ref warm"].append(time.perf_counter() - t0)
        for component in view:
            candidates += len(component["candidates"])
            reusable += sum(1 for c in component["candidates"] if not c["reasons"])
    conn.close()
    count = len(chosen)
    return times, {"persons": count, "papers": papers / count, "candidates": candidates / count,
                   "reusable": reusable / count}


def pct(times, p):
    times = sorted(times)
    return times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))] * 1000


def print_listing(times, stats):
    print("\nListing a person's reusable papers (ms), %d random persons, procedures %s"
          " alternately:" % (stats["persons"], " / ".join(PROCEDURES)))
    print("%-8s %-44s %8s %8s %8s %8s" % ("", "", "p50", "p95", "max", "mean"))
    for start in ("cold", "warm"):
        for key, label in (("view", "components_view (Kho)"),
                           ("ref", "reference: BTree lookup + papers' attributes")):
            t = times[f"{key} {start}"]
            print("%-8s %-44s %8.2f %8.2f %8.2f %8.2f" % (
                start, label, pct(t, 50), pct(t, 95), max(t) * 1000, statistics.mean(t) * 1000))
    print("per listing: %.1f papers in the warehouse, %.1f candidates shown, %.1f of them reusable"
          % (stats["papers"], stats["candidates"], stats["reusable"]))
    p95 = pct(times["view cold"], 95)
    print("(cold: the connection cache emptied before each listing, every object from the root"
          " down read from the FileStorage; the OS file cache is not dropped. warm: the same"
          " listing again at once. Kho = components_view: each component's candidates with"
          " their reasons, consents looked up per paper)")
    print("target p95 <= 20 ms: cold %.2f ms, warm %.2f ms -> %s" % (
        p95, pct(times["view warm"], 95), "met" if p95 <= 20 else "NOT met"))


# -- receptions over ZEO ---------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zeo_settings(work, port, client):
    return {"zodbconn.uri": f"zeo://127.0.0.1:{port}?storage=1&blob_dir={work}/blobcache-{client}"
                            "&shared_blob_dir=false",
            "zodbconn.uri.audit": f"zeo://127.0.0.1:{port}?storage=audit"}


DESK_OFFICERS = [("bench-tinh", "000.00.00.H10"), ("bench-tp", "000.00.15.H10"),
                 ("bench-phuong", "000.15.16.H10"), ("bench-huyen", "000.16.16.H10")]


def seed_zeo_database(work, warehouses):
    """Data.fs + Audit.fs under work: evolved, demo seed, one desk officer per
    desk, `warehouses` generated warehouses, one reference object per client."""
    from repository.evolve import evolve
    from repository.seed import seed_demo
    settings = {"zodbconn.uri": f"file://{work}/Data.fs?blobstorage_dir={work}/blobs",
                "zodbconn.uri.audit": f"file://{work}/Audit.fs"}
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    evolve(conn)
    with conn.transaction_manager:
        root = app_root(conn)
        seed_demo(root)
        for username, desk in DESK_OFFICERS:
            root.accounts.add_user(username, f"Cán bộ {desk}", {"officer"}, "matkhau-bench", desk=desk)
        for key in ["bench-ref-shared"] + [f"bench-ref-{n}" for n in range(4)]:
            conn.root()[key] = PersistentMapping({"n": 0})
    people = personal_ids(warehouses, seed=SEED + 10)
    populate(conn, app_root(conn), people, random.Random(SEED + 11))
    conn.close()
    close_databases(db)
    return [pid for pid, _ in people]


def start_zeo(work):
    port = free_port()
    conf = os.path.join(work, "zeo.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent(f"""
            <zeo>
              address 127.0.0.1:{port}
            </zeo>
            <filestorage 1>
              path {work}/Data.fs
              blob-dir {work}/blobs
            </filestorage>
            <filestorage audit>
              path {work}/Audit.fs
            </filestorage>
            """))
    runzeo = os.path.join(os.path.dirname(sys.executable), "runzeo")
    server = subprocess.Popen([runzeo, "-C", conf], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "zeo.log"), "w"))
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("runzeo did not start; see %s/zeo.log" % work)
            time.sleep(0.1)


_CLASS = re.compile(r"class ([\w.]+)")


def retrying(tm, work, attempts=RETRY_ATTEMPTS, base_delay=RETRY_BASE_DELAY, rng=random):
    """Run work() in a transaction, retried on a transient error (a conflict)
    as pyramid_tm + pyramid_retry + views/retries.py do: up to `attempts`
    tries, a random wait of up to 2 × base_delay × n before the n-th retry.
    Returns (result, or None when every attempt conflicted; the classes of
    the objects that conflicted, one per retry or failure)."""
    conflicts = []
    for attempt in range(attempts):
        tm.begin()
        try:
            result = work()
            tm.commit()
            return result, conflicts
        except TransientError as exc:
            tm.abort()
            found = _CLASS.search(str(exc))
            conflicts.append(found.group(1).rsplit(".", 1)[-1] if found else type(exc).__name__)
            if attempt + 1 < attempts:
                time.sleep(rng.uniform(0, base_delay * 2 * (attempt + 1)))
    return None, conflicts


MODES = {
    "reference": "reference: trivial commit, own object",
    "reference shared": "reference: trivial commit, one shared object",
    "same desk": "receive_dossier, all 4 at one desk",
    "own desk": "receive_dossier, each at its own desk",
}


def client(index, work, port, mode, count, persons, barrier, results):
    """One client process: `count` transactions of `mode` (see MODES)."""
    from repository.dossiers import receive_dossier
    db = open_databases(zeo_settings(work, port, index))
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    rng = random.Random(SEED + 100 + index)
    username = DESK_OFFICERS[2 if mode == "same desk" else index][0]
    procedures = ["1.004227", "2.001417", "1.001193", "2.000815", "1.001978"]

    def receive():
        root = app_root(conn)
        dossier = receive_dossier(root, root.accounts.users[username], rng.choice(procedures),
                                  rng.choice(persons))
        return dossier.code

    key = "bench-ref-shared" if mode == "reference shared" else f"bench-ref-{index}"

    def trivial():
        conn.root()[key]["n"] += 1
        return True

    work_fn = receive if mode in ("same desk", "own desk") else trivial
    for _ in range(2):   # warm up the code paths and caches: do the work, then abort it
        tm.begin()
        work_fn()
        tm.abort()
    codes, conflicts, failed, worst, latencies = [], [], 0, 0, []
    barrier.wait(timeout=300)
    t0 = time.time()
    for _ in range(count):
        t = time.perf_counter()
        result, seen = retrying(tm, work_fn, rng=rng)
        latencies.append(time.perf_counter() - t)
        conflicts += seen
        if result is None:
            failed += 1
        else:
            worst = max(worst, len(seen))
            if work_fn is receive:
                codes.append(result)
    t1 = time.time()
    conn.close()
    close_databases(db)
    results.put({"start": t0, "end": t1, "codes": codes, "conflicts": conflicts,
                 "failed": failed, "worst": worst, "done": count - failed, "latencies": latencies})


def run_clients(work, port, mode, count, persons, clients=4):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(clients), ctx.Queue()
    procs = [ctx.Process(target=client, args=(i, work, port, mode, count, persons, barrier, results))
             for i in range(clients)]
    for p in procs:
        p.start()
    out = []
    try:
        while len(out) < clients:
            try:
                out.append(results.get(timeout=1))
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("a client process failed (%s)" % [p.exitcode for p in procs])
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.terminate()
    elapsed = max(r["end"] for r in out) - min(r["start"] for r in out)
    done = sum(r["done"] for r in out)
    conflicts = [c for r in out for c in r["conflicts"]]
    by_class = {}
    for name in conflicts:
        by_class[name] = by_class.get(name, 0) + 1
    return {"mode": mode, "done": done, "seconds": elapsed, "rate": done / elapsed,
            "transactions": count * clients, "retries": len(conflicts) - sum(r["failed"] for r in out),
            "failed": sum(r["failed"] for r in out), "worst": max(r["worst"] for r in out),
            "by_class": by_class, "latencies": [t for r in out for t in r["latencies"]],
            "codes": [c for r in out for c in r["codes"]]}


def check_codes(work, port, codes):
    """Every committed code unique, in Dossiers and its indexes, sequences 1..n
    per (unit, day), the counters agreeing, the audit chain verified."""
    from repository.audit import audit_log
    db = open_databases(zeo_settings(work, port, "check"))
    conn = db.open(transaction.TransactionManager())
    root = app_root(conn)
    dossiers = root.dossiers
    lines = []
    duplicates = len(codes) - len(set(codes))
    stored = set(dossiers.keys())
    lines.append("%d codes returned by the clients, %d duplicates; %d dossiers stored, %s"
                 % (len(codes), duplicates, len(stored),
                    "the same set" if stored == set(codes) else "NOT the same set"))
    groups = {}
    for code in stored:
        unit, day, seq = code.rsplit("-", 2)
        groups.setdefault((unit, day), []).append(int(seq))
    gaps = []
    for key, seqs in sorted(groups.items()):
        counter = dossiers.sequences.get(key)
        ok = sorted(seqs) == list(range(1, len(seqs) + 1)) and counter is not None \
            and counter.value == len(seqs)
        lines.append("  %s %s: %d dossiers, sequence 1..%d %s" % (
            key[0], key[1], len(seqs), max(seqs), "gap-free" if ok else "WITH GAPS OR REPEATS"))
        if not ok:
            gaps.append(key)
    indexed = all(code in dossiers.by_unit.get(d.desk, ()) and code in dossiers.by_unit.get(d.agency, ())
                  and code in dossiers.by_person.get(d.applicant_id, ())
                  for code, d in dossiers.items())
    log = audit_log(conn)
    received = sum(1 for e in log if e["action"] == "dossier_received")
    verified = log.verify()
    lines.append("every dossier in by_unit (desk and agency) and by_person: %s" % ("yes" if indexed else "NO"))
    lines.append("audit: %d entries, %d dossier_received, chain %s" % (
        len(log), received, "verified" if verified == (True, None) else f"BROKEN {verified}"))
    ok = not duplicates and stored == set(codes) and not gaps and indexed and verified == (True, None) \
        and received == len(stored)
    conn.close()
    close_databases(db)
    return ok, lines


def measure_zeo(work, warehouses, per_client):
    os.makedirs(work, exist_ok=True)
    t0 = time.perf_counter()
    persons = seed_zeo_database(work, warehouses)
    print("\nZEO database seeded in %.1f s (demo seed, %d warehouses); runzeo, 4 client processes"
          % (time.perf_counter() - t0, warehouses), flush=True)
    server, port = start_zeo(work)
    try:
        runs = [run_clients(work, port, "reference", per_client, persons),
                run_clients(work, port, "reference shared", per_client, persons)]
        runs.append(run_clients(work, port, "same desk", per_client, persons))
        runs.append(run_clients(work, port, "own desk", per_client, persons))
        ok, lines = check_codes(work, port, runs[2]["codes"] + runs[3]["codes"])
    finally:
        server.terminate()
        server.wait(30)
    print("\n%-46s %6s %7s %8s %8s %7s %7s %8s %8s" % (
        "4 client processes, %d transactions each" % per_client, "done", "per s", "retries",
        "per txn", "max", "failed", "p50 ms", "p95 ms"))
    for r in runs:
        print("%-46s %6d %7.1f %8d %8.2f %7d %7d %8.1f %8.1f" % (
            MODES[r["mode"]], r["done"], r["rate"], r["retries"], r["retries"] / r["transactions"],
            r["worst"], r["failed"], pct(r["latencies"], 50), pct(r["latencies"], 95)))
    for r in runs:
        if r["by_class"]:
            print("  conflicts, %s: %s" % (r["mode"], ", ".join(
                "%s %d" % kv for kv in sorted(r["by_class"].items(), key=lambda kv: -kv[1]))))
    print("(retried as the app does: at most %d attempts, a random wait of up to %.0f ms × n"
          " before the n-th retry; max = most retries one committed transaction needed;"
          " failed = all %d attempts conflicted, the desk would see an error; p50/p95 = time"
          " per transaction, retries included; conflicts by the class of the object that"
          " conflicted: DailySequence = the desk's daily counter, LOBucket / AuditLog = the"
          " audit trail's entries and head, OOBucket / OOBTree / OOSet = the dossier tree and"
          " the unit and person indexes, ReadConflictError = a tree node an insert read was"
          " changed by a bucket split meanwhile, PersistentMapping = the reference's shared object)"
          % (RETRY_ATTEMPTS, RETRY_BASE_DELAY * 2000, RETRY_ATTEMPTS))
    print("\nCheck after the run: %s" % ("OK" if ok else "FAILED"))
    for line in lines:
        print("  " + line)
    return ok


def _version(name):
    from importlib.metadata import version
    return version(name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouses", type=int, default=100_000)
    parser.add_argument("--persons", type=int, default=1000, help="listings measured (random persons)")
    parser.add_argument("--per-client", type=int, default=150, help="receptions per client and case")
    parser.add_argument("--zeo-warehouses", type=int, default=300)
    parser.add_argument("--procs", type=int, default=None,
                        help="processes building warehouses (default: one per core)")
    parser.add_argument("--dir", help="work directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--skip-listing", action="store_true")
    parser.add_argument("--skip-zeo", action="store_true")
    args = parser.parse_args(argv)
    if args.per_client * 4 > 9999:
        parser.error("--per-client × 4 must stay under the daily sequence's 9 999")
    work = args.dir or tempfile.mkdtemp(prefix="kho-reception-bench-")
    os.makedirs(work, exist_ok=True)
    print("machine: %d cores (%s), load average %.1f at start, Python %s, ZODB %s, ZEO %s;"
          " work dir %s" % (os.cpu_count() or 1, os.uname().machine, os.getloadavg()[0],
                            sys.version.split()[0], _version("ZODB"), _version("ZEO"), work))
    started = time.perf_counter()
    ok = True
    try:
        if not args.skip_listing:
            path = os.path.join(work, "listing", "Data.fs")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            for suffix in ("", ".index", ".lock", ".tmp"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
            print("\nGenerating %d warehouses (5-20 papers each, metadata only) into %s"
                  % (args.warehouses, path), flush=True)
            persons = []
            db, stats = generate(path, args.warehouses, persons, args.procs)
            print("generated %d warehouses, %d papers, %d consents in %.0f s (%.0f papers/s,"
                  " %d processes); Data.fs %.0f MB" % (
                      args.warehouses, stats["papers"], stats["consents"], stats["seconds"],
                      stats["papers"] / stats["seconds"], stats["procs"], stats["size"] / 1e6),
                  flush=True)
            times, listing = measure_listing(db, persons, args.persons)
            print_listing(times, listing)
            close_databases(db)
        if not args.skip_zeo:
            ok = measure_zeo(os.path.join(work, "zeo"), args.zeo_warehouses, args.per_client)
        print("\ntotal %.0f s" % (time.perf_counter() - started))
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
