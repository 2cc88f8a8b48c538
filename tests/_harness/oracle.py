"""The torch oracle: run one function on ember and on torch over the same inputs, compare all.

A test writes its function once against the torch API, ``fn(lib, *tensors)`` where ``lib``
is the ``ember`` or the ``torch`` module (or gives a pair ``(ember_fn, torch_fn)`` taking the
tensors alone), and hands :func:`check` NumPy arrays for the tensor inputs.  Each library
gets its own copy of the same values, dtype, shape, strides and storage offset (``layout``
places them contiguous, transposed, strided or expanded inside a larger buffer), then
:func:`check` compares:

* the outputs, recursing into tuples and lists: shape, dtype (``str`` with ``torch.`` read
  as ``ember.``), ``stride()``, ``storage_offset()`` and values (exact for integers and
  bools, a tolerance by dtype for floats); other leaves (ints, sizes, dtypes) by equality;
* which tensors share a storage, and which outputs *are* an input (so a view must stay a
  view and a copy a copy, exactly as in torch);
* every input and every input's whole storage afterwards, so writes through views land in
  the same places;
* errors: when torch raises, ember must raise the same kind (the nearest builtin exception
  class of torch's), and ``match`` must appear in both messages.

Tables of cases use :class:`Spec` (one op, one set of input shapes, one dtype, one layout,
keyword arguments) and :func:`specs` (the product over shapes, dtypes and layouts); one
parametrised test calls ``spec.check()`` on each.

Gradients join later in one place: :func:`_outcome` is where the inputs are built and ``fn``
runs, so gradient comparison gives the inputs ``requires_grad``, seeds ``backward`` with a
random ``grad_output`` from :func:`sample` (never all ones) and records each input's
``.grad`` in the :class:`Outcome`; :func:`check` then compares those with
:func:`assert_same` like any other output.
"""

from __future__ import annotations

import builtins
import itertools
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ml_dtypes
import numpy as np
import torch

import ember

LAYOUTS = ("contiguous", "transposed", "strided", "expanded")

# (rtol, atol) by dtype name; views move values without arithmetic, but other ops share this.
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
    "complex64": (1e-5, 1e-6),
    "complex128": (1e-10, 1e-12),
}


def np_dtype(name: str) -> np.dtype:
    return np.dtype(ml_dtypes.bfloat16) if name == "bfloat16" else np.dtype(name)


def sample(shape, dtype: str = "float32", rng: np.random.Generator | None = None) -> np.ndarray:
    """Random values of ``shape``: small integers, booleans, or normal floats in ``dtype``."""
    rng = np.random.default_rng(0) if rng is None else rng
    shape = tuple(shape)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype == "uint8":
        return rng.integers(0, 100, shape).astype(np.uint8)
    if dtype.startswith("int"):
        return rng.integers(-50, 50, shape).astype(dtype)
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return rng.standard_normal(shape).astype(np_dtype(dtype))


# -- placing inputs -------------------------------------------------------------------------


def _contiguous_strides(shape) -> list[int]:
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return strides[::-1]


def _place(arr: np.ndarray, layout: str, rng: np.random.Generator):
    """A flat buffer, strides and offset whose strided view shows ``arr`` in ``layout``.

    ``transposed`` lays the dims out in reverse order; ``strided`` steps every dim by 2 and
    starts at offset 1, with random filler between; ``expanded`` gives dim 0 stride 0, so
    every entry along it shows ``arr[0]``.  Returns (buffer, strides, offset).
    """
    shape = arr.shape
    if layout == "contiguous" or not shape:
        return arr.ravel(), _contiguous_strides(shape), 0
    if layout == "transposed":
        rev = arr.transpose(tuple(reversed(range(arr.ndim))))
        return rev.ravel(), _contiguous_strides(rev.shape)[::-1], 0
    if layout == "strided":
        big_shape = [2 * s for s in shape]
        big = sample(big_shape, _dtype_name(arr.dtype), rng)
        big[(slice(None, None, 2),) * arr.ndim] = arr
        filler = sample((1,), _dtype_name(arr.dtype), rng)
        strides = [2 * s for s in _contiguous_strides(big_shape)]
        return np.concatenate([filler, big.ravel()]), strides, 1
    if layout == "expanded":
        return arr[:1].ravel(), [0] + _contiguous_strides(shape[1:]), 0
    raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")


def _dtype_name(dt: np.dtype) -> str:
    return "bfloat16" if dt == np_dtype("bfloat16") else dt.name


