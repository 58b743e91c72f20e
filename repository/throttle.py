"""Log-in throttling shared by every app process.

Failed log-ins are counted per key (("account", name) and ("address", ip))
in windows of WINDOW seconds: root.throttle.windows maps a window's number
to a small OOBTree of key → BTrees.Length counter. A failure adds one to
its key's counter (Length resolves concurrent additions, and different keys
live in different counters), a check only reads, and whole windows older
than the span are dropped at once. A successful log-in does not write
unless its account had failures to forget. Nothing here is touched by
every log-in: no shared head, no global counter.

A failure is counted in a transaction of its own (`note_failure_apart`),
so that it stays counted whatever becomes of the request that saw it."""
import math
import time
from typing import NamedTuple

from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent

WINDOW = 300            # seconds per window


class Limits(NamedTuple):
    """After `account` failures for one account name, or `address` failures
    from one client address, within `span` seconds, log-ins for it are
    refused until the oldest failures are older than the span."""
    account: int = 5
    address: int = 20
    span: float = 15 * 60.0


class Throttle(Persistent):
    def __init__(self):
        self.windows = IOBTree()        # window number → OOBTree: key → Length


def throttle_of(root):
    found = getattr(root, "throttle", None)
    if found is None:
        found = root.throttle = Throttle()
    return found


def account_key(name):
    return ("account", (name or "").casefold()[:200])


def address_key(address):
    return ("address", (address or "-")[:100])


def _window(now):
    return int(now // WINDOW)


def _first_window(now, span):
    """The oldest window that still holds failures within the span."""
    return int((now - span) // WINDOW)


def counts(root, key, now=None, span=Limits().span):
    """[(window, failures)] of key within the span, oldest first."""
    now = time.time() if now is None else now
    windows = getattr(root, "throttle", None)
    if windows is None:
        return []
    found = []
    for number, counters in windows.windows.items(min=_first_window(now, span)):
        counter = counters.get(key)
        if counter is not None and counter():
            found.append((number, counter()))
    return found


def failures(root, key, now=None, span=Limits().span):
    return sum(n for _, n in counts(root, key, now, span))


def retry_after(root, keyed_limits, now=None, span=Limits().span):
    """Seconds until a log-in may be tried again (0: now), for
    keyed_limits = [(key, limit)]: the longest wait of any key at its limit."""
    now = time.time() if now is None else now
    wait = 0.0
    for key, limit in keyed_limits:
        found = counts(root, key, now, span)
        total = sum(n for _, n in found)
        for number, n in found:                 # the oldest windows leave the span first
            if total < limit:
                break
            total -= n
            wait = max(wait, (number + 1) * WINDOW + span - now)
    return int(math.ceil(wait))


def note_failure(root, keys, now=None, span=Limits().span):
    """Count one failure for each key; returns {key: failures within the span}."""
    now = time.time() if now is None else now
    throttle = throttle_of(root)
    number = _window(now)
    counters = throttle.windows.get(number)
    if counters is None:
        counters = throttle.windows[number] = OOBTree()
        for old in list(throttle.windows.keys(max=_first_window(now, span), excludemax=True)):
            del throttle.windows[old]
    for key in keys:
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = Length(0)
        counter.change(1)
    return {key: failures(root, key, now, span) for key in keys}


def note_failure_apart(root, keys, now=None, span=Limits().span, attempts=5):
    """note_failure in a transaction of its own on the same database,
    committed at once (retried on a conflict)."""
    from .db import ROOT_KEY, apart
    return apart(root._p_jar.db(), lambda conn: note_failure(conn.root()[ROOT_KEY], keys, now, span), attempts)


def forget(root, key, now=None, span=Limits().span):
    """Forget key's failures (after a successful log-in); writes only if it had some."""
    now = time.time() if now is None else now
    throttle = getattr(root, "throttle", None)
    if throttle is None:
        return
    for _, counters in throttle.windows.items(min=_first_window(now, span)):
        if key in counters:
            del counters[key]
