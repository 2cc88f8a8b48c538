"""Gradients of view operations, and autograd through in-place writes into views, against torch.

:func:`compare_grads` gives both libraries the same leaf inputs (contiguous or laid out
non-contiguously), runs one function written against the torch API, seeds every float output
with the same random ``grad_output`` and compares the outputs, the names of their ``grad_fn``
and every input's ``.grad``.  ``gradgradcheck`` (float64) checks that view backwards are
themselves differentiable, through chains of views.
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import _place, assert_same, sample

TOL = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def leaf(lib, arr: np.ndarray, layout: str = "contiguous", rng=None):
    """A leaf of ``lib`` holding ``arr`` (placed by ``layout``) that requires grad."""
    buf, strides, offset = _place(arr, layout, rng or np.random.default_rng(0))
    base = lib.from_numpy(buf.copy())
    return base.as_strided(arr.shape, strides, offset).requires_grad_()


def _tensors(x) -> list:
    if isinstance(x, ember.Tensor | torch.Tensor):
        return [x]
    if isinstance(x, list | tuple):
        return [t for item in x for t in _tensors(item)]
    return []


def _detached(x):
    if isinstance(x, ember.Tensor | torch.Tensor):
        return x.detach()
    if isinstance(x, list | tuple):
        return type(x)(_detached(item) for item in x)
    return x


def _run(lib, fn, arrays, layout, grad_seed):
    inputs = [leaf(lib, a, layout, _rng(layout, i)) for i, a in enumerate(arrays)]
    out = fn(lib, *inputs)
    outs = [t for t in _tensors(out) if t.requires_grad]
    names = [
        None if t.grad_fn is None
        else type(t.grad_fn).__name__ if lib is torch
        else t.grad_fn.name()
        for t in outs
    ]
    rng = np.random.default_rng(grad_seed)
    grads = [lib.from_numpy(sample(tuple(t.shape), str(t.dtype).split(".")[1], rng)) for t in outs]
    if outs:
        lib.autograd.backward(outs, grads)
    return _detached(out), names, [t.grad for t in inputs]


def compare_grads(fn, *arrays, layout: str = "contiguous", names: bool = True) -> None:
    """Run ``fn(lib, *leaves)`` on both libraries and compare outputs, grad_fn names and
    input gradients (a random ``grad_output`` for each float output)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours = _run(ember, fn, arrays, layout, 1)
        theirs = _run(torch, fn, arrays, layout, 1)
    assert_same(ours[0], theirs[0], "output")
    if names:
        assert ours[1] == theirs[1], f"grad_fn names: ember {ours[1]}, torch {theirs[1]}"
    for i, (a, b) in enumerate(zip(ours[2], theirs[2], strict=True)):
        assert (a is None) == (b is None), f"grad of input {i}: ember {a}, torch {b}"
        if b is not None:
            assert tuple(a.shape) == tuple(b.shape)
            rtol, atol = TOL[str(b.dtype).split(".")[1]]
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol,
                                       err_msg=f"grad of input {i}")  # fmt: skip


# -- every view op: outputs, grad_fn names, gradients ------------------------------------------

