"""OCR as jobs: records in ZODB that any worker process may claim.

Uploading only queues a job (in the upload's own transaction, so an aborted
upload leaves no job). A worker claims the oldest queued job in a short
transaction, runs the ocr library outside any transaction, reports page
progress as it goes, and stores the result in one last transaction. A job a
dead worker left running is queued again when a worker starts; a failed job
keeps its reason and the untouched original, and can be retried."""
import datetime
import logging
import os
import socket
import threading
import time
import uuid

import transaction
from BTrees.OOBTree import OOTreeSet
from persistent import Persistent
from persistent.list import PersistentList
from ZODB.POSException import ConflictError

from . import audit
from .blobs import blob_of
from .db import app_root
from .folder import Folder
from .indexing import touched
from .resources import utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
SEARCHABLE = "searchable"        # derivative: the scan's pages with an invisible text layer


class OcrJob(Persistent):
    def __init__(self, job_id, subject_id, document_id):
        self.job_id = job_id
        self.subject_id = subject_id
        self.document_id = document_id
        self.state = QUEUED
        self.pages_done = 0
        self.pages_total = 0
        self.error = None
        self.attempts = 0
        self.worker = None
        self.created = utcnow()
        self.started = self.finished = self.heartbeat = None

    def as_dict(self):
        return {"job_id": self.job_id, "state": self.state, "pages_done": self.pages_done,
                "pages_total": self.pages_total, "error": self.error, "attempts": self.attempts,
                "created": _iso(self.created), "started": _iso(self.started),
                "finished": _iso(self.finished)}


class JobQueue(Persistent):
    """All OCR jobs by id, and the queued ones in arrival order."""
    __parent__ = None

    def __init__(self):
        self.jobs = Folder()
        self.queued = OOTreeSet()      # "<created iso>|<job id>": distinct keys do not conflict

    def enqueue(self, subject_id, document_id):
        job = OcrJob(uuid.uuid4().hex[:16], subject_id, document_id)
        self.jobs.add(job.job_id, job)
        self._push(job)
        return job

    def _push(self, job):
        job.state = QUEUED
        job.worker = None
        self.queued.insert(f"{utcnow().isoformat()}|{job.job_id}")

    def retry(self, job, actor=None):
        if job.state != FAILED:
            raise ValueError(f"job {job.job_id} is {job.state}, not failed")
        job.error = None
        self._push(job)
        audit.record(self, actor, "ocr_retry", subject=job.subject_id, document=job.document_id)

    def claim(self, worker):
        """The oldest queued job, now marked running by worker (or None)."""
        while len(self.queued):
            key = self.queued.minKey()
            self.queued.remove(key)
            job = self.jobs.get(key.split("|", 1)[1])
            if job is None or job.state != QUEUED:
                continue
            job.state, job.worker = RUNNING, worker
            job.started = job.heartbeat = utcnow()
            job.attempts += 1
            job.pages_done = 0
            return job
        return None

    def requeue_abandoned(self, stale_after, this_host):
        """Queue again the running jobs whose worker is gone; returns their ids."""
        now = utcnow()
        again = []
        for job in self.jobs.values():
            if job.state != RUNNING:
                continue
            host, _, pid = (job.worker or ":").rpartition(":")
            dead_here = host == this_host and pid.isdigit() and not _pid_alive(int(pid))
            stale = job.heartbeat is None or (now - job.heartbeat).total_seconds() > stale_after
            if dead_here or stale:
                self._push(job)
                again.append(job.job_id)
        return again


class OcrData(Persistent):
    """A document's recognised text and word boxes, kept apart from the
    Document so that listing a warehouse does not load thousands of words."""

    def __init__(self, result, languages, suggestions):
        self.languages = languages
        self.pages = PersistentList(_page_dict(p) for p in result.pages)
        self.text = result.text
        self.mean_confidence = result.mean_confidence
        self.needs_review = result.needs_review
        self.suggestions = suggestions
        self.finished = utcnow()


def _page_dict(page):
    return {"index": page.index, "width": page.width, "height": page.height, "dpi": page.dpi,
            "text": page.text, "mean_confidence": round(page.mean_confidence, 1),
            "needs_review": page.needs_review, "source": page.source,
            "words": [(w.text, *w.bbox, round(w.confidence, 1)) for w in page.words]}


def _iso(value):
    return value.isoformat() if value else None


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def job_queue(root):
    return root.jobs


def job_of(root, document):
    """The OCR job of a document, or None."""
    return root.jobs.jobs.get(document.ocr_job) if document.ocr_job else None


def queue_ocr(root, document):
    """Queue OCR of a newly added document (call inside the adding transaction)."""
    job = job_queue(root).enqueue(document.owner_id, document.__name__)
    document.ocr_job = job.job_id
    return job


def suggestions_for(text, catalogues):
    """The ocr library's proposals, as plain data for the review form:
    {field: {"value": ..., "source": the text it came from}}."""
    import ocr
    doc_types = [(t.code, t.name) for t in catalogues.doctypes.values()]
    found = ocr.suggest_metadata(text, doc_types)
    out = {}
    for field, attr in (("type_code", "doc_type"), ("number", "number"), ("issue_date", "issue_date"),
                        ("issuer", "issuer"), ("personal_id", "personal_id")):
        suggestion = getattr(found, attr)
        if suggestion is not None:
            value = suggestion.value
            if isinstance(value, (datetime.date, datetime.datetime)):
                value = value.isoformat()
            out[field] = {"value": value, "source": suggestion.source}
    return out


