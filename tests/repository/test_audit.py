import subprocess
import sys

import pytest
import transaction
from ZODB.POSException import ConflictError

from repository import audit as A
from repository.audit import GENESIS, AuditLog, audit_log, chain_hash, record, seal_db
from repository.db import open_databases, app_root, close_databases
from repository.evolve import evolve_audit_lanes
from repository.operations import create_warehouse

from ..conftest import write_ini

OWNER = "001090012345"


def test_entries_chain_to_each_other():
    log = AuditLog()
    first = log.append(actor="canbo", role="officer", action="read_content", subject="001090012345",
                       document="abc", purpose="000.15.16.H10-261128-0001")
    second = log.append(actor="congdan", role="citizen", action="add_document", subject="001090012345")
    assert first["prev"] == GENESIS
    assert second["prev"] == first["hash"] == chain_hash(first)
    assert log.verify() == (True, None)


def log_of(n):
    """An audit log with n entries by n officers."""
    log = AuditLog()
    for i in range(n):
        log.append(actor=f"u{i}", role="officer", action="read_content", subject="001090012345")
    return log


def test_verify_names_the_first_altered_entry():
    log = log_of(5)
    tampered = dict(log.entries[3])
    tampered["purpose"] = "something else"
    log.entries[3] = tampered
    assert log.verify() == (False, (3, "entry content does not match its hash"))


def test_verify_names_a_removed_entry():
    log = log_of(4)
    del log.entries[2]
    assert log.verify() == (False, (2, "entry missing"))


def test_verify_notices_a_truncated_tail():
    log = log_of(4)
    del log.entries[4]
    ok, (seq, reason) = log.verify()
    assert not ok and seq == 4


# -- lanes and the sealer ------------------------------------------------------

class Actor:
    def __init__(self, username, roles=("officer",), desk=None):
        self.username, self.roles, self.desk = username, frozenset(roles), desk


@pytest.fixture
def db(settings):
    db = open_databases(settings)
    yield db
    close_databases(db)


def opened(db):
    conn = db.open(transaction.TransactionManager())
    return conn, app_root(conn)


def test_two_connections_appending_at_once_do_not_conflict(db):
    """Two transactions, each with its own connection, audit at the same time
    and both commit: neither touches what the other wrote."""
    seal_db(db)                       # what the seed wrote
    c1, r1 = opened(db)
    c2, r2 = opened(db)
    c1.transaction_manager.begin()
    c2.transaction_manager.begin()
    for i in range(70):               # beyond one bucket of each lane
        record(r1, Actor("canbo"), "read_content", subject=OWNER, document=f"a{i}", purpose="P1")
        record(r2, Actor("xuly"), "read_content", subject=OWNER, document=f"b{i}", purpose="P2")
    c1.transaction_manager.commit()
    c2.transaction_manager.commit()          # no ConflictError
    c1.close(), c2.close()
    conn, root = opened(db)
    log = audit_log(conn)
    assert log.pending_count() == 140 and log.verify() == (True, None)
    conn.close()


def test_the_old_algorithm_conflicted(db):
    """The reference: appending to the one chain from two transactions conflicts."""
    c0, r0 = opened(db)
    with c0.transaction_manager:
        A.sealed_log(c0)
    c0.close()
    c1, _ = opened(db)
    c2, _ = opened(db)
    A.sealed_log(c1).append(actor="a", role="officer", action="x")
    A.sealed_log(c2).append(actor="b", role="officer", action="x")
    c1.transaction_manager.commit()
    with pytest.raises(ConflictError):
        c2.transaction_manager.commit()
    c2.transaction_manager.abort()
    c1.close(), c2.close()