VIEW_GRADS = [
    ("view", lambda lib, x: x.view(2, 3, 2, 2), (2, 3, 4)),
    ("view_as", lambda lib, x: x.view_as(lib.zeros(2, 3, 4, 1)), (2, 3, 4)),
    ("view_scalar", lambda lib, x: x.view(1, 1), ()),
    ("reshape_view", lambda lib, x: x.reshape(6, 4), (2, 3, 4)),
    ("reshape_copy", lambda lib, x: x.transpose(0, 2).reshape(-1), (2, 3, 4)),
    ("reshape_as", lambda lib, x: x.reshape_as(lib.zeros(4, 6)), (2, 3, 4)),
    ("flatten", lambda lib, x: x.flatten(1), (2, 3, 4)),
    ("flatten_scalar", lambda lib, x: x.flatten(), ()),
    ("unflatten", lambda lib, x: x.unflatten(-1, (2, 2)), (2, 3, 4)),
    ("squeeze", lambda lib, x: x.squeeze(), (2, 1, 3, 1)),
    ("squeeze_dim", lambda lib, x: x.squeeze(1), (2, 1, 3, 1)),
    ("squeeze_dims", lambda lib, x: x.squeeze((1, 3)), (2, 1, 3, 1)),
    ("unsqueeze", lambda lib, x: x.unsqueeze(1), (2, 3)),
    ("unsqueeze_scalar", lambda lib, x: x.unsqueeze(0), ()),
    ("transpose", lambda lib, x: x.transpose(0, 2), (2, 3, 4)),
    ("swapaxes", lambda lib, x: x.swapaxes(-1, 0), (2, 3, 4)),
    ("swapdims", lambda lib, x: lib.swapdims(x, 1, 0), (2, 3, 4)),
    ("permute", lambda lib, x: x.permute(2, 0, 1), (2, 3, 4)),
    ("movedim", lambda lib, x: x.movedim(0, -1), (2, 3, 4)),
    ("movedim_many", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), (2, 3, 4)),
    ("t", lambda lib, x: x.t(), (2, 3)),
    ("t_1d", lambda lib, x: x.t(), (3,)),
    ("T", lambda lib, x: x.T, (2, 3)),
    ("mT", lambda lib, x: x.mT, (2, 3, 4)),
    ("expand", lambda lib, x: x.expand(2, 3, 4), (3, 1)),
    ("expand_scalar", lambda lib, x: x.expand(3, 2), ()),
    ("expand_as", lambda lib, x: x.expand_as(lib.zeros(2, 3, 4)), (1, 4)),
    ("broadcast_to", lambda lib, x: lib.broadcast_to(x, (5, 3, 4)), (3, 4)),
    ("narrow", lambda lib, x: x.narrow(1, 1, 2), (2, 3, 4)),
    ("select", lambda lib, x: x.select(-1, 2), (2, 3, 4)),
    ("select_1d", lambda lib, x: x.select(0, -1), (5,)),
    ("unfold", lambda lib, x: x.unfold(-1, 2, 1), (2, 3, 4)),
    ("unfold_step", lambda lib, x: x.unfold(1, 2, 3), (2, 7)),
    ("unfold_wide", lambda lib, x: x.unfold(0, 3, 2), (7,)),
    ("unfold_scalar", lambda lib, x: x.unfold(0, 1, 1), ()),
    ("as_strided", lambda lib, x: x.as_strided((2, 2), (1, 2)), (2, 3)),
    ("as_strided_overlap", lambda lib, x: x.as_strided((3, 3), (1, 1), 1), (8,)),
    ("split", lambda lib, x: x.split(2, dim=1), (2, 5, 3)),
    ("split_sizes", lambda lib, x: x.split([1, 3, 1], dim=1), (2, 5, 3)),
    ("split_one_used", lambda lib, x: x.split(2)[1] * 2, (5, 3)),
    ("chunk", lambda lib, x: x.chunk(3, -1), (2, 3, 4)),
    ("unbind", lambda lib, x: x.unbind(1), (2, 3, 4)),
    ("unbind_one_used", lambda lib, x: x.unbind()[0] * 3, (3, 2)),
    ("diagonal", lambda lib, x: x.diagonal(), (3, 4)),
    ("diagonal_offset", lambda lib, x: x.diagonal(1, 0, 2), (3, 2, 4)),
    ("diagonal_neg", lambda lib, x: lib.diagonal(x, -1, -1, 0), (3, 2, 4)),
    ("clone", lambda lib, x: x.clone(), (2, 3)),
    ("clone_format", lambda lib, x: x.clone(memory_format=lib.contiguous_format), (2, 3)),
    ("contiguous", lambda lib, x: x.transpose(0, 1).contiguous(), (2, 3)),
    ("contiguous_noop", lambda lib, x: x.contiguous() * 2, (2, 3)),
    ("to_double", lambda lib, x: x.to(lib.float64), (2, 3)),
    ("double", lambda lib, x: x.double(), (2, 3)),
    ("float_from_double", lambda lib, x: x.double().float(), (2, 3)),
    ("type", lambda lib, x: x.type(lib.float64), (2, 3)),
    ("to_device", lambda lib, x: x.to("cpu", copy=True), (2, 3)),
    ("to_int_then_float", lambda lib, x: x * x.to(lib.int64), (2, 3)),
    ("chain", lambda lib, x: x.transpose(0, 1)[1:].unsqueeze(0).expand(2, 2, 2, 4).flatten(),
     (2, 3, 4)),
    ("chain_permute_reshape", lambda lib, x: x.permute(1, 2, 0).reshape(12, 2).t()[:, ::3],
     (2, 3, 4)),
]


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "fn", "shape"), VIEW_GRADS, ids=[v[0] for v in VIEW_GRADS])
def test_view_gradients(name, fn, shape, dtype, layout):
    arr = sample(shape, dtype, _rng(name, dtype))
    compare_grads(fn, arr, layout=layout)


