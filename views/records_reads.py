"""What the records console's page and API share: a records manager seeing
persons' names and papers in a list (the review queue, the persons'
requests) is a metadata read, audited under each owner."""
from repository.reading import record_metadata_read


def note_seen(root, user, owners, what):
    """One `read_metadata` entry (purpose retention_review) per owner listed."""
    for owner in sorted({o for o in owners if o}):
        record_metadata_read(root, user, owner, purpose="retention_review", detail={"seen": what})
