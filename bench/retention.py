"""`kho retention run` over many papers, next to a plain scan of the same papers.

    .venv/bin/python bench/retention.py [--papers 100000] [--procs N] [--dir DIR [--reuse]] [--keep]

1. Builds warehouses of 5-20 papers each (bench/reception.py's papers:
   metadata only, with the demo catalogue: ID cards some revoked or past
   their date, passports, birth certificates, marital-status certificates,
   certified copies, …; most from an approved dossier) until about --papers
   papers. Fast: TEMPLATES warehouses are built once as real objects in an
   in-memory database whose oids carry a marker; every warehouse of the
   bench is then one of them, its records copied with the marker replaced by
   the warehouse's own oid prefix and the template's personal id by its own,
   stored straight into the FileStorage in transactions of BATCH warehouses
   (no pickling, no OCR, no index, no audit). The Data.fs is cached under
   CACHE (key: papers, builder version, schema generation, generator
   sources) and copied for each run; --fresh builds it again; --slow uses
   bench/reception.py's object-by-object generator instead.
2. Plain scan: every warehouse and every paper loaded from the storage (a
   cold connection cache) and three of its attributes read: the floor for
   anything that looks at every paper.
3. `kho retention run` (repository.retention.nightly: the same function the
   command and the app's nightly job call, in a transaction of its own):
   first a dry run, then the real run (queues what is due and marks the
   papers whose validity changed by date for re-indexing, then commits),
   then a second real run (nothing new to queue), each from a cold cache.
4. The plain scan again (the first one also warmed the operating system's
   file cache): the run's ratio is given to the mean of the two scans.
Prints the times side by side, and the run's ratio to the plain scan.
The figures vary with the machine and what else runs on it: they are
figures, not a test."""
import argparse
import hashlib
import os
import random
import shutil
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

PAPERS_PER_WAREHOUSE = 12.5       # the generator's mean (5-20)
TEMPLATES = 256                   # distinct warehouses the bench's warehouses are copies of
BATCH = 4000                      # warehouses per transaction (fast builder)
BUILDER_VERSION = 1
CACHE = os.path.join(tempfile.gettempdir(), "kho-bench-retention-cache")
MARK = b"\xfe\xed\xfa\xce"      # the high 4 bytes of every template oid
TEMPLATE_PID = "99999999%04d"     # a template's personal id, replaced by the copy's


def _templates(subjects_oid, names, count=TEMPLATES):
    """count warehouses as real objects (reception.build_warehouse) in a
    throw-away in-memory database, one transaction each; returns [(records,
    warehouse oid, pid bytes, papers)] with records [(oid, data)]. Oids are
    MARK + (template << 12 | n); __parent__ is the real subjects folder."""
    import transaction
    import ZODB
    from ZODB.MappingStorage import MappingStorage
    from ZODB.utils import z64

    import reception
    from repository.resources import Subjects
    storage = MappingStorage()
    db = ZODB.DB(storage)
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    subjects = Subjects.__new__(Subjects)      # stands for the real folder, never loaded here
    subjects._p_oid, subjects._p_jar = subjects_oid, conn
    rng = random.Random(reception.SEED + 11)
    people = reception.personal_ids(count, seed=reception.SEED + 12)
    built = []
    for k, (_real, (birth, sex)) in enumerate(people):
        pid = TEMPLATE_PID % k
        storage._oid = (struct.unpack(">I", MARK)[0] << 32) | (k << 12)
        warehouse, papers, _c = reception.build_warehouse(rng, pid, birth, sex, names)
        warehouse.__name__, warehouse.__parent__ = pid, subjects
        conn.add(warehouse)
        tm.commit()
        built.append((warehouse._p_oid, pid.encode(), papers))
    conn.cacheMinimize()
    by_template = {}
    for txn in storage.iterator():
        for record in txn:
            if record.oid != z64:
                by_template.setdefault(struct.unpack(">Q", record.oid)[0] >> 12 & 0xFFFFF, []).append(
                    (record.oid, record.data))
    conn.close()
    db.close()
    templates = []
    for k, (woid, pid, papers) in enumerate(built):
        records = by_template[k]
        assert all(r[0][:4] == MARK for r in records)
        templates.append((records, woid, pid, papers))
    return templates


