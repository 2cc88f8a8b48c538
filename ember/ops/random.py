"""Random sampling: the factories (``rand``, ``randn``, ``randint``, ``randperm``, ``normal``,
the ``*_like`` family), sampling from tensors of parameters (``bernoulli``, ``multinomial``,
``poisson``) and the in-place fills (``uniform_``, ``normal_``, ``random_``, ...).

Every draw comes from an :class:`ember.Generator` (``generator=``, else the default one of
the output's device), whose backend bit generator follows NumPy's ``Generator`` API.
float16 and bfloat16 draws are made in float32 and cast; complex draws fill the real and
imaginary parts independently, as PyTorch does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ember import _dtype
from ember import random as _random
from ember._device import as_device
from ember._factories import _check_dtype, _finish, _no_out, _size_args, empty_like
from ember._tensor import Tensor, _from_array, preserve_format
from ember.backend import for_device
from ember.ops._sampling import (
    broadcast_shape,
    check_expands,
    check_inplace,
    check_p,
    check_probs,
    check_random_bounds,
    check_std,
    compute_dtype,
    continuous_only,
    discrete_max,
    draw,
    draw_ints,
    draw_normal,
    draw_uniform,
    fill_normal,
    fill_uniform,
    index_arg,
    normal_fill,
    not_implemented,
    require_float,
    store,
    value_range,
    wrap_sample,
)
from ember.ops._util import _TYPE_NAMES, check_same_device

_float32 = _dtype.float32
_float64 = _dtype.float64
_int64 = _dtype.int64


# -- factories ----------------------------------------------------------------------------------


def rand(
    *args,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of the given shape filled with uniform draws from [0, 1).

    >>> ember.rand(2, 3).shape
    ember.Size([2, 3])
    """
    _no_out(out, "rand")
    shape = _size_args(args, size, "rand")
    dt = _check_dtype(dtype, "rand") or _dtype.get_default_dtype()
    require_float(dt, "check_uniform_bounds", "rand")
    dev = as_device(device)
    bits = _random._resolve(generator, dev)._bits
    arr = draw(dt, shape, lambda rdt, s: draw_uniform(bits, s, rdt))
    return _finish(_from_array(arr.astype(dt.np, copy=False), dev, dt), requires_grad)


