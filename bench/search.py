"""Search figures: Kho's Whoosh index beside SQLite FTS5 on the same corpus.

    .venv/bin/python bench/search.py [--docs 100000] [--queries 200] [--procs N]
                                     [--dir DIR] [--keep] [--reuse] [--skip-fts]
                                     [--sets broad,realistic]
                                     [--starts cold,warm]

Generates N Vietnamese administrative papers deterministically (seeded): OCR
text of 150-400 syllables from administrative phrases, names, places, dates
and numbers; paper names from 20 paper types; owners from 20 000 personal
ids. Prints indexing speed and size, then p50/p95 latency of one-word,
two-word, phrase, no-diacritics and faceted queries (the same queries for
both engines), each returning the top 20 with highlighted snippets and the
total, for two query sets: "broad" (words of the corpus's shared vocabulary,
a worst case: an average query matches most documents) and "realistic"
(paper numbers, personal ids, numbers and dates, full names, a name
syllable with a number, with and without diacritics, drawn from sampled
papers: most match well under 1 %). --reuse queries the indexes already in
--dir without indexing again.

How FTS5 is made comparable: the same normalize_vi() text goes into an
`exact` column and fold_vi() of it into a `folded` column (tokenizer
unicode61 remove_diacritics 0, so tones are kept in `exact`); a query word w
becomes (exact:"w" OR folded:"fold(w)"), ranked by bm25 with exact x3; a
phrase is matched in both columns; snippets by snippet(); totals by
count(*); facets by GROUP BY over a metadata table joined on rowid.
Timings are printed, never asserted.
"""
import argparse
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from search import open_index, segments  # noqa: E402
from search.analysis import fold_vi, normalize_vi  # noqa: E402

SEED = 20240501

PAPER_TYPES = [
    ("KS", "Giấy khai sinh"), ("KH", "Giấy chứng nhận kết hôn"), ("CT", "Giấy chứng tử"),
    ("HN", "Giấy xác nhận tình trạng hôn nhân"), ("CC", "Căn cước công dân"),
    ("QSD", "Giấy chứng nhận quyền sử dụng đất"), ("XD", "Giấy phép xây dựng"),
    ("DKKD", "Giấy chứng nhận đăng ký hộ kinh doanh"), ("BTN", "Bằng tốt nghiệp"),
    ("HB", "Học bạ"), ("LLTP", "Phiếu lý lịch tư pháp"), ("GPLX", "Giấy phép lái xe"),
    ("BHYT", "Thẻ bảo hiểm y tế"), ("QD", "Quyết định hành chính"),
    ("HDMB", "Hợp đồng mua bán nhà ở"), ("CN", "Giấy xác nhận cư trú"),
    ("TT", "Tờ trình"), ("BB", "Biên bản"), ("CCHN", "Chứng chỉ hành nghề"),
    ("GUQ", "Giấy ủy quyền"),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Lương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Thu",
          "Kim", "Hồng", "Gia", "Bảo", "Anh"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Nhung", "Phúc",
         "Phương", "Quân", "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung",
         "Tuấn", "Tùng", "Vân", "Việt", "Yến", "Đạt", "Ánh", "Huyền"]
PLACES = ["phường Bến Nghé", "quận Một", "thành phố Hồ Chí Minh", "phường Hàng Bạc",
          "quận Hoàn Kiếm", "thành phố Hà Nội", "xã Tân Phú", "huyện Đồng Văn", "tỉnh Hà Giang",
          "phường Thạch Thang", "quận Hải Châu", "thành phố Đà Nẵng", "xã Mường Khương",
          "tỉnh Lào Cai", "phường Vĩnh Ninh", "thành phố Huế", "xã Cẩm Thanh", "tỉnh Quảng Nam",
          "phường Ninh Kiều", "thành phố Cần Thơ", "thị trấn Sa Pa", "tỉnh Điện Biên",
          "xã Đắk Mil", "tỉnh Đắk Nông", "phường Hoà Khánh", "thị xã Thuận An"]
ISSUERS = ["Ủy ban nhân dân", "Sở Tư pháp", "Công an", "Sở Tài nguyên và Môi trường",
           "Phòng Tư pháp", "Sở Giáo dục và Đào tạo", "Sở Xây dựng", "Bảo hiểm xã hội",
           "Tòa án nhân dân", "Văn phòng đăng ký đất đai"]
