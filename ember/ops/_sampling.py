"""What the random ops share: drawing arrays from a generator's bit stream (float16 and
bfloat16 via float32, complex as two real parts), PyTorch's argument checks with its
messages, and storing a draw into a tensor in place."""

from __future__ import annotations

import math
import operator
import warnings

from ember import _dtype
from ember import random as _random
from ember._factories import zeros
from ember._tensor import Tensor, _from_array
from ember.autograd import grad_mode
from ember.autograd.function import Primitive
from ember.backend import for_device
from ember.ops._util import _TYPE_NAMES

_float32 = _dtype.float32
_float64 = _dtype.float64
_int64 = _dtype.int64

# Significand bits of each float dtype: integers up to 2**digits are exact, and uniform draws
# on a 2**-digits grid stay strictly below 1 after the cast to a narrow dtype.
DIGITS = {_dtype.float16: 11, _dtype.bfloat16: 8, _float32: 24, _float64: 53}
NARROW = (_dtype.float16, _dtype.bfloat16)


class Sample(Primitive):
    """A draw whose distribution's parameters are the inputs.  As in PyTorch, its gradient
    with respect to them is zero (the draw is not reparameterised); recording the node keeps
    ``requires_grad`` and the graph the same as PyTorch's."""

    save_inputs = False

    @staticmethod
    def forward(ctx, *arrays, sample):
        ctx.metas = tuple((a.shape, _dtype.from_numpy_dtype(a.dtype)) for a in arrays)
        return sample

    @staticmethod
    def backward(ctx, grad):
        return tuple(
            zeros(shape, dtype=dt, device=grad.device) if need else None
            for (shape, dt), need in zip(ctx.metas, ctx.needs_input_grad, strict=True)
        )


def wrap_sample(arr, dt, dev, params: list) -> Tensor:
    """The output tensor of a draw from ``params`` (tensors), in the graph when they need grad."""
    if grad_mode.enabled and any(p._requires_grad for p in params):
        return Sample.apply(*params, sample=arr)
    return _from_array(arr, dev, dt)


# -- drawing arrays ---------------------------------------------------------------------------


def compute_dtype(dt: _dtype.dtype) -> _dtype.dtype:
    return _float32 if dt in NARROW else dt


def draw_uniform(bits, shape, dt, low=0.0, high=1.0):
    """Uniform draws in [low, high) as an array of the real float dtype ``dt``'s compute type."""
    if dt in NARROW:
        digits = DIGITS[dt]
        u = bits.integers(0, 1 << digits, shape, dtype=_dtype.int32.np).astype(_float32.np)
        u *= 2.0**-digits
    else:
        u = bits.random(shape, dtype=dt.np)
    if low != 0.0 or high != 1.0:
        u = low + (high - low) * u
    return u


def draw_normal(bits, shape, dt, mean=0.0, std=1.0):
    """Normal draws as an array of the real float dtype ``dt``'s compute type."""
    z = bits.standard_normal(shape, dtype=compute_dtype(dt).np)
    if std != 1.0:
        z *= std
    if mean != 0.0:
        z += mean
    return z


def draw(dt: _dtype.dtype, shape: tuple, draw_real):
    """``draw_real(real_dtype, shape)`` for real ``dt``; for complex, one real draw per part."""
    if dt.is_complex:
        parts = draw_real(dt.to_real(), (*shape, 2))
        return parts.astype(dt.to_real().np, copy=False).view(dt.np).reshape(shape)
    return draw_real(dt, shape)


def draw_ints(bits, low: int, high_inclusive: int, shape):
    return bits.integers(low, high_inclusive, shape, dtype=_int64.np, endpoint=True)


# -- argument checks ----------------------------------------------------------------------------


def not_implemented(kernel: str, dt: _dtype.dtype, what: str):
    return NotImplementedError(
        f"\"{kernel}\" not implemented for '{_TYPE_NAMES[dt]}': {what} needs a floating point "
        f"dtype, got {dt}"
    )


def require_float(dt: _dtype.dtype, kernel: str, what: str, complex_ok: bool = True) -> None:
    if not (dt.is_floating_point or (complex_ok and dt.is_complex)):
        raise not_implemented(kernel, dt, what)


def continuous_only(dt: _dtype.dtype, name: str) -> None:
    if not dt.is_floating_point:
        raise RuntimeError(
            f"{name} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {dt}"
        )


def index_arg(value, fn: str, name: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{fn}(): argument '{name}' must be int, not {type(value).__name__}"
        ) from None


