"""Run one function written against the torch API on ember and on torch, compare results."""

import numpy as np
import pytest
import torch

import ember


def _to_numpy(x):
    if isinstance(x, ember.Tensor):
        return np.asarray(x.detach())
    return x.detach().numpy()


def assert_same(ours, theirs, tol=1e-10, path="result"):
    """Nested tuples/lists/dicts of tensors, None and plain values must agree (tensors by
    value, dtype name, shape and requires_grad)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), f"{path}: {type(ours).__name__} vs Tensor"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape"
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], f"{path}: dtype"
        assert ours.requires_grad == theirs.requires_grad, f"{path}: requires_grad"
        np.testing.assert_allclose(_to_numpy(ours), _to_numpy(theirs), rtol=tol, atol=tol,
                                   err_msg=path)
    elif isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(a, b, tol, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), path
        for k in theirs:
            assert_same(ours[k], theirs[k], tol, f"{path}[{k!r}]")
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


def both(fn, tol=1e-10):
    """``fn(lib)`` on ember and torch; the results must agree.  Returns them."""
    ours, theirs = fn(ember), fn(torch)
    assert_same(ours, theirs, tol)
    return ours, theirs


def raises_both(fn, exc, match):
    """``fn(lib)`` raises ``exc`` with a message matching ``match`` on both libraries."""
    for lib in (ember, torch):
        with pytest.raises(exc, match=match):
            fn(lib)


def leaf(lib, array, requires_grad=True):
    return lib.tensor(np.asarray(array), requires_grad=requires_grad)
