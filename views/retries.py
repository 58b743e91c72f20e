"""Conflicts between processes: wait a little, at random, before each retry,
and log it, so operators see contention on ZEO/RelStorage.

Without the jitter, writers that collided retry in lockstep and collide again."""
import logging
import random
import time

from pyramid_retry import IBeforeRetry

log = logging.getLogger("kho.retry")
BASE_DELAY = 0.02     # seconds; the n-th retry waits up to n × 2 × BASE_DELAY


def log_retry(event):
    attempt = event.environ.get("retry.attempt", 0)
    log.warning("retrying %s %s after %s (attempt %s)", event.request.method, event.request.path,
                type(event.exception).__name__, attempt)
    time.sleep(random.uniform(0, BASE_DELAY * 2 * (attempt + 1)))


def includeme(config):
    config.add_subscriber(log_retry, IBeforeRetry)
