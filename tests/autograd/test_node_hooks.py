"""Hooks on graph nodes (``grad_fn.register_hook`` / ``register_prehook``) and the leaf /
detach state of tensors, compared with torch."""

import numpy as np
import torch

import ember

LIBS = (ember, torch)


def _hook_log(lib):
    """Everything the hooks see, and the gradients they shape, in one list."""
    log = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    y = x * c
    z = y + c

    def post(grad_inputs, grad_outputs):
        log.append(
            (
                "post",
                [None if g is None else g.tolist() for g in grad_inputs],
                [g.tolist() for g in grad_outputs],
            )
        )

    z.grad_fn.register_hook(post)
    pre = y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
    swap = y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, gi[1]))
    z.backward(lib.tensor([1.0, -1.0]), retain_graph=True)
    log.append(("grad", x.grad.tolist()))
    pre.remove()
    swap.remove()
    x.grad = None
    z.backward(lib.tensor([1.0, -1.0]))
    log.append(("after remove", x.grad.tolist()))

    # the leaf's AccumulateGrad node takes hooks too
    x2 = lib.tensor([1.0, 2.0], requires_grad=True)
    w = x2 * 2
    acc = w.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: log.append(("acc pre", [g.tolist() for g in go])))
    acc.register_hook(lambda gi, go: log.append(("acc post", gi, [g.tolist() for g in go])))
    w.sum().backward()
    y3 = x2 * 3
    y3.grad_fn.register_prehook(lambda go: None)  # None keeps the gradients
    y3.sum().backward()
    log.append(("x2", x2.grad.tolist()))

    # a tensor hook runs before the node's prehook
    x4 = lib.tensor([1.0], requires_grad=True)
    y4 = x4 * 2
    y4.register_hook(lambda g: (log.append(("tensor hook", g.tolist())), g * 2)[1])
    y4.grad_fn.register_prehook(
        lambda go: (log.append(("prehook", go[0].tolist())), (go[0] * 3,))[1]
    )
    y4.backward()
    log.append(("x4", x4.grad.tolist()))
    return log


def test_node_hooks_match_torch():
    assert _hook_log(ember) == _hook_log(torch)


def test_leaf_and_detach_state_match_torch():
    states = []
    for lib in LIBS:
        x = lib.tensor(np.ones(2), requires_grad=True)
        y = x * 2
        with lib.no_grad():
            n = x * 2
        d = y.detach()
        state = [
            x.is_leaf,
            y.is_leaf,
            n.is_leaf,
            n.requires_grad,
            d.is_leaf,
            d.requires_grad,
            d.grad_fn is None,
        ]
        d.mul_(3)  # shares storage (and the version counter) with y
        state += [y.tolist(), y._version == d._version]
        out = y.detach_()
        state += [out is y, y.is_leaf, y.requires_grad, y.grad_fn is None]
        x.requires_grad_(False)
        state += [x.requires_grad, x.is_leaf]
        states.append(state)
    assert states[0] == states[1]