def fast_generate(path, papers, batch=BATCH):
    """A FileStorage at path with about `papers` papers, copied from the
    templates (see the module's help); returns (db, stats)."""
    import time as _time

    import transaction
    import ZODB
    from ZODB.Connection import TransactionMetaData
    from ZODB.FileStorage import FileStorage
    from ZODB.MappingStorage import MappingStorage
    from ZODB.utils import z64

    import reception
    from repository.db import app_root
    databases = {}
    storage = FileStorage(path)
    db = ZODB.DB(storage, databases=databases, database_name="unnamed", cache_size=100_000)
    ZODB.DB(MappingStorage(), databases=databases, database_name="audit")
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    root = reception.new_root(conn)
    tm.commit()
    t0 = _time.perf_counter()
    names = {code: t.name for code, t in root.catalogues.doctypes.items()}
    templates = _templates(root.subjects._p_oid, names)
    templates_s = _time.perf_counter() - t0
    count = max(1, int(papers / PAPERS_PER_WAREHOUSE))
    people = reception.personal_ids(count)
    rng = random.Random(reception.SEED + 13)
    made = records = 0
    for start in range(0, count, batch):
        meta = TransactionMetaData("bench", "bench: warehouses %d-" % start)
        storage.tpc_begin(meta)
        pairs = []
        for index, (pid, _birth) in enumerate(people[start:start + batch], start):
            template, woid, tpid, n = templates[rng.randrange(len(templates))]
            prefix = struct.pack(">I", 0x01000000 + index)
            own = pid.encode()
            for oid, data in template:
                storage.store(prefix + oid[4:], z64, data.replace(MARK, prefix).replace(tpid, own), "", meta)
            records += len(template)
            pairs.append((pid, prefix + woid[4:]))
            made += n
        storage.tpc_vote(meta)
        storage.tpc_finish(meta)
        tm.begin()
        subjects = app_root(conn).subjects
        for pid, oid in pairs:
            subjects.data[pid] = conn.get(oid)
        subjects._num_objects.change(len(pairs))
        tm.commit()
        conn.cacheMinimize()
        done = min(start + batch, count)
        if done % (batch * 10) == 0 or done == count:
            elapsed = _time.perf_counter() - t0
            print("  %7d warehouses, %8d papers, %5.0f s (%.0f papers/s)" % (done, made, elapsed, made / elapsed),
                  flush=True)
    conn.close()
    return db, {"papers": made, "records": records, "seconds": _time.perf_counter() - t0,
                "templates_seconds": templates_s, "size": os.path.getsize(path)}


