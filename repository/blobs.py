"""Bytes kept as a ZODB blob: originals, derived copies, signed receipts
and certificates live outside the pickles, in the blob directory."""
from ZODB.blob import Blob


def blob_of(data):
    """A new blob holding `data` (bytes)."""
    blob = Blob()
    with blob.open("w") as out:
        out.write(data)
    return blob