def test_views_share_storage_and_record_base():
    for lib in (ember, torch):
        x = lib.zeros(3, 4, requires_grad=True)
        y = x * 2
        for v in (y.view(-1), y[1], y.t(), y.expand(2, 3, 4), y.unbind()[0], y.diagonal()):
            assert v._is_view() and v._base is y
        assert y.view(-1).view(2, 6)._base is y  # always the root
        assert not y.clone()._is_view() and y._base is None
        assert not y.detach()._is_view()
        assert not y.t().reshape(-1)._is_view()


# -- double backward through views ------------------------------------------------------------

GRADGRAD = [
    ("select_slice", lambda x: x[1:, 0] * x[0, :2]),
    ("permute_expand", lambda x: (x.permute(1, 0).unsqueeze(0).expand(2, 3, 3) ** 2).sum(0)),
    ("diagonal_narrow", lambda x: x.diagonal() * x.narrow(1, 1, 2).flatten()[:3]),
    ("unfold", lambda x: x.reshape(-1).unfold(0, 3, 2) ** 2),
    ("as_strided", lambda x: x.as_strided((2, 2), (1, 3), 1) ** 2),
    ("split_unbind", lambda x: x.split([1, 2])[1].unbind(1)[0] * x[0, :2]),
    ("view_transpose", lambda x: x.view(9).view(3, 3).t().reshape(-1) * x.flatten()),
    ("advanced_index", lambda x: x[[0, 2, 0]] * x[:, [1, 1, 0]].t()),
    ("clone_contiguous", lambda x: x.t().contiguous().clone() ** 2),
]


