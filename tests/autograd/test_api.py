"""The user-facing autograd API against torch: backward's arguments, accumulation, retain_grad,
leaves, detach, grad_fn names and next_functions, autograd.grad, tensor hooks."""

import numpy as np
import pytest

import ember
from tests.autograd._compare import both, leaf, raises_both

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4,))
G = RNG.standard_normal((3, 4))


def _xy(lib):
    return leaf(lib, A), leaf(lib, B)


# -- backward ------------------------------------------------------------------------------------


def test_backward_with_gradient_seed_and_accumulation():
    def run(lib):
        x, y = _xy(lib)
        out = x * y + x.exp()
        out.backward(lib.tensor(G))
        first = x.grad.clone(), y.grad.clone()
        (x * y).sum().backward()
        return first, x.grad, y.grad

    both(run)


def test_backward_gradient_is_cast_to_the_output_dtype():
    def run(lib):
        x = lib.tensor(A, dtype=lib.float32, requires_grad=True)
        (x * 2).backward(lib.tensor(G, dtype=lib.float64))
        g = lib.autograd.grad(x * 3, x, lib.tensor(G, dtype=lib.float64))[0]
        return x.grad, g

    both(run, tol=1e-6)


def test_retain_graph_and_second_backward():
    def run(lib):
        x, y = _xy(lib)
        out = (x * y).sin().sum()
        out.backward(retain_graph=True)
        out.backward()
        return x.grad, y.grad

    both(run)
    raises_both(lambda lib: [(o := (leaf(lib, A) * leaf(lib, B)).sum()).backward(), o.backward()],
                RuntimeError, "Trying to backward through the graph a second time")


def test_create_graph_backward_makes_differentiable_grads():
    def run(lib):
        x = leaf(lib, B)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        first = g.clone()
        x.grad = None
        g.sum().backward()
        return first, g.requires_grad, x.grad

    with pytest.warns(UserWarning):
        ember.autograd.engine._warned_create_graph = False
        both(run)


def test_backward_inputs_restricts_accumulation():
    def run(lib):
        x, y = _xy(lib)
        mid = x * y
        out = (mid * mid).sum()
        out.backward(inputs=[y], retain_graph=True)
        after_y = (x.grad, y.grad)
        out.backward(inputs=x, retain_graph=True)
        out.backward(inputs=[mid])
        return after_y, x.grad, y.grad, mid.grad, mid.retains_grad

    both(run)


def test_backward_inputs_on_a_non_leaf_applies_its_hooks():
    def run(lib):
        x, y = _xy(lib)
        mid = x * y
        mid.register_hook(lambda g: g * 10)
        (mid * mid).sum().backward(inputs=[mid, y])
        return mid.grad, y.grad, x.grad

    both(run)


def test_autograd_backward_with_several_roots():
    def run(lib):
        x, y = _xy(lib)
        lib.autograd.backward([x * y, (x * 2).sum()], [lib.tensor(G), None])
        return x.grad, y.grad

    both(run)


def test_backward_argument_errors():
    raises_both(lambda lib: (leaf(lib, A) * 2).backward(), RuntimeError,
                "grad can be implicitly created only for scalar outputs")
    raises_both(lambda lib: lib.ones(2).sum().backward(), RuntimeError,
                "element 0 of tensors does not require grad and does not have a grad_fn")
    raises_both(lambda lib: lib.autograd.backward([leaf(lib, B).sum(), lib.ones(2).sum()]),
                RuntimeError, "element 1 of tensors does not require grad")
    raises_both(lambda lib: (leaf(lib, B) * 2).backward(lib.ones(3)), RuntimeError,
                r"Mismatch in shape: grad_output\[0\] has a shape of \w+\.Size\(\[3\]\) and "
                r"output\[0\] has a shape of \w+\.Size\(\[4\]\)")
    raises_both(lambda lib: lib.autograd.backward([(leaf(lib, B) * 2).sum()], [2.0]), TypeError,
                "gradients can be either Tensors or None, but got float")
    raises_both(lambda lib: lib.autograd.backward([leaf(lib, B) * 2, leaf(lib, B).sum()],
                                                  [lib.ones(4)]),
                RuntimeError, "got 2 tensors and 1 gradients")
    raises_both(lambda lib: leaf(lib, B).sum().backward(inputs=[]), RuntimeError,
                "`inputs` argument to `backward\\(\\)` cannot be empty")
    raises_both(lambda lib: leaf(lib, B).sum().backward(inputs=[lib.ones(2)]), RuntimeError,
                "can't retain_grad on Tensor that has requires_grad=False")


# -- leaves, retain_grad, detach -------------------------------------------------------------------


