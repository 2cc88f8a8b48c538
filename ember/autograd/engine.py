"""The backward pass: order the recorded graph once, then push gradients through it.

The walk is iterative (no recursion limit on long unrolled graphs): order the nodes reachable
from the roots so that each comes after every node that feeds it a gradient, and run each once
its gradients have all arrived.  With ``inputs`` (``grad``, or ``backward(inputs=...)``) only
the nodes on a path to those inputs run.
"""

from __future__ import annotations

import warnings

from ember._grad_state import state as _grad_state
from ember._tensor import Tensor, _wrap
from ember.autograd import anomaly_mode
from ember.autograd.graph import AccumulateGrad, edge_of
from ember.backend import array_module

# PyTorch warns once per process about ``backward(create_graph=True)``.
_warned_create_graph = False


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs, grad_outputs, create_graph):
    """Pair each output's edge with its incoming gradient (ones for scalars when none is given).

    The checks run in PyTorch's order: every gradient first, then whether each output is in a
    graph at all."""
    from ember._factories import ones_like

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not isinstance(out, Tensor):
            raise TypeError(f"expected a Tensor as output {i}, got {type(out).__name__}")
        if g is None:
            if out._requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out._dtype.is_floating_point:
                    raise RuntimeError(
                        "grad can be implicitly created only for real scalar outputs but got "
                        f"{out._dtype}"
                    )
                g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(g).__name__}"
            )
        elif tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {out.shape}."
            )
        grads.append(g)
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grads, strict=True)):
        edge = edge_of(out)
        if edge[0] is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g._dtype is not out._dtype:
            g = g.to(out._dtype)
        grads[i] = g if create_graph else g.detach()
        roots.append(edge)
    return roots, grads


def _topological(roots) -> list:
    """Every node reachable from ``roots``, each after all nodes that lead into it."""
    order, state = [], set()
    for root, _ in roots:
        if root is None or root in state:
            continue
        stack = [(root, iter(root.next_functions))]
        state.add(root)
        while stack:
            node, children = stack[-1]
            for child, _ in children:
                if child is not None and child not in state:
                    state.add(child)
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
    total = a._data + b._data
    if not total.shape:  # NumPy gives a scalar, not a 0-d array, for two 0-d operands
        total = array_module(a._data).asarray(total)
    return _wrap(total, a._dtype, a._device)


def _execute(roots, grads, retain_graph, create_graph, stops=None, captures=None):
    """Run the graph from ``roots`` (see ``_run_graph``)."""
    if anomaly_mode.enabled:
        return anomaly_mode.run_graph(
            _run_graph, roots, grads, retain_graph, create_graph, stops, captures
        )
    return _run_graph(roots, grads, retain_graph, create_graph, stops, captures)


def _needed(order, stops, captures) -> set:
    """The nodes whose backward must run so that gradients reach every node in ``stops``.

    A node in ``stops`` is itself run only when another stop lies beyond it, or when it is a
    leaf's AccumulateGrad and gradients are being accumulated (``captures is None``)."""
    needed = set()
    for node in reversed(order):
        if captures is None and node in stops and type(node) is AccumulateGrad:
            needed.add(node)
            continue
        for child, _ in node.next_functions:
            if child is not None and (child in needed or child in stops):
                needed.add(node)
                break
    return needed


def _run_graph(roots, grads, retain_graph, create_graph, stops, captures):
    """Push ``grads`` from ``roots`` through the graph.

    Without ``stops`` every reachable node runs.  With ``stops`` (a set of nodes) only the
    nodes leading to them run; a stop that need not run still gets its tensor hooks applied
    (which fills ``.grad`` of a tensor that retains it).  With ``captures`` (a dict from edge to
    slot) the gradient reaching each such edge is returned in a list.  As in PyTorch, a
    captured gradient has been through the tensor hooks unless its node runs anyway.
    """
    order = _topological(roots)
    needed = None if stops is None else _needed(order, stops, captures)
    captured = None if captures is None else [None] * len(captures)
    buffers = {}
    for (node, nr), g in zip(roots, grads, strict=True):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * len(node._out_meta)
        buf[nr] = _add(buf[nr], g, create_graph)
    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph  # hooks and backward formulas record only if asked
    try:
        _run_nodes(order, buffers, needed, stops, captures, captured, create_graph,
                   retain_graph)
    finally:
        _grad_state.enabled = prev_mode
    return captured