@pytest.mark.parametrize(("name", "fn"), GRADGRAD, ids=[g[0] for g in GRADGRAD])
def test_gradgradcheck_through_views(name, fn):
    x = ember.tensor(sample((3, 3), "float64", _rng(name)), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


# -- in-place writes into views ---------------------------------------------------------------


def _mul_row(lib, a):
    x = a.clone()
    x[0].mul_(2)
    return x


def _stale_view(lib, a):
    x = a.clone()
    v1, v2 = x[0:2], x[1:3]
    v1.mul_(2)
    return v2 * 1


def _base_changed(lib, a):
    x = a * 1
    flat = x.view(-1)
    x.mul_(3)
    return flat


def _view_of_view(lib, a):
    x = a * 2
    x.t()[1:, 0].add_(x[0, 1:] * 2)
    return x


def _setitem_tensor(lib, a, b):
    x = a * 1
    x[:, 1] = b[0]
    return x


def _setitem_broadcast(lib, a, b):
    x = a.clone()
    x[1:] = b[:1]
    return x


def _setitem_scalar(lib, a, b):
    x = a * b
    x[0, 0] = 5.0
    x[..., -1] = 1
    return x


def _setitem_into_constant(lib, a, b):
    x = lib.zeros(3, 3, dtype=a.dtype)
    x[1] = a[0] * b[1]
    x[:, 2] = b[2]
    return x


def _setitem_dtype_cast(lib, a, b):
    x = a.clone()
    x[0] = b[0].double()
    return x


def _copy_into_slice(lib, a, b):
    x = lib.zeros(2, 3, 3, dtype=a.dtype)
    x[0].copy_(a)
    x[1, :, :2].copy_(b[:, :2].t().t())
    return x


def _fill_and_zero(lib, a, b):
    x = a * b
    x[0].fill_(2)
    x[:, 1].zero_()
    return x


def _inplace_then_use_all(lib, a, b):
    x = a * 1
    y = x.unsqueeze(0).expand(2, 3, 3)[0]
    y[2].sub_(b[0])
    return x, y, x[2]


def _diagonal_inplace(lib, a, b):
    x = a.clone()
    x.diagonal().mul_(b.diagonal())
    return x


def _transposed_base(lib, a, b):
    x = (a * 1).t()  # a view: in-place writes into its views rebase its base
    x[0].add_(b[0])
    return x


def _base_then_view_inplace(lib, a, b):
    x = a + 0
    x.mul_(b)
    v = x[1:]
    v.div_(2)
    return x.sum(0), v


def _elementwise_inplace(lib, a, b):
    x = a * 1
    x[:, ::2].clamp_(min=-0.5)
    x.view(-1)[::4].mul_(b.view(-1)[:3])
    x.t()[2].add_(b[1], alpha=2)
    x.narrow(0, 1, 2).sigmoid_()  # saves its output: nothing may change it afterwards
    return x


INPLACE = [
    ("elementwise_inplace", _elementwise_inplace, 2),
    ("mul_row", _mul_row, 1),
    ("stale_view", _stale_view, 1),
    ("base_changed", _base_changed, 1),
    ("view_of_view", _view_of_view, 1),
    ("setitem_tensor", _setitem_tensor, 2),
    ("setitem_broadcast", _setitem_broadcast, 2),
    ("setitem_scalar", _setitem_scalar, 2),
    ("setitem_into_constant", _setitem_into_constant, 2),
    ("setitem_dtype_cast", _setitem_dtype_cast, 2),
    ("copy_into_slice", _copy_into_slice, 2),
    ("fill_and_zero", _fill_and_zero, 2),
    ("inplace_then_use_all", _inplace_then_use_all, 2),
    ("diagonal_inplace", _diagonal_inplace, 2),
    ("transposed_base", _transposed_base, 2),
    ("base_then_view_inplace", _base_then_view_inplace, 2),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "fn", "n"), INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_views(name, fn, n, dtype):
    arrays = [sample((3, 3), dtype, _rng(name, i)) for i in range(n)]
    compare_grads(fn, *arrays, names=False)


def test_copyslices_graph_names():
    a = ember.randn(3, 4, requires_grad=True)
    x = a.clone()
    v = x[0]
    assert v.grad_fn.name() == "SelectBackward0"
    v.mul_(2)
    assert x.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert x[1].grad_fn.name() == "SelectBackward0"
    x.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy()[0], 2)
    np.testing.assert_array_equal(a.grad.numpy()[1:], 1)


def test_view_of_constant_picks_up_history():
    for lib in (ember, torch):
        y = lib.ones(3, requires_grad=True)
        x = lib.zeros(2, 3)
        row = x[0]
        row.copy_(y * 2)
        assert x.requires_grad and row.requires_grad
        (x * lib.arange(6.0).reshape(2, 3)).sum().backward()
        np.testing.assert_array_equal(np.asarray(y.grad.tolist()), [0.0, 2.0, 4.0])


