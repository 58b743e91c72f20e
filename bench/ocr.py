"""OCR figures: Kho's OCR against raw tesseract on the same degraded
Vietnamese pages, in the same run. Nothing is asserted.

    .venv/bin/python bench/ocr.py [--quick] [--pages-only | --proposals-only] [SEEDS [RUNS]]

e.g. `bench/ocr.py --pages-only 1,2,3 3`: held-out seeds 1 to 3, median of 3 runs.

A whole run prints, in this order:
  1. per_page(): `kho ocr PAGE` run once per page (a new process each time)
     beside raw `tesseract PAGE - -l vie` on the same page scanned perfectly
     and on the degraded page, and the CER of both, on held-out pages of the
     new kinds with seeds SEEDS (default 1), median of RUNS (default 3);
     alone with `--pages-only`.
  2. main(): pages/min and character error rates (mean, max) of recognize()
     over one page of each degradation in tests/ocr/scans.py, given as one
     lossless scanner PDF (each page at its own resolution); beside it raw
     `tesseract img stdout -l vie+eng` serially and two at a time, and
     tesseract's own time on a perfect scan of the same page (`--quick`:
     fewer pages, fewer runs).
  3. proposal_shares(): the share of right proposals (type, number, issue
     date, issuer) on held-out papers (tests/ocr/heldout.py); alone with
     `--proposals-only`.
"""
import argparse
import concurrent.futures
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ocr  # noqa: E402
from tests.ocr import scans  # noqa: E402


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    cpu, wall = cpu_seconds(), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - wall, cpu_seconds() - cpu


class TesseractSampler:
    """Counts this process's running tesseract children every 20 ms: how
    many pages are really recognised at once, whatever else loads the machine."""

    def __init__(self):
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children(self):
        count = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as f:
                    pids = f.read().split()
            except OSError:
                continue
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/comm") as f:
                        count += f.read().strip() == "tesseract"
                except OSError:
                    pass
        return count

    def _run(self):
        while not self._stop.wait(0.02):
            self.samples.append(self._children())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def mean(self):
        return statistics.mean(self.samples) if self.samples else 0.0


def raw_tesseract(path, languages, env=None):
    done = subprocess.run(["tesseract", path, "stdout", "-l", languages],
                          capture_output=True, env=env, check=True)
    return done.stdout.decode("utf-8")


def write_pages(kinds, workdir):
    paths = {}
    for kind in kinds:
        image = scans.degraded(kind)
        fmt = "JPEG" if kind in ("jpeg", "combined") else "PNG"
        path = os.path.join(workdir, f"{kind}.{fmt.lower()}")
        with open(path, "wb") as f:
            f.write(scans.image_bytes(image, fmt))
        paths[kind] = path
    return paths


def scanner_pdf(kinds, workdir):
    """All pages in one lossless PDF, each at its own resolution."""
    path = os.path.join(workdir, "all.pdf")
    with open(path, "wb") as f:
        f.write(scans.lossless_pdf([scans.degraded(kind) for kind in kinds]))
    return path, list(kinds)


def pdf_sizes(result):
    """Bytes of the searchable PDF, of each page's JPEG and each page's area
    as a fraction of an A4 page at 300 dpi."""
    import io

    import pikepdf
    a4 = (210 / 25.4 * 300) * (297 / 25.4 * 300)
    jpeg, area = [], []
    with pikepdf.open(io.BytesIO(result.searchable_pdf)) as pdf:
        for page, info in zip(pdf.pages, result.pages):
            for image in page.Resources.XObject.values():
                if image.get("/Filter") == pikepdf.Name.DCTDecode:
                    jpeg.append(len(image.read_raw_bytes()))
                    area.append(info.width * info.height * (300 / info.dpi) ** 2 / a4)
    return {"total": len(result.searchable_pdf), "jpeg": jpeg, "a4": area}


def line(label, pages, wall, cpu, rates=None, extra="", running=None):
    ppm = pages / wall * 60
    busy = cpu / wall
    text = f"{label:<40s} {ppm:6.1f} pages/min {wall / pages:5.2f} s/page  CPU {busy:4.2f} cores"
    if running is not None:
        text += f"  tesseracts running {running:4.2f}"
    if rates:
        text += f"  CER mean {statistics.mean(rates) * 100:5.2f} %  max {max(rates) * 100:6.2f} %"
    print(text + extra)


