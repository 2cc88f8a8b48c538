"""Named tuples that ops return, as ``torch.return_types``: ``max(values=..., indices=...)``.

Each is a tuple (unpacks and indexes as one) whose fields are also attributes.  Op families
that return several tensors add their types here with :func:`_structseq`.
"""

from __future__ import annotations

from collections import namedtuple


def _structseq(name: str, fields: tuple[str, ...]) -> type:
    """A tuple type ``ember.return_types.<name>`` with the given field names."""
    base = namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self, strict=True))
        return f"ember.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "n_fields": len(fields)})
    cls.__module__ = __name__
    return cls


_VALUES_INDICES = ("values", "indices")

max = _structseq("max", _VALUES_INDICES)
min = _structseq("min", _VALUES_INDICES)
median = _structseq("median", _VALUES_INDICES)
nanmedian = _structseq("nanmedian", _VALUES_INDICES)
sort = _structseq("sort", _VALUES_INDICES)
topk = _structseq("topk", _VALUES_INDICES)
cummax = _structseq("cummax", _VALUES_INDICES)
cummin = _structseq("cummin", _VALUES_INDICES)
kthvalue = _structseq("kthvalue", _VALUES_INDICES)
mode = _structseq("mode", _VALUES_INDICES)
aminmax = _structseq("aminmax", ("min", "max"))
