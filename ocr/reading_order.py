"""The order a reader takes tesseract's blocks in.

Tesseract's page layout sometimes emits a short block (a lone "Số: 47/XN-CAX"
line) after the block under it, though it sits above it in the same column;
the page text then reads that line at the end. A reader goes down a column:
a block comes before every block that it is above *and* shares its x range
with. Blocks side by side (two columns) share no x range and keep tesseract's
order, which already reads a column to its end before the next.
"""
import heapq

# x ranges "shared" when they overlap by this share of the narrower block
_X_SHARED = 0.25
# a block is "above" another when they overlap vertically by less than this
# share of the shorter one (boxes of neighbouring blocks may touch)
_Y_TOUCH = 0.5


def _above(upper, lower):
    """True when box `upper` is read before box `lower`: same x range, higher up."""
    ux0, uy0, ux1, uy1 = upper
    lx0, ly0, lx1, ly1 = lower
    narrower = min(ux1 - ux0, lx1 - lx0)
    if narrower <= 0 or min(ux1, lx1) - max(ux0, lx0) <= _X_SHARED * narrower:
        return False
    if uy0 + uy1 >= ly0 + ly1:          # centre not higher: never above (keeps the order acyclic)
        return False
    shorter = min(uy1 - uy0, ly1 - ly0)
    return uy1 - ly0 < _Y_TOUCH * max(shorter, 1)


def reading_order(boxes):
    """Indices of `boxes` ((x0, y0, x1, y1), or None for a block without one)
    in reading order: every block after the blocks above it in its column,
    otherwise tesseract's order (the lowest index first)."""
    n = len(boxes)
    after = [[] for _ in range(n)]
    waiting = [0] * n
    for i, upper in enumerate(boxes):
        for j, lower in enumerate(boxes):
            if i != j and upper and lower and _above(upper, lower):
                after[i].append(j)
                waiting[j] += 1
    ready = [i for i in range(n) if not waiting[i]]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in after[i]:
            waiting[j] -= 1
            if not waiting[j]:
                heapq.heappush(ready, j)
    return order
