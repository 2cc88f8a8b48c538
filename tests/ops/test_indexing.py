"""Indexing with autograd, against torch: ``t[index]`` and ``t[index] = value`` for basic
(views), advanced (integer tensors, lists, NumPy arrays) and boolean-mask indices.

Forward layouts and errors of indexing without grad are covered by ``tests/test_views.py``;
here every case also compares the ``grad_fn`` name and the gradient of every input, seeded
with a random ``grad_output``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import check, sample
from tests.ops.test_view_grads import compare_grads

_MASK = sample((4, 5), "bool", np.random.default_rng(7))
_MASK3 = sample((4, 5, 6), "bool", np.random.default_rng(8))


def _scope(lib, x):
    return {
        "lib": lib,
        "x": x,
        "np": np,
        "mask": lambda: lib.from_numpy(_MASK.copy()),
        "mask3": lambda: lib.from_numpy(_MASK3.copy()),
    }


GETITEMS = [
    # basic: views
    "0", "-1", "1:3", "::2", "1::3", ":, 1", "..., 2", "None", "1, None, ::2", "..., None",
    "()", "...", ":, :", "0, 1:", "1:, 0", "None, 0", "0, ...", "0, :", "0, None, :", "True",
    "lib.tensor(1)", ":, -2:, 1:5:2",
    # advanced: copies whose backward accumulates
    "[0, 2]", "[0, 0, 3, 0]", "lib.tensor([[0, 1], [1, 1]])", "np.array([3, 1])",
    ":, [1, 3]", "[0, 2], :, [1, 3]", "[[0], [3]], :, [1, 2, 1]", "1:, [0, 4, 0]",
    "[2, 0], 1:", "..., [0, -1, 0]", "1, :, [0, 2]", "[0, 2], None, [0, 1]", "None, [0, 1]",
    "mask()", "mask3()", "mask(), 1", "lib.tensor([True, False, True, True])",
    "[True, False, True, False]", "[1, 0], True", "False", "lib.tensor([], dtype=lib.int64)",
    "lib.tensor([0, 1], dtype=lib.int32), 2",
]  # fmt: skip


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("expr", GETITEMS)
def test_getitem_gradients(expr, layout):
    fn = lambda lib, x: eval(f"x[{expr}]", _scope(lib, x))  # noqa: E731
    compare_grads(fn, sample((4, 5, 6), "float64", np.random.default_rng(1)), layout=layout)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (0, 2)])
def test_getitem_small_shapes(shape, dtype):
    for expr in ["...", "None", "()", "True", "False", "..., None"] + (
        ["0", "-1", ":", "1:", "[0]", "lib.tensor([], dtype=lib.int64)", "[True] * x.shape[0]"]
        if shape and shape[0]
        else []
    ):
        fn = lambda lib, x, e=expr: eval(f"x[{e}]", _scope(lib, x))  # noqa: E731
        compare_grads(fn, sample(shape, dtype, np.random.default_rng(2)))


SETITEMS = [
    # (index, value: a shape for a second input, or a Python number)
    ("0", (6,)), ("0", (5, 6)), ("0", (1, 1, 6)), (":, 1", (4, 1)), ("1:3, ::2", (3, 1)),
    ("..., None", (4, 5, 6, 1)), ("0", 7.0), ("1:3, ::2", -1.5), ("..., 2", 2),
    ("[0, 2]", (5, 6)), ("[0, 2]", (6,)), ("[0, 2], :, [1, 3]", (5,)), (":, [1, 3]", 1.0),
    ("[0, 0]", (5, 6)), ("mask3()", ()), ("mask3()", 0.5), ("mask(), 1", (1,)),
    ("lib.tensor([True, False, True, False])", (6,)), ("1, :, [0, 2]", (2,)),
    ("1:, [0, 4]", (3, 2, 6)), ("()", 3.0), ("...", (6,)), ("None, 0", (5, 6)),
]  # fmt: skip


def _setter(expr, value):
    def fn(lib, x, *rest):
        y = x * 1  # a non-leaf: the graph runs through the in-place write
        v = rest[0] * 2 if rest else value
        exec(f"x[{expr}] = v", {**_scope(lib, y), "v": v})
        return y

    return fn


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("expr", "value"), SETITEMS, ids=[f"{e}={v}" for e, v in SETITEMS])
def test_setitem_gradients(expr, value, dtype):
    rng = np.random.default_rng(3)
    x = sample((4, 5, 6), dtype, rng)
    if isinstance(value, tuple):
        compare_grads(_setter(expr, None), x, sample(value, dtype, rng), names=False)
    else:
        compare_grads(_setter(expr, value), x, names=False)


def test_setitem_grad_fn_names():
    for lib in (ember, torch):
        x = lib.ones(3, 4, requires_grad=True) * 1
        x[[0, 2]] = lib.zeros(4)
        assert type(x.grad_fn).__name__ in ("IndexPutBackward0", "IndexPut")
        y = lib.ones(3, 4, requires_grad=True) * 1
        y[0] = 2.0
        assert "CopySlices" in (type(y.grad_fn).__name__, getattr(y.grad_fn, "name", str)())


def test_setitem_value_only_requires_grad():
    for lib in (ember, torch):
        v = lib.tensor([1.0, 2.0], requires_grad=True)
        x = lib.zeros(3, 2)
        x[1] = v * 3
        x[[0, 2], 1] = v[:1]
        assert x.requires_grad
        (x * lib.arange(6.0).reshape(3, 2)).sum().backward()
        got = v.grad.tolist()
        if lib is ember:
            ours = got
        else:
            assert ours == got


def test_advanced_grad_accumulates_duplicates():
    x = ember.zeros(4, requires_grad=True)
    x[[1, 1, 3, 1]].sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 1.0]


def test_setitem_dtype_cast_and_errors():
    # values are cast to the tensor's dtype; errors match torch's types
    check(lambda lib, x: (x.__setitem__(0, lib.tensor([1, 2, 3])), x)[1], sample((2, 3)))
    check(lambda lib, x: (x.__setitem__((0, 1), True), x)[1], sample((2, 3)))
    check(lambda lib, x: x.__setitem__(5, 1.0), sample((2, 3)))
    check(lambda lib, x: x.__setitem__((0, 0, 0), 1.0), sample((2, 3)))
    check(lambda lib, x: x.__setitem__([0, 3], 1.0), sample((2, 3)))
    check(lambda lib, x: x.__setitem__(0, lib.ones(4)), sample((2, 3)))


@pytest.mark.parametrize(
    "expr",
    ["5", "-6", "0, 0, 0, 0", "[0, 7]", "lib.tensor([-9])", "mask(), 0, 0",
     "::-1", "0.5", "[0, 1], [0, 1, 2]", "lib.tensor([0.0])"],  # fmt: skip
)
def test_getitem_errors_with_grad(expr):
    def fn(lib, x):
        return eval(f"x.requires_grad_()[{expr}]", _scope(lib, x))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(fn, sample((4, 5, 6)))