def _tensor(lib, buf: np.ndarray):
    """A contiguous 1-D tensor of ``lib`` owning a copy of ``buf`` (bfloat16 via float32)."""
    if buf.dtype == np_dtype("bfloat16"):
        return lib.from_numpy(buf.astype(np.float32)).to(lib.bfloat16)
    return lib.from_numpy(buf.copy())


# -- running --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one library made of a call: the input tensors, their bases, the result or error."""

    bases: list
    inputs: list
    outputs: object = None
    error: BaseException | None = None


def _outcome(lib, fn, placed) -> Outcome:
    bases, inputs = [], []
    for item in placed:
        if isinstance(item, tuple):
            buf, shape, strides, offset = item
            base = _tensor(lib, buf)
            bases.append(base)
            inputs.append(base.as_strided(shape, strides, offset))
        else:
            inputs.append(item)
    call = (lambda *xs: fn(lib, *xs)) if callable(fn) else fn[0 if lib is ember else 1]
    out = Outcome(bases, inputs)
    try:
        out.outputs = call(*inputs)
    except Exception as exc:  # compared with torch's below
        out.error = exc
    return out


def check(
    fn: Callable | tuple[Callable, Callable],
    *args,
    layout: str | Sequence[str] = "contiguous",
    match: str | None = None,
    rng: np.random.Generator | None = None,
) -> None:
    """Run ``fn`` on ember and on torch and assert that both behave alike.

    ``args``: NumPy arrays become tensors (placed by ``layout``, one name for all or one per
    array); anything else is passed through unchanged.  ``match``: a substring that both
    error messages must contain (and an error is then required).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    layouts = [layout] * len(args) if isinstance(layout, str) else list(layout)
    placed = []
    for arg, lay in zip(args, layouts, strict=True):
        if isinstance(arg, np.ndarray):
            buf, strides, offset = _place(arg, lay, rng)
            placed.append((buf, arg.shape, strides, offset))
        else:
            placed.append(arg)
    ours = _outcome(ember, fn, placed)
    theirs = _outcome(torch, fn, placed)
    _compare_errors(ours.error, theirs.error, match)
    if theirs.error is not None:
        return
    assert_same(ours.outputs, theirs.outputs, "output")
    assert_same(ours.inputs, theirs.inputs, "input after the call")
    assert_same(ours.bases, theirs.bases, "input storage after the call")
    assert _sharing(ours) == _sharing(theirs), (
        f"storage sharing differs (groups over inputs then outputs): "
        f"ember {_sharing(ours)}, torch {_sharing(theirs)}"
    )


def _builtin_kind(exc_type: type) -> type:
    """The nearest builtin exception class (torch raises subclasses such as LinAlgError)."""
    for cls in exc_type.__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls
    return Exception


def _compare_errors(ours, theirs, match) -> None:
    if theirs is None:
        if ours is not None:
            raise AssertionError(f"ember raised but torch did not: {ours!r}") from ours
        assert match is None, f"expected an error matching {match!r}, but none was raised"
        return
    kind = _builtin_kind(type(theirs))
    if ours is None:
        raise AssertionError(f"torch raised {type(theirs).__name__}({theirs}) but ember did not")
    if not isinstance(ours, kind):
        raise AssertionError(
            f"torch raised {type(theirs).__name__}({theirs}), ember {type(ours).__name__}({ours})"
        ) from ours
    if match is not None:
        assert match in str(theirs), f"torch's message {str(theirs)!r} lacks {match!r}"
        assert match in str(ours), f"ember's message {str(ours)!r} lacks {match!r}"


# -- comparing ------------------------------------------------------------------------------


def _flat_tensors(x) -> list:
    if isinstance(x, ember.Tensor | torch.Tensor):
        return [x]
    if isinstance(x, list | tuple) and not isinstance(x, ember.Size | torch.Size):
        return [t for item in x for t in _flat_tensors(item)]
    return []


def _sharing(outcome: Outcome) -> list:
    """Storage groups over inputs then outputs, and for each output the input it *is*."""
    tensors = _flat_tensors(outcome.inputs) + _flat_tensors(outcome.outputs)
    groups, keys = [], {}
    for i, t in enumerate(tensors):
        st = t.untyped_storage()
        key = st.data_ptr() if st.nbytes() else ("empty", i)  # empty storages share no memory
        groups.append(keys.setdefault(key, len(keys)))
    n_in = len(_flat_tensors(outcome.inputs))
    identity = [
        next((j for j, x in enumerate(tensors[:n_in]) if x is out), None)
        for out in tensors[n_in:]
    ]
    return [groups, identity]


def to_numpy(t) -> np.ndarray:
    """Host values of an ember or torch tensor (bfloat16 widened to float32, exactly)."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().resolve_conj().resolve_neg()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    arr = np.asarray(t)
    return arr.astype(np.float32) if arr.dtype == np_dtype("bfloat16") else arr