def randn(
    *args,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of the given shape filled with standard normal draws (complex dtypes: each
    part with variance 1/2, so that the complex value has variance 1)."""
    _no_out(out, "randn")
    shape = _size_args(args, size, "randn")
    dt = _check_dtype(dtype, "randn") or _dtype.get_default_dtype()
    require_float(dt, "normal_kernel_cpu", "randn")
    dev = as_device(device)
    bits = _random._resolve(generator, dev)._bits
    std = math.sqrt(0.5) if dt.is_complex else 1.0
    arr = draw(dt, shape, lambda rdt, s: draw_normal(bits, s, rdt, 0.0, std))
    return _finish(_from_array(arr.astype(dt.np, copy=False), dev, dt), requires_grad)


def randint(
    low=0,
    high=None,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise.

    >>> ember.randint(3, 10, (2, 2)).dtype
    ember.int64
    """
    _no_out(out, "randint")
    if size is None and isinstance(high, Sequence):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size' (the output shape)")
    if not isinstance(size, Sequence):
        raise TypeError(
            f"randint(): argument 'size' must be a tuple of ints, not {type(size).__name__}"
        )
    low, high = index_arg(low, "randint", "low"), index_arg(high, "randint", "high")
    shape = _size_args((size,), None, "randint")
    dt = _check_dtype(dtype, "randint") or _int64
    check_random_bounds(low, high, dt)
    dev = as_device(device)
    bits = _random._resolve(generator, dev)._bits
    arr = draw_ints(bits, low, high - 1, shape).astype(dt.np)
    return _finish(_from_array(arr, dev, dt), requires_grad)


# The largest n whose permutation a narrow float dtype holds exactly, with PyTorch's wording.
_RANDPERM_FLOAT_LIMITS = {
    _dtype.float16: ("2049", 2049),
    _float32: ("2^24+1", 2**24 + 1),
    _float64: ("2^53+1", 2**53 + 1),
}


def randperm(
    n: int,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    _no_out(out, "randperm")
    n = index_arg(n, "randperm", "n")
    if n < 0:
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {n}: [{n}] (randperm needs n >= 0)"
        )
    dt = _check_dtype(dtype, "randperm") or _int64
    if dt.is_bool or dt.is_complex:
        raise NotImplementedError(
            f"\"randperm\" not implemented for '{_TYPE_NAMES[dt]}': randperm needs an integer "
            f"or floating point dtype, got {dt}"
        )
    if dt in _RANDPERM_FLOAT_LIMITS and n > _RANDPERM_FLOAT_LIMITS[dt][1]:
        raise RuntimeError(
            f"n cannot be greater than {_RANDPERM_FLOAT_LIMITS[dt][0]} for {_TYPE_NAMES[dt]} "
            f"type. (got n={n})"
        )
    if not dt.is_floating_point and n - 1 > value_range(dt)[1]:
        raise RuntimeError(
            f"value cannot be converted to type {dt} without overflow: n={n} is too large"
        )
    dev = as_device(device)
    bits = _random._resolve(generator, dev)._bits
    arr = bits.permutation(n).astype(dt.np, copy=False)
    return _finish(_from_array(arr, dev, dt), requires_grad)


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Normal draws with the given means and standard deviations.

    ``normal(mean_tensor, std=1.0)``, ``normal(mean, std_tensor)`` and
    ``normal(mean_tensor, std_tensor)`` draw one value per element (shapes broadcast; the
    output has the mean's dtype, else the std's); ``normal(mean, std, size)`` with two
    numbers draws a tensor of shape ``size``.  The gradient with respect to tensor means and
    stds is zero, as in PyTorch.
    """
    _no_out(out, "normal")
    mean_is_t, std_is_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_is_t and not std_is_t:
        if size is None:
            raise TypeError(
                "normal(): with a number for both mean and std, give size= (the output shape)"
            )
        check_std(std)
        shape = _size_args((size,), None, "normal")
        dt = _check_dtype(dtype, "normal") or _dtype.get_default_dtype()
        require_float(dt, "normal_kernel_cpu", "normal")
        dev = as_device(device)
        bits = _random._resolve(generator, dev)._bits
        arr = draw(dt, shape, normal_fill(bits, dt, mean, std))
        return _finish(_from_array(arr.astype(dt.np, copy=False), dev, dt), requires_grad)
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError(
            "normal(): size, dtype, device and requires_grad are accepted only when "
            "mean and std are both numbers"
        )
    if std_is_t:
        if bool(for_device(std._device).xp.any(std._data < 0)):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        check_std(std)
    ref = mean if mean_is_t else std
    if mean_is_t and std_is_t:
        check_same_device(mean, std)
        shape = broadcast_shape(tuple(mean._data.shape), tuple(std._data.shape))
    else:
        shape = tuple(ref._data.shape)
    dt, dev = ref._dtype, ref._device
    require_float(dt, "normal_kernel_cpu", "normal")
    bits = _random._resolve(generator, dev)._bits
    ct = compute_dtype(dt)
    part_std = math.sqrt(0.5) if dt.is_complex else 1.0
    z = draw(ct, shape, lambda rdt, s: draw_normal(bits, s, rdt, 0.0, part_std))
    m = mean._data.astype(ct.np, copy=False) if mean_is_t else mean
    s = std._data.astype(compute_dtype(std._dtype).np, copy=False) if std_is_t else std
    arr = (m + s * z).astype(dt.np, copy=False)
    params = [t for t in (mean, std) if isinstance(t, Tensor)]
    return wrap_sample(arr, dt, dev, params)


# -- sampling from tensors of parameters ---------------------------------------------------------


def bernoulli(input: Tensor, p: float | None = None, *, generator=None, out=None) -> Tensor:
    """0/1 draws, each 1 with probability ``input[i]`` (or with probability ``p`` when given),
    in ``input``'s dtype.

    >>> ember.bernoulli(ember.full((4,), 0.5))  # e.g. tensor([1., 0., 0., 1.])
    """
    _no_out(out, "bernoulli")
    dt, dev = input._dtype, input._device
    if p is None:
        require_float(dt, "bernoulli_tensor_cpu_p_", "bernoulli's probability tensor", False)
        check_probs(input)
        prob = input._data
    else:
        if isinstance(p, Tensor):
            raise TypeError(
                "bernoulli(): p must be a number; use Tensor.bernoulli_(p) for a "
                "tensor of probabilities"
            )
        check_p(p)
        if dt.is_complex:
            raise not_implemented("bernoulli_scalar_cpu_", dt, "bernoulli")
        prob = p
    bits = _random._resolve(generator, dev)._bits
    u = draw_uniform(bits, tuple(input._data.shape), _float64 if dt is _float64 else _float32)
    arr = (u < prob).astype(dt.np)
    return wrap_sample(arr, dt, dev, [input])


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator=None, out=None
) -> Tensor:
    """Category indices drawn from the (unnormalised) probabilities in each row of ``input``
    (1-D: one distribution, 2-D: one per row); int64 of shape ``(rows,) num_samples``.

    Without replacement no index repeats within a row; categories of probability zero are
    drawn only once every other category has been.
    """
    _no_out(out, "multinomial")
    if input._data.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {input._data.ndim} dims")
    dt, dev = input._dtype, input._device
    if not dt.is_floating_point:
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {_TYPE_NAMES[dt]}"
        )
    n = index_arg(num_samples, "multinomial", "num_samples")
    if n <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (num_samples={n})")
    ncat = input._data.shape[-1]
    if not replacement and n > ncat:
        raise RuntimeError(
            f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({n} > {ncat})"
        )
    if ncat > 2**24:
        raise RuntimeError(f"number of categories cannot exceed 2^24, got {ncat}")
    xp = for_device(dev).xp
    p = input._data.reshape(-1, ncat).astype(_float64.np)
    rows = p.shape[0]
    if rows:
        if not bool(xp.all(xp.isfinite(p) & (p >= 0))):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if ncat == 0 or bool(xp.any(p.sum(axis=1) <= 0)):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    bits = _random._resolve(generator, dev)._bits
    if rows == 0:
        idx = xp.empty((0, n), _int64.np)
    elif replacement:
        idx = _sample_with_replacement(xp, bits, p, n)
    else:
        idx = _sample_without_replacement(xp, bits, p, n)
    out_shape = (n,) if input._data.ndim == 1 else (rows, n)
    return _from_array(idx.reshape(out_shape), dev, _int64)


def _sample_with_replacement(xp, bits, p, n: int):
    """Inverse CDF for all rows in one ``searchsorted``: row r's normalised CDF is shifted into
    (r, r + 1], so that the rows' CDFs concatenate into one ascending array."""
    rows, ncat = p.shape
    cdf = xp.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    shift = xp.arange(rows, dtype=_float64.np)[:, None]
    u = bits.random((rows, n)) + shift
    # side='right' skips categories of probability zero: their CDF equals their neighbour's.
    flat = xp.searchsorted((cdf + shift).reshape(-1), u.reshape(-1), side="right")
    idx = flat.reshape(rows, n) - xp.arange(0, rows * ncat, ncat)[:, None]
    # u + r may round up to r + 1; cap at the row's last category of nonzero probability.
    last = ncat - 1 - xp.argmax(p[:, ::-1] > 0, axis=1)
    return xp.minimum(idx, last[:, None]).astype(_int64.np, copy=False)


def _sample_without_replacement(xp, bits, p, n: int):
    """Exponential race: category i wins at time E_i / p_i with E_i ~ Exp(1); the first n
    finishers are a draw without replacement, in draw order (log keys avoid overflow)."""
    e = bits.standard_exponential(p.shape)
    positive = p > 0
    keys = xp.where(positive, xp.log(xp.where(positive, p, 1.0)) - xp.log(e), -xp.inf)
    if n == 1:
        return xp.argmax(keys, axis=1)[:, None].astype(_int64.np)
    # A stable sort keeps zero-probability categories (all -inf) in index order, like PyTorch.
    return xp.argsort(-keys, axis=1, kind="stable")[:, :n].astype(_int64.np, copy=False)


def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson draws with the rates in ``input``, in ``input``'s (floating point) dtype."""
    dt, dev = input._dtype, input._device
    require_float(dt, "poisson_cpu", "poisson", False)
    xp = for_device(dev).xp
    rates = input._data.astype(_float64.np)
    if not bool(xp.all(rates >= 0)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    bits = _random._resolve(generator, dev)._bits
    arr = bits.poisson(rates, rates.shape).astype(dt.np)
    return wrap_sample(arr, dt, dev, [input])


# -- *_like -----------------------------------------------------------------------------------


def rand_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=preserve_format,
) -> Tensor:
    """``rand`` with ``input``'s shape (and dtype and device unless given)."""
    out = empty_like(input, dtype=dtype, device=device, memory_format=memory_format)
    fill_uniform(out, 0.0, 1.0, generator, "rand_like")
    return _finish(out, requires_grad)


def randn_like(
    input: Tensor,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=preserve_format,
) -> Tensor:
    """``randn`` with ``input``'s shape (and dtype and device unless given)."""
    out = empty_like(input, dtype=dtype, device=device, memory_format=memory_format)
    fill_normal(out, 0.0, 1.0, generator, "randn_like")
    return _finish(out, requires_grad)


def randint_like(
    input: Tensor,
    low=0,
    high=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=preserve_format,
) -> Tensor:
    """``randint`` with ``input``'s shape: ``randint_like(x, high)`` or
    ``randint_like(x, low, high)``; the dtype is ``input``'s unless given."""
    if high is None:
        low, high = 0, low
    low = index_arg(low, "randint_like", "low")
    high = index_arg(high, "randint_like", "high")
    out = empty_like(input, dtype=dtype, device=device, memory_format=memory_format)
    check_random_bounds(low, high, out._dtype)
    bits = _random._resolve(generator, out._device)._bits
    out._data[...] = draw_ints(bits, low, high - 1, tuple(out._data.shape))
    return _finish(out, requires_grad)


# -- in-place fills -----------------------------------------------------------------------------


def _no_more(kwargs: dict, fn: str) -> None:
    if kwargs:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kwargs))}'")


