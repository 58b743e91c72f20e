"""The repository's tests work on a copy of the seeded database, without the app."""
import pytest
import transaction

from repository.db import app_root, close_databases, open_databases


@pytest.fixture
def root(settings):
    """The app root in a connection of its own (aborted at the end)."""
    db = open_databases(settings)
    conn = db.open(transaction.TransactionManager())
    yield app_root(conn)
    conn.transaction_manager.abort()
    conn.close()
    close_databases(db)
