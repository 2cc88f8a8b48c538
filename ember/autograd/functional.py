"""Higher-level autograd on functions: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``,
``vhp``, as in ``torch.autograd.functional``.

Each takes ``func`` and its ``inputs`` (a Tensor or a tuple of Tensors) and returns results
shaped like PyTorch's: a single Tensor where the user gave a single Tensor, tuples where the
user gave tuples.  All are built on ``autograd.grad``; forward products (``jvp``, ``hvp``) use
the double-backward trick: the gradient of ``uᵀ J`` with respect to ``u`` is ``J``'s action.
Results are detached unless ``create_graph=True``.  ``strict=True`` raises where an output
does not depend on an input, instead of returning zeros.
"""

from __future__ import annotations

from ember._tensor import Tensor, _from_array, _wrap
from ember.autograd import grad_mode
from ember.autograd.engine import grad as _grad
from ember.backend import for_device

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``vᵀ J``: the vector-Jacobian product of ``func`` at ``inputs``.

    ``v`` is shaped like ``func``'s output (optional when that is a single one-element
    Tensor).  Returns ``(func_output, vjp)``, ``vjp`` shaped like ``inputs``.

    >>> vjp(lambda x: x * x, ember.tensor([1., 2.]), ember.tensor([1., 1.]))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _tensors(inputs, "inputs", "vjp")
        inputs = _prepare_inputs(inputs, create_graph)
        outputs_tuple, outputs = _tensors(
            func(*inputs), "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            v = _prepare_v(v, "vjp", outputs, outputs_tuple, create_graph)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
    with grad_mode.set_grad_enabled(create_graph or grad_mode.enabled):
        grads = _grads_of(outputs, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "back")
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(result, create_graph), inputs_tuple),
    )


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``J v``: the Jacobian-vector product of ``func`` at ``inputs``.

    ``v`` is shaped like ``inputs`` (optional for a single one-element input).  Computed by
    the double-backward trick.  Returns ``(func_output, jvp)``, ``jvp`` shaped like the output.

    >>> jvp(lambda x: x * x, ember.tensor([1., 2.]), ember.tensor([1., 1.]))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    from ember._factories import zeros_like

    with grad_mode.enable_grad():
        inputs_tuple, inputs = _tensors(inputs, "inputs", "jvp")
        inputs = _prepare_inputs(inputs, create_graph)
        if v is not None:
            v = _prepare_v(v, "jvp", inputs, inputs_tuple, create_graph)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        outputs_tuple, outputs = _tensors(
            func(*inputs), "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        # u: a dummy cotangent; the gradient of (uᵀ J) with respect to u, seeded by v, is J v
        dummies = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _grads_of(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.enabled):
        grads = _grads_of(grad_inputs, dummies, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, outputs, strict, create_graph, "back_trick")
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(result, create_graph), outputs_tuple),
    )


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs``; entry ``[i][j]`` has shape
    ``output_i.shape + input_j.shape``.

    Returns a Tensor for one input and one output, a tuple over the inputs (or over the
    outputs) when only one side is a tuple, and a tuple (outputs) of tuples (inputs) when both
    are.  One backward pass per output element; ``vectorize`` and ``strategy="forward-mode"``
    (which needs ``vectorize=True``) give the same values by the same passes.

    >>> jacobian(lambda x: x * x, ember.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _tensors(inputs, "inputs", "jacobian")
        inputs = _prepare_inputs(inputs, create_graph)
        outputs_tuple, outputs = _tensors(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                "not supported together. Please either set `strict=False` or `vectorize=False`."
            )
        result = tuple(
            _jacobian_of_output(i, out, inputs, create_graph, strict)
            for i, out in enumerate(outputs)
        )
    return _unpack(_finish(result, create_graph), (outputs_tuple, inputs_tuple))


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of a scalar function ``func`` at ``inputs``.

    A Tensor of shape ``input.shape + input.shape`` for a single input; for a tuple of inputs,
    a tuple of tuples whose ``[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``.

    >>> hessian(lambda x: (x * x * x).sum(), ember.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    inputs_tuple, inputs = _tensors(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        out_tuple, outs = _tensors(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze() if out.ndim else out

    def gradient(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(result, (inputs_tuple, inputs_tuple))


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``vᵀ H``: the vector-Hessian product of a scalar function ``func`` at ``inputs``.

    Returns ``(func_output, vhp)``, ``vhp`` shaped like ``inputs``.
    """
    with grad_mode.enable_grad():
        inputs_tuple, inputs, v = _scalar_func_setup(inputs, v, "vhp", create_graph)
        outputs_tuple, outputs = _scalar_outputs(func, inputs, "vhp", strict)
        jac = _grads_of(outputs, inputs, None, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.enabled):
        grads = _grads_of(jac, inputs, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back")
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(result, create_graph), inputs_tuple),
    )


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``H v``: the Hessian-vector product of a scalar function ``func`` at ``inputs``, by the
    double-backward trick.  Returns ``(func_output, hvp)``, ``hvp`` shaped like ``inputs``.
    """
    from ember._factories import zeros_like

    with grad_mode.enable_grad():
        inputs_tuple, inputs, v = _scalar_func_setup(inputs, v, "hvp", create_graph)
        outputs_tuple, outputs = _scalar_outputs(func, inputs, "hvp", strict)
        jac = _grads_of(outputs, inputs, None, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        dummies = tuple(zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _grads_of(jac, inputs, dummies, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with grad_mode.set_grad_enabled(True if create_graph else grad_mode.enabled):
        grads = _grads_of(double_back, dummies, v, create_graph=create_graph)
        result = _zeros_for_missing(grads, inputs, strict, create_graph, "double_back_trick")
    return (
        _unpack(_finish(outputs, create_graph), outputs_tuple),
        _unpack(_finish(result, create_graph), inputs_tuple),
    )


# -- pieces ----------------------------------------------------------------------------------


def _tensors(x, arg_name: str, fn_name: str):
    """``(was_a_tuple, x as a tuple)``; anything but Tensors is a TypeError."""
    was_tuple = isinstance(x, tuple)
    items = x if was_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if was_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el)}."
            )
    return was_tuple, items


def _prepare_inputs(inputs, create_graph: bool) -> tuple:
    """Inputs that func will be differentiated against.

    With ``create_graph`` an input that already requires grad is used as it is, so results
    stay connected to the caller's graph; everything else becomes a fresh detached leaf.
    """
    return tuple(
        t if (create_graph and t._requires_grad) else t.detach().requires_grad_(True)
        for t in inputs
    )


def _prepare_v(v, fn_name: str, against, against_tuple: bool, create_graph: bool) -> tuple:
    _, v = _tensors(v, "v", fn_name)
    v = tuple(t if (create_graph and t._requires_grad) else t.detach() for t in v)
    if len(v) != len(against):
        if against_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(against)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, against)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if against_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got {a.shape}.")
    return v


def _scalar_func_setup(inputs, v, fn_name: str, create_graph: bool):
    inputs_tuple, inputs = _tensors(inputs, "inputs", fn_name)
    inputs = _prepare_inputs(inputs, create_graph)
    if v is not None:
        v = _prepare_v(v, fn_name, inputs, inputs_tuple, create_graph)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    return inputs_tuple, inputs, v


def _scalar_outputs(func, inputs, fn_name: str, strict: bool):
    outputs_tuple, outputs = _tensors(
        func(*inputs), "outputs of the user-provided function", fn_name
    )
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return outputs_tuple, outputs


def _check_requires_grad(tensors, kind: str, strict: bool) -> None:
    """In strict mode, every one of ``tensors`` must be defined and in the graph."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if t._requires_grad:
            continue
        if kind == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is thrice differentiable and that the hessian depends on the "
                "inputs."
            )
        if kind == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example)."
            )
        if kind == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                "user-provided function. This is not allowed in strict mode."
            )
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs "
            "must be computed in a differentiable manner from the input when running in strict "
            "mode."
        )


def _grads_of(outputs, inputs, grad_outputs, create_graph: bool, retain_graph=None) -> tuple:
    """``autograd.grad`` over the outputs that are in the graph (None for unused inputs)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o._requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return _grad(
        outs, inputs, gos, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True
    )


_STRICT_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}


def _zeros_for_missing(grads, refs, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros (shaped like ``refs[i]``) for the gradients that did not reach an input."""
    from ember._factories import zeros_like

    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_MISSING[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g._requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _jacobian_of_output(i: int, out: Tensor, inputs, create_graph: bool, strict: bool) -> tuple:
    """``d out / d input_j`` for every input, one backward per element of ``out``."""
    n_out = out.numel()
    xp = for_device(out._device).xp
    basis = xp.zeros(out.shape, out._data.dtype)
    flat = basis.reshape(-1)
    rows = [[] for _ in inputs]  # rows[j][k]: gradient of out's k-th element wrt input j
    for k in range(n_out):
        flat[k] = 1
        seed = _wrap(basis.copy(), out._dtype, out._device)
        flat[k] = 0
        grads = _grads_of((out,), inputs, (seed,), create_graph=create_graph, retain_graph=True)
        for j, g in enumerate(grads):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode."
                    )
            elif strict and create_graph and not g._requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode when create_graph=True."
                )
            rows[j].append(g)
    return tuple(
        _assemble(rows_j, out.shape, inp, create_graph) for rows_j, inp in zip(rows, inputs)
    )


def _assemble(rows, out_shape, inp: Tensor, create_graph: bool) -> Tensor:
    """Stack per-element gradients into a tensor of shape ``out_shape + inp.shape``."""
    shape = tuple(out_shape) + tuple(inp.shape)
    if create_graph and any(r is not None and r._requires_grad for r in rows):
        from ember._factories import zeros_like

        full = [zeros_like(inp) if r is None else r for r in rows]
        if len(full) == 1:
            out = full[0]
        else:
            import ember

            out = ember.stack(full, 0)
        return out if tuple(out.shape) == shape else out.reshape(shape)
    first = next((r for r in rows if r is not None), inp)
    arr = for_device(inp._device).xp.zeros((len(rows), inp.numel()), first._data.dtype)
    for k, r in enumerate(rows):
        if r is not None:
            arr[k] = r._data.reshape(-1)
    return _from_array(arr.reshape(shape), inp._device, first._dtype)


def _finish(x, create_graph: bool):
    """Detach results (recursively through tuples) unless a graph was asked for."""
    if isinstance(x, tuple):
        return tuple(_finish(el, create_graph) for el in x)
    return x if create_graph else x.detach()


def _unpack(result, was_tuple):
    """Undo the tuple wrapping the user did not ask for (``was_tuple`` may be a pair:
    (outputs, inputs) for Jacobians)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(r[0] for r in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]