def test_sealing_folds_lanes_oldest_first_and_keeps_each_lane_in_order(db):
    import datetime
    t0 = datetime.datetime(2026, 12, 1, 7, 0, tzinfo=datetime.timezone.utc)
    c1, r1 = opened(db)
    c2, r2 = opened(db)
    c1.transaction_manager.begin(), c2.transaction_manager.begin()
    minute = datetime.timedelta(minutes=1)
    for i in (0, 2, 4):
        record(r1, Actor("canbo"), "read_content", subject=OWNER, document=f"d{i}", when=t0 + i * minute)
    for i in (1, 3, 5):
        record(r2, Actor("xuly"), "read_content", subject=OWNER, document=f"d{i}", when=t0 + i * minute)
    c1.transaction_manager.commit(), c2.transaction_manager.commit()
    c1.close(), c2.close()
    conn, root = opened(db)
    before = [e["document"] for e in audit_log(conn) if (e["document"] or "").startswith("d")]
    conn.close()
    assert before == ["d0", "d1", "d2", "d3", "d4", "d5"]        # pending, in the order they will be sealed
    sealed, broken = seal_db(db)
    assert sealed >= 6 and broken == []
    conn, root = opened(db)
    log = audit_log(conn)
    assert log.pending_count() == 0 and log.verify() == (True, None)
    docs = [e["document"] for e in log.sealed.entries.values() if (e["document"] or "").startswith("d")]
    assert docs == ["d0", "d1", "d2", "d3", "d4", "d5"]
    seqs = [e["seq"] for e in log.sealed.entries.values()]
    assert seqs == list(range(1, len(seqs) + 1))
    conn.close()
    # the sealed entries leave the lanes, but each lane's last `keep`
    conn, root = opened(db)
    with conn.transaction_manager:
        log = audit_log(conn)
        assert A.prune(log.conn, keep=1, surplus=0) > 0
        assert sum(len(lane.entries) for lane in log.lanes.lanes.values()) <= len(log.lanes.lanes)
    assert audit_log(conn).verify() == (True, None)
    conn.close()


def test_entries_appended_while_sealing_are_sealed_next_time(db):
    conn, root = opened(db)
    with conn.transaction_manager:
        record(root, Actor("canbo"), "read_content", subject=OWNER, document="x1")
    writer, wroot = opened(db)
    writer.transaction_manager.begin()
    record(wroot, Actor("canbo"), "read_content", subject=OWNER, document="x2")
    seal_db(db)                                    # seals x1 (x2 is not committed)
    writer.transaction_manager.commit()            # no conflict with the sealer
    writer.close()
    seal_db(db)
    conn.sync()
    log = audit_log(conn)
    docs = [e["document"] for e in log.sealed.entries.values() if e["document"] in ("x1", "x2")]
    assert docs == ["x1", "x2"] and log.pending_count() == 0 and log.verify() == (True, None)
    conn.close()


def test_verify_names_a_broken_pending_entry_and_the_sealer_stops_there(db):
    conn, root = opened(db)
    with conn.transaction_manager:
        for i in range(3):
            record(root, Actor("canbo"), "read_content", subject=OWNER, document=f"p{i}")
    with conn.transaction_manager:
        log = audit_log(conn)
        lane = A.lane_of(log.conn)
        entry = dict(lane.entries[2])
        entry["purpose"] = "made up"
        lane.entries[2] = entry
    log = audit_log(conn)
    ok, (where, reason) = log.verify()
    assert not ok and where == f"{lane.lane_id}#2" and "pending" in reason
    sealed, broken = seal_db(db)
    assert broken == [f"{lane.lane_id}#2"]
    conn.sync()
    log = audit_log(conn)
    assert [e["document"] for e in log.sealed.entries.values()][-1] == "p0"     # the lane stops before the broken one
    conn.close()


def test_verify_names_a_removed_pending_entry(db):
    conn, root = opened(db)
    with conn.transaction_manager:
        for i in range(3):
            record(root, Actor("canbo"), "read_content", subject=OWNER, document=f"p{i}")
    with conn.transaction_manager:
        lane = A.lane_of(audit_log(conn).conn)
        del lane.entries[lane.next - 2]
    ok, (where, reason) = audit_log(conn).verify()
    assert not ok and where == f"{lane.lane_id}#{lane.next - 2}"
    conn.close()


