"""Run a layer or a functional on ember and on torch with the same inputs and weights, and
compare outputs, input gradients and parameter gradients (random grad_output)."""

from __future__ import annotations

import numpy as np
import torch

import ember

TOL = {
    "float32": (1e-5, 1e-6),
    "float64": (1e-10, 1e-12),
    "float16": (2e-3, 1e-4),
    "bfloat16": (2e-2, 1e-3),
}


def to_np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    if t.dtype == ember.bfloat16:
        t = t.float()
    return t.detach().numpy()


def close(e, t, rtol=None, atol=None, dtype_check=True):
    assert tuple(e.shape) == tuple(t.shape), (tuple(e.shape), tuple(t.shape))
    if dtype_check:
        assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
    name = str(t.dtype).replace("torch.", "")
    r, a = TOL.get(name, (0, 0))
    np.testing.assert_allclose(
        to_np(e),
        to_np(t),
        rtol=rtol if rtol is not None else r,
        atol=atol if atol is not None else a,
    )


def pair(arr, grad=False):
    """The same values as an ember and a torch tensor."""
    arr = np.asarray(arr)
    e = ember.tensor(arr)
    t = torch.tensor(arr)
    if grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check_fn(fn, *arrays, grad=True, rtol=None, atol=None, seed=0, nondiff=()):
    """``fn(lib, *tensors)`` on both libraries; floating inputs get requires_grad (except the
    positions in ``nondiff``) and gradients are compared after a random backward."""
    es, ts = [], []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        g = grad and a.dtype.kind == "f" and i not in nondiff
        e, t = pair(a, g)
        es.append(e)
        ts.append(t)
    eo, to = fn(ember, *es), fn(torch, *ts)
    eo, to = _flat(eo), _flat(to)
    for e, t in zip(eo, to, strict=True):
        close(e, t, rtol, atol)
    if not grad:
        return eo
    rng = np.random.default_rng(seed)
    seeds_e, seeds_t, outs_e, outs_t = [], [], [], []
    for e, t in zip(eo, to, strict=True):
        if t.requires_grad:
            g = rng.standard_normal(tuple(t.shape)).astype(to_np(t).dtype)
            seeds_e.append(ember.tensor(g))
            seeds_t.append(torch.tensor(g))
            outs_e.append(e)
            outs_t.append(t)
    if not outs_t:
        return eo
    torch.autograd.backward(outs_t, seeds_t)
    ember.autograd.backward(outs_e, seeds_e)
    for e, t in zip(es, ts, strict=True):
        if t.requires_grad:
            assert (e.grad is None) == (t.grad is None)
            if t.grad is not None:
                close(e.grad, t.grad, rtol, atol)
    return eo


def copy_state(emod, tmod) -> None:
    state = {k: ember.tensor(v.detach().numpy()) for k, v in tmod.state_dict().items()}
    emod.load_state_dict(state)


def check_module(emod, tmod, *arrays, train=True, rtol=None, atol=None, seed=0, grad=True):
    """Copy ``tmod``'s state into ``emod``, run both on ``arrays``; compare output, input
    grads, parameter grads and the state afterwards (running statistics)."""
    copy_state(emod, tmod)
    emod.train(train)
    tmod.train(train)
    eo = check_fn(
        lambda lib, *xs: (emod if lib is ember else tmod)(*xs),
        *arrays,
        grad=grad,
        rtol=rtol,
        atol=atol,
        seed=seed,
    )
    if grad:
        tparams = dict(tmod.named_parameters())
        for name, p in emod.named_parameters():
            tp = tparams[name]
            assert (p.grad is None) == (tp.grad is None), name
            if p.grad is not None:
                close(p.grad, tp.grad, rtol, atol)
    tstate = tmod.state_dict()
    for name, v in emod.state_dict().items():
        close(v, tstate[name], rtol, atol)
    assert repr(emod) == repr(tmod).replace("torch.", "ember.")
    return eo


def randn(*shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
