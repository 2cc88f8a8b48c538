"""Pointwise ops against torch: unary math, binary arithmetic, comparisons, logical and
bitwise ops, clamp/where/lerp/addcmul/addcdiv, and their in-place and operator forms.

Forward cases go through the shared oracle (values, dtype, shape, strides, errors) over
shapes (0-dim, empty, 1-D, 3-D, broadcast pairs), every dtype, non-contiguous layouts and
Python scalars on either side.  Gradients are compared with torch's after a backward seeded
with a random ``grad_output``, on inputs kept inside each op's domain and away from kinks;
``ember.autograd.gradcheck`` checks them by finite differences in float64, and
``gradgradcheck`` the second derivatives of the ops losses and activations lean on.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import TOLERANCES, check, np_dtype, to_numpy
from tests._harness.oracle import sample as _sample

LAYOUTS = ("contiguous", "transposed", "strided", "expanded")
ALL_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
              "float32", "float64", "complex64")  # fmt: skip
REAL_DTYPES = ALL_DTYPES[:-1]
FLOATS = ("float16", "bfloat16", "float32", "float64")
SHAPES = [(), (0,), (5,), (2, 3, 4)]
PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((), (3,)),
    ((2, 1), ()),
    ((0, 3), (1, 3)),
]


def sample(shape, dtype="float32", rng=None) -> np.ndarray:
    """The oracle's random values, always as an array (a 0-d one for shape ())."""
    return np.asarray(_sample(shape, dtype, rng))


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(str(key).encode()))


# -- domains: inputs each op is differentiable on, away from its kinks and poles --------------


def _positive(x):
    return np.abs(x) + 0.5


def _unit(x):
    return np.tanh(x) * 0.9


def _domain(name: str, x: np.ndarray) -> np.ndarray:
    """Map standard-normal samples into ``name``'s domain (dtype kept)."""
    dt = x.dtype
    x = x.astype(np.float64)
    if name in ("log", "log2", "log10", "sqrt", "rsqrt", "reciprocal"):
        x = _positive(x)
    elif name in ("asin", "acos", "atanh", "erfinv"):
        x = _unit(x)
    elif name == "acosh":
        x = 1.5 + np.abs(x)
    elif name == "log1p":
        x = np.abs(x) - 0.5
    elif name == "logit":
        x = 1 / (1 + np.exp(-x))
    elif name == "tan":
        x = np.clip(x, -1.2, 1.2)
    elif name in ("abs", "sign", "sgn", "relu", "floor", "ceil", "trunc", "round", "frac"):
        x = np.where(np.abs(x - np.round(x)) < 0.05, x + 0.1, x)  # off integers and 0
    return np.asarray(x.astype(dt))


# -- unary ops --------------------------------------------------------------------------------

FLOAT_UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
               "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
               "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv"]  # fmt: skip
COMPLEX_UNARY = [n for n in FLOAT_UNARY if n not in ("erf", "erfc", "erfinv")]
KEEP_UNARY = ["abs", "neg", "sign", "floor", "ceil", "trunc", "round", "frac", "square", "relu",
              "nan_to_num", "sgn", "positive"]  # fmt: skip
PREDICATES = ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "isreal"]
UNARY = FLOAT_UNARY + KEEP_UNARY


def _call(name):
    if name == "relu":
        return lambda lib, x: lib.relu(x)
    return lambda lib, x: getattr(lib, name)(x)


def each(cases, run) -> None:
    """``run(*case)`` for every case, naming the case when one fails (one test item per op
    keeps the file fast; the message still says which dtype or layout broke)."""
    for case in cases:
        try:
            run(*case)
        except AssertionError as exc:
            raise AssertionError(f"case {case}: {exc}") from exc


@pytest.mark.parametrize("name", UNARY + PREDICATES)
def test_unary_dtypes(name):
    """Values, output dtype and error type of each unary op on every dtype and shape, and
    on non-contiguous layouts."""

    def run(dtype, shape):
        x = sample(shape, dtype, _rng(name, dtype, shape))
        if name in ("cosh", "sinh") and dtype == "uint8":
            x = x % 80  # torch's float32 cosh overflows early (cosh(89) is finite)
        check(_call(name), x)

    each([(d, s) for d in ALL_DTYPES for s in SHAPES], run)
    x = sample((3, 4), "float32", _rng(name, "layout"))
    each([(layout,) for layout in LAYOUTS[1:]], lambda lay: check(_call(name), x, layout=lay))


@pytest.mark.parametrize("name", UNARY)
def test_unary_method_and_inplace(name):
    x = _domain(name, sample((3, 4), "float32", _rng(name)))
    check(lambda lib, t: getattr(t, name)(), x)
    if name == "positive":
        return
    check(lambda lib, t: getattr(t, name + "_")(), x)  # the result *is* the input
    check(lambda lib, t: getattr(t, name + "_")(), x, layout="transposed")
    # an integer tensor cannot take a float result in place
    i = sample((3,), "int64", _rng(name, "int"))
    check(lambda lib, t: getattr(t, name + "_")(), i)


SPECIAL_VALUES = np.array(
    [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-30, 1e30, -1e30, math.inf, -math.inf, math.nan,
     0.9999, -0.9999, 3.0, 100.0]  # fmt: skip
)


@pytest.mark.parametrize("name", UNARY + PREDICATES)
def test_unary_special_values(name):
    """Domain edges: log of 0 and negatives, sqrt of negatives, inf and nan everywhere."""
    values = SPECIAL_VALUES
    if name == "signbit":
        values = values[~np.isnan(values)]  # torch's bfloat16 conversion flips nan's sign
    each([(d,) for d in FLOATS], lambda d: check(_call(name), values.astype(np_dtype(d))))


def test_complex_gradients():
    for name in ("exp", "log", "sqrt", "sin", "tanh", "sigmoid", "reciprocal", "sgn", "abs"):
        x = sample((4,), "complex128", _rng(name))
        _grad_check(lambda lib, t: getattr(lib, name)(t), x, real_seed=True)


# -- the gradient helper --------------------------------------------------------------------


def _leaf(lib, arr: np.ndarray, layout: str, grad: bool):
    """A leaf tensor of ``lib`` showing ``arr`` (transposed: over a transposed buffer)."""
    if layout == "transposed" and arr.ndim >= 2:
        t = lib.from_numpy(np.ascontiguousarray(arr.T).copy()).permute(*range(arr.ndim - 1, -1, -1))
    else:
        t = lib.from_numpy(arr.copy())
    return t.requires_grad_() if grad else t


