"""The seam for more machines: a real ZEO server and two app processes writing
to the same warehouse at once. No write may be lost; conflicts are retried."""
import concurrent.futures
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest
import requests
import transaction

from repository.audit import audit_log
from repository.db import app_root, close_databases, open_databases
from repository.evolve import evolve
from repository.seed import seed_demo

from ..files import pdf_bytes

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("zeo")]

OWNER = "001090012345"
BIN = os.path.dirname(sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.2)
    raise TimeoutError("service did not come up")


def seed_database(settings, prepare=lambda root: root.accounts.issue_token("canbo")):
    """Evolve and seed the databases the settings name; returns prepare(root),
    run in the same transaction (by default a bearer token for canbo)."""
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    evolve(conn)
    with conn.transaction_manager:
        root = app_root(conn)
        seed_demo(root)
        prepared = prepare(root)
    conn.close()
    close_databases(db)
    return prepared


def parallel_uploads(urls, token, per_process, threads=8, data=None):
    """per_process uploads through each app at once; every one must succeed and
    each app must see all of them. Returns the new papers' ids."""
    headers = {"Authorization": f"Bearer {token}"}
    data = data or pdf_bytes(1)

    def upload(i):
        url = urls[i % len(urls)]
        response = requests.post(f"{url}/api/v1/subjects/{OWNER}/documents", headers=headers,
                                 files={"file": (f"scan-{i}.pdf", data, "application/pdf")},
                                 data={"type_code": "GKS", "number": f"{i}/2026"}, timeout=120)
        return response.status_code, response.json().get("id") if response.status_code == 201 else response.text

    total = len(urls) * per_process
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(upload, range(total)))
    assert [status for status, _ in results] == [201] * total, results
    ids = {doc_id for _, doc_id in results}
    assert len(ids) == total
    for url in urls:     # each process sees every write of the other
        listing = requests.get(f"{url}/api/v1/subjects/{OWNER}/documents", headers=headers).json()
        assert {d["id"] for d in listing["items"]} == ids
    return ids


@pytest.fixture
def zeo(tmp_path):
    port = free_port()
    conf = tmp_path / "zeo.conf"
    conf.write_text(textwrap.dedent(f"""
        <zeo>
          address 127.0.0.1:{port}
        </zeo>
        <filestorage 1>
          path {tmp_path}/Data.fs
          blob-dir {tmp_path}/blobs
        </filestorage>
        <filestorage audit>
          path {tmp_path}/Audit.fs
        </filestorage>
        """))
    server = subprocess.Popen([os.path.join(BIN, "runzeo"), "-C", str(conf)],
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "zeo.log", "w"))
    wait_until(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True)
    yield port
    server.terminate()
    server.wait(10)


def zeo_settings(tmp_path, port, client):
    cache = tmp_path / f"blobcache-{client}"
    return {
        "zodbconn.uri": f"zeo://127.0.0.1:{port}?storage=1&blob_dir={cache}&shared_blob_dir=false",
        "zodbconn.uri.audit": f"zeo://127.0.0.1:{port}?storage=audit",
        "kho.var": str(tmp_path / f"var-{client}"),
        "kho.cache_dir": str(tmp_path / f"var-{client}" / "cache"),
        "kho.session_secret": "zeo-test-" + "y" * 40,
        "kho.auto_evolve": "false",
        "retry.attempts": "20",
    }


def write_server_ini(path, settings, http_port):
    lines = ["[app:main]", "use = egg:kho", "pyramid.includes ="]
    lines += [f"{k} = {v}" for k, v in settings.items()]
    lines += ["", "[server:main]", "use = egg:waitress#main", f"listen = 127.0.0.1:{http_port}", "threads = 4",
              "", "[loggers]", "keys = root", "[handlers]", "keys = console", "[formatters]", "keys = plain",
              "[logger_root]", "level = WARNING", "handlers = console",
              "[handler_console]", "class = StreamHandler", "args = (sys.stderr,)", "formatter = plain",
              "[formatter_plain]", "format = %(name)s %(message)s"]
    path.write_text("\n".join(lines) + "\n")


def test_two_app_processes_on_one_zeo_lose_no_write(zeo, tmp_path):
    token = seed_database(zeo_settings(tmp_path, zeo, "setup"))

    servers, urls, logs = [], [], []
    try:
        for n in (1, 2):
            http_port = free_port()
            ini = tmp_path / f"app{n}.ini"
            write_server_ini(ini, zeo_settings(tmp_path, zeo, f"app{n}"), http_port)
            log = tmp_path / f"app{n}.log"
            logs.append(log)
            servers.append(subprocess.Popen([os.path.join(BIN, "pserve"), str(ini)],
                                            stdout=subprocess.DEVNULL, stderr=open(log, "w")))
            urls.append(f"http://127.0.0.1:{http_port}")
        for url in urls:
            wait_until(lambda url=url: requests.get(url + "/api/v1/openapi.json", timeout=2).ok)

        per_process = 15
        ids = parallel_uploads(urls, token, per_process)
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)

    retries = sum(log.read_text().count("retrying") for log in logs)
    print(f"\n{2 * per_process} concurrent uploads through two processes: {retries} conflict retries")

    db = open_databases(zeo_settings(tmp_path, zeo, "check"))
    conn = db.open(transaction.TransactionManager())
    log = audit_log(conn)
    assert log.verify() == (True, None)
    added = [e for e in log if e["action"] == "add_document"]
    assert {e["document"] for e in added} == ids
    assert len(app_root(conn).subjects[OWNER].documents) == 2 * per_process
    conn.close()
    close_databases(db)
