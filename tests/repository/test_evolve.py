import os
import shutil

import transaction
import ZODB
import ZODB.FileStorage

from repository.db import ROOT_KEY
from repository.evolve import GENERATION, evolve, generation_of

from ..conftest import FIXTURES


def open_copy(tmp_path):
    path = tmp_path / "Data.fs"
    shutil.copy(os.path.join(FIXTURES, "generation1.fs"), path)
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(path)))
    return db, db.open(transaction.TransactionManager())


def test_a_generation_1_database_evolves_to_the_current_generation(tmp_path):
    db, conn = open_copy(tmp_path)
    root = conn.root()[ROOT_KEY]
    assert generation_of(conn.root()) == 1
    assert not hasattr(root.subjects["001090012345"], "consents")
    assert not hasattr(root.catalogues, "retention")

    assert evolve(conn) == list(range(2, GENERATION + 1))
    conn.close()
    db.close()

    db, conn = ZODB.DB(ZODB.FileStorage.FileStorage(str(tmp_path / "Data.fs"))), None
    conn = db.open()
    root = conn.root()[ROOT_KEY]
    assert root.generation == GENERATION
    for warehouse in root.subjects.values():
        assert len(warehouse.consents) == 0 and warehouse.consents.__parent__ is warehouse
    assert root.catalogues.retention["permanent"].years is None
    assert root.catalogues.retention["10y"].years == 10
    assert len(root.jobs.jobs) == 0 and len(root.jobs.queued) == 0
    assert evolve(conn) == []      # nothing left to do
    conn.close()
    db.close()


def test_each_step_is_its_own_transaction(tmp_path):
    db, conn = open_copy(tmp_path)
    evolve(conn)
    notes = [t["description"] for t in db.storage.undoLog(0, 100)]
    assert any(b"generation 2" in n for n in notes)
    conn.close()
    db.close()
