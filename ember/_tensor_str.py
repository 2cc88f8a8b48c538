"""Tensor printing: ``repr(t)`` in PyTorch's exact text, and the print options behind it.

The text is built in three steps.  First the tensor is *summarised* on its own device: along
every dimension longer than ``2 * edgeitems`` only the edges are kept, so a huge tensor never
reaches the formatter whole.  Then each element of that small array is turned into a string,
with one rule per dtype family chosen from the visible values only (PyTorch decides between
integer-looking, fixed-point and scientific notation the same way).  Finally the strings are
nested into brackets, wrapped at ``linewidth`` and followed by the ``dtype=`` / ``device=`` /
``requires_grad=`` suffixes.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from ember import _dtype
from ember._device import CPU
from ember.backend import for_device

_np = for_device(CPU).xp

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

# The one home of the print options (read by every repr).
_options: dict[str, Any] = {**_PROFILES["default"], "sci_mode": None}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the options for printing tensors, as ``torch.set_printoptions`` does.

    Args:
        precision: digits after the decimal point for floating values (default 4).
        threshold: element count above which a tensor is summarised with ``...`` (1000).
        edgeitems: items kept at each end of a summarised dimension (3).
        linewidth: characters per line before wrapping (80).
        profile: ``'default'``, ``'short'`` or ``'full'``: resets the four options above,
            then any of them given explicitly override it.
        sci_mode: ``True`` / ``False`` force scientific / fixed notation; ``None`` (the
            default, and what every call without it restores) lets the values decide.

    Example::

        >>> ember.set_printoptions(precision=2)
        >>> ember.tensor([1.12345])
        tensor([1.12])
    """
    # Like PyTorch, an unknown profile name changes nothing.
    if profile in _PROFILES:
        _options.update(_PROFILES[profile])
    given = {
        "precision": precision,
        "threshold": threshold,
        "edgeitems": edgeitems,
        "linewidth": linewidth,
    }
    _options.update({k: v for k, v in given.items() if v is not None})
    _options["sci_mode"] = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options as a dict that ``set_printoptions(**options)`` accepts."""
    return dict(_options)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Change the print options inside a ``with`` block (same arguments as ``set_printoptions``).

    Example::

        >>> with ember.printoptions(precision=2):
        ...     print(ember.tensor([1.12345]))
        tensor([1.12])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------------------------------
# repr


def tensor_repr(t) -> str:
    """The text of ``repr(t)`` / ``str(t)``: PyTorch's, with ``ember.`` for ``torch.``."""
    prefix = "tensor("
    indent = len(prefix)
    shape = tuple(t._data.shape)
    dtype = t._dtype
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    if t._data.size == 0:
        # Nothing to show, so the shape (unless it is plain ``(0,)``) and the dtype (an
        # empty list would read back as the default dtype) must be spelled out.
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        if dtype is not _dtype.get_default_dtype():
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        # With no edge items the values say nothing about the shape, so PyTorch adds it.
        if _options["edgeitems"] == 0:
            suffixes.append(f"size={shape}")
        if dtype not in _implicit_dtypes():
            suffixes.append(f"dtype={dtype}")
        body = _body(t, indent)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        name = getattr(grad_fn, "name", None)
        name = name() if callable(name) else type(grad_fn).__name__
        suffixes.append(f"grad_fn=<{name}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _implicit_dtypes() -> tuple:
    """Dtypes a non-empty tensor's text implies, so ``dtype=`` is left out for them."""
    default = _dtype.get_default_dtype()
    # PyTorch pairs complex128 with a float64 default and complex64 with every other one.
    default_complex = _dtype.complex128 if default is _dtype.float64 else _dtype.complex64
    return (default, default_complex, _dtype.int64, _dtype.bool)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to its own line when it would pass the linewidth."""
    linewidth = _options["linewidth"]
    parts = [text]
    # PyTorch counts the last line as two characters longer than it is; matched so that
    # the same suffixes break onto a new line.
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _body(t, indent: int) -> str:
    """The bracketed values of a non-empty tensor (or the bare value of a 0-dim one)."""
    shape = t._data.shape
    edge = _options["edgeitems"]
    summarize = t._data.size > _options["threshold"]
    if summarize and edge == 0 and shape:
        return "[...]"
    cut = [summarize and n > 2 * edge for n in shape]
    host = _summarised_host_array(t, cut, edge)
    if t._dtype.is_complex:
        real = _real_strings(host.real)
        imag = _real_strings(host.imag)
        strings = [_join_complex(r, i) for r, i in zip(real.padded(), imag.strings, strict=True)]
        # Imaginary parts are not padded, yet a column is budgeted their full width.
        item_width = real.width + 2 + imag.width + 1
    elif t._dtype.is_floating_point:
        fmt = _real_strings(host)
        strings = fmt.padded()
        item_width = fmt.width + 2
    else:
        strings = [str(v) for v in host.ravel().tolist()]
        width = max(len(s) for s in strings)
        strings = [s.rjust(width) for s in strings]
        item_width = width + 2
    if not shape:
        return strings[0]
    return _nest(strings, tuple(host.shape), cut, edge, item_width, indent)


def _summarised_host_array(t, cut: list[bool], edge: int):
    """The tensor's visible elements as a host array, float16 / bfloat16 widened to float32.

    Edges are cut on the tensor's own device, so only they are copied to the host.
    """
    be = for_device(t._device)
    arr = t._data
    for axis, is_cut in enumerate(cut):
        if is_cut:
            lead = (slice(None),) * axis
            arr = be.xp.concatenate(
                (arr[lead + (slice(None, edge),)], arr[lead + (slice(-edge, None),)]), axis=axis
            )
    host = be.to_host(arr)
    if t._dtype is _dtype.float16 or t._dtype is _dtype.bfloat16:
        host = host.astype(_dtype.float32.np)
    return host


class _RealStrings:
    """The strings of a real floating array, in the notation its visible values call for."""

    __slots__ = ("strings", "width")

    def __init__(self, strings: list[str], width: int):
        self.strings = strings
        self.width = width

    def padded(self) -> list[str]:
        return [s.rjust(self.width) for s in self.strings]


def _real_strings(values) -> _RealStrings:
    """Format a real floating array as PyTorch does.

    The notation follows the nonzero finite values: integer-valued ones print as ``3.``,
    scientific notation is used when their magnitudes span more than a factor 1000, pass 1e8,
    or (for non-integers) fall under 1e-4; otherwise fixed-point with ``precision`` digits.
    The column width comes from the nonzero finite values only, so ``inf``, ``nan`` and ``-0.``
    never widen it.
    """
    precision = _options["precision"]
    shown = _np.isfinite(values) & (values != 0)
    nonzero = values[shown]
    notation = "int"
    if nonzero.size:
        magnitudes = _np.abs(nonzero.astype(_dtype.float64.np))
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        if bool(_np.all(nonzero == _np.ceil(nonzero))):
            sci = hi / lo > 1000.0 or hi > 1.0e8
        else:
            notation = "fixed"
            sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        if _options["sci_mode"] is not None:
            # Only an array with some nonzero finite value can be forced either way.
            sci = _options["sci_mode"]
        if sci:
            notation = "sci"
    flat = values.ravel().tolist()
    if notation == "sci":
        strings = [f"{v:.{precision}e}" for v in flat]
    elif notation == "fixed":
        strings = [f"{v:.{precision}f}" for v in flat]
    else:
        strings = [f"{v:.0f}." if math.isfinite(v) else f"{v}" for v in flat]
    width = max(
        (len(s) for s, ok in zip(strings, shown.ravel().tolist(), strict=True) if ok), default=0
    )
    return _RealStrings(strings, width)


def _join_complex(real: str, imag: str) -> str:
    """``real+imagj``: a sign is supplied unless the imaginary text starts with one."""
    sign = "" if imag[0] in "+-" else "+"
    return f"{real}{sign}{imag}j"


def _nest(
    strings: list[str], shape: tuple, cut: list[bool], edge: int, item_width: int, indent: int
) -> str:
    """Nest the flat element strings of a (summarised) array into PyTorch's bracketed text.

    ``cut[d]`` marks a dimension whose middle was dropped: ``...`` stands in its place.
    Sub-tensors of a k-dim block are separated by k-1 newlines, so 3-d blocks get a blank line.
    """
    ndim = len(shape)
    linewidth = _options["linewidth"]
    block_sizes = [math.prod(shape[d + 1 :]) for d in range(ndim)]

    def render(dim: int, start: int, ind: int) -> str:
        n = shape[dim]
        if dim == ndim - 1:
            items = strings[start : start + n]
            if cut[dim]:
                items = items[:edge] + [" ..."] + items[edge:]
            per_line = max(1, (linewidth - ind) // item_width)
            lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (ind + 1)).join(lines) + "]"
        step = block_sizes[dim]
        parts = [render(dim + 1, start + i * step, ind + 1) for i in range(n)]
        if cut[dim]:
            parts = parts[:edge] + ["..."] + parts[edge:]
        sep = "," + "\n" * (ndim - dim - 1) + " " * (ind + 1)
        return "[" + sep.join(parts) + "]"

    return render(0, 0, indent)
