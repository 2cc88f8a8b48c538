"""The autograd engine, compared with PyTorch: graph shapes, accumulation, hooks, custom
Functions, grad modes and the errors PyTorch raises."""

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)


def _pair(*shapes, dtype=np.float64):
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    ours = [ember.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _close(a, b, tol=1e-10):
    a = np.asarray(a.detach() if isinstance(a, ember.Tensor) else a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _graphs(lib, x, y):
    """A shared subgraph, a diamond and a reused leaf, all in one function."""
    shared = x * y
    left = shared + x
    right = shared * shared - y / (x * x + 1)
    return (left * right + shared).sum()


def test_diamond_shared_subgraph_and_reused_leaves():
    (ex, ey), (tx, ty) = _pair((3, 4), (4,))
    _graphs(ember, ex, ey).backward()
    _graphs(torch, tx, ty).backward()
    _close(ex.grad, tx.grad)
    _close(ey.grad, ty.grad)


def test_gradients_accumulate_across_backward_calls():
    (ex,), (tx,) = _pair((5,))
    for lib, x in ((ember, ex), (torch, tx)):
        (x * x).sum().backward()
        (x * 3).sum().backward()
    _close(ex.grad, tx.grad)


def test_retain_graph_allows_a_second_backward_and_freed_graph_raises():
    (ex,), (tx,) = _pair((4,))
    for x in (ex, tx):
        out = (x * x).sum()
        out.backward(retain_graph=True)
        out.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.backward()
    _close(ex.grad, tx.grad)


def test_non_scalar_backward_needs_a_gradient():
    (ex,), (tx,) = _pair((2, 3))
    for x in (ex, tx):
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
            (x * 2).backward()
    g = RNG.standard_normal((2, 3))
    (ex * ex).backward(ember.tensor(g))
    (tx * tx).backward(torch.tensor(g))
    _close(ex.grad, tx.grad)


def test_backward_on_tensor_without_grad_raises():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.ones(2).sum().backward()


def test_autograd_grad_returns_without_touching_leaves_and_prunes():
    (ex, ey), (tx, ty) = _pair((3,), (3,))
    gx_e, = ember.autograd.grad((ex * ey).sum(), ex)
    gx_t, = torch.autograd.grad((tx * ty).sum(), tx)
    _close(gx_e, gx_t)
    assert ex.grad is None and ey.grad is None


def test_autograd_grad_allow_unused():
    (ex, ey), (tx, ty) = _pair((3,), (3,))
    for lib, x, y in ((ember, ex, ey), (torch, tx, ty)):
        with pytest.raises(RuntimeError, match="not have been used in the graph"):
            lib.autograd.grad((x * 2).sum(), [x, y])
    ours = ember.autograd.grad((ex * 2).sum(), [ex, ey], allow_unused=True)
    theirs = torch.autograd.grad((tx * 2).sum(), [tx, ty], allow_unused=True)
    _close(ours[0], theirs[0])
    assert ours[1] is None and theirs[1] is None


def test_grad_of_an_intermediate_tensor():
    (ex,), (tx,) = _pair((4,))
    results = []
    for lib, x in ((ember, ex), (torch, tx)):
        mid = x * x
        out = (mid * mid * 3 + mid).sum()
        results.append(lib.autograd.grad(out, mid)[0])
    _close(results[0], results[1])


def test_second_order_gradients_and_hessian_vector_product():
    (ex,), (tx,) = _pair((5,))
    v = RNG.standard_normal(5)
    out = []
    for lib, x in ((ember, ex), (torch, tx)):
        y = (x * x * x - x / (x * x + 1)).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad
        (hv,) = lib.autograd.grad((g * lib.tensor(v)).sum(), x)
        out.append((g, hv))
    _close(out[0][0], out[1][0])
    _close(out[0][1], out[1][1])


def test_no_grad_enable_grad_and_set_grad_enabled():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.inference_mode(False):
        assert (x * 2).requires_grad


def test_grad_fn_names_and_next_functions_match_torch():
    (ex, ey), (tx, ty) = _pair((2,), (2,))
    for x, y in ((ex, ey), (tx, ty)):
        out = (x * y + x).sum()
        assert out.grad_fn.name() == "SumBackward0"
        add = out.grad_fn.next_functions[0][0]
        assert add.name() == "AddBackward0"
        mul, acc = (fn for fn, _ in add.next_functions)
        assert mul.name() == "MulBackward0"
        assert type(acc).__name__ == "AccumulateGrad"
        assert acc.variable is x
    assert ex.is_leaf and not (ex * 2).is_leaf


def test_tensor_hooks_modify_gradients_and_can_be_removed():
    (ex,), (tx,) = _pair((3,))
    for x in (ex, tx):
        mid = x * 2
        handle = mid.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: g + 1)
        (mid * mid).sum().backward(retain_graph=True)
        handle.remove()
        (mid * mid).sum().backward()
    _close(ex.grad, tx.grad)


def test_retain_grad_keeps_non_leaf_gradients():
    (ex,), (tx,) = _pair((3,))
    mids = []
    for x in (ex, tx):
        mid = x * x
        mid.retain_grad()
        assert mid.retains_grad
        (mid * 3).sum().backward()
        mids.append(mid.grad)
    _close(mids[0], mids[1])


def test_register_hook_on_tensor_without_grad_raises():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError):
            lib.ones(2).register_hook(lambda g: g)


