"""Service-quality indicators: what the live counters cost a dossier change,
and what they save the dashboard.

    .venv/bin/python bench/indicators.py [--dossiers 4000] [--dir DIR] [--keep]

1. Seeds a FileStorage (the demo catalogue and accounts), then receives
   --dossiers dossiers over the last 24 months at the commune and the Bát
   Xát desks (alternating batches of 200 with the indicators subscriber and
   without it: the reference), and resolves two in three of them; prints the
   time per reception and per resolution with and without the counters.
2. `kho indicators rebuild` brings the counters of the reference batches
   in; `check` finds no difference.
3. Times the dashboard's query (a year by month at the desk level, and five
   years at the province level) from the counters, cold (a fresh connection)
   and warm, beside the reference: the same figures computed by a scan of
   every dossier (repository.indicators.compute).
"""
import argparse
import datetime
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import transaction  # noqa: E402


def settings_for(base):
    return {"zodbconn.uri": f"file://{base}/Data.fs?blobstorage_dir={base}/blobs",
            "zodbconn.uri.audit": f"file://{base}/Audit.fs"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=4000)
    parser.add_argument("--dir")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    from repository import dossier_events
    from repository import indicators as ind
    from repository.calendar import VN
    from repository.db import app_root, close_databases, open_databases
    from repository.dossiers import receive_dossier, resolve
    from repository.evolve import evolve
    from repository.seed import seed_demo

    base = args.dir or tempfile.mkdtemp(prefix="kho-bench-indicators-")
    os.makedirs(base, exist_ok=True)
    db = open_databases(settings_for(base))
    conn = db.open(transaction.TransactionManager())
    evolve(conn)
    with conn.transaction_manager:
        seed_demo(app_root(conn))
    root = app_root(conn)
    users = root.accounts.users
    desks = [(users["canbo"], users["xuly2"], "1.004227"), (users["canbo2"], None, "2.001417")]
    rng = random.Random(766)
    now = datetime.datetime.now(VN)
    handlers = list(dossier_events._handlers())
    without = [h for h in handlers if h is not ind.on_dossier]
    timings = {True: [0.0, 0, 0.0, 0], False: [0.0, 0, 0.0, 0]}   # receive s, n, resolve s, n
    owner = "001090012345"
    done = 0
    while done < args.dossiers:
        live = (done // 200) % 2 == 0
        dossier_events._resolved = handlers if live else without
        batch = []
        for _ in range(min(200, args.dossiers - done)):
            officer, processor, procedure = rng.choice(desks)
            day = now - datetime.timedelta(days=rng.randint(1, 730), hours=rng.randint(0, 8))
            t = time.perf_counter()
            dossier = receive_dossier(root, officer, procedure, owner, now=day,
                                      channel="online" if rng.random() < 0.4 else "desk")
            timings[live][0] += time.perf_counter() - t
            timings[live][1] += 1
            batch.append((dossier, processor))
        for dossier, processor in batch:
            if processor is not None and rng.random() < 0.67:
                t = time.perf_counter()
                resolve(root, dossier, processor, approved=False, reason="bench")
                timings[live][2] += time.perf_counter() - t
                timings[live][3] += 1
        conn.transaction_manager.commit()
        done += len(batch)
    dossier_events._resolved = handlers
    print(f"{args.dossiers} dossiers received over 24 months at 2 desks ({base})")
    for live, label in ((False, "reference (no counters)"), (True, "with the counters     ")):
        rs, rn, ss, sn = timings[live]
        print(f"  {label}: reception {rs / max(rn, 1) * 1000:6.2f} ms each ({rn}), "
              f"resolution {ss / max(sn, 1) * 1000:6.2f} ms each ({sn})")

    t = time.perf_counter()
    n, changed = ind.rebuild(root)
    conn.transaction_manager.commit()
    print(f"rebuild: {n} dossiers, {changed} counters brought in, {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    diffs = ind.differences(root)
    print(f"check: {len(diffs)} differences, {time.perf_counter() - t:.2f} s")
    conn.close()

    year = str(now.year)
    queries = [("desk, a year by month", {"level": "desk", "period": "month", "from": f"{year}-01",
                                           "to": f"{year}-12"}),
               ("province, five years", {"level": "province", "period": "year",
                                         "from": str(now.year - 4), "to": year})]
    for label, filters in queries:
        fresh = db.open(transaction.TransactionManager())
        fresh.cacheMinimize()
        t = time.perf_counter()
        ind.report(app_root(fresh), filters)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(10):
            ind.report(app_root(fresh), filters)
        warm = (time.perf_counter() - t) / 10
        fresh.close()
        scan_conn = db.open(transaction.TransactionManager())
        scan_conn.cacheMinimize()
        t = time.perf_counter()
        ind.compute(app_root(scan_conn))
        scan = time.perf_counter() - t
        scan_conn.close()
        print(f"dashboard ({label}): counters {cold * 1000:7.1f} ms cold, {warm * 1000:6.1f} ms warm; "
              f"reference, a scan of the dossiers: {scan * 1000:8.1f} ms")
    close_databases(db)
    if not args.keep and not args.dir:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
