"""The records manager's metadata search across every warehouse.

Records managers answer for all the papers Kho keeps, so they search over
every warehouse without stating a purpose, but over metadata only: owner,
paper type, number, issuer, dates, validity state, dossier code and
retention state. Nothing of a paper's content is returned or matched (no
OCR text, no snippets, no files): content stays behind the search page with
a records purpose (repository.searching).

Why it answers fast at scale: it asks the full-text index (search.ISearchEngine)
with a blank query, which matches everything and never looks at the text, and
the index's own value filters (owner ids, paper type, validity, year of
issue, paper ids), which are array operations over its columns and postings.
The rest is checked against the fields the index stores beside each hit
(number, issuer, dossier codes, exact dates): candidates come from the index
a thousand at a time, no paper is loaded from ZODB to decide whether it
matches, and at most SCAN_LIMIT candidates are examined per page (a total
beyond that is "at least"). Measured (bench over 100 000 indexed papers,
load average 6-8 on 2 cores): a filter the index applies answers in 0.5-2 ms;
issuer + type (5 000 of 20 000 candidates pass) 1.2 s, most of it the index
reading each candidate's stored fields; an issue-date range narrowed by its
years 0.5 s. The index's searcher could take number, issuer and dossier code
as value filters (they are indexed fields already); that belongs to search/.
Only the papers of the page shown are loaded, for their retention state.
A date range narrows the index first by the set of its years. Two filters
are not in the index: the retention state (the review queue and the holds,
which are small, give the paper ids) and the owner's name, looked for in
the warehouses' profiles (never their papers): with an owner id, in that
one; else over at most NAME_SCAN warehouses and NAME_OWNERS owners, and a
result past that bound is not "exact" (measured: 50 000 warehouses 5.7 s
from a cold cache, 0.4 s warm; a name index kept by the functions that open
and correct warehouses would make it instant).

Every search is audited (`search_read`, purpose "metadata", detail.scope
"metadata": the filters and the papers) under each owner whose papers it
returned, so the owner's access log shows it; a search that returned
nothing is audited once with no owner."""
import datetime
import functools
import re
import unicodedata

from . import audit, retention
from .calendar import DATE_ERROR, parse_date
from .errors import ValidationError, checked_together, text_filters
from .identifiers import InvalidIdentifier, validate_subject_id
from .indexing import find_document
from .reading import METADATA

PAGELEN = 20
MAX_PAGELEN = 100
SCAN_CHUNK = 1000            # the index's largest page
SCAN_LIMIT = 20_000          # candidates examined for the filters the index cannot apply (about 1 s)
NAME_OWNERS = 500            # owners a name may stand for
NAME_SCAN = 20_000           # warehouses whose names are looked at
MAX_YEARS = 200              # a longer date range is not narrowed by year
VALIDITY = {"in_force": "Còn hiệu lực", "expired": "Hết hiệu lực", "revoked": "Bị thu hồi"}
RETENTION = {"pending": "Chờ duyệt huỷ", "deferred": "Hoãn huỷ", "held": "Đang phong toả"}
TEXT_FILTERS = ("owner", "name", "type", "number", "issuer", "dossier")
DATE_FILTERS = ("issued_from", "issued_to", "valid_from", "valid_to")
FILTERS = TEXT_FILTERS + DATE_FILTERS + ("state", "retention")
_CODE = re.compile(r"^[0-9A-Za-zĐđ./_()\- ]{1,60}$")


@functools.lru_cache(maxsize=20_000)
def _fold(text):
    """Tones, marks and case removed: issuers and names repeat, so it is kept."""
    from search.analysis import fold_vi
    return fold_vi(unicodedata.normalize("NFC", text)).casefold().strip()


def parse_filters(params):
    """The filters of a request or CLI (a mapping of strings), checked:
    {name: value} with dates as dates; ValidationError names each bad one."""
    found, errors = text_filters(params, FILTERS, lambda value: unicodedata.normalize("NFC", value).strip())
    if "owner" in found:
        try:
            validate_subject_id(found["owner"])
        except InvalidIdentifier as exc:
            errors["owner"] = str(exc)
    if len(found.get("name", "")) > 100 or len(found.get("issuer", "")) > 200:
        errors["name" if len(found.get("name", "")) > 100 else "issuer"] = \
            "Quá dài / too long"
    if "name" in found and len(_fold(found["name"])) < 2:
        errors["name"] = "Nhập ít nhất 2 ký tự của tên / type at least 2 letters of the name"
    for name in ("type", "number", "dossier"):
        if name in found and not _CODE.match(found[name]):
            errors[name] = "Mã không hợp lệ (chữ, số, . / - _) / not a valid code"
    for name in DATE_FILTERS:
        if name in found:
            try:
                found[name] = parse_date(found[name])
            except ValueError:
                errors[name] = DATE_ERROR
    if "state" in found and found["state"] not in VALIDITY:
        errors["state"] = "Tình trạng là in_force, expired hoặc revoked / unknown state"
    if "retention" in found and found["retention"] not in RETENTION:
        errors["retention"] = "Tình trạng lưu trữ là pending, deferred hoặc held / unknown retention state"
    for low, high in (("issued_from", "issued_to"), ("valid_from", "valid_to")):
        a, b = found.get(low), found.get(high)
        if isinstance(a, datetime.date) and isinstance(b, datetime.date) and a > b:
            errors[high] = "Ngày kết thúc trước ngày bắt đầu / the end is before the start"
    if errors:
        raise ValidationError(errors)
    return found