def cache_key(papers):
    """What the cached Data.fs depends on: its size, this builder, the schema
    generation and the sources of the objects it holds."""
    from repository.evolve import GENERATION
    digest = hashlib.sha256(f"{BUILDER_VERSION}:{papers}:{GENERATION}:{TEMPLATES}".encode())
    root = os.path.dirname(HERE)
    for name in ("bench/reception.py", "repository/resources.py", "repository/folder.py",
                 "repository/consents.py", "repository/seed.py"):
        with open(os.path.join(root, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


def cached_database(papers, work, fresh=False):
    """Data.fs for `papers` in work: copied from the cache (built there first
    if missing or --fresh); returns (path, what was done, seconds)."""
    t0 = time.perf_counter()
    key = cache_key(papers)
    folder = os.path.join(CACHE, f"{papers}-{key}")
    cached = os.path.join(folder, "Data.fs")
    done = "copied from the cache"
    if fresh or not os.path.exists(os.path.join(folder, "complete")):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        db, stats = fast_generate(cached, papers)
        db.close()                     # writes Data.fs.index
        with open(os.path.join(folder, "complete"), "w") as f:
            f.write(f"{stats}\n")
        done = (f"built {stats['papers']} papers ({stats['records']} records, {stats['size'] / 1e6:.0f} MB) "
                f"in {stats['seconds']:.0f} s ({stats['papers'] / stats['seconds']:.0f} papers/s; "
                f"templates {stats['templates_seconds']:.1f} s), cached in {folder}")
    path = os.path.join(work, "Data.fs")
    for suffix in ("", ".index"):
        if os.path.exists(cached + suffix):
            shutil.copyfile(cached + suffix, path + suffix)
    return path, done, time.perf_counter() - t0


def plain_scan(db):
    import transaction
    from repository.db import app_root
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    conn.cacheMinimize()
    t0 = time.perf_counter()
    count = 0
    try:
        root = app_root(conn)
        for warehouse in root.subjects.values():
            for document in warehouse.documents.values():
                document.type_code, document.state, document.valid_until      # noqa: B018
                count += 1
            conn.cacheGC()
    finally:
        tm.abort()
        conn.cacheMinimize()
        conn.close()
    return count, time.perf_counter() - t0


def retention_run(db, dry_run):
    from repository.retention import nightly
    for conn in db.pool.all:            # a cold cache, as for the scan
        conn.cacheMinimize()
    t0 = time.perf_counter()
    report = nightly({}, db=db, dry_run=dry_run)
    return report, time.perf_counter() - t0


def open_existing(path):
    """A database the generator wrote before (--dir … --reuse), with an audit database in memory."""
    import ZODB
    from ZODB.FileStorage import FileStorage
    from ZODB.MappingStorage import MappingStorage
    databases = {}
    db = ZODB.DB(FileStorage(path), databases=databases, database_name="unnamed")
    ZODB.DB(MappingStorage(), databases=databases, database_name="audit")
    return db


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000,
                        help="about how many papers (default 100 000; 1 000 000 for the issue's figure)")
    parser.add_argument("--procs", type=int, default=None, help="generator processes (default: one per core)")
    parser.add_argument("--dir", help="work directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="use the Data.fs already in --dir")
    parser.add_argument("--fresh", action="store_true", help="build the cached Data.fs again")
    parser.add_argument("--slow", action="store_true",
                        help="bench/reception.py's object-by-object generator (no cache)")
    parser.add_argument("--once", action="store_true",
                        help="no second real run (a long bench: 1 000 000 papers)")
    args = parser.parse_args(argv)
    import reception
    work = args.dir or tempfile.mkdtemp(prefix="kho-bench-retention-")
    os.makedirs(work, exist_ok=True)
    warehouses = max(1, int(args.papers / PAPERS_PER_WAREHOUSE))
    print(f"{warehouses} warehouses (about {args.papers} papers) in {work}", flush=True)
    try:
        path = os.path.join(work, "Data.fs")
        if args.reuse and os.path.exists(path):
            db = open_existing(path)
        elif not args.slow:
            path, done, seconds = cached_database(args.papers, work, fresh=args.fresh)
            print(f"{done}; ready in {seconds:.0f} s", flush=True)
            db = open_existing(path)
        else:
            db, stats = reception.generate(path, warehouses, [], procs=args.procs)
            print(f"built {stats['papers']} papers in {stats['seconds']:.0f} s "
                  f"({stats['size'] / 1e6:.0f} MB)", flush=True)
        db.setCacheSize(100_000)
        count, scan1_s = plain_scan(db)
        print(f"plain scan: {count} papers in {scan1_s:.2f} s", flush=True)
        dry, dry_s = retention_run(db, dry_run=True)
        print(f"dry run: {dry_s:.2f} s", flush=True)
        first, first_s = retention_run(db, dry_run=False)
        print(f"first run: {first_s:.2f} s", flush=True)
        runs = [("kho retention run --dry-run", dry, dry_s),
                ("kho retention run (first: queues, marks)", first, first_s)]
        if not args.once:
            second, second_s = retention_run(db, dry_run=False)
            print(f"second run: {second_s:.2f} s", flush=True)
            runs.append(("kho retention run (second: nothing new)", second, second_s))
        _count, scan2_s = plain_scan(db)
        scan_s = (scan1_s + scan2_s) / 2
        print(f"plain scans: {scan1_s:.2f} s (first), {scan2_s:.2f} s (last)")
        print()
        print(f"papers: {count}, dossiers: {first.dossiers} (the generator stores no dossier objects)")
        print(f"{'plain scan (load every paper, read 3 fields), mean':52} {scan_s:8.2f} s  "
              f"{count / scan_s:10.0f} papers/s")
        for label, report, seconds in runs:
            print(f"{label:52} {seconds:8.2f} s  {count / seconds:10.0f} papers/s  "
                  f"× {seconds / scan_s:4.2f} scan   due {len(report.due)}, queued {len(report.queued)}, "
                  f"re-indexed {len(report.revalidated)}")
        db.close()
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
