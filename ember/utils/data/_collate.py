"""Turning samples into batches: ``default_collate`` (stack) and ``default_convert`` (no
batching: arrays to tensors only), with PyTorch's rules for every container type."""

from __future__ import annotations

import collections.abc as abc

from ember import _dtype
from ember._tensor import Tensor
from ember.backend import cpu

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild(elem, values):
    """A container of ``elem``'s type holding ``values``, or a plain one when the type cannot
    be built that way."""
    try:
        return type(elem)(values)
    except TypeError:
        return values if not isinstance(elem, abc.Mapping) else dict(values)


def default_convert(data):
    """NumPy arrays and scalars inside ``data`` become tensors; nothing is stacked."""
    from ember._factories import as_tensor

    if isinstance(data, Tensor):
        return data
    if cpu.is_numpy(data):
        if cpu.is_string_array(data):
            return data
        return as_tensor(data)
    if isinstance(data, abc.Mapping):
        return _rebuild(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


def default_collate(batch):
    """Stack a list of samples into a batch: tensors, arrays and numbers become tensors with
    a new first dimension; dicts, tuples and lists are collated field by field."""
    from ember._factories import as_tensor, tensor
    from ember.ops.join import stack

    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if cpu.is_numpy(elem):
        if cpu.is_string_array(elem):
            raise TypeError(_ERR.format(elem.dtype))
        if elem.shape == ():
            return as_tensor(cpu.asarray(batch))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        return _rebuild(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(c) for c in columns]
        return _rebuild(elem, [default_collate(c) for c in columns])
    raise TypeError(_ERR.format(type(elem)))