def test_record_apart_uses_a_lane_of_its_own(db):
    conn, root = opened(db)
    conn.transaction_manager.begin()
    record(root, Actor("canbo"), "read_content", subject=OWNER, document="in-request")
    A.record_apart(root, Actor("canbo"), "read_refused", subject=OWNER, document="apart")
    conn.transaction_manager.commit()            # the apart commit did not touch this lane
    log = audit_log(conn)
    docs = [e["document"] for e in log]
    assert docs[-2:] == ["apart", "in-request"] or docs[-2:] == ["in-request", "apart"]
    assert log.verify() == (True, None)
    conn.close()


def test_index_by_owner_and_paper(db):
    conn, root = opened(db)
    with conn.transaction_manager:
        officer = Actor("canbo", desk="000.16.16.H10")
        record(root, officer, "read_content", subject=OWNER, document="gks", purpose="D1")
        record(root, officer, "reuse", subject=OWNER, document="cccd", purpose="D1")
        record(root, officer, "read_content", subject="079203000001", document="other", purpose="D2")
        record(root, officer, "search_read", subject=OWNER, purpose="D1",
               detail={"query": "x", "papers": ["gks", "hk"]})
        record(root, Actor("congdan", ("citizen",)), "read_content", subject=OWNER, document="gks",
               purpose="owner")                               # the owner's own read: not a use
        record(root, officer, "add_document", subject=OWNER, document="gks")     # not a read
    seal_db(db)
    conn.sync()
    log = audit_log(conn)
    index = log.sealed.index
    seqs, total = index.seqs(OWNER)
    assert total == 3
    actions = [log.sealed.entries[s]["action"] for s in seqs]
    assert actions == ["search_read", "reuse", "read_content"]          # newest first
    gks, total = index.seqs(OWNER, "gks")
    assert total == 2 and [log.sealed.entries[s]["action"] for s in gks] == ["search_read", "read_content"]
    assert index.seqs(OWNER, "hk")[1] == 1
    assert index.seqs("079203000001")[1] == 1
    assert index.seqs(OWNER, offset=1, limit=1)[0] == seqs[1:2]
    # the same as a scan of the chain
    scanned = [r["seq"] for r in log.sealed if A.is_use(r) and r["subject"] == OWNER]
    assert sorted(scanned, reverse=True) == index.seqs(OWNER, limit=1000)[0]
    assert log.sealed.entries[seqs[0]]["unit"] == "000.16.16.H10"
    conn.close()


def test_evolve_step_keeps_an_old_chain_verifying_and_indexes_it(db):
    """A chain written by the old algorithm (no lanes, no index) verifies
    after the step, and its uses are indexed."""
    conn, root = opened(db)
    with conn.transaction_manager:
        aroot = conn.get_connection("audit").root()
        old = AuditLog()
        old.lane_marks = None
        old.index = None
        for i in range(5):
            old.append(actor="canbo", role="officer", action="read_content", subject=OWNER,
                       document=f"o{i}", purpose="D")
        del aroot[A.LANES_KEY]
        aroot[A.LOG_KEY] = old
    with conn.transaction_manager:
        evolve_audit_lanes(conn.root())
    log = audit_log(conn)
    assert log.verify() == (True, None) and len(log) == 5
    assert log.sealed.index.seqs(OWNER)[0] == [5, 4, 3, 2, 1]
    with conn.transaction_manager:
        record(root, Actor("xuly"), "read_content", subject=OWNER, document="new")
    seal_db(db)
    conn.sync()
    log = audit_log(conn)
    assert len(log.sealed) == 6 and log.verify() == (True, None)
    assert log.sealed.entries[6]["prev"] == log.sealed.entries[5]["hash"]
    conn.close()


