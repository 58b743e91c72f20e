import subprocess
import sys

import transaction

from repository.audit import GENESIS, AuditLog, audit_log, chain_hash
from repository.db import open_databases, app_root, close_databases
from repository.operations import create_warehouse

from ..conftest import write_ini


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

    ok = subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "audit", "verify"],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout

    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    with conn.transaction_manager:
        log = audit_log(conn)
        seq = len(log) - 1
        entry = dict(log.entries[seq])
        entry["actor"] = "someone-else"
        log.entries[seq] = entry
    conn.close()
    close_databases(db)

    broken = subprocess.run([sys.executable, "-m", "repository.cli", "-c", ini, "audit", "verify"],
                            capture_output=True, text=True)
    assert broken.returncode == 1
    assert f"BROKEN at entry {seq}" in broken.stderr


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
