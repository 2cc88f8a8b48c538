"""Tensor printing: ``repr`` must equal PyTorch's text, with ``ember.`` for ``torch.``."""

import math
import time
import zlib

import numpy as np
import pytest
import torch

import ember
import ember._tensor_str as tensor_str
from ember.backend import cpu as cpu_backend

inf, nan = math.inf, math.nan


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    for lib in (torch, ember):
        lib.set_printoptions(profile="default")
        lib.set_default_dtype(lib.float32)


def set_both(**options):
    torch.set_printoptions(**options)
    ember.set_printoptions(**options)


def pair(data, dtype=None, requires_grad=False, view=None):
    """The same values as a torch tensor and an ember tensor (``view`` applied to both)."""
    arr = np.array(data)
    t = torch.tensor(
        arr, dtype=getattr(torch, dtype) if dtype else None, requires_grad=requires_grad
    )
    e = ember.tensor(
        arr, dtype=getattr(ember, dtype) if dtype else None, requires_grad=requires_grad
    )
    if view is not None:
        t, e = view(t), view(e)
    return t, e


def expected(t) -> str:
    return repr(t).replace("torch.", "ember.")


def check(data, dtype=None, requires_grad=False, view=None):
    t, e = pair(data, dtype, requires_grad, view)
    assert repr(e) == expected(t)


# -- hand-picked cases -----------------------------------------------------------------------

FLOAT_CASES = [
    [1.0, 2.0, 3.0],
    [1.5, -2.25, 3.0],
    1.0,
    2.5,
    -0.0,
    nan,
    [nan],
    [inf, -inf],
    [1.0, inf],
    [1.0, nan, -inf],
    [1.0, -inf],
    [1.5, inf],
    [1.5, -inf],
    [0.0, 0.0],
    [-0.0, 0.0],
    [-0.0, 1.0],
    [-0.0, 0.5],
    [-0.0, 1e-5],
    [0.0, -1.5],
    [-1.0, 1.0],
    [1e-5, 1.0],
    [1e-4, 1.0],
    [9.9e-5],
    [0.5, 600.0],
    [1.0, 1000.0],
    [1.0, 1001.0],
    [1.0, 2000.0],
    [1e8],
    [123456789.0],
    [1e10, 1.0],
    1e10,
    [1e10, inf],
    [1e-5, nan],
    [1.0, -1e10],
    [0.0, 100.0],
    [[1.5, 1e-20], [3.0, 4.0]],
    [[1.5, -2.0], [3.0, 400.0]],
    [0.1, 1.0 / 3.0, 2.0 / 3.0],
    [1e300, 1e-300],
    [5e-324],
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("data", FLOAT_CASES, ids=repr)
def test_float_cases(data, dtype):
    check(data, dtype)


def test_large_integer_valued_double_uses_scientific_notation():
    check(1e8 + 1, "float64")
    check([2.0**60, 1.0], "float64")


COMPLEX_CASES = [
    [1 + 2j, 3 - 4j],
    [1.5 + 0j, complex(-0.0, -0.0)],
    1 + 1j,
    [complex(1, nan)],
    [1e-6 + 1j],
    [0j, 0j],
    [complex(0, -0.0)],
    [1 + 100j, complex(inf, 1)],
    [-1 - 1j, 10 + 10.5j],
    [1e10 + 1j],
    [[1 + 2j, complex(-inf, 3)], [complex(nan, -0.0), 2.5 + 1e5j]],
]


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("data", COMPLEX_CASES, ids=repr)
def test_complex_cases(data, dtype):
    check(data, dtype)


@pytest.mark.parametrize("data", [[1, -200, 3], 7, [0], [[1, 2], [30, -4]]], ids=repr)
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16"])
def test_integers(data, dtype):
    check(data, dtype)


def test_wide_int64():
    check([2**62, -5])
    check([-(2**63), 2**63 - 1, 0])


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_small_integers(dtype):
    check([0, 100, 127], dtype)
    check(5, dtype)


@pytest.mark.parametrize("data", [[True, False], True, [[False], [True]], [True, True]], ids=repr)
def test_bool(data):
    check(data)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize(
    "data",
    [[1.0, 2.0, 3.0], [1.5, 2.0], [-1.5], [3.14159], [65504.0], [1e-7], 1.25, [1e30, 1.0]],
    ids=repr,
)
def test_half_precision(data, dtype):
    arr = np.array(data, dtype=np.float32)  # both libraries round float32 to the half type
    check(arr, dtype)


@pytest.mark.parametrize("dtype", [None, "float64", "int32", "int64", "bool", "complex64", "uint8"])
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (1, 1, 0), (1, 0, 2)])
def test_empty(shape, dtype):
    check(np.zeros(shape, dtype=np.float32), dtype)