def test_leaf_state_requires_grad_and_detach():
    def run(lib):
        x = leaf(lib, B)
        c = lib.tensor(B)
        y = x * 2
        d = y.detach()
        state = [(t.is_leaf, t.requires_grad, t.grad_fn is None) for t in (x, c, y, d)]
        c.requires_grad_()
        state.append((c.is_leaf, c.requires_grad, c.requires_grad_(False) is c, c.requires_grad))
        d.add_(1)  # shares storage and version counter with y
        state.append((y._version, d._version, y.tolist() == d.tolist()))
        z = x * 3
        assert z.detach_() is z
        state.append((z.is_leaf, z.requires_grad, z.grad_fn is None))
        return state

    both(run)


def test_requires_grad_errors():
    raises_both(lambda lib: (leaf(lib, B) * 2).requires_grad_(False), RuntimeError,
                "you can only change requires_grad flags of leaf variables")
    raises_both(lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(), RuntimeError,
                "floating point")


def test_retain_grad_on_non_leaves_accumulates_and_is_noop_on_leaves():
    def run(lib):
        x = leaf(lib, B)
        y = x * x
        y.retain_grad()
        y.retain_grad()
        x.retain_grad()
        (y * 3).sum().backward(retain_graph=True)
        first = y.grad.clone()
        (y * y).sum().backward()
        return first, y.grad, x.grad, y.retains_grad, x.retains_grad

    both(run)


def test_retain_grad_with_create_graph_keeps_the_graph():
    def run(lib):
        x = leaf(lib, B)
        y = x * x
        y.retain_grad()
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return g, y.grad

    both(run)


# -- grad_fn and next_functions -------------------------------------------------------------------


def _structure(fn, depth=4):
    """grad_fn tree as names, output numbers, and leaves' variables' values."""
    if fn is None:
        return None
    if type(fn).__name__ == "AccumulateGrad":
        return ("AccumulateGrad", fn.variable.tolist())
    name = fn.name()
    if depth == 0:
        return name
    return (name, [(_structure(c, depth - 1), nr) for c, nr in fn.next_functions])


@pytest.mark.parametrize("expr", [
    lambda lib, x, y: x + y,
    lambda lib, x, y: x - 2,
    lambda lib, x, y: x * y,
    lambda lib, x, y: x / y,
    lambda lib, x, y: x ** 2,
    lambda lib, x, y: 2 ** x,
    lambda lib, x, y: x ** y,
    lambda lib, x, y: -x,
    lambda lib, x, y: x.exp().log(),
    lambda lib, x, y: x.tanh().sigmoid(),
    lambda lib, x, y: x.sin().cos().abs(),
    lambda lib, x, y: (x * lib.ones(4)).sum(),
    lambda lib, x, y: x.mean(),
    lambda lib, x, y: x.relu().sqrt(),
    lambda lib, x, y: x.view(2, 2).matmul(y.view(2, 2)),
    lambda lib, x, y: (x.view(4, 1) @ y.view(1, 4)).sum(),
])
def test_grad_fn_names_and_next_functions(expr):
    xa, ya = np.abs(B) + 0.5, np.abs(A[0]) + 0.5

    def run(lib):
        x, y = leaf(lib, xa), leaf(lib, ya)
        out = expr(lib, x, y)
        return _structure(out.grad_fn)

    both(run)


def test_accumulate_grad_nodes_are_shared_and_point_at_the_leaf():
    def run(lib):
        x = leaf(lib, B)
        a, b = x * 2, x * 3
        acc_a = a.grad_fn.next_functions[0][0]
        acc_b = b.grad_fn.next_functions[0][0]
        return acc_a is acc_b, acc_a.variable is x, acc_a.next_functions, type(acc_a).__name__

    both(run)


def test_constants_have_no_edge():
    def run(lib):
        x = leaf(lib, B)
        return [(n is None, nr) for n, nr in (x * lib.tensor(B)).grad_fn.next_functions]

    both(run)


def test_multi_output_nodes_number_their_outputs():
    def run(lib):
        x = leaf(lib, A)
        values, indices = x.max(dim=1)
        parts = x.unbind(0)
        return (values.grad_fn.name(), indices.grad_fn, [
            (p.grad_fn is parts[0].grad_fn, p.grad_fn.name()) for p in parts
        ], (parts[2] * 2).grad_fn.next_functions[0][1])

    both(run)


# -- autograd.grad --------------------------------------------------------------------------------


def test_grad_returns_without_accumulating():
    def run(lib):
        x, y = _xy(lib)
        out = (x * y).tanh()
        g = lib.autograd.grad(out, (x, y), lib.tensor(G), retain_graph=True)
        g2 = lib.autograd.grad([out.sum(), (y * y).sum()], [y, x, y])
        return g, g2, x.grad, y.grad

    both(run)