@pytest.mark.slow  # `kho audit verify` in subprocesses (~2 s); the verify tests above stay in test-fast
def test_kho_audit_verify_command_names_the_broken_link(settings, tmp_path):
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        root = app_root(conn)
        officer = root.accounts.users["canbo"]
        create_warehouse(root, "079203000001", "Lê Văn Bình", officer)
        create_warehouse(root, "079305000002", "Lê Thị Cúc", officer)
    conn.close()
    close_databases(db)
    ini = write_ini(tmp_path, settings)

    def kho(*args):
        return subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "audit", *args],
                              capture_output=True, text=True)

    ok = kho("verify")
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout and "pending" in ok.stdout
    sealed = kho("seal")
    assert sealed.returncode == 0 and "sealed" in sealed.stdout, sealed.stderr
    assert "0 pending" in kho("verify").stdout

    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        log = audit_log(conn)
        seq = log.sealed.length - 1
        entry = dict(log.entries[seq])
        entry["actor"] = "someone-else"
        log.entries[seq] = entry
    conn.close()
    close_databases(db)

    broken = kho("verify")
    assert broken.returncode == 1
    assert f"BROKEN at entry {seq}" in broken.stderr
    tail = kho("tail", "-n", "3")
    assert tail.returncode == 0 and len(tail.stdout.splitlines()) == 3
    uses = kho("uses", "079203000001")
    assert uses.returncode == 0 and uses.stdout.startswith("0 uses"), uses.stderr


def test_undo_in_the_main_database_leaves_the_audit_trail(settings):
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        root = app_root(conn)
        create_warehouse(root, "079203000001", "Lê Văn Bình", root.accounts.users["canbo"])
    length_before = len(audit_log(conn))
    undo_id = db.undoLog(0, 1)[0]["id"]
    with conn.transaction_manager:
        db.undo(undo_id, conn.transaction_manager.get())
    conn.sync()
    assert "079203000001" not in app_root(conn).subjects       # the main database was undone
    log = audit_log(conn)
    assert len(log) == length_before and log.verify() == (True, None)
    assert log.entries[len(log)]["action"] == "create_warehouse"
    conn.close()
    close_databases(db)


def test_a_command_on_a_database_in_use_says_so(settings, tmp_path):
    db = open_databases(settings)            # the running app holds the FileStorage lock
    try:
        ini = write_ini(tmp_path, settings)
        busy = subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "audit", "verify"],
                              capture_output=True, text=True)
    finally:
        close_databases(db)
    assert busy.returncode == 75
    assert "open in another process" in busy.stderr and "Traceback" not in busy.stderr


def test_verify_notices_a_removed_lane(db):
    conn, root = opened(db)
    with conn.transaction_manager:
        record(root, Actor("canbo"), "read_content", subject=OWNER, document="l1")
    seal_db(db)
    conn.sync()
    with conn.transaction_manager:
        lanes = audit_log(conn).lanes.lanes
        lane_id = A.lane_of(audit_log(conn).conn).lane_id
        del lanes[lane_id]
    ok, (where, reason) = audit_log(conn).verify()
    assert not ok and where.startswith(lane_id) and "missing" in reason
    conn.close()


def test_what_counts_as_a_use():
    base = {"subject": OWNER, "document": "d", "actor": "canbo", "role": "officer"}
    assert A.is_use(dict(base, action="read_content", purpose="D1"))
    assert A.is_use(dict(base, action="read_metadata", purpose="metadata"))
    assert not A.is_use(dict(base, action="add_document"))
    assert not A.is_use(dict(base, action="read_content", purpose="owner", actor="congdan", role="citizen"))
    assert not A.is_use(dict(base, action="issue_copy", purpose=None, actor="congdan", role="citizen"))
    assert not A.is_use(dict(base, action="read_content", actor=f"subject:{OWNER}", role="citizen",
                             purpose="reuse_preview:D1"))
    assert A.is_use(dict(base, action="reuse", purpose="D1", actor="congdan", role="citizen"))
    assert A.is_use(dict(base, action="read_content", purpose="D1", actor="congdan2", role="citizen"))
    assert not A.is_use(dict(base, action="read_content", subject=None))
