"""ISearchEngine on Whoosh (written to the Whoosh 2.7 API; Whoosh-Reloaded today).

Schema, one record per doc_id:
  text_exact / text_folded     OCR text: syllables with positions, tones kept
                               (canonical spelling) / tones and marks removed
  title_exact / title_folded   paper name, number and issuer, the same way
  codes                        doc id, owner id, number, dossier and type codes,
                               whole, lower-cased, exact and folded: for prefixes
  doc_id, owner_id, type_code, number, issuer, validity, provenance, state, desk
                               stored ID fields, exact values, for filters/facets
  dossier_codes                stored list, indexed one code per term
  issue_date, valid_until      stored only, as YYYY-MM-DD (shown, never queried)
  year                         NUMERIC, one term per value (no trie terms: it is
                               filtered by value, never by range) and a column
  stamp                        the caller's version, a pickled column of (stamp,)
  text_z                       the OCR text, zlib-compressed, for snippets only

The text fields keep their positions as uint32 deltas (search.postings_format)
and every segment is written with search.codec's KhoCodec (W3 with array
posting blocks). The analyzers, the format and the codec are pickled into the
index's TOC by Whoosh, so their module paths and class names must not change
(or rebuild the index). An index whose fields differ from make_schema()
(missing, or another type, format or trie step) or with a segment in another
codec is refused with IndexOutdated("... rebuild it"), or replaced by an
empty one when opened with replace_outdated=True (the indexer then rebuilds).

`apply` writes one small segment and the next TOC with the kept readers
(search.live: milliseconds whatever the index size; merges of small segments
run in the background, built by a child process); `rebuild` writes whole
segments itself (search.bulk), in parallel processes, in the same format.
Each thread keeps its segment readers between calls and reopens only new
segments; segment files are read from the memory map (search.mapped), so
processes share the index's pages. Posting blocks are packed
(search.codec); indexes with the earlier plain blocks are read as they are.
`search` evaluates the parsed query over whole posting arrays
(search.evaluation, search.segments), not with Whoosh's matchers.
"""
import functools
import os
import threading
import zlib

from whoosh import columns, fields, index, writing
from whoosh.analysis import Token as WhooshToken, Tokenizer
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, LockError, clean_files
from whoosh.util.filelock import try_for
from zope.interface import implementer

from . import analysis, bulk, documents, evaluation, live, mapped, segments
from .errors import IndexOutdated, IndexUnavailable, InvalidDocument, InvalidFilter
from .highlight import highlight_all, snippet
from .interfaces import ISearchEngine
from .codec import KhoCodec
from .matching import QueryMarker
from .postings_format import DeltaPositions
from .querylang import parse_query
from .results import ApplyReport, Hit, IndexStats, SearchResults

__all__ = ["WhooshIndex", "DEFAULT_FACETS"]

mapped.install()       # segment files read from the memory map, not copied

DEFAULT_FACETS = ("type_code", "year", "state", "desk")
# query-time weights: an exact (accented) match outranks a folded one, titles
# outrank body text, a code hit outranks a word that happens to be in the text
BOOST_TEXT_EXACT = 3.0
BOOST_TEXT_FOLDED = 1.0
BOOST_TITLE_EXACT = 6.0
BOOST_TITLE_FOLDED = 2.0
BOOST_CODE = 5.0
MAX_PREFIX_TERMS = 1000       # a prefix expanding to more terms is refused
MIN_AUTO_PREFIX = 3           # codes this long are also matched as prefixes
TERM_FILTER_LIMIT = 2000      # bigger value sets are checked against a column
WRITE_LOCK_TIMEOUT = 30.0
REBUILD_MARKER = "REBUILD-NEEDED"   # an outdated index was replaced by an empty one

