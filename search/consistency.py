"""Compare what the repository holds with what the index holds."""
from dataclasses import dataclass

__all__ = ["StampDrift", "compare_stamps"]


@dataclass(frozen=True)
class StampDrift:
    missing: list    # in the repository, not in the index: index them
    stale: list      # indexed with another stamp: re-index them
    orphaned: list   # in the index only: delete them

    def __bool__(self):
        return bool(self.missing or self.stale or self.orphaned)


def compare_stamps(expected, indexed):
    """`expected` {doc_id: stamp} from the repository, `indexed` from
    SearchIndex.stamps(); returns the sorted differences."""
    missing = sorted(d for d in expected if d not in indexed)
    stale = sorted(d for d in expected if d in indexed and indexed[d] != expected[d])
    orphaned = sorted(d for d in indexed if d not in expected)
    return StampDrift(missing, stale, orphaned)