class OcrWorker:
    """Claims and runs OCR jobs against one database (in a thread or a process)."""

    def __init__(self, db, settings, name=None):
        self.db = db
        self.languages = settings.get("kho.ocr.languages") or None
        self.tesseract_workers = int(settings.get("kho.ocr.workers") or 0) or None
        self.review_threshold = float(settings.get("kho.ocr.review_threshold") or 70)
        self.stale_after = float(settings.get("kho.ocr.stale_after") or 300)
        self.host = socket.gethostname()
        self.name = name or f"{self.host}:{os.getpid()}"
        self.tm = transaction.TransactionManager()
        self.conn = db.open(self.tm)

    def close(self):
        self.tm.abort()
        self.conn.close()

    def _attempt(self, work, attempts=10):
        """Run work(root) in a transaction, retrying conflicts."""
        for attempt in range(attempts):
            try:
                with self.tm:
                    return work(app_root(self.conn))
            except ConflictError:
                time.sleep(0.05 * (attempt + 1))
        raise RuntimeError("gave up after repeated conflicts")

    def requeue_abandoned(self):
        again = self._attempt(lambda root: job_queue(root).requeue_abandoned(self.stale_after, self.host))
        if again:
            log.warning("queued again %d OCR job(s) left running by a dead worker: %s", len(again), again)
        return again

    def run_forever(self, stop, poll=1.0):
        self.requeue_abandoned()
        while not stop.is_set():
            try:
                if not self.run_one():
                    stop.wait(poll)
            except Exception:      # a broken job must not stop the worker
                log.exception("OCR worker error")
                stop.wait(poll)

    def run_one(self):
        """Run the oldest queued job; False when there was none."""
        def claim(root):
            job = job_queue(root).claim(self.name)
            if job is None:
                return None
            document = root.subjects[job.subject_id].documents[job.document_id]
            with document.original.open("r") as f:
                data = f.read()
            from .review import desk_of, pdf_title
            return (job.job_id, data, bool(document.signature_report),
                    {"title": pdf_title(document), "author": desk_of(root, document.created_by)})
        claimed = self._attempt(claim)
        if claimed is None:
            return False
        job_id, data, keep_original, described = claimed
        import ocr
        started = time.monotonic()
        try:
            kwargs = {"progress": self._progress(job_id), "workers": self.tesseract_workers,
                      "review_threshold": self.review_threshold, **described}
            if self.languages:
                kwargs["languages"] = self.languages
            result = ocr.recognize(data, **kwargs)
        except Exception as exc:     # ocr.OcrError has the message for a person; anything else too
            message = str(exc) or type(exc).__name__
            log.warning("OCR job %s failed: %s", job_id, message)
            self._attempt(lambda root: self._fail(root, job_id, message))
            return True
        self._attempt(lambda root: self._store(root, job_id, result, keep_original))
        log.info("OCR job %s: %d page(s) in %.1f s", job_id, len(result.pages), time.monotonic() - started)
        return True

    def _progress(self, job_id):
        def report(done, total):
            def write(root):
                job = job_queue(root).jobs[job_id]
                job.pages_done, job.pages_total, job.heartbeat = done, total, utcnow()
            self._attempt(write)
        return report

    def _fail(self, root, job_id, message):
        job = job_queue(root).jobs[job_id]
        job.state, job.error, job.finished = FAILED, message, utcnow()
        audit.record(root, None, "ocr_failed", subject=job.subject_id, document=job.document_id,
                     detail={"error": message})

    def _store(self, root, job_id, result, keep_original):
        job = job_queue(root).jobs[job_id]
        document = root.subjects[job.subject_id].documents[job.document_id]
        document.ocr = OcrData(result, self.languages or "default",
                               suggestions_for(result.text, root.catalogues))
        if not keep_original:        # a signed PDF is kept as it came; its text lives beside it
            blob = blob_of(result.searchable_pdf)
            document.derivatives[SEARCHABLE] = blob
        document.review_state = "pending"
        touched(root, document)
        job.state, job.finished = DONE, utcnow()
        job.pages_done = job.pages_total = len(result.pages)
        audit.record(root, None, "ocr_done", subject=job.subject_id, document=job.document_id,
                     detail={"pages": len(result.pages), "mean_confidence": round(result.mean_confidence, 1)})


class EmbeddedWorker:
    """An OCR worker thread inside the app process (the one-machine default,
    where FileStorage allows only one process)."""

    def __init__(self, db, settings):
        self.stop = threading.Event()
        self.worker = OcrWorker(db, settings)
        self.thread = threading.Thread(target=self._run, name="kho-ocr-worker", daemon=True)

    def _run(self):
        try:
            self.worker.run_forever(self.stop)
        finally:
            self.worker.close()

    def start(self):
        self.thread.start()
        return self

    def shutdown(self, timeout=30):
        self.stop.set()
        self.thread.join(timeout)