def main(quick=False):
    """The whole pipeline beside raw tesseract on the first bench's pages."""
    kinds = scans.KINDS[:6] if quick else scans.KINDS
    truth = scans.ground_truth()
    one_thread = dict(os.environ, OMP_THREAD_LIMIT="1")
    # raw tesseract "default" runs drop any OMP_THREAD_LIMIT of this environment
    default_threads = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    print(f"OCR bench: {len(kinds)} degraded pages ({', '.join(kinds)}), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as workdir:
        paths = write_pages(kinds, workdir)
        document, order = scanner_pdf(kinds, workdir)

        # tesseract's own time on a perfect scan of the same page
        clean = paths.get("clean") or write_pages(["clean"], workdir)["clean"]
        runs = 3 if quick else 5
        perfect, perfect_cpu = {}, {}
        for languages in ("vie", "vie+eng"):
            runs_ = [timed(lambda: raw_tesseract(clean, languages, one_thread)) for _ in range(runs)]
            perfect[languages] = statistics.median(r[1] for r in runs_)
            perfect_cpu[languages] = statistics.median(r[2] for r in runs_)
        print(f"tesseract alone on the perfect scan (1 thread, median of {runs}): "
              f"vie {perfect['vie']:.2f} s wall / {perfect_cpu['vie']:.2f} s CPU, "
              f"vie+eng {perfect['vie+eng']:.2f} s wall / {perfect_cpu['vie+eng']:.2f} s CPU")
        print()

        per_kind = {}
        for languages in (ocr.DEFAULT_LANGUAGES, "vie+eng"):
            for workers in (1, 2):
                if languages != ocr.DEFAULT_LANGUAGES and workers == 1:
                    continue
                with TesseractSampler() as sampler:
                    result, wall, cpu = timed(lambda: ocr.recognize(document, languages=languages,
                                                                   workers=workers))
                rates = [scans.cer(truth, page.text) for page in result.pages]
                if languages == ocr.DEFAULT_LANGUAGES and workers == 2:
                    per_kind = dict(zip(order, rates))
                    sizes = pdf_sizes(result)
                ratio = (wall / len(rates)) / perfect[languages]
                cpu_ratio = (cpu / len(rates)) / perfect_cpu[languages]
                line(f"pipeline -l {languages}, {workers} worker(s)", len(rates), wall, cpu, rates,
                     f"  per page: {ratio:4.2f} x (wall), {cpu_ratio:4.2f} x (CPU) perfect-scan"
                     " tesseract", sampler.mean)

        for languages in ("vie+eng",):
            texts = {}

            def serial():
                for kind in order:
                    texts[kind] = raw_tesseract(paths[kind], languages, default_threads)
            with TesseractSampler() as sampler:
                _, wall, cpu = timed(serial)
            rates = [scans.cer(truth, texts[k]) for k in order]
            raw_per_kind = dict(zip(order, rates))
            line(f"raw tesseract -l {languages}, serial", len(order), wall, cpu, rates,
                 running=sampler.mean)

            def concurrent_two():
                with concurrent.futures.ThreadPoolExecutor(2) as pool:
                    return list(pool.map(lambda k: raw_tesseract(paths[k], languages,
                                                                 default_threads), order))
            with TesseractSampler() as sampler:
                outs, wall, cpu = timed(concurrent_two)
            line(f"raw tesseract -l {languages}, 2 concurrent", len(order), wall, cpu,
                 [scans.cer(truth, t) for t in outs], running=sampler.mean)

            def concurrent_two_single():
                with concurrent.futures.ThreadPoolExecutor(2) as pool:
                    return list(pool.map(lambda k: raw_tesseract(paths[k], languages, one_thread), order))
            with TesseractSampler() as sampler:
                outs, wall, cpu = timed(concurrent_two_single)
            line(f"raw tesseract -l {languages}, 2 conc., OMP=1", len(order), wall, cpu,
                 [scans.cer(truth, t) for t in outs], running=sampler.mean)

        print(f"searchable PDF: {sizes['total'] / len(order) / 1024:.0f} KB/page; colour JPEG "
              f"q{ocr.pdf.JPEG_QUALITY} {statistics.mean(sizes['jpeg']) / 1024:.0f} KB/page mean, "
              f"max {max(sizes['jpeg']) / 1024:.0f} KB (pages of {statistics.mean(sizes['a4']):.2f} A4 "
              f"at 300 dpi; at this density a full A4 page is about "
              f"{statistics.mean(j / a for j, a in zip(sizes['jpeg'], sizes['a4'])) / 1024:.0f} KB)")
        print(f"(CPU: this process and its children, in cores; other work on the machine "
              f"shares them: load average now {os.getloadavg()[0]:.1f})")
        print()
        print(f"{'page':<14s} {'pipeline CER':>13s} {'raw tesseract CER':>18s}")
        for kind in order:
            print(f"{kind:<14s} {per_kind[kind] * 100:12.2f}% {raw_per_kind[kind] * 100:17.2f}%")
    return 0


# -- one page, one process: `kho ocr PAGE` beside raw tesseract (issue 13) ---------------
# Each page is a new kind of degradation on text the preprocessing was not
# tuned on (scans.HELDOUT_LINES, seeds 1..), plus the clean page. Per page:
# `kho ocr PAGE` (a new process: start-up, cleaning, tesseract, output),
# raw `tesseract PAGE - -l vie` on the same page scanned perfectly (the
# reference of the target: kho ≤ 1.25 x) and on the degraded page, both as
# the shell runs them, interleaved, median of --runs; and the CER of both.
# "tess ≤cores" is raw tesseract on the perfect scan with OMP_THREAD_LIMIT at
# the cores, as kho runs it: on 2 cores, tesseract's 4 OpenMP threads spin
# for each other, so "ratio ≤cores" is kho's own overhead.

def perfect_scan(kind, lines, seed):
    """The same page without its degradation."""
    return scans.degraded("two_column", lines, seed) if kind == "two_column" else scans.render_page(lines=lines)


def _wall(command, env=None):
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode(errors='replace')[-300:]}")
    return elapsed, done.stdout.decode("utf-8")


