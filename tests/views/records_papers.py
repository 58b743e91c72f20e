"""A paper added straight into the app's database (as canbo, uploaded), for
the records tests to find, review and destroy."""
import transaction

from repository.operations import add_document

from ..files import pdf_bytes

OWNER = "001090012345"


def add_paper(app, meta, owner=OWNER, text="GIẤY RIÊNG"):
    """The new paper's id; meta completes {"provenance": "uploaded"}."""
    tm = transaction.TransactionManager()
    conn = app.registry._zodb_databases[""].open(tm)
    try:
        with tm:
            root = conn.root()["kho"]
            document = add_document(root, root.subjects[owner], pdf_bytes(text=text), "x.pdf",
                                    dict({"provenance": "uploaded"}, **meta), root.accounts.users["canbo"])
            return document.__name__
    finally:
        conn.close()
