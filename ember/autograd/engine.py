"""The backward pass: order the recorded graph once, then push gradients through it.

The walk is iterative (no recursion limit on long unrolled graphs): count how many edges
lead into each node, start from the roots, and run a node once every gradient it will receive
has arrived.  ``grad`` runs only the part of the graph that leads to the requested inputs.
"""

from __future__ import annotations

from ember._tensor import Tensor, _wrap
from ember.autograd import anomaly_mode
from ember.autograd.graph import edge_of


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs, grad_outputs, create_graph):
    """Pair each output with its incoming gradient (ones for scalars when none is given)."""
    from ember._factories import ones_like

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs; got {len(grad_outputs)} "
            f"gradients for {len(outputs)} outputs"
        )
    roots, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected a Tensor as output {i}, got {type(out).__name__}")
        edge = edge_of(out)
        if edge[0] is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not (out._dtype.is_floating_point or out._dtype.is_complex):
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got {out._dtype}"
                )
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            from ember._factories import tensor

            g = tensor(g, dtype=out._dtype, device=out._device)
        elif tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {out.shape}."
            )
        if not create_graph:
            g = g.detach()
        roots.append(edge)
        grads.append(g)
    return roots, grads


def _topological(roots) -> list:
    """Every node reachable from ``roots``, each after all nodes that lead into it."""
    order, state = [], {}
    for root, _ in roots:
        if root is None or root in state:
            continue
        stack = [(root, iter(root.next_functions))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child, _ in children:
                if child is not None and child not in state:
                    state[child] = 1
                    stack.append((child, iter(child.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _add(a, b, create_graph):
    if a is None:
        return b
    if create_graph:
        return a + b
    return _wrap(a._data + b._data, a._dtype, a._device)


def _execute(roots, grads, retain_graph, create_graph, targets=None):
    """Run the graph from ``roots``.  With ``targets`` (a dict edge -> slot), gradients reaching
    those edges are captured and returned instead of accumulated into leaves' ``.grad``."""
    if anomaly_mode.enabled:
        return anomaly_mode.run_graph(_run_graph, roots, grads, retain_graph, create_graph, targets)
    return _run_graph(roots, grads, retain_graph, create_graph, targets)


def _run_graph(roots, grads, retain_graph, create_graph, targets):
    order = _topological(roots)
    anomaly = anomaly_mode.enabled
    if targets is not None:
        target_nodes = {node for node, _ in targets}
        needed = set()
        for node in reversed(order):
            if node in target_nodes or any(c in needed for c, _ in node.next_functions):
                needed.add(node)
        captured = [None] * len(targets)
    buffers = {}
    for (node, nr), g in zip(roots, grads):
        buf = buffers.setdefault(node, [None] * _n_outputs(node))
        buf[nr] = _add(buf[nr], g, create_graph)
    for node in order:
        buf = buffers.pop(node, None)
        if targets is not None:
            if node not in needed:
                continue
            if node in target_nodes:
                for nr in range(len(buf) if buf else 0):
                    slot = targets.get((node, nr))
                    if slot is not None:
                        captured[slot] = buf[nr]
                if not any(c in needed for c, _ in node.next_functions):
                    continue
        if buf is None or all(g is None for g in buf):
            continue
        if anomaly:
            results = anomaly_mode.run_node(node, buf, create_graph)
        else:
            results = node._run(buf, create_graph)
        for (child, nr), g in zip(node.next_functions, results):
            if child is None or g is None:
                continue
            cbuf = buffers.get(child)
            if cbuf is None:
                cbuf = buffers[child] = [None] * _n_outputs(child)
            cbuf[nr] = _add(cbuf[nr], g, create_graph)
        if not retain_graph:
            node._release()
    return captured if targets is not None else None


def _n_outputs(node) -> int:
    return node.num_outputs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into ``.grad`` of the graph's leaves the gradients of ``tensors``.

    ``grad_tensors`` seeds each output (required for non-scalars); ``inputs`` limits which
    leaves receive gradients.
    """
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _root_grads(outputs, grad_tensors, create_graph)
    if inputs is None:
        _execute(roots, grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    captured = _capture(roots, grads, inputs, retain_graph, create_graph, allow_unused=True)
    from ember.autograd.graph import accumulate_into_grad

    for t, g in zip(inputs, captured):
        if g is not None:
            accumulate_into_grad(t, g, create_graph)


def _capture(roots, grads, inputs, retain_graph, create_graph, allow_unused):
    targets = {}
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensors as inputs, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets.setdefault(edge_of(t), i)
    captured = _execute(roots, grads, retain_graph, create_graph, targets)
    out = []
    for i, t in enumerate(inputs):
        g = captured[targets[edge_of(t)]]
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior."
            )
        out.append(g)
    return out


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    Only the part of the graph between them is run.  With ``create_graph=True`` the results
    are themselves differentiable (higher-order gradients).
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported by ember")
    outputs = _as_tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    roots, grads = _root_grads(outputs, grad_outputs, create_graph)
    result = _capture(roots, grads, inputs, retain_graph, create_graph, allow_unused)
    if materialize_grads:
        from ember._factories import zeros_like

        result = [zeros_like(t) if g is None else g for t, g in zip(inputs, result)]
    if not create_graph:
        result = [None if g is None else g.detach() for g in result]
    return tuple(result)
