"""Past one machine on RelStorage: a PostgreSQL started for the test in a
temporary directory (two databases: the main one, blobs included, and the
audit trail), two app processes uploading to the same warehouse at once,
two OCR worker processes (`kho worker`) claiming the jobs, and the one
index writer (`kho search indexer`) as a process of its own, as the README's
deployment section runs them. No write may be lost (conflicts are retried),
every OCR job is run exactly once, the audit chain holds, every blob reads
back byte for byte through another client, and `kho search check` finds
the index consistent with the repository.

Skipped only where PostgreSQL is not installed (`make test` installs it:
scripts/install-system.sh); RelStorage and psycopg2 come with the test extra."""
import collections
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

import psycopg2
import pytest
import requests
import transaction

from repository.audit import audit_log
from repository.db import app_root, close_databases, open_databases
from repository.ocr_jobs import job_queue

from ..files import pdf_bytes
from .test_zeo import BIN, OWNER, free_port, parallel_uploads, seed_database, wait_until, write_server_ini

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("relstorage")]

SUPERUSER = "postgres"          # the cluster's superuser (initdb -U), not a system account
DATABASES = ("kho", "kho_audit")


def postgres_bindir():
    """The directory of initdb and pg_ctl: Debian keeps them out of PATH, in
    /usr/lib/postgresql/<version>/bin; elsewhere they may be on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb and shutil.which("pg_ctl") else None


def as_cluster_owner(argv, owner):
    """initdb and postgres refuse to run as root: run them as `owner` then."""
    if owner is None:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", owner, "--"] + argv
    return ["su", owner, "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in argv)]


def cluster_owner():
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name).pw_name
        except KeyError:
            continue
    pytest.fail("running as root and neither a `postgres` nor a `nobody` account exists to run PostgreSQL")


class Postgres:
    def __init__(self, bindir, owner):
        self.bindir, self.owner = bindir, owner
        # under /tmp when another account runs the server (it must reach the
        # directory, and the socket's path must stay short)
        self.dir = tempfile.mkdtemp(prefix="kho-pg-", dir="/tmp" if owner and os.path.isdir("/tmp") else None)
        if owner is not None:
            user = pwd.getpwnam(owner)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.data, self.log = os.path.join(self.dir, "data"), os.path.join(self.dir, "postgres.log")
        self.port = free_port()

    def run(self, tool, *args):
        argv = as_cluster_owner([os.path.join(self.bindir, tool), *args], self.owner)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = open(self.log).read()[-3000:] if os.path.exists(self.log) else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}\n{done.stderr}\n{log}")
        return done

    def start(self):
        self.run("initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale")
        options = " ".join([
            f"-c port={self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.dir}",
            "-c max_connections=100",
            # a throw-away cluster: durability across a power cut is not what is tested
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"])
        self.run("pg_ctl", "start", "-w", "-t", "60", "-D", self.data, "-l", self.log, "-o", options)
        conn = self.connect("postgres")
        try:
            conn.autocommit = True          # CREATE DATABASE runs outside a transaction
            with conn.cursor() as cursor:
                for name in DATABASES:
                    cursor.execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()

    def connect(self, dbname):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=dbname)

    def stop(self, keep_log=None):
        try:
            self.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", self.data)
        finally:
            if keep_log is not None and os.path.exists(self.log):
                shutil.copy(self.log, keep_log)
            shutil.rmtree(self.dir, ignore_errors=True)

    def uri(self, dbname, blob_cache=None):
        """A zodburi URI of RelStorage's resolver (scheme postgres://).

        `name` is the storage's sort key, by which every process orders the
        two databases' commit locks: without it RelStorage's default holds a
        memory address, two processes lock main and audit in opposite orders
        and deadlock until the lock timeout (uploads then hang for minutes)."""
        uri = f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}?name={dbname}"
        if blob_cache:      # blobs live in PostgreSQL; blob_dir is this client's cache
            uri += f"&blob_dir={blob_cache}&shared_blob_dir=false&blob_cache_size=100mb"
        return uri


@pytest.fixture
def postgres(tmp_path):
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed here (no initdb in /usr/lib/postgresql/*/bin nor on PATH): "
                    "`apt-get install postgresql`, as `make test` does through scripts/install-system.sh")
    server = Postgres(bindir, cluster_owner())
    try:
        server.start()
        yield server
    finally:
        server.stop(keep_log=tmp_path / "postgres.log")


def relstorage_settings(tmp_path, pg, machine):
    """The ini settings of every process on one machine: they share its blob
    cache (RelStorage locks the files it fetches) and its var/."""
    var = tmp_path / f"var-{machine}"
    return {
        "zodbconn.uri": pg.uri("kho", blob_cache=var / "blobcache"),
        "zodbconn.uri.audit": pg.uri("kho_audit"),
        "kho.var": str(var),
        "kho.cache_dir": str(var / "cache"),
        "kho.index_dir": str(tmp_path / "index"),       # one index, written by `kho search indexer` only
        "kho.search.indexer": "process",
        "kho.search.warm": "false",
        "kho.ocr.embedded_worker": "false",             # `kho worker` processes run the jobs
        "kho.ocr.workers": "1",
        "kho.session_secret": "relstorage-test-" + "z" * 40,
        "kho.auto_evolve": "false",
        "retry.attempts": "20",
    }


def kho(ini, *args, timeout=300):
    return subprocess.run([os.path.join(BIN, "kho"), "-c", str(ini), *args],
                          capture_output=True, text=True, timeout=timeout)


def start_kho(tmp_path, machine, name, *args):
    """A long-running `kho` process (an OCR worker, the indexer) with the ini
    file of its machine; returns (process, log file)."""
    ini = tmp_path / f"{machine}.ini"
    log = open(tmp_path / f"{name}.log", "w")
    process = subprocess.Popen([os.path.join(BIN, "kho"), "-c", str(ini), *args],
                               stdout=log, stderr=subprocess.STDOUT)
    return process, log


def stop_kho(process, log, sig=signal.SIGINT):
    process.send_signal(sig)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    log.close()


def test_app_and_worker_processes_on_relstorage_lose_no_write(postgres, tmp_path):
    settings = relstorage_settings(tmp_path, postgres, "setup")
    db = open_databases(settings)
    assert {name: type(d.storage).__name__ for name, d in db.databases.items()} == {
        "unnamed": "RelStorage", "audit": "RelStorage"}
    close_databases(db)
    token = seed_database(settings)

    # two machines, each with one ini file for all its processes: an app and
    # an OCR worker on each, the one index writer on the second
    http_ports = {machine: free_port() for machine in ("a", "b")}
    for machine, port in http_ports.items():
        write_server_ini(tmp_path / f"{machine}.ini", relstorage_settings(tmp_path, postgres, machine), port)
    servers, urls, logs, workers, indexer = [], [], [], [], []
    data = pdf_bytes(1)
    per_process, threads = 15, 8
    try:
        indexer.append(start_kho(tmp_path, "b", "indexer", "search", "indexer"))
        wait_until(lambda: os.path.isdir(tmp_path / "index") and os.listdir(tmp_path / "index"))
        workers += [start_kho(tmp_path, machine, f"worker-{machine}", "worker") for machine in ("a", "b")]
        for machine, http_port in http_ports.items():
            log = tmp_path / f"app-{machine}.log"
            logs.append(log)
            servers.append(subprocess.Popen([os.path.join(BIN, "pserve"), str(tmp_path / f"{machine}.ini")],
                                            stdout=subprocess.DEVNULL, stderr=open(log, "w")))
            urls.append(f"http://127.0.0.1:{http_port}")
        for url, log in zip(urls, logs):
            try:
                wait_until(lambda url=url: requests.get(url + "/api/v1/openapi.json", timeout=2).ok)
            except TimeoutError:
                pytest.fail(f"the app at {url} did not start:\n{log.read_text()[-3000:]}")

        ids = parallel_uploads(urls, token, per_process, threads, data=data)
        headers = {"Authorization": f"Bearer {token}"}

        def ocr_state(doc_id):
            return requests.get(f"{urls[0]}/api/v1/subjects/{OWNER}/documents/{doc_id}/ocr",
                                headers=headers, timeout=30).json()["state"]
        try:
            wait_until(lambda: all(ocr_state(doc_id) in ("done", "failed") for doc_id in ids), seconds=600)
        except TimeoutError:
            pytest.fail("OCR jobs not finished: " + str(sorted(ocr_state(doc_id) for doc_id in ids)) + "\n" +
                        "\n".join((tmp_path / f"worker-{m}.log").read_text()[-2000:] for m in ("a", "b")))
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        for process, log in workers:
            stop_kho(process, log, signal.SIGTERM)      # a worker finishes its job on SIGTERM
        for process, log in indexer:
            stop_kho(process, log)                      # the indexer stops cleanly on Ctrl-C

    retries = sum(log.read_text().count("retrying") for log in logs)
    print(f"\n{2 * per_process} concurrent uploads through two processes on RelStorage: {retries} conflict retries")

    drained = kho(tmp_path / "b.ini", "search", "indexer", "--once")
    assert drained.returncode == 0, drained.stdout + drained.stderr
    check = kho(tmp_path / "b.ini", "search", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "missing: 0" in check.stdout and "index consistent" in check.stdout, check.stdout
    audit = kho(tmp_path / "b.ini", "audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr

    db = open_databases(relstorage_settings(tmp_path, postgres, "check"))   # a fresh blob cache
    conn = db.open(transaction.TransactionManager())
    try:
        log = audit_log(conn)
        assert log.verify() == (True, None)
        added = [e for e in log if e["action"] == "add_document"]
        assert {e["document"] for e in added} == ids
        recognised = sorted(e["document"] for e in log if e["action"] == "ocr_done")
        assert recognised == sorted(ids), "each OCR job runs once, on one worker"
        jobs = [job for job in job_queue(app_root(conn)).jobs.values() if job.document_id in ids]
        assert sorted(job.state for job in jobs) == ["done"] * len(ids)
        print("OCR jobs per worker process:", dict(collections.Counter(job.worker for job in jobs)))
        documents = app_root(conn).subjects[OWNER].documents
        assert len(documents) == 2 * per_process
        for doc_id in ids:
            with documents[doc_id].original.open("r") as f:
                assert f.read() == data
    finally:
        conn.close()
        close_databases(db)
