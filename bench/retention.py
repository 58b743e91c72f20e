"""`kho retention run` over many papers, next to a plain scan of the same papers.

    .venv/bin/python bench/retention.py [--papers 100000] [--procs N] [--dir DIR [--reuse]] [--keep]

1. Builds warehouses of 5-20 papers each (bench/reception.py's generator:
   metadata only, straight into a FileStorage in the app's tree, with the
   demo catalogue: ID cards some revoked or past their date, passports,
   birth certificates, marital-status certificates, certified copies, …;
   most from an approved dossier) until about --papers papers.
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
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

PAPERS_PER_WAREHOUSE = 12.5       # the generator's mean (5-20)


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
    args = parser.parse_args(argv)
    import reception
    work = args.dir or tempfile.mkdtemp(prefix="kho-bench-retention-")
    os.makedirs(work, exist_ok=True)
    warehouses = max(1, int(args.papers / PAPERS_PER_WAREHOUSE))
    print(f"building {warehouses} warehouses (about {args.papers} papers) in {work}", flush=True)
    try:
        path = os.path.join(work, "Data.fs")
        if args.reuse and os.path.exists(path):
            db = open_existing(path)
        else:
            db, stats = reception.generate(path, warehouses, [], procs=args.procs)
            print(f"built {stats['papers']} papers in {stats['seconds']:.0f} s "
                  f"({stats['size'] / 1e6:.0f} MB)", flush=True)
        db.setCacheSize(100_000)
        count, scan1_s = plain_scan(db)
        dry, dry_s = retention_run(db, dry_run=True)
        first, first_s = retention_run(db, dry_run=False)
        second, second_s = retention_run(db, dry_run=False)
        _count, scan2_s = plain_scan(db)
        scan_s = (scan1_s + scan2_s) / 2
        print(f"plain scans: {scan1_s:.2f} s (first), {scan2_s:.2f} s (last)")
        print()
        print(f"papers: {count}, dossiers: {first.dossiers} (the generator stores no dossier objects)")
        print(f"{'plain scan (load every paper, read 3 fields), mean':52} {scan_s:8.2f} s  "
              f"{count / scan_s:10.0f} papers/s")
        for label, report, seconds in (("kho retention run --dry-run", dry, dry_s),
                                       ("kho retention run (first: queues, marks)", first, first_s),
                                       ("kho retention run (second: nothing new)", second, second_s)):
            print(f"{label:52} {seconds:8.2f} s  {count / seconds:10.0f} papers/s  "
                  f"× {seconds / scan_s:4.2f} scan   due {len(report.due)}, queued {len(report.queued)}, "
                  f"re-indexed {len(report.revalidated)}")
        db.close()
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
