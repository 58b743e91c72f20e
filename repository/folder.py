"""A persistent folder: an OOBTree of children with a Length counter.

Length resolves concurrent increments, and BTree buckets resolve inserts of
different keys, so two desks adding to one folder do not conflict."""
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent


class Folder(Persistent):
    __name__ = None
    __parent__ = None

    def __init__(self):
        self.data = OOBTree()
        self._num_objects = Length()

    def __len__(self):
        return self._num_objects()

    def __contains__(self, name):
        return name in self.data

    def __iter__(self):
        return iter(self.data.keys())

    def __getitem__(self, name):
        return self.data[name]

    def get(self, name, default=None):
        return self.data.get(name, default)

    def keys(self, min=None, max=None):
        return self.data.keys(min, max)

    def values(self):
        return self.data.values()

    def items(self):
        return self.data.items()

    def add(self, name, obj):
        """Place obj under name; refuses to replace an existing child."""
        if name in self.data:
            raise KeyError(f"{name!r} already exists")
        obj.__name__ = name
        obj.__parent__ = self
        self.data[name] = obj
        self._num_objects.change(1)
        return obj

    def remove(self, name):
        obj = self.data.pop(name)
        self._num_objects.change(-1)
        return obj