_COLUMN_FIELDS = ("type_code", "validity", "owner_id", "state", "desk")
# filters: fields with a column (one per document), fields whose few values
# are cheaper to look up as terms (owner ids, doc ids: short posting lists)
_COLUMN_FILTERS = _COLUMN_FIELDS + ("doc_id", "year")
_TERM_FILTERS = ("owner_id", "doc_id", "provenance")
_STORED_FIELDS = ("doc_id", "paper_name", "type_code", "number", "issuer", "issue_date",
                  "valid_until", "validity", "owner_id", "dossier_codes", "provenance",
                  "state", "desk", "year")


# --- analyzers -------------------------------------------------------------------

_last_tokens = (None, None)   # (text, token_texts(text)): exact and folded share it


def _cached_token_texts(value):
    global _last_tokens
    last = _last_tokens
    if last[0] is value:
        return last[1]
    tokens = analysis.token_texts(value)
    _last_tokens = (value, tokens)
    return tokens


_last_positions = (None, None)   # (text, {token: [positions]})


def _cached_positions(value):
    global _last_positions
    last = _last_positions
    if last[0] is value:
        return last[1]
    out = {}
    get = out.get
    for text, pos in _cached_token_texts(value):
        poslist = get(text)
        if poslist is None:
            out[text] = [pos]
        else:
            poslist.append(pos)
    _last_positions = (value, out)
    return out


class SyllableTokenizer(Tokenizer):
    """search.analysis tokens for Whoosh; `folded` gives the folded forms."""

    def __init__(self, folded=False):
        self.folded = folded

    def __eq__(self, other):
        return type(self) is type(other) and self.folded == other.folded

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        fold = analysis.fold_token if self.folded else None
        if chars:
            items = ((t.text, t.pos, t.start, t.end) for t in analysis.tokenize(value))
        else:
            items = ((text, pos, 0, 0) for text, pos in _cached_token_texts(value))
        for text, pos, start, end in items:
            token.text = fold(text) if fold else text
            token.stopped = False
            token.boost = 1.0
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token

    def positions(self, value):
        """{token text: [positions]} as __call__(positions=True) yields them:
        the bulk writer's fast path (search.bulk). The lists are shared with
        the exact forms' (do not change them)."""
        exact = _cached_positions(value)
        if not self.folded:
            return exact
        fold = analysis.fold_token
        out = {}
        for text, poslist in exact.items():
            folded = fold(text)
            other = out.get(folded)
            # tokens at one position never fold alike (a whole code keeps its
            # joiners), so the merged list is the tokens' order
            out[folded] = poslist if other is None else sorted(other + poslist)
        return out


class CodeTokenizer(Tokenizer):
    """One code per line, kept whole: lower-cased canonical form and folded form."""

    def __eq__(self, other):
        return type(self) is type(other)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for code in value.split("\n"):
            code = "".join(analysis.normalize_vi(code).lower().split())
            if not code:
                continue
            for text in {code, analysis.fold_vi(code)}:
                token.text = text
                token.stopped = False
                token.boost = 1.0
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start_char, start_char + len(code)
                yield token
            pos += 1


def _text_field(folded=False):
    field = fields.TEXT(analyzer=SyllableTokenizer(folded=folded), phrase=True)
    field.format = DeltaPositions(field_boost=field.format.field_boost)
    return field


def make_schema():
    return fields.Schema(
        doc_id=fields.ID(stored=True, unique=True, sortable=True),
        text_exact=_text_field(), text_folded=_text_field(folded=True),
        title_exact=_text_field(), title_folded=_text_field(folded=True),
        codes=fields.TEXT(analyzer=CodeTokenizer(), phrase=False),
        paper_name=fields.STORED(),
        type_code=fields.ID(stored=True, sortable=True),
        number=fields.ID(stored=True),
        issuer=fields.ID(stored=True),
        issue_date=fields.STORED(),
        valid_until=fields.STORED(),
        year=fields.NUMERIC(numtype=int, bits=32, signed=False, stored=True, sortable=True,
                            shift_step=0),
        validity=fields.ID(stored=True, sortable=True),
        owner_id=fields.ID(stored=True, sortable=True),
        dossier_codes=fields.KEYWORD(stored=True, commas=False, scorable=False),
        provenance=fields.ID(stored=True),
        state=fields.ID(stored=True, sortable=True),
        desk=fields.ID(stored=True, sortable=True),
        stamp=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
        text_z=fields.STORED(),
    )