def _grad_check(fn, *args, layout: str = "contiguous", real_seed: bool = False, grads=None):
    """Run ``fn(lib, *tensors)`` on both libraries with every floating input requiring grad,
    backward a random ``grad_output`` and compare the outputs and every input's ``.grad``."""
    results = []
    for lib in (ember, torch):
        rng = np.random.default_rng(7)
        tensors = []
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                wants = a.dtype.kind in "fc" and (grads is None or i in grads)
                tensors.append(_leaf(lib, a, layout, wants))
            else:
                tensors.append(a)
        out = fn(lib, *tensors)
        shape = tuple(out.shape)
        seed = rng.standard_normal(shape)
        if out.is_complex():
            seed = seed + 1j * rng.standard_normal(shape)
        g = lib.from_numpy(np.asarray(seed).astype(to_numpy(out.detach()).dtype))
        if str(out.dtype).endswith("bfloat16"):
            g = lib.from_numpy(seed.astype(np.float32)).to(lib.bfloat16)
        out.backward(g)
        results.append((out, [t.grad for t in tensors if isinstance(t, ember.Tensor | torch.Tensor)
                              and t.requires_grad]))  # fmt: skip
    (ours, our_grads), (theirs, their_grads) = results
    _close(ours, theirs, "output")
    assert len(our_grads) == len(their_grads)
    for i, (a, b) in enumerate(zip(our_grads, their_grads)):
        assert a is not None, f"input {i}: no gradient"
        _close(a, b, f"grad of input {i}")


def _close(ours, theirs, where: str) -> None:
    dtype = str(theirs.dtype).replace("torch.", "ember.")
    assert str(ours.dtype) == dtype, f"{where}: dtype {ours.dtype}, torch {dtype}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{where}: shape"
    rtol, atol = TOLERANCES.get(dtype.removeprefix("ember."), (0, 0))
    np.testing.assert_allclose(
        to_numpy(ours.detach()), to_numpy(theirs), rtol=rtol * 10, atol=atol * 10,
        equal_nan=True, err_msg=where,
    )  # fmt: skip


# sgn's gradient is a ZeroTensor in torch, which cannot be read back; sign covers it.
DIFFERENTIABLE_UNARY = [n for n in UNARY if n not in ("positive", "sgn")]


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize("name", DIFFERENTIABLE_UNARY)
def test_unary_gradients(name, dtype):
    for shape, layout in (((), "contiguous"), ((0, 3), "contiguous"), ((3, 4), "contiguous"),
                          ((3, 4), "transposed")):  # fmt: skip
        x = _domain(name, sample(shape, dtype, _rng(name, dtype, shape)))
        _grad_check(_call(name), x, layout=layout)


@pytest.mark.parametrize("name", DIFFERENTIABLE_UNARY)
def test_unary_gradcheck(name):
    x = _domain(name, sample((2, 3), "float64", _rng(name, "gc")))
    t = ember.from_numpy(x).requires_grad_()
    assert ember.autograd.gradcheck(_call(name).__get__(ember), (t,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "sqrt", "rsqrt", "sin",
                                  "reciprocal", "erf", "square", "expm1", "log1p", "atan"])  # fmt: skip
def test_unary_double_backward(name):
    x = _domain(name, sample((5,), "float64", _rng(name, "gg")))
    t = ember.from_numpy(x).requires_grad_()
    assert ember.autograd.gradgradcheck(lambda v: getattr(ember, name)(v), (t,))
    # and the second derivative equals torch's
    vals = []
    for lib in (ember, torch):
        v = lib.from_numpy(x.copy()).requires_grad_()
        (g,) = lib.autograd.grad(getattr(lib, name)(v).sum(), v, create_graph=True)
        (gg,) = lib.autograd.grad((g * lib.from_numpy(np.linspace(0.5, 1.5, 5))).sum(), v)
        vals.append(to_numpy(gg))
    np.testing.assert_allclose(vals[0], vals[1], rtol=1e-10, atol=1e-12)


def test_grad_fn_names():
    x = ember.randn(3, requires_grad=True)
    y = ember.randn(3, requires_grad=True)
    names = {
        "ExpBackward0": x.exp(), "SigmoidBackward0": x.sigmoid(), "ErfinvBackward0": x.erfinv(),
        "PowBackward0": x ** 2, "PowBackward1": x ** y, "PowBackward2": 2 ** x,
        "ClampBackward1": x.clamp(0, 1), "ClampBackward0": x.clamp(y, None),
        "WhereBackward0": ember.where(x > 0, x, y), "MaximumBackward0": ember.maximum(x, y),
        "RoundBackward1": x.round(decimals=2), "LerpBackward1": ember.lerp(x, y, y),
        "AddcdivBackward0": ember.addcdiv(x, x, y), "DivBackward0": x / y,
        "Atan2Backward0": ember.atan2(x, y), "AbsBackward0": abs(x), "NegBackward0": -x,
    }  # fmt: skip
    for name, t in names.items():
        assert t.grad_fn.name() == name


# -- domain edges and exact values ---------------------------------------------------------


def test_erf_family_matches_torch_in_float64():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-1, 1, 500), rng.uniform(-6, 6, 500),
                        rng.uniform(-27, 27, 200), [0.0, 1.0, -1.0, 26.0, 5e-300]])  # fmt: skip
    for name in ("erf", "erfc"):
        ours = getattr(ember, name)(ember.from_numpy(x)).numpy()
        theirs = getattr(torch, name)(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0, err_msg=name)
    y = np.concatenate([rng.uniform(-1, 1, 1000), 1 - 10.0 ** -rng.uniform(1, 15, 200),
                        [0.0, 0.5, -0.5, 1e-300, -1e-10]])  # fmt: skip
    ours = ember.erfinv(ember.from_numpy(y)).numpy()
    theirs = torch.erfinv(torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_round_half_to_even_and_decimals():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.675, 1234.5678, -0.125, 0.125, 1e20, 7.5e-5],
                 dtype=np.float64)  # fmt: skip
    for dtype in ("float32", "float64", "float16", "bfloat16"):
        for decimals in (0, 1, 2, 3, -1, -2):
            check(lambda lib, t: lib.round(t, decimals=decimals), x.astype(np_dtype(dtype)))
    check(lambda lib, t: lib.round(t, decimals=1), np.array([1, 2], dtype=np.int64))
    check(lambda lib, t: t.round_(decimals=2), x)
    _grad_check(lambda lib, t: lib.round(t, decimals=2), x)


