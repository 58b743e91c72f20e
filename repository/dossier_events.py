"""Who hears of a dossier's change, in the same transaction.

Every change of a dossier goes through `dossiers.note`, which calls
`notify`; features that keep something derived from dossiers (indicators,
retention dates, results) add the dotted name of their handler to
SUBSCRIBERS instead of editing the workflow. A handler is called as
handler(dossier, actor, action, detail) and may raise to abort the change."""
import importlib

SUBSCRIBERS = (
    "repository.verification:on_dossier",
    "repository.retention:on_dossier",
    "repository.indicators:on_dossier",      # service-quality counters (Decision 766)
)

_resolved = None


def _handlers():
    global _resolved
    if _resolved is None:
        handlers = []
        for dotted in SUBSCRIBERS:
            module, _, name = dotted.partition(":")
            handlers.append(getattr(importlib.import_module(module), name))
        _resolved = handlers
    return _resolved


def notify(dossier, actor, action, detail):
    for handler in _handlers():
        handler(dossier, actor, action, detail)
