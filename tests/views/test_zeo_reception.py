"""Dossier codes under concurrent receptions: a real ZEO server, two app
processes, and client processes that receive dossiers through the API at
the same desk at once (and a few at another desk). Every code is unique,
each unit's sequence of the day runs 1..n without a gap, every dossier is in
the unit and person indexes, and the audit chain holds."""
import multiprocessing
import os
import queue
import subprocess

import pytest
import requests
import transaction

from repository.audit import audit_log
from repository.db import app_root, close_databases, open_databases
from repository.operations import create_warehouse

from .test_zeo import (BIN, free_port, seed_database, wait_until, write_server_ini, zeo,  # noqa: F401
                       zeo_settings)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("zeo")]

DESK, OTHER_DESK = "000.15.16.H10", "000.16.16.H10"      # canbo and buudien; canbo2
PERSONS = [("001090012345", None, None, None), ("010195004321", None, None, None),
           ("001085001111", "Lê Văn Bình", "1985-02-03", "male"),
           ("001188002222", "Trần Thị Cúc", "1988-07-09", "female"),
           ("019092003333", "Hoàng Văn Dũng", "1992-11-20", "male"),
           ("015197004444", "Đỗ Thị Én", "1997-04-15", "female")]
SINGLE = ["1.004227", "2.001417", "1.001193", "2.000815", "1.001978"]
SAME_DESK_CLIENTS, PER_CLIENT, OTHER_DESK_RECEPTIONS = 4, 25, 5


def receive_many(index, urls, token, count, barrier, results):
    """A client process: `count` receptions, one after another, alternating
    between the app processes; every response is kept (status, code or body)."""
    import random
    rng = random.Random(index)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    ids = [p[0] for p in PERSONS]
    out = []
    barrier.wait(timeout=120)
    for n in range(count):
        applicant = rng.choice(ids)
        if n % 5 == 4:      # a marriage registration names the other party
            body = {"procedure_code": "1.000894", "applicant_id": applicant,
                    "others": [rng.choice([i for i in ids if i != applicant])]}
        else:
            body = {"procedure_code": rng.choice(SINGLE), "applicant_id": applicant, "others": []}
        response = session.post(f"{urls[(index + n) % 2]}/api/v1/dossiers", json=body, timeout=120)
        out.append((response.status_code, response.json().get("code") if response.status_code == 201
                    else response.text[:500]))
    results.put((index, out))


def test_parallel_receptions_at_one_desk_get_unique_gap_free_codes(zeo, tmp_path):
    def prepare(root):
        for subject_id, name, birth, sex in PERSONS:
            if subject_id not in root.subjects:
                create_warehouse(root, subject_id, name, None, birth_date=birth, sex=sex)
        same_desk = [root.accounts.issue_token(("canbo", "buudien")[i % 2])
                     for i in range(SAME_DESK_CLIENTS)]
        return same_desk, root.accounts.issue_token("canbo2")
    same_desk, other_desk = seed_database(zeo_settings(tmp_path, zeo, "setup"), prepare)

    servers, urls, logs = [], [], []
    ctx = multiprocessing.get_context("spawn")
    clients = []
    try:
        for n in (1, 2):
            http_port = free_port()
            ini = tmp_path / f"app{n}.ini"
            write_server_ini(ini, zeo_settings(tmp_path, zeo, f"app{n}"), http_port)
            logs.append(tmp_path / f"app{n}.log")
            servers.append(subprocess.Popen([os.path.join(BIN, "pserve"), str(ini)],
                                            stdout=subprocess.DEVNULL, stderr=open(logs[-1], "w")))
            urls.append(f"http://127.0.0.1:{http_port}")
        for url in urls:
            wait_until(lambda url=url: requests.get(url + "/api/v1/openapi.json", timeout=2).ok)

        barrier, results = ctx.Barrier(SAME_DESK_CLIENTS + 1), ctx.Queue()
        plan = [(i, same_desk[i], PER_CLIENT) for i in range(SAME_DESK_CLIENTS)]
        plan.append((SAME_DESK_CLIENTS, other_desk, OTHER_DESK_RECEPTIONS))
        for index, token, count in plan:
            clients.append(ctx.Process(target=receive_many, args=(index, urls, token, count, barrier, results)))
            clients[-1].start()
        responses = {}
        while len(responses) < len(plan):
            try:
                index, out = results.get(timeout=1)
                responses[index] = out
            except queue.Empty:
                assert all(c.exitcode in (None, 0) for c in clients), "a client process failed"
    finally:
        for client in clients:
            client.join(10)
            if client.is_alive():
                client.terminate()
        for server in servers:
            server.terminate()
            server.wait(10)

    every = [r for out in responses.values() for r in out]
    assert [status for status, _ in every] == [201] * len(every), every
    codes = [code for _, code in every]
    assert len(set(codes)) == len(codes) == SAME_DESK_CLIENTS * PER_CLIENT + OTHER_DESK_RECEPTIONS
    assert sum(code.startswith(DESK + "-") for code in codes) == SAME_DESK_CLIENTS * PER_CLIENT
    assert {c for c in codes if not c.startswith(DESK + "-")} == set(
        code for _, code in responses[SAME_DESK_CLIENTS])
    retries = sum(log.read_text().count("retrying") for log in logs)
    print(f"\n{len(codes)} concurrent receptions through two processes: {retries} conflict retries")

    db = open_databases(zeo_settings(tmp_path, zeo, "check"))
    conn = db.open(transaction.TransactionManager())
    dossiers = app_root(conn).dossiers
    assert set(dossiers.keys()) == set(codes)
    days = {}
    for code in codes:
        unit, day, seq = code.rsplit("-", 2)
        days.setdefault((unit, day), []).append(int(seq))
    for key, seqs in days.items():     # each unit's day runs 1..n (a run across midnight: two days)
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), key
        assert dossiers.sequences[key].value == len(seqs), key
    for code in codes:
        dossier = dossiers[code]
        assert dossier.desk == code.rsplit("-", 2)[0]
        assert code in dossiers.by_unit[dossier.desk] and code in dossiers.by_unit[dossier.agency]
        for person in dossier.persons:
            assert code in dossiers.by_person[person]
        assert dossier.timeline[0]["action"] == "received"
    log = audit_log(conn)
    assert log.verify() == (True, None)
    received = [e for e in log if e["action"] == "dossier_received"]
    assert sorted(e["purpose"] for e in received) == sorted(codes)
    conn.close()
    close_databases(db)