PHRASES = [
    "Cộng hoà xã hội chủ nghĩa Việt Nam", "Độc lập - Tự do - Hạnh phúc",
    "căn cứ Luật Tổ chức chính quyền địa phương", "căn cứ Nghị định số",
    "theo đề nghị của trưởng phòng", "quyết định", "điều", "khoản", "chương",
    "họ và tên", "ngày tháng năm sinh", "giới tính", "dân tộc Kinh", "quốc tịch Việt Nam",
    "nơi cư trú", "nơi đăng ký khai sinh", "số định danh cá nhân", "quê quán",
    "người đi đăng ký", "quan hệ với người được khai sinh", "cha", "mẹ", "vợ", "chồng",
    "thửa đất số", "tờ bản đồ số", "diện tích", "mét vuông", "mục đích sử dụng",
    "đất ở tại đô thị", "thời hạn sử dụng", "lâu dài", "nguồn gốc sử dụng",
    "được Nhà nước giao đất có thu tiền sử dụng đất", "tài sản gắn liền với đất",
    "nhà ở riêng lẻ", "công trình xây dựng", "số tầng", "kết cấu", "bê tông cốt thép",
    "ngành nghề kinh doanh", "vốn kinh doanh", "đồng", "địa điểm kinh doanh",
    "xếp loại tốt nghiệp", "khá", "giỏi", "trung bình", "hệ chính quy",
    "không có án tích", "hạng", "có giá trị đến", "nơi khám chữa bệnh ban đầu",
    "bên bán", "bên mua", "giá chuyển nhượng", "thanh toán", "bàn giao",
    "chịu trách nhiệm thi hành quyết định này", "nơi nhận", "lưu văn thư",
    "chủ tịch", "phó chủ tịch", "giám đốc", "trưởng phòng", "cán bộ tư pháp hộ tịch",
    "ký tên", "đóng dấu", "bản chính", "bản sao", "sao y", "chứng thực",
    "hồ sơ đã được tiếp nhận", "thời hạn giải quyết", "ngày làm việc",
    "đã kiểm tra đầy đủ", "thuế thu nhập cá nhân", "lệ phí trước bạ", "hoá đơn",
    "sức khoẻ", "thuỷ lợi", "uỷ quyền", "xác minh", "bổ sung", "đính chính",
]
STATES = ["reusable", "reusable", "reusable", "pending", "archived"]
VALIDITY = ["in_force", "in_force", "in_force", "expired", "revoked"]
DESKS = ["BPMC-%02d" % n for n in range(1, 31)]


def person(rng):
    return "%s %s %s" % (rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN))


def date(rng, start=1950, end=2025):
    return "%02d/%02d/%d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(start, end))


def owners(count=20_000, seed=SEED):
    rng = random.Random(seed)
    out = set()
    while len(out) < count:
        province = rng.randint(1, 96)
        century_sex = rng.choice("0123")
        year = rng.randint(0, 99)
        out.add("%03d%s%02d%06d" % (province, century_sex, year, rng.randint(0, 999_999)))
    return sorted(out)


def documents(n, seed=SEED):
    """Yield n deterministic records for SearchIndex.apply / rebuild."""
    rng = random.Random(seed)
    owner_ids = owners()
    for k in range(n):
        type_code, paper_name = rng.choice(PAPER_TYPES)
        year = rng.randint(1995, 2025)
        number = "%d/%d/%s-%s" % (rng.randint(1, 9999), year, type_code,
                                  rng.choice(["UBND", "STP", "CA", "STNMT", "SXD"]))
        issuer = "%s %s" % (rng.choice(ISSUERS), rng.choice(PLACES))
        length = rng.randint(150, 400)
        words = [paper_name.upper(), "Số", number]
        count = len(words) + 2
        while count < length:
            pick = rng.random()
            if pick < 0.55:
                piece = rng.choice(PHRASES)
            elif pick < 0.72:
                piece = person(rng)
            elif pick < 0.85:
                piece = rng.choice(PLACES)
            elif pick < 0.93:
                piece = "ngày " + date(rng)
            else:
                piece = str(rng.randint(1, 100_000))
            words.append(piece)
            count += piece.count(" ") + 1
        desk = rng.choice(DESKS)
        yield {
            "doc_id": "doc-%06d" % k,
            "text": " ".join(words) + ".",
            "paper_name": paper_name,
            "type_code": type_code,
            "number": number,
            "issuer": issuer,
            "issue_date": "%d-%02d-%02d" % (year, rng.randint(1, 12), rng.randint(1, 28)),
            "validity": rng.choice(VALIDITY),
            "owner_id": rng.choice(owner_ids),
            "dossier_codes": ["000.00.%02d.H%02d-%02d%02d%02d-%04d"
                              % (rng.randint(1, 40), rng.randint(1, 63), year % 100,
                                 rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 9999))],
            "provenance": "ocr",
            "state": rng.choice(STATES),
            "desk": desk,
            "stamp": k,
        }


# -- queries -----------------------------------------------------------------------

CONTENT_WORDS = sorted({w for p in PHRASES + PLACES + ISSUERS for w in p.lower().split()
                        if len(w) > 2 and "-" not in w} | {w.lower() for w in FAMILY + GIVEN})


def make_queries(count, seed=SEED + 1):
    rng = random.Random(seed)
    multi = [p for p in PHRASES + PLACES + [t[1] for t in PAPER_TYPES] if " " in p]
    one = [rng.choice(CONTENT_WORDS) for _ in range(count)]
    two = []
    for _ in range(count):
        words = rng.choice(multi).lower().replace(" - ", " ").split()
        i = rng.randrange(len(words) - 1)
        two.append(words[i:i + 2])
    phrase = []
    for _ in range(count):
        words = rng.choice(multi).lower().replace(" - ", " ").split()
        i = rng.randrange(len(words) - 1)
        phrase.append(words[i:i + rng.randint(2, 3)])
    folded = [[fold_vi(w) for w in pair] for pair in
              (rng.choice(two) for _ in range(count))]
    faceted = [rng.choice(CONTENT_WORDS) for _ in range(count)]
    return {"one-word": [[w] for w in one], "two-word": two, "phrase": phrase,
            "no-diacritics": folded, "faceted": [[w] for w in faceted]}