def _run_all(order, buffers, create_graph, retain_graph):
    """``_run_nodes`` for a pass that runs every node, without anomaly mode: the path of
    ``loss.backward()``, spelled out."""
    pop = buffers.pop
    get = buffers.get
    for node in order:
        buf = pop(node, None)
        if buf is None:
            continue
        if len(buf) == 1:
            if buf[0] is None:
                continue
        else:
            for g in buf:
                if g is not None:
                    break
            else:
                continue  # nothing reached this node
        if (
            node._plain
            and len(buf) == 1
            and node._tensor_hooks is None
            and node._pre_hooks is None
            and node._post_hooks is None
        ):  # ``Node._run`` for the common case: one output, its gradient present, no hooks
            results = type(node).backward(node, buf[0])
            if type(results) is not tuple:
                results = (results,)
            if len(results) != len(node.next_functions):
                results = node._fit_result(results)
        else:
            results = node._run(buf, create_graph)
        for (child, nr), g in zip(node.next_functions, results, strict=False):
            if child is None or g is None:
                continue
            cbuf = get(child)
            if cbuf is None:
                meta = child._out_meta
                if len(meta) == 1:
                    buffers[child] = [g]
                else:
                    cbuf = buffers[child] = [None] * len(meta)
                    cbuf[nr] = g
            else:
                cur = cbuf[nr]
                cbuf[nr] = g if cur is None else _add(cur, g, create_graph)
        # drop this frame's references to the gradients: a leaf's AccumulateGrad may then
        # adopt its gradient instead of copying it (see ``accumulate_into_grad``)
        results = g = cbuf = buf = None
        if not retain_graph:
            node._release()


def _run_nodes(order, buffers, needed, stops, captures, captured, create_graph, retain_graph):
    anomaly = anomaly_mode.enabled
    if needed is None and not anomaly:
        return _run_all(order, buffers, create_graph, retain_graph)
    for node in order:
        buf = buffers.pop(node, None)
        if buf is None:
            continue
        if needed is not None:
            runs = node in needed
            if node in stops:
                if not runs and node._tensor_hooks:
                    node._apply_tensor_hooks(buf)
                if captures is not None:
                    for nr, g in enumerate(buf):
                        slot = captures.get((node, nr))
                        if slot is not None:
                            captured[slot] = g
            if not runs:
                continue
        for g in buf:
            if g is not None:
                break
        else:
            continue  # nothing reached this node
        if anomaly:
            results = anomaly_mode.run_node(node, buf, create_graph)
        else:
            results = node._run(buf, create_graph)
        for (child, nr), g in zip(node.next_functions, results, strict=False):
            if child is None or g is None:
                continue
            cbuf = buffers.get(child)
            if cbuf is None:
                cbuf = buffers[child] = [None] * len(child._out_meta)
                cbuf[nr] = g
            else:
                cur = cbuf[nr]
                cbuf[nr] = g if cur is None else _add(cur, g, create_graph)
        # drop this frame's references to the gradients: a leaf's AccumulateGrad may then
        # adopt its gradient instead of copying it (see ``accumulate_into_grad``)
        results = g = cbuf = buf = None
        if not retain_graph:
            node._release()


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate into ``.grad`` of the graph's leaves the gradients of ``tensors``.

    ``grad_tensors`` seeds each output (required for non-scalars); ``retain_graph`` keeps the
    graph for another backward (default: ``create_graph``); ``create_graph`` records the
    backward itself so that the gradients can be differentiated again; ``inputs`` limits which
    tensors receive gradients (a non-leaf among them keeps its ``.grad``, as after
    ``retain_grad()``).
    """
    global _warned_create_graph
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph and not _warned_create_graph:
        _warned_create_graph = True
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.",
            UserWarning,
            stacklevel=3,
        )
    stops = None
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        stops = set()
        for t in inputs:
            if not isinstance(t, Tensor):
                raise TypeError(f"all inputs have to be Tensors, but got {type(t).__name__}")
            t.retain_grad()
            stops.add(edge_of(t)[0])
    roots, grads = _root_grads(outputs, grad_tensors, create_graph)
    _execute(roots, grads, retain_graph, create_graph, stops)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    Only the part of the graph between them runs.  ``grad_outputs`` seeds each output
    (required for non-scalars); with ``create_graph=True`` the results are themselves
    differentiable (higher-order gradients).  An input the outputs do not depend on is an
    error, or None with ``allow_unused=True``, or zeros with ``materialize_grads=True``.

    >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> ember.autograd.grad((x ** 3).sum(), x)
    (tensor([ 3., 12.]),)
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported by ember")
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if retain_graph is None:
        retain_graph = create_graph
    captures, slots = {}, []
    for t in inputs:
        if not isinstance(t, Tensor):
            raise RuntimeError(
                f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}"
            )
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        slots.append(captures.setdefault(edge_of(t), len(captures)))
    roots, grads = _root_grads(outputs, grad_outputs, create_graph)
    stops = {node for node, _ in captures}
    captured = _execute(roots, grads, retain_graph, create_graph, stops, captures)
    result = []
    for i, (t, slot) in enumerate(zip(inputs, slots, strict=True)):
        g = captured[slot]
        if g is None:
            if materialize_grads:
                from ember._factories import zeros_like

                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
