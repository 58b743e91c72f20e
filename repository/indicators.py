"""Service-quality indicators (Decision 766/QĐ-TTg): counters kept live.

Every dossier contributes to a few counters per unit level (the receiving
desk, the competent agency, the province the desk belongs to) and per period
(month "2026-12", quarter "2026-Q4", year "2026"):

- counted in the period the dossier was **received**: received, online
  (dossier.channel), digitized (every required component has a paper on
  file), components and reused (see `components_of`: the reuse rate is
  components satisfied from the warehouse ÷ all the dossier's components,
  Decision 766, not papers);
- counted in the period it was **resolved**: resolved, on_time (resolved on
  or before the due date, Vietnam time), working_days (from the day of
  receipt to the day of resolution), approved, e_result (an approved
  dossier whose result paper, provenance `agency_result` with the dossier's
  code, is filed in the warehouse).

The counters are BTrees.Length objects, one per (level, unit) → (period,
counter, receiving desk): a desk's dossiers change only that desk's counters
at every level, so concurrent dossiers at different desks never write the
same object, nor add the same key to a tree (and Length resolves concurrent
changes of one counter by the same desk's dossiers).
`on_dossier` is a dossier_events subscriber: in the dossier change's own
transaction it recomputes the dossier's contribution, applies the
difference from the contribution it last made (kept on the dossier) and so
stays right whatever the change. `rebuild` recomputes everything from the
dossiers; `check` lists the differences. The dashboard reads counters only.
"""
import datetime

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from .calendar import in_vn, is_working_day
from .errors import Refused, ValidationError

LEVELS = {"desk": "Bộ phận tiếp nhận / Receiving desk",
          "agency": "Cơ quan giải quyết / Competent agency",
          "province": "Cấp tỉnh / Province"}
PERIODS = {"month": "Tháng / Month", "quarter": "Quý / Quarter", "year": "Năm / Year"}
RECEIVED_COUNTERS = ("received", "online", "digitized", "components", "reused")
RESOLVED_COUNTERS = ("resolved", "on_time", "working_days", "approved", "e_result")
COUNTERS = {
    "received": "hồ sơ tiếp nhận / dossiers received",
    "online": "hồ sơ tiếp nhận trực tuyến / dossiers received online",
    "digitized": "hồ sơ có đủ thành phần số hoá / dossiers with every component digitized",
    "components": "thành phần hồ sơ / components",
    "reused": "thành phần lấy từ kho dữ liệu / components satisfied from the warehouse",
    "resolved": "hồ sơ đã giải quyết / dossiers resolved",
    "on_time": "hồ sơ giải quyết đúng hạn / dossiers resolved on time",
    "working_days": "tổng số ngày làm việc xử lý / working days of processing in all",
    "approved": "hồ sơ được chấp thuận / dossiers approved",
    "e_result": "kết quả điện tử đã lưu vào kho / electronic results filed in the warehouse",
}


class Indicator:
    """One figure: numerator ÷ denominator (× 100 % for a share)."""

    def __init__(self, key, name, numerator, denominator, kind="percent", definition=None):
        self.key, self.name = key, name
        self.numerator, self.denominator, self.kind = numerator, denominator, kind
        self.definition = definition      # 'Vietnamese / English': what the counts count

    def value(self, counts):
        num, den = counts.get(self.numerator, 0), counts.get(self.denominator, 0)
        if not den:
            return None
        return num * 100.0 / den if self.kind == "percent" else num / den

    def formula(self, language="vi"):
        """The words of the formula in one language ('vi' or 'en')."""
        part = 1 if language == "en" else 0
        num = COUNTERS[self.numerator].split(" / ")[part]
        den = COUNTERS[self.denominator].split(" / ")[part]
        tail = ("" if self.kind != "percent" else " × 100%" if language == "en" else " × 100 %")
        return f"{num} ÷ {den}{tail}"