# -- realistic queries ---------------------------------------------------------------
# What a desk clerk types: a paper's number, a personal id, a number or date read
# off the paper, a full name, a name with a number, a name without diacritics.
# Drawn from documents sampled from the (seeded) corpus itself, so every query
# has at least one match; most match well under 1 % of the corpus.

_NAME = re.compile("(?:%s) (?:%s) (?:%s)" % ("|".join(FAMILY), "|".join(MIDDLE),
                                              "|".join(GIVEN)))
_DATE = re.compile(r"\b\d\d/\d\d/\d{4}\b")
_NUMBER = re.compile(r"(?<![/\d])\b\d{3,6}\b(?![/\d])")


def _sample_documents(n, count, seed):
    rng = random.Random(seed)
    wanted = set(rng.sample(range(n), min(n, count)))
    picked = [doc for k, doc in enumerate(documents(n)) if k in wanted]
    random.Random(seed + 1).shuffle(picked)
    return picked


def make_realistic_queries(n, count, seed=SEED + 3):
    rng = random.Random(seed)
    docs = _sample_documents(n, count, seed)
    one, two, phrase, folded, faceted, owner = [], [], [], [], [], []
    for i, doc in enumerate(docs):
        text = doc["text"]
        names = _NAME.findall(text) or ["%s %s" % (doc["paper_name"], doc["number"])]
        numbers = _NUMBER.findall(text) or [doc["number"]]
        dates = _DATE.findall(text) or [doc["number"]]
        name = rng.choice(names)
        rare = [doc["number"], doc["owner_id"], rng.choice(numbers), rng.choice(dates)][i % 4]
        one.append([rare])
        two.append([rng.choice(name.split()), rng.choice(numbers + dates)])
        phrase.append(name.split())
        folded.append([fold_vi(rng.choice(name.split())).lower(), rng.choice(numbers + dates)])
        faceted.append([[doc["number"], rng.choice(numbers), rng.choice(dates)][i % 3]])
        owner.append(([rng.choice(name.split()[1:])], doc["owner_id"]))
    return {"one-word": one, "two-word": two, "phrase": phrase, "no-diacritics": folded,
            "faceted": faceted}, owner


def broad_owner_queries(queries):
    owner_ids = owners()
    rng = random.Random(SEED + 2)
    return [(words, rng.choice(owner_ids)) for words in queries["one-word"]]


# -- Whoosh --------------------------------------------------------------------------

def whoosh_text(kind, words):
    return '"%s"' % " ".join(words) if kind == "phrase" else " ".join(words)


def build_whoosh(path, n, procs):
    index = open_index(path)
    start = time.perf_counter()
    index.rebuild(documents(n), procs=procs)
    elapsed = time.perf_counter() - start
    size = index.stats().size_bytes
    index.close()
    return elapsed, size


OWNER_KIND = "one-word, owner filter"


def query_whoosh(path, queries, owner_queries, warm):
    """{kind: [seconds]}, {kind: average total}: from a cold start (nothing
    in memory, as the first searches of a process), or after
    SearchIndex.warm() (as the app does at start) and one search per kind."""
    segments.clear_caches()
    index = open_index(path, create=False)
    if warm:
        t0 = time.perf_counter()
        lists = index.warm()
        print("\n(warm-up: %d posting lists read in %.1f s)" % (lists, time.perf_counter() - t0))
    lat, totals = {}, {}
    for kind, items in queries.items():
        facets = ("type_code", "year", "state", "desk") if kind == "faceted" else ()
        if warm:
            index.search(whoosh_text(kind, items[0]), facets=facets)
        times, hits = [], 0
        for words in items:
            t0 = time.perf_counter()
            results = index.search(whoosh_text(kind, words), facets=facets, pagelen=20)
            times.append(time.perf_counter() - t0)
            hits += results.total
        lat[kind] = times
        totals[kind] = hits / len(items)
    # one owner's warehouse (the permission filter the app passes)
    times, hits = [], 0
    for words, owner in owner_queries:
        t0 = time.perf_counter()
        results = index.search(words[0], filters={"owner_ids": {owner}}, facets=())
        times.append(time.perf_counter() - t0)
        hits += results.total
    lat[OWNER_KIND] = times
    totals[OWNER_KIND] = hits / len(owner_queries)
    index.close()
    return lat, totals


# -- SQLite FTS5 ---------------------------------------------------------------------

def fts_term(word):
    return '(exact:"%s" OR folded:"%s")' % (normalize_vi(word).lower(), fold_vi(word).lower())


def fts_query(kind, words):
    if kind == "phrase":
        return '(exact:"%s" OR folded:"%s")' % (
            " ".join(normalize_vi(w).lower() for w in words),
            " ".join(fold_vi(w).lower() for w in words))
    return " AND ".join(fts_term(w) for w in words)


def build_fts(path, n):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE meta(rowid INTEGER PRIMARY KEY, doc_id TEXT UNIQUE, owner_id TEXT,"
               " type_code TEXT, year INT, state TEXT, desk TEXT, paper_name TEXT)")
    db.execute("CREATE INDEX meta_owner ON meta(owner_id)")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(exact, folded,"
               " tokenize='unicode61 remove_diacritics 0')")
    start = time.perf_counter()
    with db:
        for rowid, doc in enumerate(documents(n), 1):
            text = normalize_vi(doc["paper_name"] + "\n" + doc["text"])
            db.execute("INSERT INTO meta VALUES (?,?,?,?,?,?,?,?)",
                       (rowid, doc["doc_id"], doc["owner_id"], doc["type_code"],
                        int(doc["issue_date"][:4]), doc["state"], doc["desk"],
                        doc["paper_name"]))
            db.execute("INSERT INTO fts(rowid, exact, folded) VALUES (?,?,?)",
                       (rowid, text, fold_vi(text)))
    db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.commit()
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed, os.path.getsize(path)


