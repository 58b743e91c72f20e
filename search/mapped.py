"""Segment files read straight from the memory map, never copied.

Why: Whoosh opens each file inside a compound segment as a BufferFile, which
wraps the mmap's memoryview in a BytesIO, and BytesIO copies it: opening a
reader copied the whole posting and terms files of the segment into private
memory (about 1 GB per process at 100 000 papers, and the ~13 ms of a
segment's open). Here the file object reads from the memoryview itself, so
the pages stay the kernel's page cache, shared by every process that maps
the index. `install()` puts it in Whoosh's compound storage (Whoosh-Reloaded
is pinned; tests/search/test_live.py checks the memory).
"""
import io
import pickle

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

__all__ = ["MappedBufferFile", "install"]


class _ViewReader:
    """The part of a binary file's API StructFile uses, over a memoryview."""

    __slots__ = ("_view", "_pos")

    def __init__(self, view):
        self._view = view
        self._pos = 0

    def read(self, size=-1):
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(start + size,
                                                                   len(self._view))
        self._pos = max(end, start)
        return self._view[start:end].tobytes()

    def readline(self, size=-1):
        view = self._view
        start = self._pos
        end = len(view) if size is None or size < 0 else min(start + size, len(view))
        found = bytes(view[start:end]).find(b"\n")
        if found >= 0:
            end = start + found + 1
        self._pos = end
        return view[start:end].tobytes()

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def seek(self, offset, whence=0):
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += len(self._view)
        self._pos = max(0, offset)
        return self._pos

    def tell(self):
        return self._pos

    def flush(self):
        pass

    def truncate(self, *args):
        raise OSError("a mapped segment file is read-only")

    def write(self, data):
        raise OSError("a mapped segment file is read-only")

    def close(self):
        self._view = memoryview(b"")


_PICKLE_WINDOW = 256        # bytes enough for a block info's pickle (~40)


class MappedBufferFile(BufferFile):
    """BufferFile without the copy (see the module docstring)."""

    def __init__(self, buf, name=None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = _ViewReader(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    def read_pickle(self):
        """The pickle at the current position (a posting block's info):
        unpickled from a copy of the next bytes, not through read() calls
        of a few bytes each (~20 per block info, in Python)."""
        reader = self.file
        start = reader._pos
        for window in (_PICKLE_WINDOW, None):
            end = None if window is None else start + window
            buffer = io.BytesIO(reader._view[start:end])
            try:
                found = pickle.load(buffer)
            except (EOFError, pickle.UnpicklingError):
                if window is None:
                    raise
                continue
            reader._pos = start + buffer.tell()
            return found

    def subset(self, position, length, name=None):
        return MappedBufferFile(self._buf[position:position + length], name=name or self._name)


def install():
    compound.BufferFile = MappedBufferFile