def page_args(params):
    """(page, pagelen) of a request; ValidationError when not whole numbers in range."""
    try:
        page = int(params.get("page") or 1)
        pagelen = int(params.get("pagelen") or PAGELEN)
    except (TypeError, ValueError):
        raise ValidationError({"page": "Trang phải là số / page is a number"}) from None
    if page < 1 or page > 10_000:
        raise ValidationError({"page": "Trang từ 1 đến 10000 / page is from 1 to 10000"})
    if not 1 <= pagelen <= MAX_PAGELEN:
        raise ValidationError({"pagelen": f"Số dòng từ 1 đến {MAX_PAGELEN} / pagelen is from 1 to {MAX_PAGELEN}"})
    return page, pagelen


def parse_request(params):
    """(filters, page, pagelen) of a request, every bad parameter named at once."""
    filters, (page, pagelen) = checked_together(lambda: parse_filters(params), lambda: page_args(params))
    return filters, page, pagelen


# --- what the index narrows --------------------------------------------------------

def owners_named(root, name, limit=NAME_OWNERS, scan=None, among=None):
    """(ids, complete): the warehouses whose owner's name holds `name` (tones
    and case ignored), among the ids given or over at most `scan` warehouses
    (NAME_SCAN); complete is False when a bound stopped the pass."""
    wanted, found = _fold(name), set()
    if among is not None:
        return {i for i in among if i in root.subjects and wanted in _fold(root.subjects[i].name or "")}, True
    scan = NAME_SCAN if scan is None else scan
    for seen, (subject_id, warehouse) in enumerate(root.subjects.items(), 1):
        if wanted in _fold(warehouse.name or ""):
            found.add(subject_id)
            if len(found) >= limit:
                return found, False
        if seen >= scan:
            return found, seen >= len(root.subjects)
    return found, True


def _retention_doc_ids(root, state):
    """The paper ids (owner/doc) in the review queue in `state`, or under a legal hold."""
    if state in (retention.PENDING, retention.DEFERRED):
        return {i.key.partition(":")[2] for i in retention.queue_items(root, state) if i.key.startswith("paper:")}
    found = set()
    for hold in retention.holds(root):
        kind, _, rest = hold.target.partition(":")
        if kind == "paper":
            found.add(rest)
        elif kind == "warehouse" and rest in root.subjects:
            found.update(f"{rest}/{key}" for key in root.subjects[rest].documents.keys())
        elif kind == "dossier" and rest in root.dossiers:
            found.update(f"{owner}/{doc}" for owner, doc in root.dossiers[rest].attached_documents())
    return found


def _years(low, high):
    low = low.year if low else 1900
    high = high.year if high else datetime.date.today().year + 1
    return set(range(low, high + 1)) if 0 <= high - low <= MAX_YEARS else None


def index_filters(root, filters):
    """(filters the index applies itself or None when nothing can match,
    complete: False when the owner's name was not looked for everywhere)."""
    out, complete = {}, True
    owners = None
    if "owner" in filters:
        owners = {filters["owner"]}
    if "name" in filters:
        owners, complete = owners_named(root, filters["name"], among=owners)
    if owners is not None:
        if not owners:
            return None, complete
        out["owner_ids"] = owners
    if "type" in filters:
        out["type_code"] = filters["type"]
    if "state" in filters:
        out["validity"] = filters["state"]
    if "issued_from" in filters or "issued_to" in filters:
        years = _years(filters.get("issued_from"), filters.get("issued_to"))
        if years is not None:
            out["year"] = years
    if "retention" in filters:
        ids = _retention_doc_ids(root, filters["retention"])
        if not ids:
            return None, complete
        out["doc_ids"] = ids
    return out, complete