def per_page(kinds=None, seeds=(1,), runs=3, lines=None):
    """Prints, per page, kho's time over raw tesseract's on the perfect scan,
    and both CERs; returns the rows."""
    lines = lines or scans.HELDOUT_LINES
    kinds = kinds or ("clean",) + tuple(scans.NEW_KINDS)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    kho = [os.path.join(os.path.dirname(sys.executable), "kho"), "-c", os.path.join(here, "development.ini")]
    if not os.path.exists(kho[0]):
        kho = [sys.executable, "-m", "repository.cli"] + kho[1:]
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}   # as the shell runs them
    limited = dict(env, OMP_THREAD_LIMIT=str(len(os.sched_getaffinity(0))))
    rows = []
    print(f"one page, one process (median of {runs}; load average {os.getloadavg()[0]:.1f}):")
    print(f"{'page':<14s} {'kho ocr':>8s} {'tess perfect':>13s} {'ratio':>6s} {'tess ≤cores':>12s}"
          f" {'ratio ≤cores':>13s} {'tess degraded':>14s} {'CER kho':>8s} {'CER tess':>9s}")
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            for seed in seeds:
                image = scans.degraded(kind, lines, seed) if kind != "clean" else scans.render_page(lines=lines)
                truth = scans.truth(kind, lines)
                page = os.path.join(workdir, f"{kind}-{seed}.png")
                perfect = os.path.join(workdir, f"{kind}-{seed}-perfect.png")
                with open(page, "wb") as f:
                    f.write(scans.image_bytes(image))
                with open(perfect, "wb") as f:
                    f.write(scans.image_bytes(perfect_scan(kind, lines, seed)))
                times = {"kho": [], "perfect": [], "limited": [], "raw": []}
                for _ in range(runs):
                    t, kho_text = _wall(kho + ["ocr", page], env)
                    times["kho"].append(t)
                    t, _ = _wall(["tesseract", perfect, "-", "-l", "vie"], env)
                    times["perfect"].append(t)
                    t, _ = _wall(["tesseract", perfect, "-", "-l", "vie"], limited)
                    times["limited"].append(t)
                    t, raw_text = _wall(["tesseract", page, "-", "-l", "vie"], env)
                    times["raw"].append(t)
                med = {k: statistics.median(v) for k, v in times.items()}
                row = {"page": f"{kind}/{seed}", "kho": med["kho"], "perfect": med["perfect"],
                       "ratio": med["kho"] / med["perfect"], "limited": med["limited"],
                       "ratio_limited": med["kho"] / med["limited"], "raw": med["raw"],
                       "cer_kho": scans.cer(truth, kho_text), "cer_raw": scans.cer(truth, raw_text)}
                rows.append(row)
                print(f"{row['page']:<14s} {row['kho']:7.2f}s {row['perfect']:12.2f}s {row['ratio']:5.2f}x"
                      f" {row['limited']:11.2f}s {row['ratio_limited']:12.2f}x {row['raw']:13.2f}s {row['cer_kho'] * 100:7.2f}% {row['cer_raw'] * 100:8.2f}%",
                      flush=True)
    ratios = [r["ratio"] for r in rows]
    degraded = [r for r in rows if not r["page"].startswith("clean/")]
    cers = [r["cer_kho"] for r in degraded] or [0.0]
    raw_cers = [r["cer_raw"] for r in degraded] or [0.0]
    print(f"time kho / raw tesseract on the perfect scan: mean {statistics.mean(ratios):.2f}x, "
          f"max {max(ratios):.2f}x (target <= 1.25x); against tesseract limited to the cores: mean "
          f"{statistics.mean(r['ratio_limited'] for r in rows):.2f}x, "
          f"max {max(r['ratio_limited'] for r in rows):.2f}x")
    print(f"CER on the degraded pages: kho mean {statistics.mean(cers) * 100:.2f} %, max {max(cers) * 100:.2f} % "
          f"(target <= 0.3 %, no page > 1 %); raw tesseract mean {statistics.mean(raw_cers) * 100:.2f} %, "
          f"max {max(raw_cers) * 100:.2f} %")
    return rows