def uniform_(
    input: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None, **kwargs
) -> Tensor:
    """Fill with uniform draws from [from, to) (``from`` may also be given by keyword)."""
    from_ = kwargs.pop("from", from_)
    _no_more(kwargs, "uniform_")
    return fill_uniform(input, from_, to, generator, "uniform_")


def normal_(input: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with normal draws of the given mean and standard deviation."""
    return fill_normal(input, mean, std, generator, "normal_")


_UNSET = object()


def random_(input: Tensor, from_=None, to=_UNSET, *, generator=None, **kwargs) -> Tensor:
    """Fill with integers drawn uniformly: ``random_()`` over the dtype's exact integers
    (``[0, 2**mantissa]`` for floats), ``random_(to)`` over [0, to), ``random_(from, to)``
    over [from, to) and ``random_(from, None)`` from ``from`` to the dtype's top."""
    if "from" in kwargs:
        from_ = kwargs.pop("from")
        to = None if to is _UNSET else to
    _no_more(kwargs, "random_")
    dt = input._dtype
    if dt.is_complex:
        raise NotImplementedError(
            f"\"random_kernel_cpu\" not implemented for '{_TYPE_NAMES[dt]}': random_ needs a "
            f"real dtype, got {dt}"
        )
    if to is _UNSET and from_ is not None:
        from_, to = 0, from_
    low = 0 if from_ is None else index_arg(from_, "random_", "from")
    if to is _UNSET or to is None:
        check_random_bounds(low, None, dt, check_high=False)
        high_inclusive = discrete_max(dt)
    else:
        to = index_arg(to, "random_", "to")
        check_random_bounds(low, to, dt)
        high_inclusive = to - 1
    check_inplace(input)
    bits = _random._resolve(generator, input._device)._bits
    return store(input, draw_ints(bits, low, high_inclusive, tuple(input._data.shape)))


def bernoulli_(input: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 draws, 1 with probability ``p`` (a number, or a tensor that broadcasts
    to this tensor's shape)."""
    dt = input._dtype
    shape = tuple(input._data.shape)
    if isinstance(p, Tensor):
        require_float(p._dtype, "bernoulli_tensor_cpu_p_", "bernoulli_'s probability tensor", False)
        check_same_device(input, p)
        check_expands(tuple(p._data.shape), shape)
        check_probs(p)
        prob = p._data
    else:
        check_p(p)
        prob = p
    if dt.is_complex:
        raise not_implemented("bernoulli_scalar_cpu_", dt, "bernoulli_")
    check_inplace(input)
    bits = _random._resolve(generator, input._device)._bits
    return store(input, draw_uniform(bits, shape, _float64 if dt is _float64 else _float32) < prob)


def exponential_(input: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with exponential draws of rate ``lambd`` (mean ``1 / lambd``)."""
    continuous_only(input._dtype, "Exponential")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    check_inplace(input)
    bits = _random._resolve(generator, input._device)._bits
    e = bits.standard_exponential(tuple(input._data.shape), dtype=compute_dtype(input._dtype).np)
    return store(input, e / lambd)


def geometric_(input: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to and including the first success."""
    dt = input._dtype
    if dt.is_bool or dt.is_complex:
        raise NotImplementedError(
            f"\"geometric_cpu\" not implemented for '{_TYPE_NAMES[dt]}': geometric_ needs an "
            f"integer or floating point dtype, got {dt}"
        )
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    check_inplace(input)
    bits = _random._resolve(generator, input._device)._bits
    return store(input, bits.geometric(p, tuple(input._data.shape)))


def cauchy_(input: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy draws centred on ``median`` with scale ``sigma``."""
    continuous_only(input._dtype, "Cauchy")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    check_inplace(input)
    bits = _random._resolve(generator, input._device)._bits
    c = bits.standard_cauchy(tuple(input._data.shape))
    return store(input, median + sigma * c)


def log_normal_(input: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with ``exp(x)`` for normal draws ``x`` of the given mean and std."""
    dt = input._dtype
    require_float(dt, "log_normal_cpu", "log_normal_", False)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    check_inplace(input)
    bits = _random._resolve(generator, input._device)._bits
    xp = for_device(input._device).xp
    return store(input, xp.exp(draw_normal(bits, tuple(input._data.shape), dt, mean, std)))


_METHODS = {
    "uniform_": uniform_,
    "normal_": normal_,
    "random_": random_,
    "bernoulli_": bernoulli_,
    "exponential_": exponential_,
    "geometric_": geometric_,
    "cauchy_": cauchy_,
    "log_normal_": log_normal_,
    "bernoulli": bernoulli,
    "multinomial": multinomial,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