def _errors(lib):
    leaf_ = lib.ones(3, 3, requires_grad=True)
    x = leaf_ * 1
    with lib.no_grad():
        nograd_view = x[0]
    return [
        ("view_of_leaf", lambda: leaf_[0].mul_(2)),
        ("view_of_leaf_setitem", lambda: leaf_.__setitem__(0, 1.0)),
        ("leaf", lambda: leaf_.add_(1)),
        ("leaf_setitem_advanced", lambda: leaf_.__setitem__([0, 1], 1.0)),
        ("split_output", lambda: x.split(1)[0].mul_(2)),
        ("chunk_output", lambda: x.chunk(3, 1)[1].zero_()),
        ("unbind_output", lambda: x.unbind()[2].copy_(lib.ones(3))),
        ("no_grad_view", lambda: nograd_view.add_(1)),
        ("detach_view", lambda: x[0].detach_()),
        ("requires_grad_false_nonleaf", lambda: setattr(x, "requires_grad", False)),
        ("requires_grad_int_dtype", lambda: lib.zeros(2, dtype=lib.int64).requires_grad_()),
        ("requires_grad_not_bool", lambda: lib.zeros(2).requires_grad_(1)),
        ("requires_grad_none", lambda: lib.zeros(2).requires_grad_(None)),
        ("requires_grad_two_args", lambda: lib.zeros(2).requires_grad_(True, True)),
    ]


@pytest.mark.parametrize("case", [name for name, _ in _errors(ember)])
def test_errors_match_torch(case):
    ours = dict(_errors(ember))[case]
    theirs = dict(_errors(torch))[case]
    with pytest.raises(Exception) as want:
        theirs()
    with pytest.raises(want.type) as got:
        ours()
    if want.type is RuntimeError and "requires_grad" not in case:
        assert str(got.value) == str(want.value)


def test_split_outputs_may_change_without_grad():
    x = ember.ones(4, 2, requires_grad=True) * 1
    with ember.no_grad():
        x.split(2)[0].mul_(2)
    assert x.tolist()[0] == [2.0, 2.0]
    y = ember.ones(4, 2)
    y.split(2)[0].mul_(3)  # nothing requires grad
    assert y.tolist()[1] == [3.0, 3.0]


def test_saved_view_modified_through_base():
    for lib in (ember, torch):
        a = lib.ones(3, requires_grad=True)
        x = a * 1
        v = x[1:]
        y = v.exp()  # saves its output... and v for other ops
        z = v * v  # saves v
        x.mul_(2)  # the same storage: v's version moves on
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            (y.sum() + z.sum()).backward()


def test_version_shared_between_view_and_base():
    for lib in (ember, torch):
        x = lib.zeros(3)
        v = x[1:]
        before = x._version
        v.add_(1)
        assert x._version == v._version == before + 1
        x.mul_(2)
        assert v._version == before + 2


def test_grad_of_non_leaf_warns():
    x = ember.ones(2, requires_grad=True) * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert x.grad is None
    x.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0]


def test_requires_grad_flags():
    for lib in (ember, torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        y.requires_grad_(True)  # allowed: it already does
        x.requires_grad_(False)
        assert not x.requires_grad
        z = lib.zeros(2)
        assert z.requires_grad_() is z and z.requires_grad
        z.requires_grad_(requires_grad=False)
        assert not z.requires_grad


def test_detach_inplace_on_non_view():
    x = ember.ones(2, requires_grad=True) * 2
    assert x.detach_() is x
    assert not x.requires_grad and x.grad_fn is None


def test_to_and_clone_keep_layout_and_grad():
    for lib in (ember, torch):
        x = lib.ones(2, 3, 4, requires_grad=True)
        y = x.permute(2, 0, 1)
        c = y.clone()
        assert c.stride() == y.stride()
        assert c.contiguous().stride() == (6, 3, 1)
        assert y.to(lib.float64).stride() == y.stride()
        assert x.to(lib.float32) is x and x.float() is x
        assert not x.to(lib.int32).requires_grad
        assert x.to(lib.float16).grad_fn is not None