def query_fts(path, queries, owner_queries):
    db = sqlite3.connect(path)
    top = ("SELECT meta.doc_id, bm25(fts, 3.0, 1.0) AS score,"
           " snippet(fts, 0, '<mark>', '</mark>', '…', 24)"
           " FROM fts JOIN meta ON meta.rowid = fts.rowid WHERE fts MATCH ?"
           " ORDER BY score LIMIT 20")
    lat, totals = {}, {}
    for kind, items in queries.items():
        times, hits = [], 0
        for words in items:
            q = fts_query(kind, words)
            t0 = time.perf_counter()
            if kind == "exact: personal id":        # (not in the text: meta's indexed column)
                db.execute("SELECT meta.doc_id, substr(fts.exact, 1, 200) FROM meta JOIN fts"
                           " ON fts.rowid = meta.rowid WHERE meta.owner_id = ? LIMIT 20",
                           (words[0],)).fetchall()
                total = db.execute("SELECT count(*) FROM meta WHERE owner_id = ?",
                                   (words[0],)).fetchone()[0]
                times.append(time.perf_counter() - t0)
                hits += total
                continue
            db.execute(top, (q,)).fetchall()
            total = db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (q,)).fetchone()[0]
            if kind == "faceted":
                for column in ("type_code", "year", "state", "desk"):
                    db.execute("SELECT %s, count(*) FROM meta WHERE rowid IN"
                               " (SELECT rowid FROM fts WHERE fts MATCH ?) GROUP BY 1"
                               % column, (q,)).fetchall()
            times.append(time.perf_counter() - t0)
            hits += total
        lat[kind] = times
        totals[kind] = hits / len(items)
    times, hits = [], 0
    owner_top = ("SELECT meta.doc_id, bm25(fts, 3.0, 1.0) AS score,"
                 " snippet(fts, 0, '<mark>', '</mark>', '…', 24)"
                 " FROM fts JOIN meta ON meta.rowid = fts.rowid"
                 " WHERE fts MATCH ? AND meta.owner_id = ? ORDER BY score LIMIT 20")
    for words, owner in owner_queries:
        q = fts_query("one-word", words)
        t0 = time.perf_counter()
        db.execute(owner_top, (q, owner)).fetchall()
        hits += db.execute("SELECT count(*) FROM fts JOIN meta ON meta.rowid = fts.rowid"
                           " WHERE fts MATCH ? AND meta.owner_id = ?", (q, owner)).fetchone()[0]
        times.append(time.perf_counter() - t0)
    if owner_queries:
        lat[OWNER_KIND] = times
        totals[OWNER_KIND] = hits / len(owner_queries)
    db.close()
    return lat, totals


# -- apply latency by index size ------------------------------------------------------

def _apply_ops(n, count, seed):
    """[(kind, record or doc id)]: new papers, changed papers, deletions, in turn."""
    rng = random.Random(seed)
    fresh = list(documents(count, seed=seed))
    ops = []
    for k in range(count):
        kind = ("new", "changed", "deleted")[k % 3]
        if kind == "new":
            ops.append((kind, dict(fresh[k], doc_id="applied-%06d" % k,
                                   number="%d/2099/APPLY-%d" % (k, seed))))
        else:
            victim = rng.randrange(n)
            ops.append((kind, "doc-%06d" % victim if kind == "deleted" else
                        dict(fresh[k], doc_id="doc-%06d" % victim,
                             number="%d/2099/CHANGED-%d" % (k, seed))))
    return ops


def apply_latency_whoosh(path, n, ops, procs, reuse):
    """Seconds of each SearchIndex.apply() of one paper into an index of n
    papers (built first unless reused), each checked findable right after."""
    index = open_index(path)
    if not (reuse and index.count() == n):
        index.rebuild(documents(n), procs=procs)
    index.count()                   # the app's readers are open before the first request
    times, cpu, missed = [], [], 0
    for kind, item in ops:
        t0, c0 = time.perf_counter(), time.thread_time()
        if kind == "deleted":
            index.apply(deletes=[item])
        else:
            index.apply(upserts=[item])
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
        if kind == "deleted":
            found = index.search(item, facets=(), highlight=False).total
            missed += bool(found and any(h.doc_id == item for h in
                                         index.search(item, facets=()).hits))
        else:
            hits = index.search(item["number"], facets=(), highlight=False).hits
            missed += not hits or hits[0].doc_id != item["doc_id"]
    index.merger.wait(600)
    segs = index.stats().segments
    index.close()
    return times, cpu, missed, segs