def test_grad_of_intermediate_and_duplicate_inputs():
    def run(lib):
        x = leaf(lib, B)
        mid = x.exp()
        out = (mid * mid + mid).sum()
        return lib.autograd.grad(out, [mid, x, mid])

    both(run)


def test_grad_allow_unused_and_materialize_grads():
    def run(lib):
        x, y = _xy(lib)
        out = (x * 2).sum()
        a = lib.autograd.grad(out, [x, y], allow_unused=True, retain_graph=True)
        b = lib.autograd.grad(out, [x, y], materialize_grads=True, retain_graph=True)
        c = lib.autograd.grad(out, [y], materialize_grads=True, allow_unused=True)
        return a, b, c

    both(run)


def test_grad_errors():
    raises_both(lambda lib: lib.autograd.grad((leaf(lib, B) * 2).sum(), leaf(lib, B)),
                RuntimeError,
                "The differentiated Tensor at index 0 appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior.")
    raises_both(lambda lib: lib.autograd.grad(leaf(lib, B).sum(), lib.ones(2)), RuntimeError,
                "One of the differentiated Tensors does not require grad")
    raises_both(lambda lib: lib.autograd.grad(leaf(lib, B).sum(), []), RuntimeError,
                "`inputs` argument to `grad\\(\\)` cannot be empty")
    raises_both(lambda lib: lib.autograd.grad(leaf(lib, B).sum(), [leaf(lib, B)],
                                              allow_unused=False, materialize_grads=True),
                ValueError, "Expected allow_unused to be True or not passed")
    raises_both(lambda lib: lib.autograd.grad(lib.ones(2).sum(), [leaf(lib, B)]),
                RuntimeError, "element 0 of tensors does not require grad")

    def twice(lib):
        x = leaf(lib, B)
        out = (x * x).sum()
        lib.autograd.grad(out, x)
        lib.autograd.grad(out, x)

    raises_both(twice, RuntimeError, "Trying to backward through the graph a second time")


def test_grad_with_create_graph_is_differentiable():
    def run(lib):
        x = leaf(lib, B)
        (g,) = lib.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * lib.tensor(B)).sum(), x)
        return g, gg, g.grad_fn is not None

    both(run)


# -- tensor hooks ---------------------------------------------------------------------------------


def test_tensor_hooks_order_modify_and_remove():
    def run(lib):
        x = leaf(lib, B)
        y = x * 2
        log = []
        y.register_hook(lambda g: log.append(("y1", g.tolist())))
        h = y.register_hook(lambda g: g * 3)
        y.retain_grad()
        y.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: log.append(("x", g.tolist())))
        x.register_hook(lambda g: g * 2)
        (y * y).sum().backward(retain_graph=True)
        first = x.grad.clone(), y.grad.clone()
        h.remove()
        x.grad, y.grad = None, None
        (y * y).sum().backward()
        return log, first, x.grad, y.grad

    both(run)


def test_hooks_apply_to_captured_gradients():
    def run(lib):
        x = leaf(lib, B)
        y = x * 2
        y.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: g - 1)
        out = (y * y).sum()
        return (lib.autograd.grad(out, y, retain_graph=True),
                lib.autograd.grad(out, x, retain_graph=True),
                lib.autograd.grad(out, [y, x]))

    both(run)


def test_post_accumulate_grad_hook():
    def run(lib):
        x = leaf(lib, B)
        seen = []
        h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (x * 3).sum().backward()
        (x * x).sum().backward()
        h.remove()
        (x * 3).sum().backward()
        lib.autograd.grad((x * 5).sum(), x)
        return seen, x.grad

    both(run)
    raises_both(lambda lib: (leaf(lib, B) * 2).register_post_accumulate_grad_hook(print),
                RuntimeError, "post accumulate grad hooks cannot be registered on non-leaf")
    raises_both(lambda lib: lib.ones(2).register_hook(print), RuntimeError,
                "cannot register a hook on a tensor that doesn't require gradient")


def test_legacy_variable_is_the_tensor():
    def run(lib):
        t = lib.tensor([1.0, 2.0])
        v = lib.autograd.Variable(t, requires_grad=True)
        (v * v).sum().backward()
        w = lib.autograd.Variable(v * 2)
        return (v is t, t.requires_grad, v.data_ptr() == t.data_ptr(), v.is_leaf, v.grad, t.grad,
                w.requires_grad, isinstance(lib.zeros(1), lib.autograd.Variable))

    both(run)