def test_backward_inputs_limits_accumulation():
    (ex, ey), (tx, ty) = _pair((3,), (3,))
    for x, y in ((ex, ey), (tx, ty)):
        (x * y).sum().backward(inputs=[x])
    _close(ex.grad, tx.grad)
    assert ey.grad is None and ty.grad is None


def test_in_place_change_of_a_saved_tensor_is_detected():
    for lib in (ember, torch):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        z = y * y
        y.fill_(5.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


class _Cube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return grad * 3 * x * x * ctx.scale, None


class _TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x * ctx.scale, None


def test_custom_function_forward_backward_and_name():
    (ex,), (tx,) = _pair((4,))
    ey = _Cube.apply(ex, 2.0)
    ty = _TorchCube.apply(tx, 2.0)
    _close(ey, ty)
    assert ey.grad_fn.name() == "_CubeBackward"
    assert type(ty.grad_fn).__name__ == "_TorchCubeBackward"
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    _close(ex.grad, tx.grad)


class _SplitTwo(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        idx = ember.tensor([1, 2])
        ctx.mark_non_differentiable(idx)
        return x * 2, idx

    @staticmethod
    def backward(ctx, grad, grad_idx):
        return grad * 2


def test_custom_function_with_non_differentiable_output():
    x = ember.ones(2, requires_grad=True)
    y, idx = _SplitTwo.apply(x)
    assert y.requires_grad and not idx.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


class _WrongShape(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad):
        return ember.ones(7, dtype=ember.float64)


def test_custom_function_with_wrong_gradient_shape_raises():
    x = ember.ones(2, dtype=ember.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        _WrongShape.apply(x).sum().backward()


def test_custom_function_with_setup_context():
    class Double(ember.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.marker = True

        @staticmethod
        def backward(ctx, grad):
            assert ctx.marker
            return grad * 2

    x = ember.ones(3, requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_long_chains_do_not_hit_the_recursion_limit():
    x = ember.ones(1, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    assert abs(x.grad.item() - 1.0001**5000) < 1e-3


def test_int_tensors_cannot_require_grad():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="floating point"):
            lib.ones(2, dtype=lib.int64, requires_grad=True)


def test_promotion_keeps_the_graph():
    x = ember.ones(3, dtype=ember.float32, requires_grad=True)
    y = x * ember.ones(3, dtype=ember.float64)
    assert y.dtype is ember.float64
    y.sum().backward()
    assert x.grad.dtype is ember.float32
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_first_gradient_adopted_only_when_nothing_else_holds_it():
    """A leaf may take its first gradient as is (no copy), but never one that another leaf, a
    hook or the caller still holds: later accumulation must not write through to them."""
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).sum().backward()  # AddBackward hands one gradient tensor to both leaves
    assert a.grad.data_ptr() != b.grad.data_ptr()
    (a * 2).sum().backward()
    assert b.grad.tolist() == [1.0, 1.0, 1.0] and a.grad.tolist() == [3.0, 3.0, 3.0]

    kept = []
    w = ember.ones(3, requires_grad=True)
    w.register_hook(lambda g: kept.append(g))
    (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert kept[0].tolist() == [2.0, 2.0, 2.0] and w.grad.tolist() == [4.0, 4.0, 4.0]

    seed = ember.full((3,), 5.0)
    v = ember.ones(3, requires_grad=True)
    (v * 1).backward(seed)
    (v * 1).backward(seed)
    assert seed.tolist() == [5.0, 5.0, 5.0] and v.grad.tolist() == [10.0, 10.0, 10.0]

    m = ember.nn.Linear(4, 3)
    m(ember.ones(2, 4)).sum().backward()
    first = m.weight.grad
    assert first.stride() == (4, 1)
    m(ember.ones(2, 4)).sum().backward()
    assert m.weight.grad is first and first.tolist()[0] == [4.0] * 4
