"""Dtypes and type promotion, compared with PyTorch exhaustively."""

import itertools

import numpy as np
import pytest
import torch

import ember

NAMES = [
    "bool", "uint8", "int8", "int16", "int32", "int64",
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
]  # fmt: skip
PAIRS = list(itertools.product(NAMES, NAMES))


def e(name):
    return getattr(ember, name)


def t(name):
    return getattr(torch, name)


def same(ember_dtype, torch_dtype):
    if torch_dtype == torch.complex32:  # ember has no complex32; it widens to complex64
        return ember_dtype is ember.complex64
    return str(ember_dtype).replace("ember.", "") == str(torch_dtype).replace("torch.", "")


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_promote_types_matches_torch(a, b):
    assert same(ember.promote_types(e(a), e(b)), torch.promote_types(t(a), t(b)))


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_can_cast_matches_torch(a, b):
    assert ember.can_cast(e(a), e(b)) == torch.can_cast(t(a), t(b))


SCALARS = [True, 3, -2.5, 1 + 2j]


def _make(lib, name, ndim):
    shape = (2,) * ndim
    return lib.zeros(shape, dtype=getattr(lib, name))


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize(("ndim_a", "ndim_b"), [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_result_type_tensor_pairs(a, b, ndim_a, ndim_b):
    ours = ember.result_type(_make(ember, a, ndim_a), _make(ember, b, ndim_b))
    theirs = torch.result_type(_make(torch, a, ndim_a), _make(torch, b, ndim_b))
    assert same(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS)
@pytest.mark.parametrize("ndim", [0, 2])
def test_result_type_with_python_scalars(name, scalar, ndim):
    ours = ember.result_type(_make(ember, name, ndim), scalar)
    theirs = torch.result_type(_make(torch, name, ndim), scalar)
    assert same(ours, theirs)
    assert same(
        ember.result_type(scalar, _make(ember, name, ndim)),
        torch.result_type(scalar, _make(torch, name, ndim)),
    )


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_default_dtype_drives_inference_and_promotion(default):
    before = ember.get_default_dtype()
    ember.set_default_dtype(e(default))
    torch_before = torch.get_default_dtype()
    torch.set_default_dtype(t(default))
    try:
        assert ember.get_default_dtype() is e(default)
        assert same(ember.tensor(1.5).dtype, torch.tensor(1.5).dtype)
        if default == "bfloat16":
            for lib in (torch, ember):
                with pytest.raises(RuntimeError, match="complex"):
                    lib.tensor(1j)
        else:
            assert same(ember.tensor(1j).dtype, torch.tensor(1j).dtype)
        assert same(ember.zeros(2).dtype, torch.zeros(2).dtype)
        assert same(
            ember.result_type(ember.zeros(2, dtype=ember.int32), 2.0),
            torch.result_type(torch.zeros(2, dtype=torch.int32), 2.0),
        )
    finally:
        ember.set_default_dtype(before)
        torch.set_default_dtype(torch_before)


@pytest.mark.parametrize("bad", ["int32", "bool", "complex64"])
def test_set_default_dtype_rejects_non_float(bad):
    with pytest.raises(TypeError):
        torch.set_default_dtype(t(bad))
    with pytest.raises(TypeError, match=bad):
        ember.set_default_dtype(e(bad))


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = ember.finfo(e(name)), torch.finfo(t(name))
    for field in ("bits", "eps", "max", "min", "tiny", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = ember.iinfo(e(name)), torch.iinfo(t(name))
    assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)


def test_finfo_iinfo_reject_wrong_kind():
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)
    assert ember.finfo().bits == 32  # the default dtype


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name):
    ours, theirs = e(name), t(name)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_complex == theirs.is_complex
    assert ours.is_signed == theirs.is_signed
    assert ours.itemsize == theirs.itemsize
    assert repr(ours) == repr(theirs).replace("torch.", "ember.")


def test_aliases():
    pairs = {
        "half": "float16", "float": "float32", "double": "float64", "short": "int16",
        "int": "int32", "long": "int64", "cfloat": "complex64", "cdouble": "complex128",
    }  # fmt: skip
    for alias, name in pairs.items():
        assert getattr(ember, alias) is e(name)


@pytest.mark.parametrize("name", NAMES)
def test_tensor_dtype_round_trip_through_numpy(name):
    x = ember.zeros(3, dtype=e(name))
    assert x.dtype is e(name)
    assert ember.from_numpy(np.asarray(x)).dtype is e(name)


def test_dtype_pickles_to_the_same_object():
    import pickle

    for name in NAMES:
        assert pickle.loads(pickle.dumps(e(name))) is e(name)