def _field_signature(field):
    """What of a field decides how its postings, columns and stored values
    are written (Whoosh's FieldType.__eq__ ignores the type and trie steps)."""
    def name(obj):
        return type(obj).__name__ if obj is not None else None
    return (name(field), name(field.format), name(field.analyzer), bool(field.scorable),
            bool(field.stored), bool(field.unique), name(field.column_type),
            getattr(field, "shift_step", None), getattr(field, "bits", None))


def _whoosh_record(record):
    """A clean record (documents.clean_record) as add_document keyword arguments."""
    out = {"doc_id": record["doc_id"]}
    text = record.get("text") or ""
    if text:
        out["text_exact"] = out["text_folded"] = text
        out["text_z"] = zlib.compress(text.encode("utf-8"), 6)
    title = "\n".join(record[f] for f in ("paper_name", "number", "issuer") if record.get(f))
    if title:
        out["title_exact"] = out["title_folded"] = title
    codes = [record["doc_id"]] + [record[f] for f in ("owner_id", "number", "type_code")
                                  if record.get(f)] + record.get("dossier_codes", [])
    out["codes"] = "\n".join(codes)
    for name in ("paper_name", "number", "issuer", "provenance"):
        if record.get(name) not in (None, ""):
            out[name] = record[name]
    # columns get a value for every document ("" / 0 when absent): Whoosh's
    # column readers fail on a merged segment whose last documents have none
    for name in _COLUMN_FIELDS:
        out[name] = record.get(name) or ""
    out["year"] = record.get("year") or 0
    if record.get("dossier_codes"):
        out["dossier_codes"] = " ".join(c.replace(" ", "") for c in record["dossier_codes"])
        out["_stored_dossier_codes"] = list(record["dossier_codes"])
    for name in ("issue_date", "valid_until"):
        if record.get(name):
            out[name] = record[name].isoformat()
    # always a value, so the column has one for every document
    out["stamp"] = (record.get("stamp"),)
    return out


def _plan():
    """Where a query word is looked for (the body text first: the automatic
    prefix of a code looks in codes and the body text only)."""
    return evaluation.FieldPlan(
        exact=[("text_exact", BOOST_TEXT_EXACT), ("title_exact", BOOST_TITLE_EXACT)],
        folded=[("text_folded", BOOST_TEXT_FOLDED), ("title_folded", BOOST_TITLE_FOLDED)],
        codes="codes", code_boost=BOOST_CODE, max_prefix_terms=MAX_PREFIX_TERMS,
        min_auto_prefix=MIN_AUTO_PREFIX)


def _schema_changes(found):
    """What differs between the index's schema and ours: missing fields, or
    fields written another way (type, posting format, analyzer, flags...)."""
    expected = make_schema()
    changes = []
    for name in expected.names():
        if name not in found.names():
            changes.append("no field %s" % name)
        elif _field_signature(found[name]) != _field_signature(expected[name]):
            changes.append("field %s changed" % name)
    return changes


def _stamp(column_value):
    return column_value[0] if column_value else None


def _real_facet_value(name, key):
    """False for the column's filler value of documents without the field."""
    if name == "year":
        return isinstance(key, int) and 1 <= key <= 9999
    return key not in (None, "", b"")


# --- the process-wide write lock per index directory --------------------------------

_WRITE_LOCKS = {}
_WRITE_LOCKS_GUARD = threading.Lock()
_MERGERS = {}


def _write_lock(path):
    key = os.path.realpath(path)
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.RLock())


