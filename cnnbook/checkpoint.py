"""Reading a PyTorch checkpoint without PyTorch, and without letting the file run code (chapter 9).

``torch.save`` before PyTorch 1.6 wrote one stream: five pickles and then the raw numbers. The pickles are a magic
number, a protocol version, a description of the machine (its byte order, the sizes of C's integers), the saved
object (here a *state dict*, an ordered dict from names such as ``"_conv_stem.weight"`` to tensors) and the list
of *storage* keys. Each tensor in the object is a view of a storage: it names the storage by key through a
pickle "persistent id" and gives its offset, shape and strides. After the last pickle, each storage follows in
the order of that list, as an int64 element count and the elements, little-endian.

A pickle is a small program, not data: its ``GLOBAL`` instruction imports any name in any module and ``REDUCE``
calls it, so unpickling a stranger's file with :func:`pickle.load` runs whatever ``os.system`` call it holds.
:func:`read_state_dict` runs the pickles under an unpickler that knows only the names a file of tensors needs
(the ordered dict, PyTorch's tensor-rebuild function and its storage types, mapped to harmless stand-ins that only
record what the file says) and refuses every other name, before anything is called. The numbers themselves are never unpickled: they are
read with :func:`numpy.frombuffer` and checked against the shapes the pickle declared.
"""

from __future__ import annotations

import collections
import math
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["CheckpointError", "read_state_dict"]

#: PyTorch's legacy storage types and the NumPy dtype of their elements (always little-endian on disk here).
STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}
#: The magic number a legacy ``torch.save`` file starts with (after the pickle protocol header).
MAGIC = 0x1950A86A20F9469CFC6C


class CheckpointError(ValueError):
    """A file :func:`read_state_dict` cannot or will not read, with the reason."""


class _Storage:
    """What a persistent id says of a storage: its key, dtype and element count. The numbers come later.

    The stand-ins have slots and no ``__dict__``, so a pickle's ``BUILD`` cannot change their attributes.
    """

    __slots__ = ("key", "dtype", "numel")

    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel


class _StorageType:
    """Stand-in for ``torch.FloatStorage`` and kin: a name, never called; its dtype is looked up by identity."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class _TensorView:
    """What ``torch._utils._rebuild_tensor_v2`` would have received: a storage, offset, shape and strides."""

    __slots__ = ("storage", "offset", "shape", "strides")

    def __init__(self, storage, offset, shape, strides):
        self.storage, self.offset, self.shape, self.strides = storage, offset, shape, strides


def _ints(value, what, path):
    if not isinstance(value, tuple) or not all(isinstance(v, int) and v >= 0 for v in value):
        raise CheckpointError(f"read_state_dict: {path}: a tensor's {what} must be a tuple of non-negative ints; "
                              f"got {value!r}")
    return value


class _Unpickler(pickle.Unpickler):
    """Knows the names a state dict of tensors needs and refuses the rest; persistent ids become :class:`_Storage`
    records."""

    def __init__(self, file, path):
        super().__init__(file)
        self.path, self.storages = path, {}

        def rebuild_tensor(storage, offset, shape, strides, requires_grad=False, hooks=None, *rest):
            if not isinstance(storage, _Storage) or not isinstance(offset, int) or offset < 0:
                raise CheckpointError(f"read_state_dict: {path}: a tensor must be rebuilt from a storage and an "
                                      f"offset; got {storage!r}, {offset!r}")
            return _TensorView(storage, offset, _ints(shape, "shape", path), _ints(strides, "strides", path))

        # made for this file alone, so that nothing the file does to them outlives it
        self.allowed = {("collections", "OrderedDict"): collections.OrderedDict,
                        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor}
        self.kinds = {}  # id of each stand-in storage type -> its dtype, from the table above, never from the file
        for name, dtype in STORAGE_DTYPES.items():
            kind = _StorageType(name)
            self.allowed[("torch", name)] = kind
            self.kinds[id(kind)] = (kind, np.dtype(dtype))

    def find_class(self, module, name):
        if (module, name) not in self.allowed:
            raise CheckpointError(f"read_state_dict: {self.path} asks to import {module}.{name}, which a state dict "
                                  f"of tensors does not need; refused, and nothing in the file was run "
                                  f"(allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
                                  f"torch.*Storage)")
        return self.allowed[(module, name)]

    def persistent_load(self, pid):
        ok = (type(pid) is tuple and len(pid) == 6 and pid[0] == "storage"
              and self.kinds.get(id(pid[1]), (None,))[0] is pid[1] and type(pid[2]) is str and type(pid[3]) is str
              and type(pid[4]) is int and pid[4] >= 0 and pid[5] is None)
        if not ok:
            raise CheckpointError(f"read_state_dict: {self.path}: unexpected persistent id {pid!r}; expected "
                                  "('storage', storage type, key, location, element count, None)")
        _, kind, key, _, numel, _ = pid
        dtype = self.kinds[id(kind)][1]
        known = self.storages.get(key)
        if known is not None and (known.dtype, known.numel) != (dtype, numel):
            raise CheckpointError(f"read_state_dict: {self.path}: storage {key} is declared twice, differently")
        self.storages[key] = known or _Storage(key, dtype, numel)
        return self.storages[key]


def _load(stream, path, what):
    try:
        return stream.load() if isinstance(stream, pickle.Unpickler) else pickle.Unpickler(stream).load()
    except CheckpointError:
        raise
    except Exception as error:  # a truncated or corrupt pickle: say which part
        raise CheckpointError(f"read_state_dict: {path}: cannot read its {what}: {type(error).__name__}: "
                              f"{error}") from None


class _Header(pickle.Unpickler):
    """The first three pickles and the last hold only numbers, strings, lists and dicts: no name may be imported."""

    def __init__(self, file, path):
        super().__init__(file)
        self.path = path

    def find_class(self, module, name):
        raise CheckpointError(f"read_state_dict: {self.path} asks to import {module}.{name} where only numbers and "
                              "strings belong; refused, and nothing in the file was run")


def _array(view, data, name, path):
    storage = data[view.storage.key]
    if len(view.shape) != len(view.strides):
        raise CheckpointError(f"read_state_dict: {path}: {name} has shape {view.shape} but strides {view.strides}")
    if math.prod(view.shape) > storage.size or any(s == 0 for n, s in zip(view.shape, view.strides) if n > 1):
        # a tensor is a view of its storage's numbers: never more of them than there are (a file could otherwise
        # ask for a vast array made of one number repeated)
        raise CheckpointError(f"read_state_dict: {path}: {name} of shape {view.shape} would repeat the "
                              f"{storage.size} numbers of its storage")
    if math.prod(view.shape) == 0:
        return np.zeros(view.shape, storage.dtype)
    last = view.offset + sum((n - 1) * s for n, s in zip(view.shape, view.strides))
    if last >= storage.size:
        raise CheckpointError(f"read_state_dict: {path}: {name} reaches element {last} of a storage of "
                              f"{storage.size}")
    item = storage.itemsize
    strided = np.lib.stride_tricks.as_strided(storage[view.offset:], view.shape, [s * item for s in view.strides],
                                              writeable=False)
    return strided.astype(storage.dtype.newbyteorder("="), order="C", copy=True)  # its own memory, even 0-d


def read_state_dict(path, xp=None):
    """The tensors of a legacy (pre-1.6) PyTorch checkpoint, as arrays, without PyTorch and without running code.

    Parameters
    ----------
    path : str or Path
        A file written by ``torch.save(model.state_dict(), path)`` with PyTorch older than 1.6 (or with
        ``_use_new_zipfile_serialization=False``).
    xp : module, optional
        The array library for the result (``cupy`` to put the arrays on the GPU); NumPy by default.

    Returns
    -------
    dict
        Name → array, in the file's order, each C-contiguous in its own memory (a stored tensor may be laid out
        with any strides: TensorFlow's ``(kh, kw, in, out)`` order shows up as strides on an ``(out, in, kh, kw)``
        tensor).

    Raises
    ------
    CheckpointError
        The file is not such a checkpoint, is cut short, or its pickle asks for any name beyond the ordered dict,
        the tensor-rebuild function and the storage types (that is, it would run code).

    Examples
    --------
    >>> import io, pickle, tempfile
    >>> evil = io.BytesIO()
    >>> for part in (MAGIC, 1001, {"little_endian": True}):
    ...     pickle.dump(part, evil, protocol=2)
    >>> _ = evil.write(b"cos\\nsystem\\n(S'echo run'\\ntR.")  # a pickle that calls os.system("echo run")
    >>> with tempfile.NamedTemporaryFile(suffix=".pth") as f:
    ...     _ = f.write(evil.getvalue()); f.flush()
    ...     read_state_dict(f.name)
    Traceback (most recent call last):
    ...
    cnnbook.checkpoint.CheckpointError: read_state_dict: ... asks to import os.system, which a state dict of \
