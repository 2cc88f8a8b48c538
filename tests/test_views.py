"""View operations, indexing and in-place writes, compared with torch through the oracle.

Every case checks values, dtype, shape, strides, storage offset, which results share storage
with (or are) the input, the input's whole storage afterwards, and the error type on bad input.
"""

import warnings

import numpy as np
import pytest
import torch

import ember
from tests._harness.oracle import LAYOUTS, check, sample, specs

SHAPES = [(), (0,), (1,), (5,), (2, 3), (3, 1), (2, 0, 3), (2, 3, 4), (3, 1, 2, 2)]
ND = [s for s in SHAPES if len(s) >= 1]  # ops that need a dim
ND2 = [s for s in SHAPES if len(s) >= 2]
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float64",
          "complex64", "complex128"]  # fmt: skip


def _merge01(shape):
    return (-1, *shape[2:]) if len(shape) >= 2 else (-1,)


def _split_last(shape):
    return (*shape[:-1], 1, -1) if shape else (1,)


def _expand_ones(shape):
    return [3 if s == 1 else -1 for s in shape]


def _ones_to_3(shape):
    return [4, *(3 if s == 1 else s for s in shape)]


def _write(lib, t):
    """Write distinct values through ``t`` (copy_, so overlapping views raise as in torch)."""
    values = lib.arange(1, t.numel() + 1).to(t.dtype).reshape(t.shape)
    return t.copy_(values)


# -- the op table -----------------------------------------------------------------------------

