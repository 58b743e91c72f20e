"""Log each retry after a conflict, so operators see contention on ZEO/RelStorage."""
import logging

from pyramid_retry import IBeforeRetry

log = logging.getLogger("kho.retry")


def log_retry(event):
    log.warning("retrying %s %s after %s (attempt %s)", event.request.method, event.request.path,
                type(event.exception).__name__, event.environ.get("retry.attempt", "?"))


def includeme(config):
    config.add_subscriber(log_retry, IBeforeRetry)