INDICATORS = (
    Indicator("online", "Tỷ lệ hồ sơ tiếp nhận trực tuyến / Share received online", "online", "received"),
    Indicator("digitized", "Tỷ lệ hồ sơ được số hoá / Share digitized", "digitized", "received"),
    Indicator("reuse", "Tỷ lệ tái sử dụng / Reuse rate", "reused", "components", definition=(
        "Thành phần hồ sơ: mọi thành phần bắt buộc của thủ tục (kể cả thành phần chưa nộp) và mọi "
        "thành phần không bắt buộc đã có giấy tờ; thành phần lấy từ kho dữ liệu: có giấy tờ tái sử "
        "dụng từ kho (chủ giấy tờ đã đồng ý) được đính kèm. Mỗi thành phần đếm một lần, dù có mấy "
        "giấy tờ. / Components: every required component of the procedure (supplied or not) and "
        "every optional one with a paper attached; satisfied from the warehouse: a paper reused "
        "from the warehouse (the owner agreed) is attached to it. Each component counts once, "
        "however many papers it holds.")),
    Indicator("e_result", "Tỷ lệ trả kết quả điện tử / Share of results issued electronically",
              "e_result", "approved"),
    Indicator("on_time", "Tỷ lệ giải quyết đúng hạn / Share resolved on time", "on_time", "resolved"),
    Indicator("avg_days", "Thời gian xử lý trung bình (ngày làm việc) / "
              "Average processing time (working days)", "working_days", "resolved", kind="average"),
)
BY_KEY = {i.key: i for i in INDICATORS}


# -- periods -----------------------------------------------------------------

def periods_of(day):
    """The month, quarter and year a date falls in: ['2026-12', '2026-Q4', '2026']."""
    return [f"{day:%Y-%m}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day.year}"]


def period_kind(period):
    if len(period) == 4 and period.isdigit():
        return "year"
    if len(period) == 7 and period[4:6] == "-Q" and period[6] in "1234" and period[:4].isdigit():
        return "quarter"
    if len(period) == 7 and period[4] == "-" and period[:4].isdigit() and period[5:].isdigit() \
            and 1 <= int(period[5:]) <= 12:
        return "month"
    return None


def months_of_year(year):
    return [f"{year}-{m:02d}" for m in range(1, 13)]


# -- what one dossier contributes -----------------------------------------------

def province_of(catalogues, unit):
    """The unit at the top of the unit's chain of parents (itself when it has none)."""
    desks, seen = catalogues.desks, set()
    while unit and unit not in seen:
        seen.add(unit)
        desk = desks.get(unit)
        parent = getattr(desk, "parent_unit", None) if desk is not None else None
        if not parent or parent not in desks:
            return unit
        unit = parent
    return unit