# (name, fn(lib, x), shapes): each runs in float32 over every layout, or over the contiguous
# layout alone for the rows in ERROR_ROWS, which check the error raised on bad arguments.
VIEW_OPS = [
    ("view_flat", lambda lib, x: x.view(-1), SHAPES),
    ("view_rev", lambda lib, x: x.view(tuple(reversed(x.shape))), SHAPES),
    ("view_pad", lambda lib, x: x.view(1, *x.shape, 1), SHAPES),
    ("view_merge01", lambda lib, x: x.view(_merge01(x.shape)), SHAPES),
    ("view_split_last", lambda lib, x: x.view(_split_last(x.shape)), SHAPES),
    ("view_infer_empty", lambda lib, x: x.view(-1, 0), SHAPES),
    ("view_two_infer", lambda lib, x: x.view(-1, -1), SHAPES),
    ("view_wrong_numel", lambda lib, x: x.view(x.numel() + 1), SHAPES),
    ("view_as", lambda lib, x: x.view_as(x.reshape(-1)), SHAPES),
    ("reshape_flat", lambda lib, x: x.reshape(-1), SHAPES),
    ("reshape_rev", lambda lib, x: x.reshape(tuple(reversed(x.shape))), SHAPES),
    ("reshape_pad", lambda lib, x: x.reshape(1, *x.shape, 1), SHAPES),
    ("reshape_merge01", lambda lib, x: x.reshape(_merge01(x.shape)), SHAPES),
    ("reshape_split_last", lambda lib, x: x.reshape(_split_last(x.shape)), SHAPES),
    ("reshape_same", lambda lib, x: x.reshape(x.shape), SHAPES),
    ("reshape_as", lambda lib, x: x.reshape_as(x.view(-1)), SHAPES),
    ("reshape_fn", lambda lib, x: lib.reshape(x, (-1, 1)), SHAPES),
    ("flatten", lambda lib, x: x.flatten(), SHAPES),
    ("flatten_1", lambda lib, x: x.flatten(start_dim=1), SHAPES),
    ("flatten_0_m2", lambda lib, x: lib.flatten(x, 0, -2), SHAPES),
    ("flatten_same", lambda lib, x: x.flatten(-1, -1), SHAPES),
    ("flatten_backwards", lambda lib, x: x.flatten(1, 0), SHAPES),
    ("unflatten_first", lambda lib, x: x.unflatten(0, (-1, 1)), SHAPES),
    ("unflatten_last", lambda lib, x: lib.unflatten(x, -1, (1, -1)), SHAPES),
    ("unflatten_bad", lambda lib, x: x.unflatten(0, (2, 2)), SHAPES),
    ("squeeze", lambda lib, x: x.squeeze(), SHAPES),
    ("squeeze_0", lambda lib, x: x.squeeze(0), SHAPES),
    ("squeeze_m1", lambda lib, x: lib.squeeze(x, -1), SHAPES),
    ("squeeze_dims", lambda lib, x: x.squeeze((0, -1)), SHAPES),
    ("squeeze_bad_dim", lambda lib, x: x.squeeze(x.dim() + 1), SHAPES),
    ("unsqueeze_0", lambda lib, x: x.unsqueeze(0), SHAPES),
    ("unsqueeze_m1", lambda lib, x: lib.unsqueeze(x, -1), SHAPES),
    ("unsqueeze_end", lambda lib, x: x.unsqueeze(x.dim()), SHAPES),
    ("unsqueeze_1", lambda lib, x: x.unsqueeze(1), SHAPES),
    ("unsqueeze_bad", lambda lib, x: x.unsqueeze(x.dim() + 1), SHAPES),
    ("permute_rev", lambda lib, x: x.permute(*reversed(range(x.dim()))), SHAPES),
    ("permute_neg", lambda lib, x: lib.permute(x, [-d - 1 for d in range(x.dim())]), SHAPES),
    ("permute_short", lambda lib, x: x.permute(0), SHAPES),
    ("permute_dup", lambda lib, x: x.permute([0] * x.dim()), ND2),
    ("transpose", lambda lib, x: x.transpose(0, -1), SHAPES),
    ("transpose_fn", lambda lib, x: lib.transpose(x, -1, 0), SHAPES),
    ("transpose_bad", lambda lib, x: x.transpose(0, x.dim()), SHAPES),
    ("swapaxes", lambda lib, x: x.swapaxes(0, -1), SHAPES),
    ("swapdims", lambda lib, x: lib.swapdims(x, -1, 0), SHAPES),
    ("movedim", lambda lib, x: x.movedim(0, -1), SHAPES),
    ("movedim_fn", lambda lib, x: lib.movedim(x, (0, -1), (-1, 0)), ND2),
    ("moveaxis", lambda lib, x: x.moveaxis([0], [-1]), SHAPES),
    ("movedim_mismatch", lambda lib, x: x.movedim((0, 1), (0,)), ND2),
    ("t", lambda lib, x: x.t(), SHAPES),
    ("t_fn", lambda lib, x: lib.t(x), SHAPES),
    ("T", lambda lib, x: x.T, SHAPES),
    ("mT", lambda lib, x: x.mT, SHAPES),
    ("expand_lead", lambda lib, x: x.expand(2, *x.shape), SHAPES),
    ("expand_ones", lambda lib, x: x.expand(*_expand_ones(x.shape)), SHAPES),
    ("expand_list", lambda lib, x: x.expand([2, *_expand_ones(x.shape)]), SHAPES),
    ("expand_fewer", lambda lib, x: x.expand(()), ND),
    ("expand_bad", lambda lib, x: x.expand(*[s + 2 for s in x.shape]), ND),
    ("expand_neg_lead", lambda lib, x: x.expand(-1, *x.shape), SHAPES),
    ("expand_as", lambda lib, x: x.expand_as(lib.zeros(_ones_to_3(x.shape))), SHAPES),
    ("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, *x.shape)), SHAPES),
    ("broadcast_to_m", lambda lib, x: x.broadcast_to(_expand_ones(x.shape)), SHAPES),
    ("narrow", lambda lib, x: x.narrow(0, 1, 1), SHAPES),
    ("narrow_neg", lambda lib, x: lib.narrow(x, -1, -1, 1), SHAPES),
    ("narrow_empty", lambda lib, x: x.narrow(0, x.shape[0] if x.dim() else 0, 0), SHAPES),
    ("narrow_too_long", lambda lib, x: x.narrow(0, 0, 6), SHAPES),
    ("narrow_neg_length", lambda lib, x: x.narrow(0, 0, -1), ND),
    ("narrow_start_oob", lambda lib, x: x.narrow(-1, 7, 0), ND),
    ("narrow_start_tensor", lambda lib, x: x.narrow(0, lib.tensor(0), 1), ND),
    ("select", lambda lib, x: x.select(0, 0), SHAPES),
    ("select_neg", lambda lib, x: lib.select(x, -1, -1), SHAPES),
    ("select_oob", lambda lib, x: x.select(0, 5), SHAPES),
    ("select_bad_dim", lambda lib, x: x.select(4, 0), SHAPES),
    ("unfold", lambda lib, x: x.unfold(0, 2, 1), SHAPES),
    ("unfold_last", lambda lib, x: x.unfold(-1, 1, 2), SHAPES),
    ("unfold_zero", lambda lib, x: x.unfold(0, 0, 1), SHAPES),
    ("unfold_too_big", lambda lib, x: x.unfold(0, 6, 1), SHAPES),
    ("unfold_bad_step", lambda lib, x: x.unfold(0, 1, 0), SHAPES),
    ("unfold_bad_dim", lambda lib, x: x.unfold(3, 1, 1), SHAPES),
    ("diagonal", lambda lib, x: x.diagonal(), SHAPES),
    ("diagonal_up", lambda lib, x: x.diagonal(1), SHAPES),
    ("diagonal_down", lambda lib, x: lib.diagonal(x, -1), SHAPES),
    ("diagonal_far", lambda lib, x: x.diagonal(offset=7), SHAPES),
    ("diagonal_dims", lambda lib, x: x.diagonal(0, -1, 0), SHAPES),
    ("diagonal_12", lambda lib, x: x.diagonal(dim1=1, dim2=2), SHAPES),
    ("diagonal_same", lambda lib, x: x.diagonal(0, 0, 0), SHAPES),
    ("split", lambda lib, x: x.split(2), SHAPES),
    ("split_sizes", lambda lib, x: x.split([1, x.shape[0] - 1]), ND),
    ("split_last", lambda lib, x: lib.split(x, 1, dim=-1), SHAPES),
    ("split_big", lambda lib, x: x.split(10), ND),
    ("split_zero", lambda lib, x: x.split(0), ND),
    ("split_bad_sizes", lambda lib, x: x.split([1, 1, 1, 1, 1, 1]), ND),
    ("chunk", lambda lib, x: x.chunk(2), SHAPES),
    ("chunk_3_last", lambda lib, x: lib.chunk(x, 3, -1), SHAPES),
    ("chunk_many", lambda lib, x: x.chunk(7), ND),
    ("chunk_zero", lambda lib, x: x.chunk(0), ND),
    ("unbind", lambda lib, x: x.unbind(), SHAPES),
    ("unbind_last", lambda lib, x: lib.unbind(x, -1), SHAPES),
    ("as_strided", lambda lib, x: x.as_strided((2, 2), (1, 2)), [(6,), (2, 3)]),
    ("as_strided_offset", lambda lib, x: lib.as_strided(x, (2,), (3,), 1), [(6,), (2, 3)]),
    ("as_strided_zero", lambda lib, x: x.as_strided((3, 0), (0, 1), 2), SHAPES),
    ("as_strided_oob", lambda lib, x: x.as_strided((4, 4), (4, 1)), SHAPES),
    ("as_strided_neg", lambda lib, x: x.as_strided((2,), (-1,)), SHAPES),
    ("as_strided_len", lambda lib, x: x.as_strided((1, 1), (1,)), SHAPES),
    ("contiguous", lambda lib, x: x.contiguous(), SHAPES),
    ("clone", lambda lib, x: x.clone(), SHAPES),
    ("clone_fn", lambda lib, x: lib.clone(x), SHAPES),
    ("detach", lambda lib, x: x.detach(), SHAPES),
    ("view_dtype_same", lambda lib, x: x.view(lib.int32), SHAPES),
    ("view_dtype_smaller", lambda lib, x: x.view(lib.float16), SHAPES),
    ("view_dtype_bytes", lambda lib, x: x.view(lib.uint8), SHAPES),
    ("view_dtype_bigger", lambda lib, x: x.view(lib.float64), SHAPES),
    ("fill", lambda lib, x: x.fill_(2.5), SHAPES),
    ("fill_tensor", lambda lib, x: x.fill_(lib.tensor(-1.5)), SHAPES),
    ("fill_1d_tensor", lambda lib, x: x.fill_(lib.ones(1)), SHAPES),
    ("zero", lambda lib, x: x.zero_(), SHAPES),
    ("copy_arange", lambda lib, x: _write(lib, x), SHAPES),
    ("copy_scalar_src", lambda lib, x: x.copy_(lib.tensor(3.0)), SHAPES),
    ("copy_bad_shape", lambda lib, x: x.copy_(lib.ones(7)), SHAPES),
    ("copy_self", lambda lib, x: x.copy_(x), SHAPES),
    ("copy_shifted", lambda lib, x: x[1:].copy_(x[:-1]), ND),
    ("copy_from_view", lambda lib, x: x.copy_(x.view(x.shape)), SHAPES),
]

ERROR_ROWS = {
    "view_infer_empty", "view_two_infer", "view_wrong_numel", "flatten_backwards", "unflatten_bad",
    "squeeze_bad_dim", "unsqueeze_bad", "permute_short", "permute_dup", "transpose_bad",
    "movedim_mismatch", "expand_fewer", "expand_bad", "narrow_too_long", "narrow_neg_length",
    "narrow_start_oob", "select_oob", "select_bad_dim", "unfold_too_big", "unfold_bad_step",
    "unfold_bad_dim", "diagonal_same", "split_zero", "split_bad_sizes", "chunk_zero",
    "as_strided_oob", "as_strided_neg", "as_strided_len", "copy_bad_shape",
    "copy_shifted",  # elsewhere the overlap is too hard for torch to see, and it copies in place
}  # fmt: skip
CASES = [
    case
    for name, fn, shapes in VIEW_OPS
    for case in specs(name, fn, shapes, layouts=("contiguous",) if name in ERROR_ROWS else LAYOUTS)
]
# Every dtype on a few shapes (view(dtype) also between every pair of element sizes).
CASES += [
    case
    for name, fn in [
        ("reshape_flat", lambda lib, x: x.reshape(-1)),
        ("transpose", lambda lib, x: x.transpose(0, -1)),
        ("expand", lambda lib, x: x.expand(2, *x.shape)),
        ("diagonal", lambda lib, x: x.diagonal()),
        ("split", lambda lib, x: x.split(1)),
        ("clone", lambda lib, x: x.clone()),
        ("getitem", lambda lib, x: x[1:, None, ::2]),
        ("getitem_adv", lambda lib, x: x[[1, 0], ..., [0, 1]]),
        ("setitem", lambda lib, x: x.__setitem__((0, 1), 1) or x),
        ("fill", lambda lib, x: x.fill_(1)),
        ("copy_int", lambda lib, x: x.copy_(lib.tensor([[-2, 0, 3]]))),
        ("copy_float", lambda lib, x: x.copy_(lib.tensor([[-2.7, 0.0, 3.2]]))),
        ("copy_bool", lambda lib, x: x.copy_(lib.tensor([True, False, True]))),
        ("view_bool", lambda lib, x: x.view(lib.bool)),
        ("view_int16", lambda lib, x: x.view(lib.int16)),
        ("view_int32", lambda lib, x: x.view(lib.int32)),
        ("view_float64", lambda lib, x: x.view(lib.float64)),
        ("view_complex128", lambda lib, x: x.view(lib.complex128)),
    ]
    for case in specs(name, fn, [(4, 4), (2, 0, 8)], DTYPES, ["contiguous", "strided"])
]

# Index expressions, evaluated with ``x`` and ``lib`` in scope: basic ones give views.
INDICES_3D = [
    "0", "-1", "3", "1:3", "::2", "1::2", "-3:", "5:", "2:1", "-10:10", ":, 1", "..., 2",
    "None", "None, ..., None", "1, None, ::2", "..., None", ":, :, :, None", "()", "...",
    "-4, -5, -6", ":, 1:4:2, ::3", "0, 0, 0", "True", "False", "lib.tensor(1)",
    "lib.tensor(-2), 1", "lib.tensor(True)",
    # advanced
    "lib.tensor([0, 2])", "lib.tensor([[0, 1], [2, 3]])", "[0, 2]", "[0, -1, 1]",
    "lib.tensor([1, 0, 3]), lib.tensor([0, 4, 2])", "mask(4, 5, 6)", "mask(4, 5)",
    "lib.tensor([True, False, True, False])", "[True, False, True, True]", ":, [1, 3]",
    "..., [0, -1]", "1, [0, 2]", "1, :, [0, 2]", "[0, 2], :, [1, 3]", ":, [0, 2], [1, 3]",
    "[0, 2], 1:, None", "None, [0, 1]", "[[0], [1]], :, [1, 2, 3]", "[0, 2], None, [0, 1]",
    "lib.tensor([], dtype=lib.int64)", "lib.tensor([0, 1], dtype=lib.int32)",
    "lib.tensor([[0, 1]]), :, lib.tensor([[1], [2]])", ":, lib.tensor([[0, 1], [2, 3]]).t()",
    "mask(4, 5), 1", "mask(4), ..., 0", "lib.tensor([1, 0, 1, 1], dtype=lib.uint8)", "[1, 0], True",
    # errors
    "4", "0, 0, 0, 0", "..., ...", "::-1", "::0", "0.5", "lib.tensor([0, 4])",
    "lib.tensor([0.0])", "mask(5, 6)", "[0, 1], [0, 1, 2]", "lib.tensor([-5])", "'a'",
]  # fmt: skip
INDICES_SMALL = [
    "...", "None", "()", "0", "-1", ":", "True", "False", "mask(*x.shape)", "lib.tensor([0])",
    "lib.tensor([], dtype=lib.int64)", "..., None", "[0]", "1:", "None, 0",
]  # fmt: skip


_MASKS = {}


def _scope(lib, x):
    """Names an index expression may use: ``x``, ``lib`` and ``mask(*shape)``, a fixed random
    boolean tensor of that shape."""

    def mask(*shape):
        if shape not in _MASKS:
            _MASKS[shape] = sample(shape, "bool", np.random.default_rng(len(shape)))
        return lib.from_numpy(_MASKS[shape].copy())

    return {"lib": lib, "x": x, "mask": mask}


def index(lib, x, expr):
    return eval(f"x[{expr}]", _scope(lib, x))


CASES += [
    case
    for expr in INDICES_3D
    for case in specs("getitem", index, [(4, 5, 6)], layouts=LAYOUTS, expr=expr)
]
CASES += [
    case
    for expr in INDICES_SMALL
    for case in specs("getitem", index, [(), (0,), (3,), (0, 2)], ["float32", "int64"], expr=expr)
]


def setindex(lib, x, value, expr):
    exec(f"x[{expr}] = value", {**_scope(lib, x), "value": value})
    return x


# (index, value shape or scalar): values come as a second input of x's dtype.
SETITEMS = [
    ("0", 7), ("1:3, ::2", -1.5), ("..., 2", 2), ("None", 0), ("mask(4, 5, 6)", 0.5), ("[0, 2]", 9),
    ("()", 3), (":, [1, 3]", 1), ("1, :, [0, 2]", 2), ("0", (6,)), ("0", (5, 6)),
    ("0", (1, 1, 6)), (":, 1", (4, 1)), ("1:3, ::2", (3, 1)), ("[0, 2]", (5, 6)),
    ("[0, 2], :, [1, 3]", (5,)), ("mask(4, 5, 6)", ()), ("lib.tensor([True, False, True, False])", (6,)),
    ("..., None", (4, 5, 6, 1)), ("0", (4,)), ("[0, 2]", (3,)), ("0", (2, 5, 6)),
    ("[0, 2], 1", (1, 1, 6)), ("mask(4), 1", (1, 6)), ("4", 1), ("lib.tensor([0, 4])", 1),
]  # fmt: skip
CASES += [
    case
    for expr, value in SETITEMS
    for case in specs(
        "setitem",
        setindex if isinstance(value, tuple) else lambda lib, x, expr, v=value: setindex(
            lib, x, v, expr
        ),
        [((4, 5, 6), value)] if isinstance(value, tuple) else [(4, 5, 6)],
        ["float32", "int32"],
        LAYOUTS,
        expr=expr,
    )
]

# Writes through a view reach the base, and writes to the base show in the view.
WRITE_VIEWS = [
    ("view", lambda x: x.view(-1)),
    ("reshape", lambda x: x.reshape(-1)),
    ("flatten", lambda x: x.flatten()),
    ("squeeze", lambda x: x.squeeze()),
    ("unsqueeze", lambda x: x.unsqueeze(1)),
    ("permute", lambda x: x.permute(*reversed(range(x.dim())))),
    ("transpose", lambda x: x.transpose(0, -1)),
    ("movedim", lambda x: x.movedim(0, -1)),
    ("T", lambda x: x.mT),
    ("expand", lambda x: x.expand(2, *x.shape)),
    ("narrow", lambda x: x.narrow(-1, 1, 2)),
    ("select", lambda x: x.select(1, -1)),
    ("unfold", lambda x: x.unfold(-1, 2, 1)),
    ("unfold_step", lambda x: x.unfold(0, 1, 2)),
    ("as_strided", lambda x: x.as_strided((2, 2), (2, 1), 1)),
    ("diagonal", lambda x: x.diagonal(1)),
    ("split", lambda x: x.split(1, dim=-1)[1]),
    ("chunk", lambda x: x.chunk(2)[-1]),
    ("unbind", lambda x: x.unbind(-1)[0]),
    ("getitem", lambda x: x[1:, None, ::2]),
    ("getitem_int", lambda x: x[-1, 1]),
    ("detach", lambda x: x.detach()),
    ("view_dtype", lambda x: x.view(torch.int32 if isinstance(x, torch.Tensor) else ember.int32)),
    ("contiguous", lambda x: x.contiguous()),
]
CASES += [
    case
    for name, op in WRITE_VIEWS
    for case in specs(
        f"write_through_{name}", lambda lib, x, op=op: _write(lib, op(x)), [(3, 4)], ["float32", "int64"], LAYOUTS
    )
    + specs(
        f"write_base_{name}",
        lambda lib, x, op=op: (op(x), _write(lib, x), op(x)),
        [(3, 4)],
        layouts=LAYOUTS,
    )
]


# One test per op, dtype, layout and arguments, running every shape in turn.
GROUPS = {}
for _case in CASES:
    _key = "-".join([_case.name, _case.dtype, _case.layout, *map(str, _case.kwargs.values())])
    GROUPS.setdefault(_key, []).append(_case)


@pytest.mark.parametrize("group", GROUPS)
def test_matches_torch(group):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # deprecations: x.T, uint8 masks
        for case in GROUPS[group]:
            case.check()


# -- the tutorial example and direct checks -----------------------------------------------------


def test_points_storage_example():
    points = ember.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])
    assert points.storage().tolist() == [1.0, 4.0, 2.0, 1.0, 3.0, 5.0]
    second = points[1]
    assert second.storage_offset() == 2
    assert second.size() == ember.Size([2])
    assert points.stride() == (2, 1)
    points_t = points.t()
    assert points_t.untyped_storage().data_ptr() == points.untyped_storage().data_ptr()
    assert points_t.stride() == (1, 2)
    assert points_t.shape == (2, 3)
    assert not points_t.is_contiguous()
    second[0] = 10.0
    assert points.tolist() == [[1.0, 4.0], [10.0, 1.0], [3.0, 5.0]]
    assert points_t.contiguous().stride() == (3, 1)


