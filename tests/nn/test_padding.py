"""F.pad and the padding layers against torch: values, grads, negative pads, errors, repr."""

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F

rng = np.random.default_rng(1)


def _compare(tfn, efn, x, dtype="float64"):
    tx = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ex = ember.tensor(x, dtype=getattr(ember, dtype), requires_grad=True)
    ty, ey = tfn(tx), efn(ex)
    assert tuple(ey.shape) == tuple(ty.shape)
    assert str(ey.dtype) == str(ty.dtype).replace("torch", "ember")
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = rng.standard_normal(ty.shape)
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    ey.backward(ember.tensor(g, dtype=ey.dtype))
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


CASES = [
    ((2, 3, 5), (1, 2), "constant", 0.5),
    ((2, 3, 5), (-1, 2), "constant", None),
    ((2, 3, 4, 5), (1, 0, 2, 1), "constant", None),
    ((3, 4, 5), (1, 1, -1, 2, 0, 1), "constant", 2.0),
    ((6,), (2, -3), "constant", None),
    ((2, 3, 5), (2, 3), "reflect", None),
    ((2, 3, 4, 5), (1, 2, 3, 0), "reflect", None),
    ((1, 2, 3, 4, 5), (1, 2, 1, 0, 2, 2), "reflect", None),
    ((3, 5), (2, 1), "reflect", None),
    ((2, 3, 5), (2, 3), "replicate", None),
    ((2, 3, 4, 5), (4, 2, 3, 0), "replicate", None),
    ((1, 2, 3, 4, 5), (1, 2, 1, 0, 2, 2), "replicate", None),
    ((2, 3, 5), (2, 3), "circular", None),
    ((2, 3, 4, 5), (1, 2, 3, 0), "circular", None),
    ((1, 2, 3, 4, 5), (1, 2, 1, 0, 2, 2), "circular", None),
]


@pytest.mark.parametrize("shape,pad,mode,value", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pad(shape, pad, mode, value, dtype):
    kw = {} if value is None else {"value": value}
    _compare(lambda x: torch.nn.functional.pad(x, pad, mode, **kw),
             lambda x: F.pad(x, pad, mode, **kw), rng.standard_normal(shape), dtype)


def test_pad_int_dtype_and_noncontiguous():
    x = rng.integers(0, 9, (3, 4))
    t = torch.nn.functional.pad(torch.tensor(x), (1, 2), value=7)
    e = F.pad(ember.tensor(x), (1, 2), value=7)
    assert str(e.dtype) == "ember.int64"
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    y = rng.standard_normal((4, 3, 5))
    _compare(lambda x: torch.nn.functional.pad(x.transpose(0, 2), (1, 1, 2, 0), "reflect"),
             lambda x: F.pad(x.transpose(0, 2), (1, 1, 2, 0), "reflect"), y)


def test_pad_gradgradcheck():
    x = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    for mode in ["constant", "reflect", "replicate", "circular"]:
        fn = lambda x: F.pad(x, (1, 2, 2, 1), mode)
        assert ember.autograd.gradcheck(fn, (x,))
        assert ember.autograd.gradgradcheck(fn, (x,))


MODULES = [
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4)),
    ("ZeroPad3d", (1,), (1, 2, 3, 4)),
    ("ConstantPad1d", ((1, 2), 3.5), (2, 3, 4)),
    ("ConstantPad2d", (1, -1.0), (2, 3, 4)),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 2.0), (1, 2, 3, 4)),
    ("ReflectionPad1d", (2,), (2, 3, 4)),
    ("ReflectionPad2d", ((1, 2, 0, 3),), (2, 4, 5)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 3)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4)),
    ("ReplicationPad2d", (2,), (1, 2, 3, 4)),
    ("ReplicationPad3d", (1,), (1, 2, 3, 4, 3)),
    ("CircularPad1d", (2,), (2, 3, 4)),
    ("CircularPad2d", ((1, 2, 0, 3),), (1, 2, 4, 5)),
    ("CircularPad3d", (1,), (1, 2, 3, 4, 3)),
]


@pytest.mark.parametrize("name,args,shape", MODULES)
def test_pad_modules(name, args, shape):
    tm = getattr(torch.nn, name)(*args)
    em = getattr(ember.nn, name)(*args)
    assert repr(em) == repr(tm)
    _compare(tm, em, rng.standard_normal(shape), "float32")


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1, 2, 3)),
    lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (1, 1, 1, 1, 1, 1)),
    lambda lib: lib.nn.functional.pad(lib.zeros(2, 3), (-2, -2)),
    lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (4, 1), "reflect"),
    lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (5, 1), "circular"),
    lambda lib: lib.nn.functional.pad(lib.zeros(2, 3, 4), (1, 1), "bogus"),
])
def test_pad_errors(call):
    with pytest.raises(Exception) as te:
        call(torch)
    with pytest.raises(type(te.value)):
        call(ember)