def apply_latency_fts(path, n, ops, reuse):
    """Seconds of each insert / replace / delete of one paper and its commit
    into an FTS5 table of n papers (WAL, synchronous NORMAL: no fsync per
    commit, as Whoosh)."""
    if not (reuse and os.path.exists(path)):
        build_fts(path, n)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    times, cpu = [], []
    for kind, item in ops:
        t0, c0 = time.perf_counter(), time.thread_time()
        with db:
            if kind == "deleted":
                row = db.execute("SELECT rowid FROM meta WHERE doc_id = ?", (item,)).fetchone()
                if row:
                    db.execute("DELETE FROM fts WHERE rowid = ?", row)
                    db.execute("DELETE FROM meta WHERE rowid = ?", row)
            else:
                row = db.execute("SELECT rowid FROM meta WHERE doc_id = ?",
                                 (item["doc_id"],)).fetchone()
                if row:
                    db.execute("DELETE FROM fts WHERE rowid = ?", row)
                    db.execute("DELETE FROM meta WHERE rowid = ?", row)
                text = normalize_vi(item["paper_name"] + "\n" + item["text"])
                cur = db.execute("INSERT INTO meta(doc_id, owner_id, type_code, year, state,"
                                 " desk, paper_name) VALUES (?,?,?,?,?,?,?)",
                                 (item["doc_id"], item["owner_id"], item["type_code"],
                                  int(item["issue_date"][:4]), item["state"], item["desk"],
                                  item["paper_name"]))
                db.execute("INSERT INTO fts(rowid, exact, folded) VALUES (?,?,?)",
                           (cur.lastrowid, text, fold_vi(text)))
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    db.close()
    return times, cpu


def run_apply_bench(work, sizes, count, procs, reuse, skip_fts, built=None):
    print("\napply latency: one paper per apply (new, changed, deleted in turn), %d applies"
          " per size; Kho checks each is findable right after (ms; load average %s)"
          % (count, _load()))
    print("%-10s %7s %7s %7s %7s %5s %6s   %7s %7s %7s %7s" % (
        "papers", "p50", "p95", "max", "cpu p95", "segs", "missed", "FTS p50", "p95", "max",
        "cpu p95"))
    for size in sizes:
        ops = _apply_ops(size, count, SEED + 7)
        # the indexes of the query runs are used for their size (they are changed)
        w_path, f_path, again = os.path.join(work, "apply-%d" % size), \
            os.path.join(work, "apply-%d.sqlite" % size), reuse
        if built and size == built[0]:
            # a copy of the query runs' indexes: they stay as built, so
            # --reuse can query them again
            for source, copy in ((built[1], w_path), (built[2], f_path)):
                if os.path.isdir(copy):
                    shutil.rmtree(copy)
                elif os.path.exists(copy):
                    os.remove(copy)
                if os.path.isdir(source):
                    shutil.copytree(source, copy)
                elif os.path.exists(source):
                    shutil.copyfile(source, copy)
            again = True
        w, wc, missed, segs = apply_latency_whoosh(w_path, size, ops, procs, again)
        row = "%-10d %7.1f %7.1f %7.1f %7.1f %5d %6d" % (
            size, pct(w, 50), pct(w, 95), max(w) * 1000, pct(wc, 95), segs, missed)
        if not skip_fts:
            f, fc = apply_latency_fts(f_path, size, ops, again)
            row += "   %7.1f %7.1f %7.1f %7.1f" % (pct(f, 50), pct(f, 95), max(f) * 1000,
                                                 pct(fc, 95))
        print(row)
    print("(wall times, and cpu: the calling thread's CPU time, which a loaded machine does"
          " not inflate; segs: segments after the background merges; missed: applies not"
          " findable, or still found after a delete, right after apply() returned)")


# -- proximity: a name typed without diacritics ----------------------------------------
# Names the generator never uses, each planted once where it stands together,
# and its syllables scattered (more often, in shorter papers) in decoys.

HELD_FAMILY = ["Triệu", "Quách", "Tạ", "Lâm", "Kiều", "Khổng", "Âu", "La", "Thái", "Doãn",
               "Cù", "Tôn", "Lục", "Mạc", "Châu"]
HELD_MIDDLE = ["Văn", "Thị", "Đình", "Công", "Bá", "Khắc", "Như", "Diệu", "Mỹ", "Trọng"]
HELD_GIVEN = ["Cường", "Khoa", "Lộc", "Nhàn", "Oanh", "Quế", "Sang", "Thoa", "Uyên", "Vượng",
              "Xuyến", "Ý", "Điệp", "Ngạn", "Tuyết", "Khuê", "Lũy", "Hằng", "Mẫn", "Phượng"]


def proximity_docs(count, decoys=4, seed=SEED + 11):
    """(planted records, [(query typed without diacritics, target doc id)])."""
    rng = random.Random(seed)
    names, seen = [], set()
    while len(names) < count:
        name = "%s %s %s" % (rng.choice(HELD_FAMILY), rng.choice(HELD_MIDDLE),
                             rng.choice(HELD_GIVEN))
        if fold_vi(name).lower() not in seen:
            seen.add(fold_vi(name).lower())
            names.append(name)
    base = list(documents(count * (decoys + 1), seed=seed))
    records, queries = [], []
    for i, name in enumerate(names):
        family, middle, given = name.split()
        target = dict(base[i * (decoys + 1)], doc_id="name-%04d" % i)
        words = target["text"].split()
        at = rng.randrange(len(words))
        target["text"] = " ".join(words[:at] + ["ông", name] + words[at:])
        records.append(target)
        for d in range(decoys):
            decoy = dict(base[i * (decoys + 1) + d + 1], doc_id="decoy-%04d-%d" % (i, d))
            words = decoy["text"].split()[:120]
            others = [person(rng) for _ in range(3)]
            pieces = ["%s %s" % (family, rng.choice(GIVEN)), "%s %s" % (rng.choice(FAMILY),
                      middle), given, "%s %s %s" % (given, middle, family), family] + others
            for piece in pieces:
                words.insert(rng.randrange(len(words) + 1), piece)
            decoy["text"] = " ".join(words)
            records.append(decoy)
        queries.append((fold_vi(name).lower(), target["doc_id"]))
    return records, queries


