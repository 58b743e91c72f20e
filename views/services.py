"""The services of the web layer: registered once, looked up, never hung on
the registry as attributes.

Each service has a small zope.interface interface below. The app registers
it at start (views.startup) with pyramid_services' `config.register_service`;
a view finds it with `request.find_service(ISearchIndex)`, code without a
request (start, shutdown, tests) with `lookup(registry, ISearchIndex)`.

A service that is not configured is registered as None (the search index
without kho.index_dir), or not at all (a background thread the settings do
not ask for): `lookup` then answers None.

Signing keys are not a service here: the repository's signing functions,
which the `kho` command uses too, open an account's signer from the
settings for each signature and close it after
(repository.signatures.load_signer)."""
from pyramid.config import Configurator
from zope.interface import Attribute, Interface


class ISearchIndex(Interface):
    """The full-text index for reads (search.open_index), or None when
    kho.index_dir is not set."""

    def search(*args, **kw):
        """Run a query (see the search library)."""

    def warm(stop=None):
        """Read the commonest posting lists into memory; the number read."""


class IIndexer(Interface):
    """The one writer of the index in this process (kho.search.indexer =
    embedded): repository.indexing.IndexerThread."""

    indexer = Attribute("the repository.indexing.Indexer it runs")

    def kick():
        """Apply the queue now (after a commit)."""

    def shutdown():
        """Stop the thread and close the index."""


class ISearchWarming(Interface):
    """The background reader that keeps the index's common lists warm."""

    def shutdown():
        """Stop warming."""


class IOCRWorker(Interface):
    """The OCR worker thread of this process (kho.ocr.embedded_worker =
    true): it claims jobs of the OCR queue (repository.ocr_jobs, records in
    ZODB that any worker process may claim)."""

    def shutdown():
        """Stop after the page at hand."""


class IAuditSealer(Interface):
    """The audit trail's sealer thread (kho.audit.sealer = embedded)."""

    def shutdown():
        """Stop sealing."""


class IRetentionJob(Interface):
    """The nightly retention run (repository.retention.NightlyThread)."""

    def shutdown():
        """Stop the thread."""


#: the background services, in the order shutdown stops them
BACKGROUND = (ISearchWarming, IOCRWorker, IIndexer, IAuditSealer, IRetentionJob)


def register(registry, iface, service):
    """Register service (an object, or None) as the one iface of the app."""
    config = Configurator(registry=registry)
    config.register_service(service, iface)
    config.commit()


def lookup(registry, iface):
    """The service registered for iface, or None (no request needed)."""
    config = Configurator(registry=registry)
    try:
        factory = config.find_service_factory(iface)
    except LookupError:
        return None
    return factory(None, None)


def includeme(config):
    config.include("pyramid_services")