def test_empty_examples_from_the_brief():
    assert repr(ember.tensor([], dtype=ember.int32)) == "tensor([], dtype=ember.int32)"
    assert repr(ember.zeros(0, 3)) == "tensor([], size=(0, 3))"


# -- nesting, wrapping, summarising ----------------------------------------------------------

SHAPED = [
    np.arange(60.0).reshape(3, 4, 5),
    np.arange(120).reshape(2, 3, 4, 5),
    np.arange(40.0),
    np.arange(40.0) / 3,
    (np.arange(40.0) / 3).reshape(2, 20),
    np.arange(2000),
    np.arange(2000.0) / 7,
    (np.arange(2000.0) / 7).reshape(40, 50),
    np.arange(5000).reshape(10, 10, 50),
    np.arange(2000) % 3 == 0,
    np.arange(2000) * (1 + 1j),
    np.arange(1001)[-3:],
    np.ones((2, 1, 3, 1, 2)),
]


@pytest.mark.parametrize("index", range(len(SHAPED)))
def test_nesting_wrapping_and_summaries(index):
    check(SHAPED[index])


def test_summary_formats_only_the_visible_values():
    values = np.ones(2000, dtype=np.float32)
    values[1000] = 1e10  # hidden behind "...", so it must not switch to scientific notation
    values[1] = 0.5
    check(values)


@pytest.mark.parametrize("n", range(10, 40))
def test_suffix_wraps_like_pytorch(n):
    check(np.ones(n), "float64")
    check(np.ones(n), "float64", requires_grad=True)


@pytest.mark.parametrize(
    "view",
    [
        lambda x: x.t(),
        lambda x: x[::2, 1:],
        lambda x: x.transpose(0, 1)[1:],
        lambda x: x.t()[::2, 1],
    ],
    ids=["t", "step-slice", "transpose-slice", "transpose-step-select"],
)
def test_non_contiguous(view):
    check(np.arange(12.0).reshape(3, 4) / 4, view=view)
    check(np.arange(3000).reshape(3, 1000), view=view)


def test_huge_tensor_is_summarised_before_formatting():
    e = ember.zeros(3000, 3000)
    e._data[0, 0] = 1.5
    start = time.perf_counter()
    text = repr(e)
    assert time.perf_counter() - start < 0.5
    t = torch.zeros(3000, 3000)
    t[0, 0] = 1.5
    assert text == expected(t)


# -- suffixes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [[1.0, 2.0], 1.0, [[1.5, 2.0], [3.0, 4.0]], np.arange(2000.0)], ids=repr
)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "float16"])
def test_requires_grad(data, dtype):
    check(np.asarray(data, dtype=np.float32), dtype, requires_grad=True)


class _NamedNode:
    def name(self):
        return "MulBackward0"


class MulBackward0:
    """A node without ``name()``: its class name is printed."""


@pytest.mark.parametrize("node", [_NamedNode, MulBackward0])
def test_grad_fn(node):
    t = torch.tensor([1.5, 2.0], requires_grad=True) * 2
    e = ember.tensor([3.0, 4.0], requires_grad=True)
    e.grad_fn = node()
    assert repr(e) == expected(t) == "tensor([3., 4.], grad_fn=<MulBackward0>)"


def test_device_suffix(monkeypatch):
    # No GPU here: a cpu array labelled cuda:0 exercises the suffix rules.
    monkeypatch.setattr(tensor_str, "for_device", lambda dev: cpu_backend)
    cuda = ember.device("cuda", 0)
    e = ember.tensor([1.0, 2.0])
    e._device = cuda
    assert repr(e) == "tensor([1., 2.], device='cuda:0')"
    e = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    e._device = cuda
    assert repr(e) == ("tensor([1., 2.], device='cuda:0', dtype=ember.float64, requires_grad=True)")
    e = ember.zeros(0, 3)
    e._device = cuda
    assert repr(e) == "tensor([], device='cuda:0', size=(0, 3))"


# -- default dtype ---------------------------------------------------------------------------

ALL = [
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
    "int64", "int32", "uint8", "bool",
]  # fmt: skip


@pytest.mark.parametrize("default", ["float32", "float64", "float16", "bfloat16"])
def test_dtype_suffix_follows_the_default_dtype(default):
    torch.set_default_dtype(getattr(torch, default))
    ember.set_default_dtype(getattr(ember, default))
    for dtype in ALL:
        check(np.ones(2, dtype=np.float32), dtype)
        check(np.ones(0, dtype=np.float32), dtype)
        check(np.float32(1.0), dtype)
    check(1.5)
    check([1.5, 2.5])