def proximity_share(whoosh_path, fts_path, count):
    """Share of held-out names (typed without diacritics, unquoted) whose
    paper comes in the top 3, for Kho and for FTS5 (bm25 over the same words)."""
    records, queries = proximity_docs(count)
    index = open_index(whoosh_path)
    index.apply(upserts=records)
    kho = sum(target in [h.doc_id for h in index.search(q, facets=(), pagelen=3,
                                                         highlight=False).hits]
              for q, target in queries)
    index.apply(deletes=[r["doc_id"] for r in records])
    index.close()
    fts = None
    if fts_path and os.path.exists(fts_path):
        db = sqlite3.connect(fts_path)
        with db:
            for r in records:
                text = normalize_vi(r["paper_name"] + "\n" + r["text"])
                cur = db.execute("INSERT INTO meta(doc_id, owner_id, type_code, year, state, desk,"
                                 " paper_name) VALUES (?,?,?,?,?,?,?)",
                                 (r["doc_id"], r["owner_id"], r["type_code"], 2000, r["state"],
                                  r["desk"], r["paper_name"]))
                db.execute("INSERT INTO fts(rowid, exact, folded) VALUES (?,?,?)",
                           (cur.lastrowid, text, fold_vi(text)))
        top = ("SELECT meta.doc_id FROM fts JOIN meta ON meta.rowid = fts.rowid"
               " WHERE fts MATCH ? ORDER BY bm25(fts, 3.0, 1.0) LIMIT 3")
        fts = sum(target in [row[0] for row in db.execute(top, (fts_query("two-word",
                                                                          q.split()),))]
                  for q, target in queries)
        with db:
            ids = [(r["doc_id"],) for r in records]
            db.executemany("DELETE FROM fts WHERE rowid = (SELECT rowid FROM meta"
                           " WHERE doc_id = ?)", ids)
            db.executemany("DELETE FROM meta WHERE doc_id = ?", ids)
        db.close()
    return kho / len(queries), (fts / len(queries) if fts is not None else None), len(queries)


# -- exact lookups ---------------------------------------------------------------------

def exact_queries(n, count, seed=SEED + 13):
    docs = _sample_documents(n, count, seed)
    return {"exact: personal id": [[d["owner_id"]] for d in docs],
            "exact: paper number": [[d["number"]] for d in docs]}


def exact_lookups(whoosh_path, fts_path, n, count):
    """Exact lookups (one code typed: a personal id, a paper number) on a
    warmed index: Kho's wall and CPU time (this thread's) per query, and
    FTS5's wall time on the same queries in the same process, with the load
    average (the fixed cost per query is what is measured here)."""
    queries = exact_queries(n, count)
    f_lat = query_fts(fts_path, queries, [])[0] if fts_path else {}
    segments.clear_caches()
    index = open_index(whoosh_path, create=False)
    index.warm()
    print("\nexact lookups, warm, top 20 with snippets (ms; load average %s)" % _load())
    print("%-22s %8s %8s %8s %8s   %8s %8s" % ("", "wall p50", "p95", "CPU p50", "p95",
                                               "FTS5 p50", "p95"))
    for kind, items in queries.items():
        for words in items[:20]:              # (once each: the terms table's look-ups)
            index.search(whoosh_text(kind, words), facets=(), pagelen=20)
        wall, cpu = [], []
        for words in items:
            t0, c0 = time.perf_counter(), time.thread_time()
            index.search(whoosh_text(kind, words), facets=(), pagelen=20)
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - t0)
        row = "%-22s %8.2f %8.2f %8.2f %8.2f" % (kind, pct(wall, 50), pct(wall, 95),
                                                 pct(cpu, 50), pct(cpu, 95))
        if kind in f_lat:
            row += "   %8.2f %8.2f" % (pct(f_lat[kind], 50), pct(f_lat[kind], 95))
        print(row)
    index.close()


# -- memory of two processes -------------------------------------------------------------

def _memory():
    """{Rss, Pss, Private, Anonymous} in MB of this process (Linux
    smaps_rollup). Private counts pages of mapped files only this process
    has touched (page cache, shared once another process maps them);
    Anonymous is the process's own heap alone."""
    out = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("Rss:", "Pss:", "Private_Clean:", "Private_Dirty:", "Anonymous:"):
                out[parts[0][:-1]] = int(parts[1]) / 1024
    out["Private"] = out.pop("Private_Clean", 0) + out.pop("Private_Dirty", 0)
    return out


def memory_child(path, n, queries, engine, ready, go):
    """One 'web process': open, warm, run the realistic queries, report memory
    while the other one is alive too."""
    import json
    kinds = make_realistic_queries(n, queries)[0]
    if engine == "kho":
        index = open_index(path, create=False)
        index.warm()
        for kind, items in kinds.items():
            for words in items:
                index.search(whoosh_text(kind, words), pagelen=20)
    else:
        db = sqlite3.connect(path)
        for kind, items in kinds.items():
            for words in items:
                db.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 20",
                           (fts_query(kind, words),)).fetchall()
    open(ready, "w").close()
    while not os.path.exists(go):
        time.sleep(0.05)
    print(json.dumps(_memory()))