tensors does not need; refused, and nothing in the file was run (allowed: collections.OrderedDict, \
torch._utils._rebuild_tensor_v2, torch.*Storage)
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"read_state_dict: no file at {path}")
    if zipfile.is_zipfile(path):
        raise CheckpointError(f"read_state_dict: {path} is a zip archive, the format of PyTorch 1.6 and later; this "
                              "reader reads the legacy stream format (torch.save(..., "
                              "_use_new_zipfile_serialization=False))")
    with open(path, "rb") as f:
        magic = _load(_Header(f, path), path, "magic number")
        if magic != MAGIC:
            raise CheckpointError(f"read_state_dict: {path} is not a legacy PyTorch checkpoint (no magic number)")
        _load(_Header(f, path), path, "protocol version")
        info = _load(_Header(f, path), path, "system description")
        if not isinstance(info, dict) or info.get("little_endian") is not True:
            raise CheckpointError(f"read_state_dict: {path} was written on a big-endian machine; not supported")
        unpickler = _Unpickler(f, path)
        state = _load(unpickler, path, "state dict")
        items = list(dict.items(state)) if isinstance(state, dict) else None  # dict's own, whatever BUILD set
        if not items or not all(type(k) is str and type(v) is _TensorView for k, v in items):
            raise CheckpointError(f"read_state_dict: {path} holds a {type(state).__name__}, not a state dict "
                                  "(names mapped to tensors)")
        keys = _load(_Header(f, path), path, "list of storages")
        if (type(keys) is not list or not all(type(k) is str for k in keys) or len(set(keys)) != len(keys)
                or set(keys) != set(unpickler.storages)):
            raise CheckpointError(f"read_state_dict: {path}: its list of storages does not match its tensors")
        left = os.fstat(f.fileno()).st_size - f.tell()
        needed = sum(8 + s.numel * s.dtype.itemsize for s in unpickler.storages.values())
        if needed != left:
            raise CheckpointError(f"read_state_dict: {path}: its storages need {needed:,} bytes after the pickles; "
                                  f"the file has {left:,} (cut short, or not what it declares)")
        data = {}
        for key in keys:
            storage = unpickler.storages[key]
            count = f.read(8)
            if len(count) < 8 or struct.unpack("<q", count)[0] != storage.numel:
                raise CheckpointError(f"read_state_dict: {path}: storage {key} should hold {storage.numel} "
                                      "elements; the file is cut short or says otherwise")
            raw = f.read(storage.numel * storage.dtype.itemsize)
            if len(raw) != storage.numel * storage.dtype.itemsize:
                raise CheckpointError(f"read_state_dict: {path} ends inside storage {key}")
            data[key] = np.frombuffer(raw, dtype=storage.dtype)
    arrays = {name: _array(view, data, name, path) for name, view in items}
    if xp is not None and xp is not np:
        arrays = {name: xp.asarray(a) for name, a in arrays.items()}
    return arrays