def _merger(index):
    """The process's one background merger of `index`'s directory."""
    key = os.path.realpath(index.path)
    with _WRITE_LOCKS_GUARD:
        found = _MERGERS.get(key)
        if found is None:
            found = _MERGERS[key] = live.Merger(index)
        return found


@implementer(ISearchEngine)
class WhooshIndex:
    """A Whoosh index directory. Use search.open_index(path) to get one."""

    def __init__(self, path, *, create=True, replace_outdated=False):
        self.path = os.fspath(path)
        try:
            self._ix = self._open(create)
            changed = _schema_changes(self._ix.schema) + [
                "segment %s has another codec" % segment.segment_id()
                for segment in self._ix._segments() if type(segment.codec()) is not KhoCodec]
        except (IndexUnavailable, OSError):
            raise
        except Exception as exc:       # a TOC pickling classes this version lacks...
            self._ix, changed = None, ["unreadable: %s" % exc]
        if changed and replace_outdated:
            self._ix = self._replace()
        elif changed:
            raise IndexOutdated(
                "the index in %s was made by another version of Kho (%s): rebuild it"
                " with `kho search reindex`" % (self.path, ", ".join(changed)))
        self._lock = _write_lock(self.path)
        self._local = threading.local()
        self._schema = self._ix.schema       # (the TOC's pickled copy is not read again)
        self.merger = _merger(self)

    @property
    def replaced(self):
        """True from replacing an outdated index until a rebuild succeeds, in
        this process or the next (a marker file in the index directory)."""
        return os.path.exists(os.path.join(self.path, REBUILD_MARKER))

    def _open(self, create):
        try:
            if index.exists_in(self.path):
                return index.open_dir(self.path)
            if not create:
                raise IndexUnavailable("no search index in %s" % self.path)
            os.makedirs(self.path, exist_ok=True)
            with _write_lock(self.path):
                if index.exists_in(self.path):
                    return index.open_dir(self.path)
                return index.create_in(self.path, make_schema())
        except (OSError, index.IndexError) as exc:
            raise IndexUnavailable("cannot open the search index in %s: %s"
                                   % (self.path, exc)) from None

    def _replace(self):
        """An empty index of this version in place of an outdated one, marked
        as needing a rebuild (under Whoosh's lock: no other writer meanwhile)."""
        with _write_lock(self.path):
            lock = FileStorage(self.path).lock("MAIN_WRITELOCK")
            if not try_for(lock.acquire, timeout=WRITE_LOCK_TIMEOUT, delay=0.05):
                raise IndexUnavailable("the search index in %s is locked by another writer"
                                       % self.path)
            try:
                with open(os.path.join(self.path, REBUILD_MARKER), "w") as marker:
                    marker.write("made by another version of Kho: rebuild it\n")
                fresh = index.create_in(self.path, make_schema())
                writer = fresh.writer(codec=KhoCodec(), _lk=False)
                writer.commit(mergetype=writing.CLEAR)          # drops the old files
            finally:
                lock.release()
        return fresh

    def __repr__(self):
        return "<WhooshIndex %s>" % self.path

    # -- reading ----------------------------------------------------------------

    def _view(self):
        """This thread's search.live.View of the latest generation: readers
        are kept between calls and only new segments are opened.

        (Whoosh's Searcher.refresh() is not used: its reader reuse keeps
        merged-away segments and stale deletions.)
        """
        generation = self._ix.latest_generation()
        current = getattr(self._local, "view", None)
        if current is None or current.generation != generation:
            current = live.load_view(self._ix.storage, self._ix.indexname, self._schema,
                                     generation, current)
            self._local.view = current
        return current

    def _searcher(self):
        """This thread's searcher of the latest generation (see _view)."""
        return self._view().searcher

    def _stamp_column(self, searcher):
        """The stamp column reader of this thread's searcher, kept with it
        (opening one reads the offsets of every document)."""
        cached = getattr(self._local, "stamp_column", None)
        if cached is None or cached[0] is not searcher:
            cached = (searcher, searcher.reader().column_reader("stamp"))
            self._local.stamp_column = cached
        return cached[1]

    def warm(self, stop=None):
        """Read the commonest words' posting lists into memory (see
        search.segments.warm); for a thread at start. Returns the count."""
        return segments.warm(self._searcher(), self.path, _plan(), stop=stop)

    def close(self):
        current = getattr(self._local, "view", None)
        if current is not None:
            current.close()
            self._local.view = None
            self._local.stamp_column = None

    def count(self):
        return self._searcher().doc_count()

    def stamps(self):
        searcher = self._searcher()
        reader = searcher.reader()
        if not reader.doc_count():
            return {}          # (an empty index's reader has no columns)
        ids = reader.column_reader("doc_id")
        stamp_column = reader.column_reader("stamp")
        return {ids[docnum]: _stamp(stamp_column[docnum]) for docnum in reader.all_doc_ids()}

    def stats(self):
        size = 0
        for name in os.listdir(self.path):
            try:
                size += os.path.getsize(os.path.join(self.path, name))
            except OSError:
                pass
        searcher = self._searcher()
        return IndexStats(path=self.path, count=searcher.doc_count(), size_bytes=size,
                          segments=len(self._ix._segments()))

    # -- writing ----------------------------------------------------------------

    def _writer(self, **kwargs):
        try:
            return self._ix.writer(timeout=WRITE_LOCK_TIMEOUT, delay=0.05, codec=KhoCodec(),
                                   **kwargs)
        except LockError:
            raise IndexUnavailable("the search index in %s is locked by another writer"
                                   % self.path) from None

    def apply(self, upserts=(), deletes=()):
        if isinstance(deletes, str):
            raise InvalidDocument("deletes must be a list of doc ids, not one string")
        by_id = {}
        for record in upserts:
            clean = documents.clean_record(record)
            by_id[clean["doc_id"]] = clean          # the last upsert of an id wins
        delete_ids = []
        for doc_id in deletes:
            if not isinstance(doc_id, str) or not doc_id.strip():
                raise InvalidDocument("a doc id to delete must be non-empty text, got %r"
                                      % (doc_id,))
            delete_ids.append(doc_id.strip())
        both = sorted(set(delete_ids) & set(by_id))
        if both:
            raise InvalidDocument("doc id(s) both upserted and deleted in one apply: %s"
                                  % ", ".join(both))
        if not by_id and not delete_ids:
            return ApplyReport(0, 0)
        prepared = [_whoosh_record(r) for r in by_id.values()]
        with self._lock:
            lock = self._file_lock()
            try:
                deleted = live.write_change(self._ix, self._view(), self._schema, prepared,
                                            delete_ids, list(by_id))
            finally:
                lock.release()
            view = self._view()          # opens the new segment: findable from here on
        if live.pick_merge(view.segments):
            self.merger.request()
        return ApplyReport(upserted=len(prepared), deleted=deleted)

    def _latest_toc(self):
        """The latest generation's TOC (segments and their deletions)."""
        for attempt in range(live.READ_RETRIES):
            try:
                return TOC.read(self._ix.storage, self._ix.indexname, schema=self._schema)
            except OSError:
                # an apply removed it between the listing and the open: the next one
                if attempt == live.READ_RETRIES - 1:
                    raise

    def _file_lock(self, timeout=WRITE_LOCK_TIMEOUT):
        """Whoosh's WRITELOCK of the directory (other processes, Whoosh's writers)."""
        try:
            return live.acquire(self._ix, timeout)
        except LockError:
            raise IndexUnavailable("the search index in %s is locked by another writer"
                                   % self.path) from None

    def merge_once(self):
        """One background merge (search.live): the live documents of the
        segments live.pick_merge() chooses, rewritten into one segment
        outside the write lock, then swapped in (with the deletions made
        meanwhile) in one TOC write. Returns whether it merged. Only one
        merge at a time per directory, across processes."""
        merge_lock = self._ix.storage.lock(self._ix.indexname + "_MERGELOCK")
        if not merge_lock.acquire(blocking=False):
            return False
        try:
            # (the TOC, not this thread's View: opening readers of every new
            # segment here would take the GIL from the applies for nothing)
            toc = self._latest_toc()
            chosen = set(live.pick_merge(toc.segments))
            if not chosen:
                return False
            picked = [seg for seg in toc.segments if seg.segment_id() in chosen]
            before, mapping = {}, {}
            count = 0
            for seg in picked:
                segid = seg.segment_id()
                before[segid] = set(seg.deleted_docs())
                for docnum in range(seg.doc_count_all()):
                    if docnum not in before[segid]:
                        mapping[(segid, docnum)] = count
                        count += 1
            # built by another process: the analysis does not hold this
            # process's GIL while requests apply and search
            new = live.build_merged(self.path, picked) if count else None
            with self._lock:
                lock = self._file_lock()
                try:
                    toc = self._latest_toc()
                    present = {s.segment_id(): s for s in toc.segments}
                    gone = chosen - set(present) or (
                        new is not None and not any(True for _ in new.list_files(self._ix.storage)))
                    if gone:       # a rebuild or clear replaced them meanwhile
                        if new is not None:
                            for name in new.list_files(self._ix.storage):
                                live._remove(self._ix.storage, name)
                        return False
                    if new is not None:
                        new = live._with_deletions(new, [
                            mapping[(segid, d)] for segid in chosen
                            for d in present[segid].deleted_docs() if d not in before[segid]])
                    out, placed = [], False
                    for seg in toc.segments:
                        if seg.segment_id() not in chosen:
                            out.append(seg)
                        elif not placed:
                            placed = True
                            if new is not None:
                                out.append(new)
                    generation = toc.generation + 1
                    TOC(self._schema, out, generation).write(self._ix.storage, self._ix.indexname)
                    clean_files(self._ix.storage, self._ix.indexname, generation, out)
                finally:
                    lock.release()
            return True
        finally:
            merge_lock.release()

    def clear(self):
        with self._lock:
            writer = self._writer()
            writer.commit(mergetype=writing.CLEAR)

    def rebuild(self, records, *, procs=1, segment_docs=bulk.SEGMENT_DOCS, progress=None):
        """Replace the whole content by `records` (an iterable of dicts) in one
        commit; readers see the old content until then. Every record is
        validated (and doc ids checked unique) before anything is written; on
        error the old content stays. `procs` forked processes (more than 1
        only where no other thread runs: a command line) write segments of
        at most `segment_docs` documents (search.bulk); progress(done, total)
        follows the documents indexed. Returns the number indexed."""
        seen = set()
        cleaned = []
        for record in records:
            clean = documents.clean_record(record)
            if clean["doc_id"] in seen:
                raise InvalidDocument("doc id %r appears twice in the rebuild"
                                      % clean["doc_id"])
            seen.add(clean["doc_id"])
            cleaned.append(clean)
        with self._lock:
            try:
                count = bulk.write_index(self._ix, cleaned, _whoosh_record, procs=procs,
                                         segment_docs=segment_docs, progress=progress,
                                         timeout=WRITE_LOCK_TIMEOUT, delay=0.05)
            except LockError:
                raise IndexUnavailable("the search index in %s is locked by another writer"
                                       % self.path) from None
            if self.replaced:
                os.unlink(os.path.join(self.path, REBUILD_MARKER))
            return count

    def optimize(self):
        """Merge all segments into one (faster searches after many applies)."""
        with self._lock:
            writer = self._writer()
            writer.commit(optimize=True)

    # -- searching --------------------------------------------------------------

    def search(self, query_text, *, filters=None, facets=DEFAULT_FACETS, page=1, pagelen=20,
               highlight=True):
        tree = parse_query(query_text)
        if not isinstance(page, int) or page < 1:
            raise InvalidFilter("page must be a whole number from 1, not %r" % (page,))
        if not isinstance(pagelen, int) or not 1 <= pagelen <= 1000:
            raise InvalidFilter("pagelen must be from 1 to 1000, not %r" % (pagelen,))
        facets = tuple(facets or ())
        for name in facets:
            if name not in documents.FACET_FIELDS:
                raise InvalidFilter("cannot count by %r; facets are: %s"
                                    % (name, ", ".join(documents.FACET_FIELDS)))
        searcher = self._searcher()
        evaluator = evaluation.Evaluator(searcher, self.path, _plan())
        found = evaluator.matches(tree, self._allowed(filters))
        total = evaluation.total(found)
        facet_counts = {name: evaluation.facet_counts(
            found, name, lambda value, name=name: _real_facet_value(name, value))
            for name in facets}
        best = evaluation.ranked(found, page * pagelen)[(page - 1) * pagelen:]
        marker = QueryMarker(tree) if highlight else None
        hits = []
        stamp_column = self._stamp_column(searcher) if best else None
        for docnum, score in best:
            stored = searcher.stored_fields(docnum)
            values = {name: stored[name] for name in _STORED_FIELDS
                      if stored.get(name) not in (None, "", 0)}
            values["stamp"] = _stamp(stamp_column[docnum])
            snippets = {}
            if highlight:
                compressed = stored.get("text_z")
                text = zlib.decompress(compressed).decode("utf-8") if compressed else ""
                snippets["text"] = snippet(text, marker)
                snippets["paper_name"] = highlight_all(stored.get("paper_name", ""), marker)
            hits.append(Hit(doc_id=stored["doc_id"], score=float(score),
                            fields=values, snippets=snippets))
        return SearchResults(total=total, page=page, pagelen=pagelen, hits=hits,
                             facets=facet_counts)

    # -- filters ----------------------------------------------------------------

    def _allowed(self, filters):
        """None (no restriction) or a function giving a segment's mask of the
        documents the filters allow. The filters are checked here; the masks
        are made only for the segments with matches (a lookup's few papers
        are in few of them)."""
        if filters is None:
            return None
        if not hasattr(filters, "items"):
            raise InvalidFilter("filters must be a mapping, not %s" % type(filters).__name__)
        checks = []
        for key, value in filters.items():
            if value is None:
                continue
            if key == "owner_ids":
                checks.append(("owner_id", self._value_set(key, value, "owner_id")))
            elif key == "doc_ids":
                checks.append(("doc_id", self._value_set(key, value, "doc_id")))
            elif key in documents.VALUE_FILTER_FIELDS:
                checks.append((key, self._value_set(key, value, key)))
            else:
                raise InvalidFilter("unknown filter %r; filters are: owner_ids, doc_ids, %s"
                                    % (key, ", ".join(documents.VALUE_FILTER_FIELDS)))
        return functools.partial(self._allowed_mask, checks)

    @staticmethod
    def _allowed_mask(checks, seg):
        """The documents of `seg` that pass every (field, values) check."""
        mask = seg.live.copy()
        for field, wanted in checks:
            if not mask.any():
                break
            if field in _COLUMN_FILTERS and (len(wanted) > TERM_FILTER_LIMIT
                                             or field not in _TERM_FILTERS):
                mask &= evaluation.column_mask(seg, field, wanted)
            else:
                mask &= evaluation.postings_mask(seg, field, wanted)
        return mask

    @staticmethod
    def _value_set(key, value, field):
        values = [value] if isinstance(value, (str, int)) else value
        if not hasattr(values, "__iter__"):
            raise InvalidFilter("filter %s must be a value or a set of values, not %r"
                                % (key, value))
        try:
            cleaned = {documents.clean_value(field, v) for v in values}
        except InvalidDocument as exc:
            raise InvalidFilter("filter %s: %s" % (key, exc)) from None
        cleaned.discard("")   # "" is the filler of documents without the field
        return cleaned