def two_processes(path, n, queries, engine):
    """Memory of two processes searching the same index at once."""
    import json
    import subprocess
    tmp = tempfile.mkdtemp(prefix="kho-mem-")
    go = os.path.join(tmp, "go")
    children = []
    for k in range(2):
        ready = os.path.join(tmp, "ready-%d" % k)
        children.append((ready, subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--memory-child", path, engine,
             str(n), str(queries), ready, go], stdout=subprocess.PIPE)))
    while not all(os.path.exists(r) for r, _ in children):
        time.sleep(0.1)
    open(go, "w").close()
    found = [json.loads(p.communicate()[0]) for _, p in children]
    shutil.rmtree(tmp, ignore_errors=True)
    return found


def index_parts(path):
    """{part: bytes} of a Whoosh index: each kind of file inside the segments
    (postings .pst, terms .trm, stored fields _stored.col, the other columns
    and field lengths together), and the shared decoded lists beside it
    (search.segments.SharedLists, not part of the index's size)."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.structfile import StructFile
    parts = {}
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if name.endswith(".seg"):
            with open(full, "rb") as f:
                storage = CompoundStorage(StructFile(f), use_mmap=False)
                for inner, info in storage._dir.items():
                    ext = inner.split(".", 1)[1]
                    part = ext if ext in ("pst", "trm", "_stored.col") else "other columns"
                    parts[part] = parts.get(part, 0) + info["length"]
        elif os.path.isfile(full):
            parts["other files"] = parts.get("other files", 0) + os.path.getsize(full)
    lists = os.path.join(path, segments.LISTS_DIR)
    if os.path.isdir(lists):
        parts["shared lists (beside)"] = sum(os.path.getsize(os.path.join(lists, name))
                                             for name in os.listdir(lists))
    return parts


def print_index_parts(path):
    parts = index_parts(path)
    print("Kho index by part (MB): " + ", ".join(
        "%s %.1f" % (name, size / 1e6) for name, size in
        sorted(parts.items(), key=lambda item: -item[1])))


def _load():
    return "%.1f %.1f %.1f" % os.getloadavg()


def pct(times, p):
    times = sorted(times)
    return times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))] * 1000


def print_latency(title, w_lat, w_tot, f_lat, f_tot):
    print("\n%-30s %9s %9s %9s   %9s %9s %9s" % (
        title, "p50", "p95", "avg hits", "p50", "p95", "avg hits"))
    for kind in w_lat:
        row = "%-30s %9.1f %9.1f %9.0f" % (kind, pct(w_lat[kind], 50), pct(w_lat[kind], 95),
                                           w_tot[kind])
        if kind in f_lat:
            row += "   %9.1f %9.1f %9.0f" % (pct(f_lat[kind], 50), pct(f_lat[kind], 95),
                                            f_tot[kind])
        print(row)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--procs", type=int, default=None,
                        help="Whoosh indexing processes (default: one per core)")
    parser.add_argument("--dir", help="work directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the indexes")
    parser.add_argument("--skip-fts", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="query the indexes already in --dir (made with the same --docs)"
                             " without indexing again; FTS5 is built if missing")
    parser.add_argument("--sets", default="broad,realistic",
                        help="query sets to run: broad, realistic or both (default)")
    parser.add_argument("--apply-sizes", default="10000,100000",
                        help="index sizes of the apply-latency run (--docs is added when"
                             " larger); 'none' skips it")
    parser.add_argument("--applies", type=int, default=150)
    parser.add_argument("--names", type=int, default=200,
                        help="held-out names of the proximity run")
    parser.add_argument("--skip", default="",
                        help="parts not to run: proximity, memory, exact (comma-separated)")
    parser.add_argument("--memory-child", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--starts", default="cold,warm",
                        help="Whoosh runs: cold (nothing in memory: the first searches of a"
                             " process), warm (after SearchIndex.warm(), as the app does at"
                             " start) or both (default)")
    args = parser.parse_args(argv)
    if args.memory_child:
        path, engine, n, queries, ready, go = args.memory_child
        return memory_child(path, int(n), int(queries), engine, ready, go)
    starts = [s.strip() for s in args.starts.split(",") if s.strip()]
    if not starts or set(starts) - {"cold", "warm"}:
        parser.error("--starts takes cold, warm or both")
    if args.reuse and not args.dir:
        parser.error("--reuse needs --dir")
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not sets or set(sets) - {"broad", "realistic"}:
        parser.error("--sets takes broad, realistic or both")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - {"proximity", "memory", "exact"}:
        parser.error("--skip takes proximity, memory, exact")
    work = args.dir or tempfile.mkdtemp(prefix="kho-search-bench-")
    os.makedirs(work, exist_ok=True)
    whoosh_path = os.path.join(work, "whoosh")
    fts_path = os.path.join(work, "fts.sqlite")
    try:
        t0 = time.perf_counter()
        syllables = sum(len(d["text"].split()) for d in documents(args.docs))
        gen = time.perf_counter() - t0
        print("corpus: %d documents, %.0f syllables each on average (generated in %.1f s,"
              " seed %d); load average %s" % (args.docs, syllables / args.docs, gen, SEED,
                                               _load()))
        query_sets = {}
        if "broad" in sets:
            broad = make_queries(args.queries)
            query_sets["broad"] = (broad, broad_owner_queries(broad))
        if "realistic" in sets:
            query_sets["realistic"] = make_realistic_queries(args.docs, args.queries)
            query_sets["realistic"][0].update(exact_queries(args.docs, args.queries))
        if args.reuse:
            existing = open_index(whoosh_path, create=False)
            count = existing.count()
            w_size = existing.stats().size_bytes
            existing.close()
            if count != args.docs:
                sys.exit("the index in %s holds %d documents, not --docs %d"
                         % (whoosh_path, count, args.docs))
            w_time = None
        else:
            w_time, w_size = build_whoosh(whoosh_path, args.docs,
                                          args.procs or os.cpu_count() or 1)
        f_time = f_size = None
        if not args.skip_fts:
            if args.reuse and os.path.exists(fts_path):
                f_size = os.path.getsize(fts_path)
            else:
                f_time, f_size = build_fts(fts_path, args.docs)
        print("\n%-26s %22s %22s" % ("", "Kho / Whoosh", "SQLite FTS5"))
        print("%-26s %22s %22s" % (
            "indexing (docs/s)",
            "%.0f (%.0f s)" % (args.docs / w_time, w_time) if w_time else "(reused)",
            "%.0f (%.0f s)" % (args.docs / f_time, f_time) if f_time else
            ("(reused)" if f_size else "-")))
        print("%-26s %22s %22s" % ("index size (MB)", "%.1f" % (w_size / 1e6),
                                   "%.1f" % (f_size / 1e6) if f_size else "-"))
        if w_time:
            print("(generating the corpus alone takes %.1f s of each indexing time)" % gen)
        print_index_parts(whoosh_path)
        all_times = []
        for name, (queries, owner_queries) in query_sets.items():
            if args.skip_fts:
                f_lat, f_tot = {}, {}
            else:
                f_lat, f_tot = query_fts(fts_path, queries, owner_queries)
            for start in starts:
                w_lat, w_tot = query_whoosh(whoosh_path, queries, owner_queries,
                                            warm=start == "warm")
                print_latency("%s, %s (ms)" % (name, start), w_lat, w_tot, f_lat, f_tot)
                all_times += [t for times in w_lat.values() for t in times]
        print("\nLeft: Kho / Whoosh, right: SQLite FTS5 (same queries). %d queries of each"
              " kind; top 20 with snippets and the total; faceted adds counts by type_code,"
              " year, state, desk; totals are exact. cold = a fresh process, nothing in"
              " memory; warm = after SearchIndex.warm() (the app warms at start). broad = words of the shared vocabulary"
              " (an average query matches most of the corpus); realistic = paper numbers,"
              " personal ids, numbers and dates from a paper, full names (phrase), a name"
              " syllable with a number, the same without diacritics; the owner-filter row"
              " searches one owner's papers (broad: a random owner; realistic: the owner"
              " of the sampled paper)." % args.queries)
        print("Whoosh mean over all kinds: %.1f ms" % (statistics.mean(all_times) * 1000))

        if "exact" not in skip:
            exact_lookups(whoosh_path, None if args.skip_fts else fts_path, args.docs,
                          args.queries)

        if "proximity" not in skip:
            kho, fts, names = proximity_share(whoosh_path, None if args.skip_fts else fts_path,
                                              args.names)
            print("\nproximity: %d held-out names typed without diacritics and quotes, each"
                  " planted once together and scattered in 4 decoys: in the top 3 for %.1f %%"
                  " (FTS5 bm25: %s)" % (names, kho * 100,
                                        "%.1f %%" % (fts * 100) if fts is not None else "-"))

        if "memory" not in skip:
            print("\nmemory of two processes searching at once (MB; after warming and the"
                  " realistic queries)")
            print("%-14s %10s %10s %10s %10s" % ("", "RSS", "PSS", "private", "anonymous"))
            for engine, path in (("kho", whoosh_path), ("fts5", fts_path)):
                if engine == "fts5" and args.skip_fts:
                    continue
                both = two_processes(path, args.docs, min(args.queries, 100), engine)
                for k, m in enumerate(both):
                    print("%-14s %10.0f %10.0f %10.0f %10.0f" % (
                        "%s #%d" % (engine, k + 1), m["Rss"], m["Pss"], m["Private"],
                        m["Anonymous"]))
                print("%-14s %10.0f %10.0f %10.0f %10.0f" % (
                    "%s, both" % engine, sum(m["Rss"] for m in both),
                    sum(m["Pss"] for m in both), sum(m["Private"] for m in both),
                    sum(m["Anonymous"] for m in both)))
            shared = index_parts(whoosh_path).get("shared lists (beside)", 0)
            print("(Kho's shared decoded lists, mapped by both, in the page cache when read:"
                  " %.1f MB on disk beside the index; load average %s)" % (shared / 1e6,
                                                                         _load()))

        sizes = [] if args.apply_sizes == "none" else \
            [int(x) for x in args.apply_sizes.split(",") if x.strip()]
        if sizes and args.docs > max(sizes):
            sizes.append(args.docs)
        if sizes:
            run_apply_bench(work, sizes, args.applies, args.procs or os.cpu_count() or 1,
                            args.reuse, args.skip_fts, (args.docs, whoosh_path, fts_path))
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