# --- what the stored fields decide ---------------------------------------------------

def _stored_date(value):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _in_range(value, low, high):
    if low is None and high is None:
        return True
    day = _stored_date(value)
    return day is not None and (low is None or day >= low) and (high is None or day <= high)


def stored_check(filters):
    """A predicate over a hit's stored fields for the filters the index does
    not apply, or None when there are none."""
    number = filters.get("number", "").casefold()
    issuer = _fold(filters["issuer"]) if "issuer" in filters else ""
    dossier = filters.get("dossier", "")
    dates = [(field, filters.get(low), filters.get(high))
             for field, low, high in (("issue_date", "issued_from", "issued_to"),
                                      ("valid_until", "valid_from", "valid_to"))
             if filters.get(low) or filters.get(high)]
    if not (number or issuer or dossier or dates):
        return None

    def check(fields):
        if number and not str(fields.get("number") or "").casefold().startswith(number):
            return False
        if issuer and issuer not in _fold(str(fields.get("issuer") or "")):
            return False
        if dossier and dossier not in (fields.get("dossier_codes") or ()):
            return False
        return all(_in_range(fields.get(field), low, high) for field, low, high in dates)
    return check


# --- the search ---------------------------------------------------------------------------

def search_metadata(root, index, user, filters, *, page=1, pagelen=PAGELEN):
    """One page of the papers matching `filters` (from parse_filters) over
    every warehouse: {"total", "exact", "page", "pagelen", "pagecount", "rows"},
    each row the paper's metadata (no content). Audited under each owner shown."""
    narrowed, complete = index_filters(root, filters)
    check = stored_check(filters)
    if narrowed is None:
        hits, total, exact = [], 0, True
    elif check is None:
        found = index.search("", filters=narrowed, facets=(), page=page, pagelen=pagelen, highlight=False)
        hits, total, exact = found.hits, found.total, True
    else:
        hits, total, exact = _scan(index, narrowed, check, page, pagelen)
    rows = [_row(root, hit.doc_id, hit.fields) for hit in hits]
    log_metadata_search(root, user, filters, rows)
    return {"total": total, "exact": exact and complete, "page": page, "pagelen": pagelen,
            "pagecount": -(-total // pagelen) if total else 0, "rows": rows}


def _scan(index, narrowed, check, page, pagelen):
    """The page of hits passing `check`, asking the index SCAN_CHUNK at a time."""
    start, stop = (page - 1) * pagelen, page * pagelen
    matched, seen, chunk = [], 0, 1
    while seen < SCAN_LIMIT:
        found = index.search("", filters=narrowed, facets=(), page=chunk, pagelen=SCAN_CHUNK, highlight=False)
        for hit in found.hits:
            if check(hit.fields):
                matched.append(hit if start <= len(matched) < stop else None)
        seen += len(found.hits)
        if chunk * SCAN_CHUNK >= found.total:
            return [h for h in matched if h is not None], len(matched), True
        chunk += 1
    return [h for h in matched if h is not None], len(matched), False


def _row(root, doc_id, fields):
    owner_id = fields.get("owner_id") or doc_id.partition("/")[0]
    warehouse = root.subjects.get(owner_id)
    document = find_document(root, doc_id)
    status = None
    if document is not None:
        try:
            status = retention.disposition_of(root, document).status
        except Exception:            # a row never fails for want of a schedule
            status = None
    return {"doc_id": doc_id, "document_id": doc_id.partition("/")[2], "owner_id": owner_id,
            "owner_name": warehouse.name if warehouse is not None else "",
            "paper_name": fields.get("paper_name") or "", "type_code": fields.get("type_code") or "",
            "number": fields.get("number") or "", "issuer": fields.get("issuer") or "",
            "issue_date": _stored_date(fields.get("issue_date")),
            "valid_until": _stored_date(fields.get("valid_until")),
            "state": fields.get("validity") or fields.get("state") or "",
            "dossier_codes": list(fields.get("dossier_codes") or ()),
            "retention": status}


def _described(filters):
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in sorted(filters.items())}


def log_metadata_search(root, user, filters, rows):
    """One `search_read` entry per owner whose papers the page showed."""
    returned = {}
    for row in rows:
        returned.setdefault(row["owner_id"], []).append(row["document_id"])
    query = _described(filters)
    for owner, papers in sorted(returned.items()):
        audit.record(root, user, "search_read", subject=owner, purpose=METADATA,
                     detail={"scope": "metadata", "query": query, "papers": papers})
    if not returned:
        audit.record(root, user, "search_read", subject=None, purpose=METADATA,
                     detail={"scope": "metadata", "query": query, "papers": []})
