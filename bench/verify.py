"""The public verification page's lookup: is an unknown, an altered or a
malformed code answered in the same time as each other (and as a real one),
among many registered codes? Prints the median and the 95th percentile of
repository.verification.lookup per kind of code, in one process, over a
ZODB FileStorage in a temporary folder.

    .venv/bin/python bench/verify.py [--codes 100000] [--rounds 2000]

The reference run is "real": a code that exists (it also reads the paper's
state, so it does a little more); the failures should be alike, and close
to it. A timing is printed, never judged."""
import argparse
import datetime
import os
import random
import statistics
import tempfile
import time

import transaction
import ZODB
import ZODB.FileStorage


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    from repository import verification
    from repository.resources import Root
    with tempfile.TemporaryDirectory() as folder:
        db = ZODB.DB(ZODB.FileStorage.FileStorage(os.path.join(folder, "Data.fs")))
        conn = db.open()
        root = conn.root()["app"] = Root()
        issued = datetime.datetime.now(datetime.timezone.utc)
        codes = []
        for start in range(0, args.codes, 10_000):
            for i in range(start, min(args.codes, start + 10_000)):
                code = verification.new_code()
                verification.register(root, code, "copy", {"ma_ho_so": f"X-{i}"}, owner_id="001090012345",
                                      dossier_code=f"X-{i}", source=("001090012345", f"{i:016x}"),
                                      issued=issued, issued_by="bench")
                codes.append(code)
            transaction.commit()
        conn.cacheMinimize()
        real = codes[len(codes) // 2]
        kinds = {
            "real": lambda n: codes[(n * 7919) % len(codes)],
            "unknown": lambda n: verification.new_code(),
            "altered": lambda n: real[:-1] + ("A" if real[-1] != "A" else "B"),
            "malformed": lambda n: "abc<script>" if n % 2 else "x" * (n % 40),
        }
        print(f"{args.codes} codes registered; {args.rounds} lookups per kind (µs)")
        print(f"{'kind':<10} {'median':>8} {'p95':>8}")
        times = {name: [] for name in kinds}
        order = list(kinds)
        shuffle = random.Random(1)
        for n in range(args.rounds):           # interleaved, in a new order each round: no kind warms the cache for another
            shuffle.shuffle(order)
            for name in order:
                code = kinds[name](n)
                t0 = time.perf_counter()
                verification.lookup(root, code)
                times[name].append((time.perf_counter() - t0) * 1e6)
        for name, found in times.items():
            found.sort()
            print(f"{name:<10} {statistics.median(found):8.1f} {found[int(len(found) * 0.95)]:8.1f}")
        transaction.abort()
        conn.close()
        db.close()


if __name__ == "__main__":
    main()