@pytest.mark.parametrize(
    ("make", "target", "is_view"),
    [
        (lambda x: x, (3, 4), True),
        (lambda x: x.t(), (-1,), False),
        (lambda x: x.t(), (4, 3), True),
        (lambda x: x.t(), (2, 6), False),
        (lambda x: x.t(), (4, 1, 3), True),
        (lambda x: x[:, :2], (-1,), False),
        (lambda x: x[:, :2], (3, 2, 1), True),
        (lambda x: x[::2], (2, 2, 2), True),
        (lambda x: x[:, ::2], (6,), True),
        (lambda x: x.unsqueeze(1).expand(3, 2, 4), (3, 8), False),
        (lambda x: x.unsqueeze(1).expand(3, 2, 4), (3, 2, 2, 2), True),
    ],
)
def test_reshape_is_a_view_exactly_when_torch_says(make, target, is_view):
    base = sample((3, 4), rng=np.random.default_rng(1))
    for lib in (ember, torch):
        x = make(lib.from_numpy(base.copy()))
        out = x.reshape(target)
        shares = out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        assert shares == is_view, lib.__name__
    check(lambda lib, x: make(x).reshape(target), base)


def test_view_of_incompatible_layout_raises():
    x = ember.zeros(3, 4).t()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.view(-1)
    check(lambda lib, x: x.t().view(12), sample((3, 4)), match="view size is not compatible")


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x.squeeze(2),
        lambda x: x.unsqueeze(-4),
        lambda x: x.transpose(0, 2),
        lambda x: x.select(-3, 0),
        lambda x: x.narrow(2, 0, 1),
        lambda x: x.flatten(0, 5),
        lambda x: x.movedim(2, 0),
        lambda x: x.diagonal(0, 0, 2),
        lambda x: x.unbind(2),
        lambda x: x.split(1, 2),
        lambda x: x.chunk(1, -3),
        lambda x: x.size(2),
        lambda x: x.stride(-3),
    ],
)
def test_invalid_dims_raise_index_error(op):
    with pytest.raises(IndexError, match="Dimension out of range"):
        op(ember.zeros(2, 3))
    check(lambda lib, x: op(x), sample((2, 3)), match="Dimension out of range")


