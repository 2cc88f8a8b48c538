"""autograd.Function against torch: ctx API, non-tensor arguments, several outputs,
mark_non_differentiable, mark_dirty, set_materialize_grads, setup_context, once_differentiable."""

import numpy as np
import pytest

from tests.autograd._compare import both, leaf, raises_both

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3,))
Y = RNG.standard_normal((3,))


def _classes(lib):
    class MulAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k, flag=False):
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * y * k, x + y

        @staticmethod
        def backward(ctx, ga, gb):
            x, y = ctx.saved_tensors
            ctx.seen = ctx.needs_input_grad
            return ga * y * ctx.k + gb, ga * x * ctx.k + gb, None, None

    class Sort(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values, idx

        @staticmethod
        def backward(ctx, g, gidx):
            (idx,) = ctx.saved_tensors
            out = g.new_zeros(g.shape) if hasattr(g, "new_zeros") else g * 0
            return out.index_add(0, idx, g) if hasattr(out, "index_add") else g

    class Double_(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Lazy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            ctx.got = (ga is None, gb is None)
            out = None
            if ga is not None:
                out = ga * 2
            if gb is not None:
                out = gb * 3 if out is None else out + gb * 3
            return out

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return MulAdd, Sort, Double_, Lazy, Square


def _frozen(lib):
    class Frozen(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.exp()

    return Frozen


def test_save_for_backward_needs_input_grad_and_tuple_outputs():
    def run(lib):
        MulAdd = _classes(lib)[0]
        x, y = leaf(lib, X), leaf(lib, Y, requires_grad=False)
        a, b = MulAdd.apply(x, y, 2.0)
        (a * 2 + b * 5).sum().backward()
        node = a.grad_fn
        return (x.grad, node.seen, b.grad_fn is node, type(node).__name__, a.requires_grad,
                b.requires_grad)

    both(run)


def test_only_one_output_used():
    def run(lib):
        MulAdd = _classes(lib)[0]
        x, y = leaf(lib, X), leaf(lib, Y)
        a, _ = MulAdd.apply(x, y, 3)
        a.sum().backward()
        return x.grad, y.grad

    both(run)


def test_next_functions_skip_non_tensor_arguments():
    def run(lib):
        MulAdd = _classes(lib)[0]
        a, _ = MulAdd.apply(leaf(lib, X), leaf(lib, Y, requires_grad=False), 2.0)
        return [(None if n is None else type(n).__name__, nr) for n, nr in
                a.grad_fn.next_functions]

    both(run)


def test_mark_non_differentiable():
    def run(lib):
        Sort = _classes(lib)[1]
        x = leaf(lib, X)
        values, idx = Sort.apply(x)
        (values * lib.tensor(Y)).sum().backward()
        return values.requires_grad, idx.requires_grad, idx.grad_fn is None, x.grad

    both(run)


def test_mark_dirty_returns_the_modified_input():
    def run(lib):
        Double_ = _classes(lib)[2]
        x = leaf(lib, X)
        y = x * 1
        z = Double_.apply(y)
        z.sum().backward()
        return z is y, type(y.grad_fn).__name__, x.grad, y

    both(run)


def test_mark_dirty_bumps_the_version():
    def run(lib):
        y = leaf(lib, X) * 1
        _classes(lib)[2].apply(y)
        return y._version

    both(run)


def test_set_materialize_grads_false_passes_none():
    def run(lib):
        Lazy = _classes(lib)[3]
        x = leaf(lib, X)
        a, b = Lazy.apply(x)
        a.sum().backward()
        return x.grad, a.grad_fn.got

    both(run)


def test_setup_context_style():
    def run(lib):
        Square = _classes(lib)[4]
        x = leaf(lib, X)
        y = Square.apply(x)
        (y * lib.tensor(Y)).sum().backward()
        return y, x.grad, type(y.grad_fn).__name__

    both(run)


def test_custom_function_double_backward():
    def run(lib):
        Square = _classes(lib)[4]
        x = leaf(lib, X)
        (g,) = lib.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        return g, gg

    both(run)




def test_once_differentiable_backward_runs_without_graph():
    def run(lib):
        x = leaf(lib, X)
        (f,) = lib.autograd.grad(_frozen(lib).apply(x).sum(), x, create_graph=True)
        return f, f.requires_grad

    both(run)


def test_once_differentiable_refuses_a_second_backward():
    def run(lib):
        x = leaf(lib, X)
        (f,) = lib.autograd.grad(_frozen(lib).apply(x).sum(), x, create_graph=True)
        f.sum().backward()

    raises_both(run, RuntimeError, "does not require grad")


def test_no_graph_when_nothing_requires_grad_or_in_no_grad():
    def run(lib):
        MulAdd = _classes(lib)[0]
        a, _ = MulAdd.apply(lib.tensor(X), lib.tensor(Y), 1.0)
        with lib.no_grad():
            b, _ = MulAdd.apply(leaf(lib, X), leaf(lib, Y), 1.0)
        return a.requires_grad, a.grad_fn is None, b.requires_grad

    both(run)


def test_non_tensor_outputs_pass_through():
    def run(lib):
        class WithCount(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, n):
                return x * n, n

            @staticmethod
            def backward(ctx, g, gn):
                return g * 2, None

        x = leaf(lib, X)
        y, n = WithCount.apply(x, 3)
        y.sum().backward()
        return n, x.grad

    both(run)


def test_returning_an_input_unchanged_makes_a_new_tensor():
    def run(lib):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = leaf(lib, X)
        y = Ident.apply(x)
        y.sum().backward()
        return y is x, x.grad, y.is_leaf

    both(run)


def test_backward_errors():
    def wrong_count(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, g

        F.apply(leaf(lib, X)).sum().backward()

    raises_both(wrong_count, RuntimeError, "returned an incorrect number of gradients "
                r"\(expected 1, got 2\)")

    def no_backward(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        F.apply(leaf(lib, X)).sum().backward()

    raises_both(no_backward, NotImplementedError, "You must implement either the backward")

    def wrong_shape(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return lib.ones(7, dtype=lib.float64)

        F.apply(leaf(lib, X)).sum().backward()

    raises_both(wrong_shape, RuntimeError, "returned an invalid gradient at index 0")


def test_non_tensor_gradient_is_a_runtime_error():
    def run(lib):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return 3

        F.apply(leaf(lib, X)).sum().backward()

    raises_both(run, RuntimeError, r"expected Variable or None \(got int\)")