def working_days_between(start, end, holidays):
    """Working days after the day `start` up to and including `end` (0 when the
    same day): the inverse of calendar.add_working_days."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count


def is_digitized(root, dossier):
    """Every required component of the procedure has a paper on file (scanned
    here or reused from the warehouse)."""
    components = dossier.components
    if not any(components.get(k) for k in components):
        return False
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    if procedure is None:
        return True
    return all(components.get(c.key) for c in procedure.components if c.required)


def components_of(root, dossier):
    """(all, reused): the keys of the dossier's components, and of those
    satisfied from the warehouse.

    All components: every required component of the dossier's procedure
    (satisfied or not: a missing one still counts), and every optional one
    the dossier has a paper for (an optional paper not brought is not part
    of the dossier); a component attached under a key the catalogue no
    longer lists still counts. Satisfied from the warehouse: a paper reused
    from the warehouse (Attachment.reused, attached after the owner
    confirmed) is attached to it, even beside a paper scanned here. Each
    component counts once, however many papers it holds."""
    procedure = root.catalogues.procedures.get(dossier.procedure_code)
    required = {c.key for c in procedure.components if c.required} if procedure is not None else set()
    held = {key for key, atts in dossier.components.items() if atts}
    reused = {key for key, atts in dossier.components.items() if any(a.reused for a in atts)}
    return required | held, reused


def has_electronic_result(root, dossier):
    """A result paper (provenance agency_result, with the dossier's code) is
    filed in the warehouse: the one the dossier names (repository.results),
    else any such paper of the applicant's."""
    ref = getattr(dossier, "result_document", None)
    warehouse = root.subjects.get(ref[0] if ref else dossier.applicant_id)
    if warehouse is None:
        return False
    if ref:
        candidates = [warehouse.documents.get(ref[1])]
    else:
        candidates = warehouse.documents.values()
    return any(d is not None and not getattr(d, "deleted", None)
               and getattr(d, "provenance", None) == "agency_result"
               and getattr(d, "dossier_code", None) == dossier.code for d in candidates)


def profile(root, dossier, holidays=None):
    """The dossier's contribution in short: (units, received periods, received
    counts, resolved periods, resolved counts), counts as sorted (name, n)
    pairs without zeros. Stored on the dossier; `expand` makes the counter keys."""
    catalogues = root.catalogues
    units = (("desk", dossier.desk), ("agency", dossier.agency),
             ("province", province_of(catalogues, dossier.desk)))
    received_day = in_vn(dossier.received).date()
    components, reused = components_of(root, dossier)
    rec = {"received": 1, "online": int(getattr(dossier, "channel", "desk") == "online"),
           "digitized": int(is_digitized(root, dossier)), "components": len(components),
           "reused": len(reused)}
    res, res_periods = {}, ()
    if dossier.status == "resolved" and dossier.resolved is not None:
        resolved_day = in_vn(dossier.resolved).date()
        if holidays is None:
            holidays = catalogues.holiday_dates()
        due = getattr(dossier, "due", None)
        approved = dossier.outcome == "approved"
        res = {"resolved": 1, "on_time": int(due is None or resolved_day <= due),
               "working_days": working_days_between(received_day, resolved_day, holidays),
               "approved": int(approved),
               "e_result": int(approved and has_electronic_result(root, dossier))}
        res_periods = tuple(periods_of(resolved_day))
    return (units, tuple(periods_of(received_day)), tuple(sorted((k, v) for k, v in rec.items() if v)),
            res_periods, tuple(sorted((k, v) for k, v in res.items() if v)))


def expand(prof):
    """{(level, unit, period, counter, desk): n} of a profile (desk: the
    receiving desk, whose own counter it is at every level)."""
    out = {}
    if not prof:
        return out
    units, rec_periods, rec, res_periods, res = prof
    desk = units[0][1]
    for level, unit in units:
        for periods, counts in ((rec_periods, rec), (res_periods, res)):
            for period in periods:
                for name, n in counts:
                    key = (level, unit, period, name, desk)
                    out[key] = out.get(key, 0) + n
    return out


# -- the counters ----------------------------------------------------------------

class UnitCounters(Persistent):
    """One unit's counters at one level: (period, counter, receiving desk) →
    Length. The desk in the key means two desks never add the same key to an
    agency's or the province's tree (BTree buckets resolve inserts of
    different keys); the dashboard sums over desks."""

    def __init__(self, level, unit):
        self.level, self.unit = level, unit
        self.counters = OOBTree()

    def change(self, period, name, desk, delta):
        length = self.counters.get((period, name, desk))
        if length is None:
            length = self.counters[(period, name, desk)] = Length()
        length.change(delta)

    def items(self):
        for (period, name, desk), length in self.counters.items():
            yield period, name, desk, length()


class Indicators(Persistent):
    """(level, unit) → UnitCounters; root.indicators."""

    def __init__(self):
        self.units = OOBTree()

    def unit(self, level, code, create=False):
        found = self.units.get((level, code))
        if found is None and create:
            found = self.units[(level, code)] = UnitCounters(level, code)
        return found

    def change(self, key, delta):
        level, unit, period, name, desk = key
        self.unit(level, unit, create=True).change(period, name, desk, delta)

    def counts(self):
        """{(level, unit, period, counter, desk): n} of every counter that is not 0."""
        out = {}
        for (level, unit), counters in self.units.items():
            for period, name, desk, n in counters.items():
                if n:
                    out[(level, unit, period, name, desk)] = n
        return out


def store(root):
    return getattr(root, "indicators", None)


def _root_of(obj):
    while getattr(obj, "__parent__", None) is not None:
        obj = obj.__parent__
    return obj


def on_dossier(dossier, actor, action, detail):
    """dossier_events subscriber: bring the counters in line with the dossier,
    in the same transaction."""
    root = _root_of(dossier)
    indicators = store(root)
    if indicators is None:       # not evolved yet: the evolve step rebuilds from the dossiers
        return
    update(root, indicators, dossier)


def update(root, indicators, dossier, holidays=None):
    new = profile(root, dossier, holidays)
    old = getattr(dossier, "indicator_profile", None)
    if new == old:
        return False
    before, after = expand(old), expand(new)
    for key in set(before) | set(after):
        delta = after.get(key, 0) - before.get(key, 0)
        if delta:
            indicators.change(key, delta)
    dossier.indicator_profile = new
    return True


def compute(root):
    """{key: n} recomputed from every dossier, and {code: profile}."""
    holidays = root.catalogues.holiday_dates()
    totals, profiles = {}, {}
    for code, dossier in root.dossiers.items():
        prof = profiles[code] = profile(root, dossier, holidays)
        for key, n in expand(prof).items():
            totals[key] = totals.get(key, 0) + n
    return {k: v for k, v in totals.items() if v}, profiles


def differences(root):
    """[(key, live, recomputed)] where the counters disagree with the dossiers."""
    indicators = store(root)
    live = indicators.counts() if indicators is not None else {}
    computed, _ = compute(root)
    return sorted((key, live.get(key, 0), computed.get(key, 0))
                  for key in set(live) | set(computed) if live.get(key, 0) != computed.get(key, 0))


def rebuild(root):
    """Recompute every counter from the dossiers (and each dossier's stored
    contribution); returns (dossiers, counters changed)."""
    if store(root) is None:
        root.indicators = Indicators()
    indicators = root.indicators
    computed, profiles = compute(root)
    for code, prof in profiles.items():
        dossier = root.dossiers[code]
        if getattr(dossier, "indicator_profile", None) != prof:
            dossier.indicator_profile = prof
    live = indicators.counts()
    changed = 0
    for key in set(live) | set(computed):
        delta = computed.get(key, 0) - live.get(key, 0)
        if delta:
            indicators.change(key, delta)
            changed += 1
    return len(profiles), changed


# -- reading them ------------------------------------------------------------------

def scope_of(root, user):
    """The units user may see: None for every unit (records manager, auditor,
    administrator), else the set of the user's own unit (desk and processing
    staff); Refused for anyone else (citizens)."""
    from . import roles as R
    roles = set(getattr(user, "roles", ()) or ())
    if roles & {R.RECORDS, R.AUDITOR, R.ADMIN}:
        return None
    if roles & {R.OFFICER, R.POSTAL, R.PROCESSOR} and user.desk:
        return {user.desk}
    raise Refused("Chỉ cán bộ xem được chỉ số phục vụ / staff only")


def parse_filters(params, scope=None, today=None):
    """The filters of the dashboard and the API: level (desk | agency |
    province), period (month | quarter | year), from and to (periods of that
    kind, inclusive; by default the year of today), unit (a unit code).
    ValidationError names the field at fault; a unit outside scope is Refused."""
    errors = {}
    level = (params.get("level") or "desk").strip()
    if level not in LEVELS:
        errors["level"] = "Cấp là desk, agency hoặc province / level is desk, agency or province"
    kind = (params.get("period") or "month").strip()
    if kind not in PERIODS:
        errors["period"] = "Kỳ là month, quarter hoặc year / period is month, quarter or year"
    today = today or in_vn(datetime.datetime.now(datetime.timezone.utc)).date()
    bounds = {}
    for field in ("from", "to"):
        value = (params.get(field) or "").strip()
        if not value:
            continue
        if kind in PERIODS and period_kind(value) != kind:
            errors[field] = (f"Kỳ phải viết như {periods_of(today)[list(PERIODS).index(kind)]} / "
                             f"a period like {periods_of(today)[list(PERIODS).index(kind)]}")
        else:
            bounds[field] = value
    if "from" in bounds and "to" in bounds and bounds["from"] > bounds["to"]:
        errors["to"] = "Kỳ cuối trước kỳ đầu / the end is before the start"
    unit = (params.get("unit") or "").strip() or None
    if unit is not None and (len(unit) > 40 or not unit.isascii()):
        errors["unit"] = "Mã đơn vị không hợp lệ / not a unit code"
    if errors:
        raise ValidationError(errors)
    if "from" not in bounds and "to" not in bounds:
        year = today.year
        bounds = {"month": {"from": f"{year}-01", "to": f"{year}-12"},
                  "quarter": {"from": f"{year}-Q1", "to": f"{year}-Q4"},
                  "year": {"from": f"{year - 4}", "to": f"{year}"}}[kind]
    if scope is not None:
        if level == "province":
            raise Refused("Chỉ số cấp tỉnh dành cho lãnh đạo, lưu trữ, kiểm toán / "
                          "province figures are not for a unit's staff")
        if unit is not None and unit not in scope:
            raise Refused("Chỉ xem được chỉ số của đơn vị mình / your own unit only")
    return {"level": level, "period": kind, "from": bounds.get("from"), "to": bounds.get("to"),
            "unit": unit}


def figures(counts):
    """{indicator key: {"value", "numerator", "denominator"}} of summed counts."""
    return {i.key: {"value": i.value(counts), "numerator": counts.get(i.numerator, 0),
                    "denominator": counts.get(i.denominator, 0)} for i in INDICATORS}


def report(root, filters, scope=None):
    """Rows (one per unit and period, oldest period first, then unit) and
    totals per period over the rows, from the counters alone."""
    indicators = store(root)
    level, kind = filters["level"], filters["period"]
    start, end = filters.get("from"), filters.get("to")
    rows = {}
    if indicators is not None:
        lo, hi = (level, ""), (level, "\uffff")
        for (lvl, unit), counters in indicators.units.items(lo, hi):
            if filters.get("unit") and unit != filters["unit"]:
                continue
            if scope is not None and unit not in scope:
                continue
            for period, name, _desk, n in counters.items():
                if period_kind(period) != kind or (start and period < start) or (end and period > end):
                    continue
                row = rows.setdefault((period, unit), {})
                row[name] = row.get(name, 0) + n
    names = {code: desk.name for code, desk in root.catalogues.desks.items()}
    out, totals = [], {}
    for (period, unit), counts in sorted(rows.items()):
        out.append({"unit": unit, "unit_name": names.get(unit, unit), "period": period,
                    "counts": {c: counts.get(c, 0) for c in COUNTERS}, "figures": figures(counts)})
        total = totals.setdefault(period, {})
        for name, n in counts.items():
            total[name] = total.get(name, 0) + n
    total_rows = [{"period": p, "counts": {c: t.get(c, 0) for c in COUNTERS}, "figures": figures(t)}
                  for p, t in sorted(totals.items())]
    overall = {}
    for t in totals.values():
        for name, n in t.items():
            overall[name] = overall.get(name, 0) + n
    per_unit = {}
    for row in out:
        acc = per_unit.setdefault(row["unit"], {})
        for name, n in row["counts"].items():
            acc[name] = acc.get(name, 0) + n
    unit_rows = [{"unit": u, "unit_name": names.get(u, u), "counts": c, "figures": figures(c)}
                 for u, c in sorted(per_unit.items())]
    return {"rows": out, "totals": total_rows, "units": unit_rows,
            "overall": {"counts": {c: overall.get(c, 0) for c in COUNTERS}, "figures": figures(overall)},
            "periods": _periods_between(kind, start, end)}


def units_at(root, level, scope=None):
    """[(code, name)] of the units with counters at the level (within scope)."""
    indicators = store(root)
    if indicators is None:
        return []
    desks = root.catalogues.desks
    codes = [unit for (lvl, unit) in indicators.units.keys((level, ""), (level, "\uffff"))
             if scope is None or unit in scope]
    return [(c, getattr(desks.get(c), "name", c)) for c in codes]


def _periods_between(kind, start, end):
    """Every period of the kind from start to end (for a trend with empty months)."""
    if not start or not end:
        return []
    out = []
    if kind == "year":
        out = [str(y) for y in range(int(start), int(end) + 1)]
    elif kind == "quarter":
        y, q = int(start[:4]), int(start[6])
        while f"{y}-Q{q}" <= end and len(out) < 400:
            out.append(f"{y}-Q{q}")
            y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    else:
        y, m = int(start[:4]), int(start[5:])
        while f"{y}-{m:02d}" <= end and len(out) < 1200:
            out.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