# -- print options ---------------------------------------------------------------------------

OPTION_SETS = [
    {"precision": 0},
    {"precision": 1},
    {"precision": 2},
    {"precision": 10},
    {"threshold": 5},
    {"threshold": 0},
    {"edgeitems": 1, "threshold": 5},
    {"edgeitems": 0},
    {"edgeitems": 0, "threshold": 5},
    {"edgeitems": 0, "threshold": 0},
    {"linewidth": 30},
    {"linewidth": 1},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 5, "linewidth": 50},
]

OPTION_DATA = [
    [1e-5, 1.0],
    [1.5, 100.0],
    [1.0, 1000.0],
    [1e10, 1.5],
    1e-5,
    1.5,
    5,
    [5],
    [1.0, inf],
    [0.5, 2.5, inf],
    [1e-6, 1.0, -inf],
    [0.0, 0.0],
    [0.0, inf],
    [1e-6 + 1j, 1000 + 2j],
    [1.5 + 2.5j],
    [0.1, 1.0],
    np.arange(10),
    np.arange(20.0).reshape(2, 10) / 3,
    np.arange(100.0).reshape(10, 10),
    np.arange(1200.0).reshape(2, 3, 200) * 1.25,
    np.arange(30.0).reshape(2, 15),
    np.arange(2000) % 3 == 0,
]


@pytest.mark.parametrize(
    "options", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items())
)
def test_print_options(options):
    set_both(**options)
    assert ember.get_printoptions() == torch._tensor_str.get_printoptions()
    for data in OPTION_DATA:
        check(data)
    check(np.arange(30.0).reshape(2, 15), "float64", requires_grad=True)


def test_set_printoptions_semantics_match_pytorch():
    for calls in [
        [{"sci_mode": True}, {"precision": 2}],  # sci_mode resets when not given
        [{"profile": "short", "precision": 6}],
        [{"profile": "full"}, {"profile": "bogus"}],  # an unknown profile changes nothing
        [{"threshold": 10, "linewidth": 33}, {"profile": "default"}],
    ]:
        for kwargs in calls:
            set_both(**kwargs)
        assert ember.get_printoptions() == torch._tensor_str.get_printoptions()
        set_both(profile="default")


def test_printoptions_context_manager_restores():
    ember.set_printoptions(linewidth=60)
    before = ember.get_printoptions()
    with ember.printoptions(precision=2, sci_mode=True):
        assert ember.get_printoptions()["precision"] == 2
        assert repr(ember.tensor([1.12345])) == "tensor([1.12e+00])"
    assert ember.get_printoptions() == before
    with pytest.raises(KeyError), ember.printoptions(precision=1):
        raise KeyError
    assert ember.get_printoptions() == before


# -- random tensors --------------------------------------------------------------------------

SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (1200,), (40, 30), (3, 400, 2)]


def _random_floats(rng, shape, kind):
    if kind == "normal":
        return rng.standard_normal(shape) * rng.choice([1e-3, 1.0, 50.0])
    if kind == "wide":
        return rng.choice([-1, 1], shape) * 10.0 ** rng.uniform(-8, 10, shape)
    if kind == "integral":
        return rng.integers(-50, 50, shape).astype(np.float64)
    values = rng.standard_normal(shape)
    flat = values.reshape(-1)
    specials = np.array([nan, inf, -inf, -0.0, 0.0])
    picks = rng.integers(0, flat.size, min(flat.size, 4))
    flat[picks] = rng.choice(specials, picks.size)
    return values


@pytest.mark.parametrize("kind", ["normal", "wide", "integral", "special"])
@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "float16", "bfloat16", "complex64", "complex128"]
)
def test_random_floating(dtype, kind):
    rng = np.random.default_rng(zlib.crc32(f"{dtype}-{kind}".encode()))
    for shape in SHAPES:
        values = _random_floats(rng, shape, kind)
        if dtype.startswith("complex"):
            parts = values
            values = np.empty(shape, np.complex128)
            values.real, values.imag = parts, _random_floats(rng, shape, kind)
        elif dtype != "float64":
            values = values.astype(np.float32)
        check(values, dtype)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_random_integral(dtype):
    rng = np.random.default_rng(len(dtype))
    info = np.iinfo(np.int8 if dtype == "bool" else dtype)
    for shape in SHAPES:
        for high in (10, info.max):
            values = rng.integers(max(info.min, -high), high, shape, dtype=np.int64)
            if dtype == "bool":
                values = values > 0
            check(values, dtype)


def test_str_is_repr():
    e = ember.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert str(e) == repr(e)