def test_logit_eps_and_nan_to_num_args():
    p = np.array([-0.5, 0.0, 0.01, 0.3, 0.5, 0.99, 1.0, 1.5, math.nan], dtype=np.float32)
    for eps in (None, 0.0, 0.05, 0.2):
        check(lambda lib, t: lib.logit(t, eps), p)
        check(lambda lib, t: lib.logit(t, eps=eps), p.astype(np.float64))
    _grad_check(lambda lib, t: lib.logit(t, 0.05), np.array([0.02, 0.3, 0.97, 0.5]))
    _grad_check(lambda lib, t: lib.logit(t), np.array([-0.5, 0.3, 0.7, 1.5]))
    v = np.array([math.nan, math.inf, -math.inf, 1.0, -2.0])
    for dtype in FLOATS:
        a = v.astype(np_dtype(dtype))
        check(lambda lib, t: lib.nan_to_num(t), a)
        check(lambda lib, t: lib.nan_to_num(t, nan=1.5, posinf=2.0), a)
        check(lambda lib, t: lib.nan_to_num(t, 0.0, 9.0, -9.0), a)
        check(lambda lib, t: t.nan_to_num_(nan=3.0), a)
    _grad_check(lambda lib, t: lib.nan_to_num(t, nan=2.0), v)


def test_unary_errors_on_non_tensors():
    for name in ("exp", "sqrt", "sigmoid"):
        check(lambda lib, name=name: getattr(lib, name)(2.0))


# -- binary arithmetic ----------------------------------------------------------------------