def value_range(dt: _dtype.dtype) -> tuple:
    if dt.is_bool:
        return 0, 1
    info = _dtype.finfo(dt) if dt.is_floating_point else _dtype.iinfo(dt)
    return info.min, info.max


def check_random_bounds(low: int, high: int, dt: _dtype.dtype, check_high: bool = True) -> None:
    """PyTorch's checks on a discrete range [low, high) for values of dtype ``dt``."""
    if dt.is_complex:
        raise RuntimeError(
            f"check_random_bounds handles only integral, floating-point and boolean types, got {dt}"
        )
    if check_high and low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    lo, hi = value_range(dt)
    bounds = [("from", low)] + ([("to - 1", high - 1)] if check_high else [])
    for what, v in bounds:
        if not lo <= v <= hi:
            raise RuntimeError(f"{what} is out of bounds for {dt}: {v} is outside [{lo}, {hi}]")
        if dt.is_floating_point and abs(v) > 2 ** DIGITS[dt]:
            d = DIGITS[dt]
            warnings.warn(
                f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations {dt} "
                "can support discrete uniform distribution only within this range.",
                UserWarning,
                stacklevel=3,
            )


def discrete_max(dt: _dtype.dtype) -> int:
    """The top of ``random_``'s default range: the largest int the dtype holds exactly."""
    if dt.is_floating_point:
        return 2 ** DIGITS[dt]
    return value_range(dt)[1]


def check_probs(p: Tensor) -> None:
    xp = for_device(p._device).xp
    if not bool(xp.all((p._data >= 0) & (p._data <= 1))):
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false: bernoulli expects "
            "every probability in [0, 1] (and no NaN)"
        )


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def check_expands(src: tuple, target: tuple) -> None:
    """Raise unless a tensor of shape ``src`` expands to ``target`` (PyTorch's ``expand`` rule)."""
    lead = len(target) - len(src)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(src)})"
        )
    for i, s in enumerate(src):
        t = target[lead + i]
        if s != 1 and s != t:
            raise RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {list(target)}.  Tensor "
                f"sizes: {list(src)}"
            )


def check_std(std: float) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def normal_fill(bits, dt: _dtype.dtype, mean: float, std: float):
    """The per-part draw of ``normal(mean, std)``: complex parts get std / sqrt(2) each."""
    part_std = std * math.sqrt(0.5) if dt.is_complex else std
    return lambda rdt, s: draw_normal(bits, s, rdt, mean, part_std)


def check_p(p: float) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")


def check_inplace(t: Tensor) -> None:
    if grad_mode.enabled and t._requires_grad and t.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


def store(t: Tensor, arr) -> Tensor:
    """Write a draw into ``t``'s memory (so every view sees it) and cut its history: the
    values no longer depend on what ``t`` held, so the gradient to that is zero."""
    if grad_mode.enabled and t._requires_grad:
        t.grad_fn = Sample.apply(t, sample=arr.astype(t._data.dtype, copy=False)).grad_fn
        if t._output_nr:
            t._output_nr = 0
    t._data[...] = arr
    t._bump_version()
    return t


def fill_uniform(t: Tensor, low: float, high: float, generator, what: str) -> Tensor:
    dt = t._dtype
    require_float(dt, "check_uniform_bounds", what)
    lo, hi = value_range(dt.to_real())
    for name, v in (("from", low), ("to", high)):
        if not lo <= v <= hi:
            raise RuntimeError(f"{name} is out of bounds for {dt}: {v} is outside [{lo}, {hi}]")
    if low > high:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}"
        )
    if high - low > hi:
        raise RuntimeError(
            f"uniform_ expects to-from <= {hi} (the largest {dt.to_real()}), but found "
            f"to={high} and from={low} which result in to-from to exceed the limit"
        )
    check_inplace(t)
    bits = _random._resolve(generator, t._device)._bits
    return store(
        t, draw(dt, tuple(t._data.shape), lambda rdt, s: draw_uniform(bits, s, rdt, low, high))
    )


def fill_normal(t: Tensor, mean: float, std: float, generator, what: str) -> Tensor:
    require_float(t._dtype, "normal_kernel_cpu", what)
    check_std(std)
    check_inplace(t)
    bits = _random._resolve(generator, t._device)._bits
    return store(t, draw(t._dtype, tuple(t._data.shape), normal_fill(bits, t._dtype, mean, std)))