# -- proposals on held-out papers (issue 13) ----------------------------------------------
# Self-contained: the share of the desk's proposals (paper type, number, issue
# date, issuer) that are right on papers the suggestion rules were not
# written against (tests/ocr/heldout.py), each scanned with a degradation.

def proposal_shares(papers=None):
    """Recognise each held-out paper, propose its metadata and print, per
    paper and per field, whether the proposal is right; returns
    {field: share right}."""
    import yaml
    from tests.ocr import heldout
    papers = papers or heldout.PAPERS
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "repository", "data", "demo-catalogue.yaml"), encoding="utf-8") as f:
        catalogue = yaml.safe_load(f)
    doc_types = [(t["code"], t["name"]) for t in catalogue["doctypes"]]
    right = {field: 0 for field in heldout.FIELDS}
    print(f"proposals on {len(papers)} held-out papers (right / proposed value when wrong):")
    print(f"{'paper':<12s} {'degraded':<13s} " + " ".join(f"{f:<10s}" for f in heldout.FIELDS))
    for paper in papers:
        result = ocr.recognize(heldout.scan(paper), workers=1)
        verdicts = heldout.judge(paper, ocr.suggest_metadata(result.text, doc_types))
        cells, misses = [], []
        for field in heldout.FIELDS:
            ok, value = verdicts[field]
            right[field] += ok
            cells.append(f"{'right' if ok else 'WRONG':<10s}")
            if not ok:
                misses.append(f"{field}={value!r}")
        print(f"{paper.name:<12s} {paper.degradation:<13s} " + " ".join(cells)
              + (f"  ({'; '.join(misses)})" if misses else ""))
    shares = {field: right[field] / len(papers) for field in heldout.FIELDS}
    total = sum(right.values()) / (len(papers) * len(heldout.FIELDS))
    print("share right: " + ", ".join(f"{f} {v * 100:.0f} %" for f, v in shares.items())
          + f"; all fields {total * 100:.1f} %")
    return shares


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--pages-only", action="store_true",
                      help="only per_page(): `kho ocr PAGE` beside raw tesseract, per held-out page")
    only.add_argument("--proposals-only", action="store_true",
                      help="only proposal_shares(): the share of right proposals on held-out papers")
    parser.add_argument("--quick", action="store_true", help="main(): fewer pages, fewer runs")
    parser.add_argument("seeds", nargs="?", default=(1,),
                        type=lambda text: tuple(int(x) for x in text.split(",")),
                        help="per_page()'s seeds of the held-out pages, e.g. 1,2,3 (default 1)")
    parser.add_argument("runs", nargs="?", type=int, default=3,
                        help="per_page()'s runs of each command, the median is shown (default 3)")
    parser.add_argument("--text", choices=sorted(TEXTS), default="heldout",
                        help="per_page()'s text: heldout (default), unseen (written after the"
                             " OCR rules and never tuned on) or paper (the tuning text)")
    return parser.parse_args(argv)


TEXTS = {"heldout": scans.HELDOUT_LINES, "unseen": scans.UNSEEN_LINES, "paper": scans.PAPER_LINES}


if __name__ == "__main__":
    args = parse_args()
    if args.proposals_only:
        proposal_shares()
        sys.exit(0)
    per_page(seeds=args.seeds, runs=args.runs, lines=TEXTS[args.text])
    if args.pages_only:
        sys.exit(0)
    print()
    code = main(quick=args.quick)
    print()
    proposal_shares()
    sys.exit(code)