ARITH = {
    "add": lambda lib, a, b: lib.add(a, b),
    "add_alpha": lambda lib, a, b: lib.add(a, b, alpha=2),
    "sub": lambda lib, a, b: lib.sub(a, b),
    "sub_alpha": lambda lib, a, b: lib.sub(a, b, alpha=3),
    "mul": lambda lib, a, b: lib.mul(a, b),
    "div": lambda lib, a, b: lib.div(a, b),
    "true_divide": lambda lib, a, b: lib.true_divide(a, b),
    "div_trunc": lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
    "div_floor": lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
    "floor_divide": lambda lib, a, b: lib.floor_divide(a, b),
    "remainder": lambda lib, a, b: lib.remainder(a, b),
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "pow": lambda lib, a, b: lib.pow(a, b),
    "atan2": lambda lib, a, b: lib.atan2(a, b),
    "hypot": lambda lib, a, b: lib.hypot(a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "minimum": lambda lib, a, b: lib.minimum(a, b),
    "fmax": lambda lib, a, b: lib.fmax(a, b),
    "fmin": lambda lib, a, b: lib.fmin(a, b),
    "eq": lambda lib, a, b: lib.eq(a, b),
    "ne": lambda lib, a, b: a != b,
    "lt": lambda lib, a, b: lib.lt(a, b),
    "le": lambda lib, a, b: a <= b,
    "gt": lambda lib, a, b: a > b,
    "ge": lambda lib, a, b: lib.greater_equal(a, b),
    "logical_and": lambda lib, a, b: lib.logical_and(a, b),
    "logical_or": lambda lib, a, b: lib.logical_or(a, b),
    "logical_xor": lambda lib, a, b: lib.logical_xor(a, b),
    "bitwise_and": lambda lib, a, b: a & b,
    "bitwise_or": lambda lib, a, b: lib.bitwise_or(a, b),
    "bitwise_xor": lambda lib, a, b: a ^ b,
    "lshift": lambda lib, a, b: a << b,
    "rshift": lambda lib, a, b: lib.bitwise_right_shift(a, b),
}
DIFFERENTIABLE_BINARY = ["add", "add_alpha", "sub", "sub_alpha", "mul", "div", "remainder",
                         "fmod", "pow", "atan2", "hypot", "maximum", "minimum", "fmax",
                         "fmin", "div_trunc", "div_floor"]  # fmt: skip
DTYPE_PAIRS = [(d, d) for d in ALL_DTYPES] + [
    ("int64", "float32"), ("float32", "float64"), ("bool", "float32"), ("int32", "int64"),
    ("uint8", "int8"), ("float16", "bfloat16"), ("bool", "int16"), ("int8", "float16"),
    ("complex64", "float64"),
]  # fmt: skip


def _pair_values(name, shapes, dtypes, rng):
    a = sample(shapes[0], dtypes[0], rng)
    b = sample(shapes[1], dtypes[1], rng)
    if name in ("lshift", "rshift") and b.dtype.kind in "iu":
        b = (np.abs(b.astype(np.int64)) % 10).astype(b.dtype)
    if name == "pow" and b.dtype.kind in "iu":
        b = (np.abs(b.astype(np.int64)) % 4).astype(b.dtype)
    return a, b


@pytest.mark.parametrize("name", ARITH)
def test_binary_dtypes(name):
    """Every binary op over dtype pairs (promotion, errors) and broadcast shape pairs."""
    each([(d, s) for d in DTYPE_PAIRS for s in PAIRS], lambda d, s: _binary_case(name, d, s))


def _binary_case(name, dtypes, shapes):
    rng = _rng(name, dtypes, shapes)
    a, b = _pair_values(name, shapes, dtypes, rng)
    if name in ("div_trunc", "div_floor", "floor_divide", "remainder", "fmod") and \
            b.dtype.kind in "iub":  # fmt: skip
        b = np.where(b == 0, 1, b).astype(b.dtype)  # division by zero has its own test
    check(ARITH[name], a, b)


SCALARS = [2, -3, 2.5, True, -0.5]


@pytest.mark.parametrize("name", ARITH)
def test_binary_python_scalars(name):
    """A Python number on either side (weak in promotion: ``int_tensor * 2.5`` is float32;
    out of the dtype's range it wraps around: ``uint8_tensor - (-3)``), and NumPy scalars,
    which count as numbers."""
    fn = ARITH[name]

    def run(dtype, s):
        x = sample((3, 2), dtype, _rng(name, dtype))
        if name in ("lshift", "rshift"):
            x = np.abs(x) if dtype != "bool" else x
        check(lambda lib, t: fn(lib, t, s), x)
        check(lambda lib, t: fn(lib, s, t), x)

    dtypes = ("bool", "uint8", "int32", "int64", "float16", "float32", "float64")
    scalars = SCALARS
    if name in ("div_trunc", "div_floor", "floor_divide", "remainder", "fmod"):
        scalars = [s for s in SCALARS if s is not True]
    each([(d, s) for d in dtypes for s in scalars], run)
    each([(d, s) for d in ("uint8", "int64", "float32") for s in (np.int64(-3), np.float64(2.5),
          np.int8(3), np.float32(-0.5))], run)  # fmt: skip


@pytest.mark.parametrize("name", ARITH)
def test_binary_layouts(name):
    each([(ls,) for ls in (("transposed", "contiguous"), ("contiguous", "transposed"),
          ("strided", "expanded"), ("expanded", "transposed"), ("transposed", "transposed"),
          ("strided", "transposed"))], lambda ls: _layout_case(name, ls))  # fmt: skip


def _layout_case(name, layouts):
    rng = _rng(name, layouts)
    a, b = _pair_values(name, ((3, 4), (3, 4)), ("int64", "int64"), rng)
    if "div" in name or name in ("remainder", "fmod"):
        b = np.where(b == 0, 1, b)
    check(ARITH[name], a, b, layout=layouts)
    a, b = sample((3, 4), "float32", rng), sample((3, 4), "float32", rng)
    if name not in ("lshift", "rshift") and "bitwise" not in name:
        check(ARITH[name], a, b, layout=layouts)


def test_result_layouts_follow_torch():
    """Random permuted and sliced 2-4-D views: every pointwise result gets torch's strides
    (TensorIterator's rules: row-major, channels-last, the inputs' dense layout, or the dims
    ordered by the inputs' strides, size-1 dims included)."""
    rng = np.random.default_rng(0)
    for _ in range(150):
        ndim = int(rng.integers(2, 5))
        shape = tuple(int(n) for n in rng.integers(1, 4, ndim))
        bases = [sample(shape, "float32", rng) for _ in range(3)]
        perms = [tuple(int(p) for p in rng.permutation(ndim)) for _ in range(3)]
        steps = tuple(slice(None, None, int(k)) for k in rng.integers(1, 3, ndim))
        picks = tuple(slice(0, 1) if rng.random() < 0.3 else slice(None) for _ in range(ndim))
        results = []
        for lib in (ember, torch):
            a, b, c = (lib.from_numpy(x.copy()).permute(*p)[steps] for x, p in zip(bases, perms))
            b = b.permute(*range(ndim))[picks] if b.shape == a.shape else a
            c = c if c.shape == a.shape else a
            outs = [a.exp(), a + 1, 2.5 * a, a * b, b - a, a < 0.5, lib.where(a > 0, b, c),
                    lib.maximum(c, b), a.clamp(-0.5, 0.5), a.isnan()]  # fmt: skip
            results.append([(tuple(o.shape), o.stride()) for o in outs])
        assert results[0] == results[1], (shape, perms, steps, picks)


def _binary_domain(name, a, b):
    if name == "pow":
        a = _positive(a)
    if name in ("remainder", "fmod", "div_trunc", "div_floor"):
        b = np.where(np.abs(b) < 0.3, 0.7, b)
        # keep a / b off the integers where the quotient jumps
        q = a / b
        a = np.where(np.abs(q - np.round(q)) < 0.05, a + 0.1 * b, a)
    if name in ("maximum", "minimum", "fmax", "fmin"):
        b = np.where(np.abs(a - b) < 0.05, b + 0.2, b)
    return np.asarray(a, np.float64), np.asarray(b, np.float64)


@pytest.mark.parametrize("name", DIFFERENTIABLE_BINARY)
def test_binary_gradients(name):
    fn = ARITH[name]
    for shapes in PAIRS:
        rng = _rng(name, shapes, "grad")
        a, b = _binary_domain(name, sample(shapes[0], "float64", rng), sample(shapes[1], "float64",
                              rng))  # fmt: skip
        _grad_check(fn, a, b)
        _grad_check(fn, a.astype(np.float32), b.astype(np.float32))
        _grad_check(fn, a, b, grads=(0,))
        _grad_check(fn, a, b, grads=(1,))
    a, b = _binary_domain(name, sample((3, 4), "float64", rng), sample((3, 4), "float64", rng))
    _grad_check(fn, a, b, layout="transposed")
    tensor_only = ("atan2", "hypot", "maximum", "minimum", "fmax", "fmin")  # as in torch
    for s in (2.0, -1.5, 3):
        if name not in tensor_only:
            _grad_check(lambda lib, t: fn(lib, t, s), a)
    if name not in ("fmod", "remainder") + tensor_only:  # torch: no derivative of remainder(number, t)
        _grad_check(lambda lib, t: fn(lib, 1.5, t), b if name != "pow" else a)


@pytest.mark.parametrize("name", DIFFERENTIABLE_BINARY)
def test_binary_gradcheck(name):
    rng = _rng(name, "gradcheck")
    a, b = _binary_domain(name, sample((2, 3), "float64", rng), sample((3,), "float64", rng))
    ta = ember.from_numpy(a).requires_grad_()
    tb = ember.from_numpy(b).requires_grad_()
    assert ember.autograd.gradcheck(ARITH[name].__get__(ember), (ta, tb))


@pytest.mark.parametrize("name", ["mul", "div", "pow", "add_alpha", "sub", "maximum", "atan2"])
def test_binary_double_backward(name):
    rng = _rng(name, "gg")
    a, b = _binary_domain(name, sample((4,), "float64", rng), sample((4,), "float64", rng))
    ta = ember.from_numpy(a).requires_grad_()
    tb = ember.from_numpy(b).requires_grad_()
    assert ember.autograd.gradgradcheck(ARITH[name].__get__(ember), (ta, tb))


def test_max_min_ties_split_the_gradient():
    a = np.array([1.0, 2.0, 3.0, math.nan, 5.0])
    b = np.array([1.0, 0.0, 3.0, 1.0, math.nan])
    for name in ("maximum", "minimum", "fmax", "fmin"):
        _grad_check(ARITH[name], a, b)


def test_pow_special_cases():
    x = np.array([0.0, 0.0, 2.0, -2.0, 1.5, -1.0])
    e = np.array([0.0, 2.0, 0.0, 3.0, -1.0, 0.5])
    _grad_check(lambda lib, a, b: a ** b, x, e)
    for s in (0, 1, 2, 3, 0.5, -1, -2.5):
        _grad_check(lambda lib, a: a ** s, x)
    for base in (0.0, 2, 2.5, -2.0):
        _grad_check(lambda lib, a: base ** a, e)
    i = np.array([2, 1, -1, 0, 3], dtype=np.int64)
    check(lambda lib, a: a ** -1, i)
    check(lambda lib, a, b: lib.pow(a, b), i, np.array([-1, -2, -3, 2, 0]))
    check(lambda lib, a: lib.pow(2, a), np.array([-1, 0, 3]))
    check(lambda lib, a: a ** 0.5, i)
    check(lambda lib, a: a.pow_(2), i)
    check(lambda lib, a: lib.float_power(a, 2), i)
    check(lambda lib, a: lib.square(a), np.array([True, False]))


def test_integer_division_by_zero():
    a = np.array([4, -3, 0, 7], dtype=np.int64)
    z = np.array([1, 0, 2, 3], dtype=np.int64)
    for name in ("div_trunc", "div_floor", "floor_divide", "remainder", "fmod"):
        check(ARITH[name], a, z)
        check(lambda lib, t: ARITH[name](lib, t, 0), a)
    check(lambda lib, t: t // 0, a)
    check(lambda lib, t: t % 0, a)
    check(lambda lib, t, u: t / u, a, z)  # true division gives inf and nan
    f = np.array([1.0, -1.0, 0.0], dtype=np.float32)
    for name in ("div", "div_trunc", "div_floor", "floor_divide", "remainder", "fmod"):
        check(lambda lib, t: ARITH[name](lib, t, 0.0), f)


def test_shifts_out_of_range():
    a = np.array([5, -8, 1, -1], dtype=np.int64)
    for s in (-1, 0, 3, 63, 64, 70):
        check(lambda lib, t: t << s, a)
        check(lambda lib, t: t >> s, a)
    check(lambda lib, t, u: t << u, a, np.array([-1, 64, 2, 70]))
    check(lambda lib, t, u: t >> u, a, np.array([-1, 64, 2, 70]))
    for dtype in ("int8", "uint8", "int16", "int32"):
        v = np.array([1, 100, 7], dtype=dtype)
        check(lambda lib, t: t << 9, v)
        check(lambda lib, t: t >> 9, v)


def test_broadcast_errors():
    for name in ("add", "mul", "div", "maximum", "eq", "logical_and", "bitwise_and", "pow",
                 "atan2"):  # fmt: skip
        check(ARITH[name], np.ones((2, 3), np.int64), np.ones((4,), np.int64),
              match="must match the size")  # fmt: skip


def test_alpha_rules():
    f = np.array([1.0, 2.0], dtype=np.float32)
    i = np.array([1, 2])
    b = np.array([True, False])
    check(lambda lib, x, y: lib.add(x, y, alpha=2.5), i, i)
    check(lambda lib, x, y: lib.add(x, y, alpha=2), b, b)
    check(lambda lib, x, y: lib.add(x, y, alpha=True), f, f)
    check(lambda lib, x: lib.add(x, 2, alpha=3), i)
    check(lambda lib, x: lib.sub(x, 2.5, alpha=-2), f)
    check(lambda lib, x: lib.rsub(x, 2), i)
    check(lambda lib, x, y: x - y, b, b)
    check(lambda lib, x: x - 1, b)
    check(lambda lib, x: 1 - x, b)
    _grad_check(lambda lib, x, y: lib.sub(x, y, alpha=-1.5), f, f + 1)


# -- in-place binary ops and operators ----------------------------------------------------------

INPLACE_BINARY = ["add_", "sub_", "mul_", "div_", "floor_divide_", "remainder_", "fmod_", "pow_",
                  "atan2_", "hypot_", "maximum_", "fmin_", "eq_", "lt_",
                  "ge_", "logical_and_", "logical_xor_", "bitwise_and_", "bitwise_or_",
                  "bitwise_left_shift_", "clamp_min_", "clamp_max_"]  # fmt: skip


@pytest.mark.parametrize("name", INPLACE_BINARY)
def test_inplace_binary(name):
    rng = _rng(name)
    for dtype in ("float32", "int64", "bool"):
        a = sample((3, 4), dtype, rng)
        b = sample((4,), dtype, rng)
        if dtype != "float32":
            b = np.abs(b) % 5 + 1 if dtype != "bool" else b
        check(lambda lib, x, y: getattr(x, name)(y), a, b)
        check(lambda lib, x, y: getattr(x, name)(y), a, b, layout=("transposed", "contiguous"))
        check(lambda lib, x: getattr(x, name)(2), a)
    # the result must broadcast to self's shape
    check(lambda lib, x, y: getattr(x, name)(y), sample((4,), "float32", rng),
          sample((3, 4), "float32", rng))  # fmt: skip


def test_inplace_operators_and_errors():
    f = sample((3,), "float32", _rng("ops"))
    i = np.array([3, 4, 5], dtype=np.int64)
    b = np.array([True, False, True])
    ops = {
        "+=": lambda x, y: x.__iadd__(y), "-=": lambda x, y: x.__isub__(y),
        "*=": lambda x, y: x.__imul__(y), "/=": lambda x, y: x.__itruediv__(y),
        "//=": lambda x, y: x.__ifloordiv__(y), "%=": lambda x, y: x.__imod__(y),
        "**=": lambda x, y: x.__ipow__(y), "&=": lambda x, y: x.__iand__(y),
        "|=": lambda x, y: x.__ior__(y), "^=": lambda x, y: x.__ixor__(y),
        "<<=": lambda x, y: x.__ilshift__(y), ">>=": lambda x, y: x.__irshift__(y),
    }  # fmt: skip
    for op in ops.values():
        for x in (f, i, b):
            for y in (2, 1.5, True):
                check(lambda lib, t: op(t, y), x)
    # a leaf that requires grad refuses in-place ops
    for lib in (ember, torch):
        x = lib.ones(3, requires_grad=True)
        for fn in (lambda t: t.add_(1), lambda t: t.exp_(), lambda t: t.clamp_(0, 1),
                   lambda t: t.__imul__(2)):  # fmt: skip
            with pytest.raises(RuntimeError, match="leaf Variable"):
                fn(x)
    # an in-place op on a non-leaf joins the graph
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([0.5, 1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 2
        y.mul_(x).add_(x.exp()).sub_(1).div_(x)
        y.backward(lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64))
        grads.append(to_numpy(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_inplace_autograd_matches_torch():
    x = np.array([0.3, -0.7, 1.2])
    # (sigmoid_ followed by an in-place op would make torch refuse: it saves its output)
    _grad_check(lambda lib, t: (t * 1).sigmoid().mul(t).clamp_(min=-0.1), x)
    _grad_check(lambda lib, t: (t * 1).clamp_(max=0.5).clamp_(-0.5, None), x)
    lo, hi = np.array([0.0, -1.0, 0.0]), np.array([0.5, 0.0, 2.0])
    _grad_check(lambda lib, t, a, b: (t * 1).clamp_(a, b), x, lo, hi)
    _grad_check(lambda lib, t: (t + 0).add_(t, alpha=2).pow_(2), x)
    for name in ("exp_", "sin_", "sigmoid_", "relu_", "abs_", "log1p_", "tanh_", "sqrt_"):
        _grad_check(lambda lib, t: getattr((t * 1).abs_() + 0.1, name)(), x)
    _grad_check(lambda lib, t: (t * 1).mul_(t).div_(t + 2).atan2_(t), x)


OPERATORS = {
    "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
    "/": lambda x, y: x / y, "//": lambda x, y: x // y, "%": lambda x, y: x % y,
    "**": lambda x, y: x**y, "&": lambda x, y: x & y, "|": lambda x, y: x | y,
    "^": lambda x, y: x ^ y, "<<": lambda x, y: x << y, ">>": lambda x, y: x >> y,
    "==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
}  # fmt: skip


@pytest.mark.parametrize("op", OPERATORS)
def test_operators(op):
    """Each binary operator with tensors on both sides and with a number on either side
    (the reflected forms ``2 - t``, ``7 // t``, ``1 << t``...), over a few dtypes."""
    fn = OPERATORS[op]

    def run(dtype, other):
        rng = _rng(op, dtype)
        x = sample((2, 3), dtype, rng)
        y = sample((3,), dtype, rng)
        if dtype != "bool" and op in ("//", "%", "<<", ">>", "**"):
            x, y = np.abs(x) % 7 + 1, np.abs(y) % 5 + 1  # no division by 0, small shifts
        if other == "tensor":
            check(lambda lib, a, b: fn(a, b), x, y)
        else:
            check(lambda lib, a: fn(a, other), x)
            check(lambda lib, a: fn(other, a), x)

    each([(d, o) for d in ("bool", "uint8", "int64", "float32", "float64")
          for o in ("tensor", 3, 2.5, True)], run)  # fmt: skip


def test_reduced_floats_by_numbers():
    """float16/bfloat16 times or over a number (or a 0-dim float tensor) keeps the number in
    float32 and rounds once, as torch's CPU kernels do; ``number / t`` is ``t.reciprocal() *
    number``."""
    for dtype in ("float16", "bfloat16", "float32"):
        x = (sample((40,), "float32", _rng("half", dtype)) * 3).astype(np_dtype(dtype))
        for s in (0.1, 3.3, 100000.0, 1e-5, 7):
            check(lambda lib, t: t * s, x)
            check(lambda lib, t: s * t, x)
            check(lambda lib, t: lib.mul(s, t), x)
            check(lambda lib, t: t / s, x)
            check(lambda lib, t: s / t, x)
            check(lambda lib, t: t * lib.tensor(s), x)
    x = np.arange(1, 60, dtype=np.float32)
    check(lambda lib, t: 3.3 / t, x)
    check(lambda lib, t: 3 / t, np.arange(1, 60))
    _grad_check(lambda lib, t: 3.3 / t, np.array([0.5, -2.0, 3.0]))
    _grad_check(lambda lib, t: 3.3 * t, np.array([0.5, -2.0, 3.0]).astype(np.float32))


def test_numpy_scalars_on_the_left():
    """NumPy scalars defer to the tensor's reflected operator, so the result is a tensor."""
    x = sample((3,), "float32", _rng("np-left"))
    for s in (np.float64(2.5), np.int64(3), np.float32(-1.5)):
        check(lambda lib, t: s * t, x)
        check(lambda lib, t: s - t, x)
        check(lambda lib, t: s / t, x)
        check(lambda lib, t: s < t, x)


def test_operators_with_other_types():
    x = sample((3,), "float32", _rng("types"))
    check(lambda lib, t: t == None, x)  # noqa: E711
    check(lambda lib, t: t != "a", x)
    check(lambda lib, t: t < None, x)
    check(lambda lib, t: t + "a", x)
    check(lambda lib, t: 2 < t, x)
    check(lambda lib, t: 2.5 >= t, x)
    check(lambda lib, t: -t, x)
    check(lambda lib, t: +t, x)
    check(lambda lib, t: abs(t), x)
    check(lambda lib, t: ~t, x)
    check(lambda lib, t: ~t, np.array([1, -2, 0]))
    check(lambda lib, t: ~t, np.array([True, False]))
    check(lambda lib, t: -t, np.array([True, False]))
    check(lambda lib, t: +t, np.array([True, False]))
    check(lambda lib, t: 3 & t, np.array([1, 2, 3]))
    check(lambda lib, t: 1 << t, np.array([1, 2, 3]))
    check(lambda lib, t: 2 ** t, np.array([1, 2, 3]))
    check(lambda lib, t: 7 // t, np.array([1, 2, 3]))
    check(lambda lib, t: 7 % t, np.array([1, 2, 3]))
    check(lambda lib, t: lib.maximum(t, 2), x)
    check(lambda lib, t: lib.fmod(2, t), x)
    check(lambda lib, t: lib.ge(2, t), x)
    check(lambda lib, t: lib.logical_and(t, True), x)
    check(lambda lib, t: lib.atan2(t, 2), x)
    t = ember.ones(2)
    assert hash(t) == object.__hash__(t) and len({t, ember.ones(2)}) == 2


def test_out_argument():
    for lib in (ember, torch):
        out = lib.empty(3)
        r = lib.add(lib.ones(3), 2, out=out)
        assert r is out and out.tolist() == [3.0, 3.0, 3.0]
        o2 = lib.empty(0, dtype=lib.bool)
        lib.lt(lib.ones(2), 2, out=o2)
        assert o2.tolist() == [True, True]
        oi = lib.zeros(2, dtype=lib.int64)
        with pytest.raises(RuntimeError):
            lib.exp(lib.ones(2), out=oi)
        with pytest.raises(RuntimeError):
            lib.mul(lib.ones(2, requires_grad=True), 2, out=lib.empty(2))


# -- clamp, where, lerp, addcmul, addcdiv -------------------------------------------------------


@pytest.mark.parametrize("dtype", REAL_DTYPES)
def test_clamp_forms(dtype):
    rng = _rng("clamp", dtype)
    x = sample((3, 4), dtype, rng)
    lo, hi = sample((4,), dtype, rng), sample((3, 1), dtype, rng)
    forms = [
        lambda lib, t: lib.clamp(t, -1, 1), lambda lib, t: lib.clamp(t, min=0),
        lambda lib, t: t.clamp(max=0.5), lambda lib, t: lib.clip(t, -0.5, 2.5),
        lambda lib, t: lib.clamp(t, 1, -1), lambda lib, t: lib.clamp(t),
        lambda lib, t: t.clamp_(-1, 1), lambda lib, t: lib.clamp_min(t, 0),
        lambda lib, t: t.clamp_max_(1), lambda lib, t: t.clip_(min=0),
        lambda lib, t: lib.clamp(t, -1),
    ]  # fmt: skip
    for form in forms:
        check(form, x)
    check(lambda lib, t, a, b: lib.clamp(t, a, b), x, lo, hi)
    check(lambda lib, t, a: lib.clamp(t, min=a), x, lo)
    check(lambda lib, t, b: lib.clamp(t, max=b), x, hi)
    check(lambda lib, t, b: lib.clamp(t, -1, b), x, hi)
    check(lambda lib, t, a, b: t.clamp_(a, b), x, lo, hi)
    check(lambda lib, t, a: lib.clamp(t, a.float()), x, lo)


def test_clamp_gradients():
    rng = _rng("clampgrad")
    x = sample((3, 4), "float64", rng) * 2
    lo, hi = sample((4,), "float64", rng) - 1, sample((3, 1), "float64", rng) + 1
    for form in (lambda lib, t: lib.clamp(t, -1, 1), lambda lib, t: t.clamp(min=0.2),
                 lambda lib, t: t.clamp(max=0.3), lambda lib, t: t.clamp(1, -1)):  # fmt: skip
        _grad_check(form, x)
    _grad_check(lambda lib, t, a, b: lib.clamp(t, a, b), x, lo, hi)
    _grad_check(lambda lib, t, a, b: lib.clamp(t, b, a), x, lo, hi)  # min > max in places
    _grad_check(lambda lib, t, a: lib.clamp(t, min=a), x, lo)
    _grad_check(lambda lib, t, b: lib.clamp(t, max=b), x, hi)
    _grad_check(lambda lib, t, b: lib.clamp(t, None, b), x, hi)
    ta = ember.from_numpy(x).requires_grad_()
    tl = ember.from_numpy(lo).requires_grad_()
    th = ember.from_numpy(hi).requires_grad_()
    assert ember.autograd.gradcheck(lambda t, a, b: ember.clamp(t, a, b), (ta, tl, th))


def test_where_condition_only():
    """``where(condition)`` is ``nonzero(condition, as_tuple=True)``."""
    pytest.importorskip("ember.ops.index").nonzero
    for cond in (np.array([[True, False], [False, True]]), np.array([1, 0, 2]), np.array(True),
                 np.zeros((0, 2), bool)):  # fmt: skip
        # values and dtypes here; the layout of the index tensors is nonzero's own test
        ours = ember.where(ember.from_numpy(cond))
        theirs = torch.where(torch.from_numpy(cond))
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert str(a.dtype) == str(b.dtype).replace("torch", "ember")
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    check(lambda lib, c, x: lib.where(c, x), np.array([True]), np.ones(1))


def test_where():
    rng = _rng("where")
    c = sample((3, 4), "bool", rng)
    for dtypes in (("float32", "float32"), ("int64", "float64"), ("uint8", "int32"),
                   ("bool", "bool"), ("float16", "bfloat16")):  # fmt: skip
        a, b = sample((3, 1), dtypes[0], rng), sample((4,), dtypes[1], rng)
        check(lambda lib, k, x, y: lib.where(k, x, y), c, a, b)
        check(lambda lib, k, x: lib.where(k, x, 2.5), c, a)
        check(lambda lib, k, y: lib.where(k, 1, y), c, b)
        check(lambda lib, k, x, y: x.where(k, y), c, a, b)
    for s1, s2 in ((1, 2), (1.0, 2), (True, False), (1.5, 2.5)):
        check(lambda lib, k: lib.where(k, s1, s2), c)
    check(lambda lib, k: lib.where(k, 1, 2), np.array(True))
    check(lambda lib, k, x: lib.where(k, x, x), np.array([1, 0, 2]), a)  # int condition
    check(lambda lib, k, x: lib.where(k, x, x), np.array([1, 0, 2], np.uint8),
          sample((3,), "float32", rng))  # fmt: skip
    check(lambda lib, k, x, y: lib.where(k, x, y), c, np.ones((2, 4)), np.ones(4))
    x, y = sample((3, 1), "float64", rng), sample((4,), "float64", rng)
    _grad_check(lambda lib, k, a, b: lib.where(k, a, b), c, x, y)
    _grad_check(lambda lib, k, a: lib.where(k, a, 0.0), c, x)
    tx = ember.from_numpy(x).requires_grad_()
    ty = ember.from_numpy(y).requires_grad_()
    kc = ember.from_numpy(c)
    assert ember.autograd.gradgradcheck(lambda a, b: ember.where(kc, a * a, b.exp()), (tx, ty))


def test_lerp():
    rng = _rng("lerp")
    for dtype in ("float32", "float64", "float16", "bfloat16"):
        a, b, w = sample((3, 4), dtype, rng), sample((4,), dtype, rng), sample((3, 1), dtype, rng)
        for s in (0.0, 0.3, 0.5, 0.75, 1.0, 2, -1.5):
            check(lambda lib, x, y: lib.lerp(x, y, s), a, b)
        check(lambda lib, x, y, z: lib.lerp(x, y, z), a, b, w)
        check(lambda lib, x, y, z: x.lerp_(y, z), a, b, w)
    check(lambda lib, x, y: lib.lerp(x, y, 0.5), np.ones(2), np.ones(2, np.float32))
    check(lambda lib, x, y, z: lib.lerp(x, y, z), np.ones(2), np.ones(2), np.ones(2, np.float32))
    check(lambda lib, x, y: lib.lerp(x, y, 0.5), np.ones(2, np.int64), np.ones(2, np.int64))
    a, b, w = (sample(s, "float64", rng) for s in ((3, 4), (4,), (3, 1)))
    _grad_check(lambda lib, x, y: lib.lerp(x, y, 0.3), a, b)
    _grad_check(lambda lib, x, y: lib.lerp(x, y, 0.8), a, b)
    _grad_check(lambda lib, x, y, z: lib.lerp(x, y, z), a, b, w)
    ts = [ember.from_numpy(v).requires_grad_() for v in (a, b, w)]
    assert ember.autograd.gradcheck(lambda x, y, z: ember.lerp(x, y, z), tuple(ts))


def test_addcmul_addcdiv():
    rng = _rng("addc")
    for dtype in ("float32", "float64", "int64", "int32", "float16"):
        a, b, c = sample((3, 4), dtype, rng), sample((4,), dtype, rng), sample((3, 1), dtype, rng)
        c = np.where(c == 0, 1, c).astype(c.dtype)
        for value in (1, 2, 0.5, -1.5):
            check(lambda lib, x, y, z: lib.addcmul(x, y, z, value=value), a, b, c)
            check(lambda lib, x, y, z: lib.addcdiv(x, y, z, value=value), a, b, c)
        check(lambda lib, x, y, z: x.addcmul_(y, z, value=2), a, b, c)
        check(lambda lib, x, y, z: x.addcdiv_(y, z), a, b, c)
    check(lambda lib, x, y, z: lib.addcdiv(x, y, z), sample((2,), "float32", rng),
          np.array([1, 2]), np.array([3.0, 4.0]))  # fmt: skip
    a, b, c = (sample(s, "float64", rng) for s in ((3, 4), (4,), (3, 1)))
    c = np.where(np.abs(c) < 0.3, 0.8, c)
    for value in (1, -0.5):
        _grad_check(lambda lib, x, y, z: lib.addcmul(x, y, z, value=value), a, b, c)
        _grad_check(lambda lib, x, y, z: lib.addcdiv(x, y, z, value=value), a, b, c)
    ts = [ember.from_numpy(v).requires_grad_() for v in (a, b, c)]
    assert ember.autograd.gradcheck(lambda x, y, z: ember.addcdiv(x, y, z, value=2), tuple(ts))
    assert ember.autograd.gradcheck(lambda x, y, z: ember.addcmul(x, y, z, value=2), tuple(ts))


# -- comparisons as a whole -----------------------------------------------------------------------


def test_equal_isclose_allclose():
    rng = _rng("close")
    a = sample((3, 4), "float32", rng)
    b = a + np.float32(1e-6) * sample((3, 4), "float32", rng)
    specials = np.array([math.inf, -math.inf, math.nan, 1.0, 0.0], np.float32)
    for x, y in ((a, b), (a, a + 1e-3), (specials, specials), (specials, specials[::-1].copy())):
        for kw in ({}, {"rtol": 0, "atol": 0}, {"rtol": 1e-3}, {"atol": 1e-2},
                   {"equal_nan": True}):  # fmt: skip
            check(lambda lib, s, t: lib.isclose(s, t, **kw), x, y)
            check(lambda lib, s, t: lib.allclose(s, t, **kw), x, y)
            check(lambda lib, s, t: s.isclose(t, **kw), x, y)
        check(lambda lib, s, t: lib.equal(s, t), x, y)
        check(lambda lib, s, t: s.equal(t), x, x)
    i = np.array([1, 2, 100])
    check(lambda lib, s, t: lib.isclose(s, t, atol=1.5), i, i + 1)
    check(lambda lib, s, t: lib.isclose(s, t, rtol=0.02), i, i + 1)
    check(lambda lib, s, t: lib.isclose(s, t), np.array([True, False]), np.array([True, True]))
    check(lambda lib, s, t: lib.isclose(s, t), a, a.astype(np.float64))
    check(lambda lib, s, t: lib.isclose(s, t, rtol=-1), a, a)
    check(lambda lib, s, t: lib.allclose(s, t, atol=-1), a, a)
    check(lambda lib, s, t: lib.equal(s, t), a, a.astype(np.float64))
    check(lambda lib, s, t: lib.equal(s, t), a, a[:2])
    check(lambda lib, s, t: lib.equal(s, t), i, i.astype(np.float32))


def test_logical_and_bitwise_dtypes():
    for dtype in ALL_DTYPES:
        x = sample((2, 3), dtype, _rng("lnot", dtype))
        check(lambda lib, t: lib.logical_not(t), x)
        check(lambda lib, t: t.logical_not_(), x)
        check(lambda lib, t: lib.bitwise_not(t), x)
        check(lambda lib, t: t.bitwise_not_(), x)


def test_public_names_exist():
    """Every function, method and in-place variant of this family that torch has."""
    functions = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
                 "pow", "atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "lerp",
                 "addcmul", "addcdiv", "clamp", "clip", "where", "nan_to_num", "eq", "ne",
                 "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
                 "not_equal", "equal", "isclose", "allclose", "logical_and", "logical_or",
                 "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "isnan", "isinf",
                 "isfinite", "isposinf", "isneginf", "signbit", "logit", "round", "relu",
                 "square", "frac", "sign", "sgn", "abs", "absolute", "neg", "negative",
                 "positive", "clamp_min", "clamp_max", "float_power", "rsub", "fix",
                 "arcsin", "arctan2", "subtract", "multiply", "divide"] + FLOAT_UNARY  # fmt: skip
    for name in functions:
        assert callable(getattr(ember, name)), name
        if hasattr(torch.Tensor, name):
            assert hasattr(ember.Tensor, name), name
        if hasattr(torch.Tensor, name + "_"):
            assert hasattr(ember.Tensor, name + "_"), name + "_"