def test_index_keeps_basic_view_and_advanced_copy():
    x = ember.arange(24).reshape(2, 3, 4)
    assert x[1, :, ::2].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    picked = x[:, [0, 2]]
    picked[...] = -1
    assert picked.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    assert x.numpy().min() == 0


# -- property: random chains of views agree with torch --------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _chain_step(data, shape):
    """One view op applicable to ``shape``, drawn by hypothesis, as ``fn(t)``."""
    ndim = len(shape)
    names = ["unsqueeze", "view", "reshape"]
    if ndim:
        names += ["transpose", "permute", "slice", "select", "narrow", "squeeze", "expand"]
    name = data.draw(st.sampled_from(names))
    dim = data.draw(st.integers(-ndim, ndim - 1)) if ndim else 0
    if name == "unsqueeze":
        d = data.draw(st.integers(-ndim - 1, ndim))
        return lambda t: t.unsqueeze(d)
    if name in ("view", "reshape"):
        flat = 1
        for s in shape:
            flat *= s
        target = data.draw(st.sampled_from([(-1,), (flat, 1), (1, -1), tuple(shape[::-1])]))
        if name == "view":
            # only where a view exists: torch decides, ember must agree on that too
            return lambda t: t.view(target) if _viewable(t, target) else t.reshape(target)
        return lambda t: t.reshape(target)
    if name == "transpose":
        d2 = data.draw(st.integers(-ndim, ndim - 1))
        return lambda t: t.transpose(dim, d2)
    if name == "permute":
        perm = data.draw(st.permutations(range(ndim)))
        return lambda t: t.permute(*perm)
    size = shape[dim]
    if name == "slice":
        start = data.draw(st.integers(0, size))
        step = data.draw(st.integers(1, 3))
        key = (slice(None),) * (dim % ndim) + (slice(start, None, step),)
        return lambda t: t[key]
    if name == "select":
        if not size:
            return lambda t: t
        i = data.draw(st.integers(-size, size - 1))
        return lambda t: t.select(dim, i)
    if name == "narrow":
        start = data.draw(st.integers(0, size))
        length = data.draw(st.integers(0, size - start))
        return lambda t: t.narrow(dim, start, length)
    if name == "squeeze":
        return lambda t: t.squeeze(dim)
    target = tuple(3 if s == 1 else -1 for s in shape)
    return lambda t: t.expand(2, *target)


def _viewable(t, target) -> bool:
    try:
        t.view(target)
    except RuntimeError:
        return False
    return True


@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
    data=st.data(),
    dtype=st.sampled_from(["float32", "int64"]),
)
def test_random_view_chains_match_torch(shape, data, dtype):
    base_values = sample(tuple(shape), dtype, np.random.default_rng(len(shape)))
    steps = []
    current = torch.from_numpy(base_values.copy())
    for _ in range(data.draw(st.integers(1, 5))):
        fn = _chain_step(data, tuple(current.shape))
        try:
            nxt = fn(current)
        except (RuntimeError, IndexError):
            continue
        if nxt.numel() > 256:
            continue
        steps.append(fn)
        current = nxt

    def chain(lib, x):
        for fn in steps:
            x = fn(x)
        return x

    # strides, offsets, values and sharing of the final view; then a write through it
    check(chain, base_values)
    check(lambda lib, x: (_write(lib, chain(lib, x)), x)[1], base_values)