def assert_same(ours, theirs, where: str = "output") -> None:
    """Assert an ember result equals a torch result, recursing into tuples and lists."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), f"{where}: expected a Tensor, got {ours!r}"
        _assert_same_tensor(ours, theirs, where)
    elif isinstance(theirs, torch.Size):
        assert isinstance(ours, ember.Size), f"{where}: expected a Size, got {ours!r}"
        assert tuple(ours) == tuple(theirs), f"{where}: {tuple(ours)} != {tuple(theirs)}"
    elif isinstance(theirs, list | tuple):
        assert isinstance(ours, list) == isinstance(theirs, list) and isinstance(
            ours, list | tuple
        ), f"{where}: expected a {type(theirs).__name__}, got {type(ours).__name__}"
        assert len(ours) == len(theirs), f"{where}: length {len(ours)} != {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, torch.dtype):
        assert str(ours) == str(theirs).replace("torch.", "ember."), f"{where}: dtype {ours}"
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def _assert_same_tensor(ours, theirs, where: str) -> None:
    dtype = str(theirs.dtype).replace("torch.", "ember.")
    assert str(ours.dtype) == dtype, f"{where}: dtype {ours.dtype}, torch {dtype}"
    assert tuple(ours.shape) == tuple(theirs.shape), (
        f"{where}: shape {tuple(ours.shape)}, torch {tuple(theirs.shape)}"
    )
    assert ours.stride() == theirs.stride(), (
        f"{where}: stride {ours.stride()}, torch {theirs.stride()} (shape {tuple(ours.shape)})"
    )
    assert ours.storage_offset() == theirs.storage_offset(), (
        f"{where}: storage_offset {ours.storage_offset()}, torch {theirs.storage_offset()}"
    )
    a, b = to_numpy(ours), to_numpy(theirs)
    name = dtype.removeprefix("ember.")
    if np.array_equal(a, b, equal_nan=name in TOLERANCES):
        return
    if name in TOLERANCES:
        rtol, atol = TOLERANCES[name]
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


# -- tables of cases ------------------------------------------------------------------------


@dataclass
class Spec:
    """One case of an op table: ``fn(lib, *tensors, **kwargs)`` on inputs of ``inputs``.

    ``inputs`` holds shapes (random values of ``dtype``), NumPy arrays (used as given) or
    other values (passed through); ``layout`` places every tensor input.
    """

    name: str
    fn: Callable
    inputs: tuple
    dtype: str = "float32"
    layout: str = "contiguous"
    kwargs: dict = field(default_factory=dict)
    match: str | None = None

    def __str__(self) -> str:
        shapes = ",".join(
            "x".join(map(str, x)) or "scalar" if isinstance(x, tuple) else type(x).__name__
            for x in self.inputs
        )
        kw = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return "-".join(p for p in (self.name, shapes, self.dtype, self.layout, kw) if p)

    def check(self) -> None:
        rng = np.random.default_rng(zlib.crc32(str(self).encode()))
        args = [sample(x, self.dtype, rng) if isinstance(x, tuple) else x for x in self.inputs]
        kwargs = self.kwargs
        if callable(self.fn):
            fn = lambda lib, *xs: self.fn(lib, *xs, **kwargs)  # noqa: E731
        else:
            fn = tuple(lambda *xs, f=f: f(*xs, **kwargs) for f in self.fn)
        try:
            check(fn, *args, layout=self.layout, match=self.match, rng=rng)
        except AssertionError as exc:
            raise AssertionError(f"[{self}] {exc}") from exc.__cause__


def specs(
    name: str,
    fn: Callable,
    shapes: Sequence,
    dtypes: Sequence[str] = ("float32",),
    layouts: Sequence[str] = ("contiguous",),
    match: str | None = None,
    **kwargs,
) -> list[Spec]:
    """Specs for every (shape, dtype, layout); a shape may be a tuple of shapes (several inputs)."""
    out = []
    for shape, dtype, layout in itertools.product(shapes, dtypes, layouts):
        inputs = shape if shape and isinstance(shape[0], tuple | np.ndarray) else (shape,)
        out.append(Spec(name, fn, tuple(inputs), dtype, layout, dict(kwargs), match))
    return out
