"""The Tensor core against PyTorch: metadata, storage, conversion (``to``, ``type``, casts),
the legacy constructor, ``Size`` and devices."""

import itertools
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

DTYPES = [
    "bool", "uint8", "int8", "int16", "int32", "int64",
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
]  # fmt: skip
CAST_METHODS = {
    "float": "float32", "double": "float64", "half": "float16", "bfloat16": "bfloat16",
    "long": "int64", "int": "int32", "short": "int16", "char": "int8", "byte": "uint8",
    "bool": "bool", "cfloat": "complex64", "cdouble": "complex128",
}  # fmt: skip


def values(t) -> np.ndarray:
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return np.asarray(t.numpy())


def dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def assert_same(ours, theirs) -> None:
    assert isinstance(ours, ember.Tensor), type(ours)
    assert dtype_name(ours) == dtype_name(theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride(), (ours.stride(), theirs.stride())
    np.testing.assert_array_equal(values(ours), values(theirs))


def run(fn):
    out = []
    for lib in (ember, torch):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(fn(lib))
        except Exception as exc:  # noqa: BLE001 - the exception is what is compared
            out.append(exc)
    return out


def check(fn, compare=assert_same) -> None:
    """Same result on ember and torch (tensors: dtype, shape, strides, values; anything else
    by ``==`` after renaming torch to ember), or the same exception type."""
    ours, theirs = run(fn)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {theirs!r}, ember returned {ours!r}"
        assert type(ours) is type(theirs), f"torch raised {theirs!r}, ember raised {ours!r}"
        return
    if isinstance(ours, Exception):
        raise AssertionError(f"ember raised {ours!r}, torch did not") from ours
    if isinstance(theirs, torch.Tensor):
        compare(ours, theirs)
    else:
        assert renamed(ours) == renamed(theirs)


def renamed(x):
    """Plain values with library names normalised, for comparing non-tensor results."""
    if isinstance(x, str):
        return x.replace("torch", "ember")
    if isinstance(x, torch.Size | ember.Size):
        return (type(x).__name__, tuple(x))
    if isinstance(x, torch.dtype | ember.dtype | torch.device | ember.device):
        return str(x).replace("torch", "ember")
    if isinstance(x, tuple | list):
        return type(x)(renamed(v) for v in x)
    return x


def strided(lib, shape, strides, dtype="float32", seed=0):
    """A tensor of ``lib`` over a shared NumPy buffer with the given element strides."""
    extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides, strict=True)) if all(shape) else 0
    rng = np.random.default_rng(seed)
    buf = (rng.standard_normal(max(extent, 1)) * 50).astype(dtype)
    arr = np.lib.stride_tricks.as_strided(
        buf, shape, [s * buf.itemsize for s in strides], writeable=True
    )
    return lib.from_numpy(arr)


LAYOUTS = {
    "contiguous": ((2, 3), (3, 1)),
    "transposed": ((3, 2), (1, 3)),
    "column slice": ((3, 2), (4, 2)),
    "expanded": ((3, 4), (0, 1)),
    "expanded cols": ((3, 4), (1, 0)),
    "permuted": ((4, 2, 3), (1, 12, 4)),
    "sliced 3-d": ((2, 3, 2), (12, 4, 2)),
    "size-1 odd stride": ((1, 4, 3), (3, 3, 1)),
    "size-1 column": ((3, 1), (1, 3)),
    "overlapping": ((3, 3), (1, 1)),
    "empty": ((0, 3), (3, 1)),
    "empty transposed": ((3, 0), (1, 3)),
    "0-dim": ((), ()),
    "vector": ((5,), (1,)),
    "strided vector": ((3,), (2,)),
}
META_DTYPES = ["float32", "int64", "bool", "complex128", "int8"]


# -- metadata and storage ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", META_DTYPES)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_metadata(layout, dtype):
    shape, strides = LAYOUTS[layout]
    ours, theirs = (strided(lib, shape, strides, dtype) for lib in (ember, torch))
    for attr in ("shape", "ndim", "itemsize", "nbytes", "is_cuda", "is_cpu"):
        assert renamed(getattr(ours, attr)) == renamed(getattr(theirs, attr)), attr
    for method in ("size", "dim", "ndimension", "numel", "nelement", "element_size",
                   "is_contiguous", "stride", "storage_offset", "get_device"):  # fmt: skip
        assert renamed(getattr(ours, method)()) == renamed(getattr(theirs, method)()), method
    for d in range(-len(shape) - 1, len(shape) + 1):
        check(lambda L, d=d: strided(L, shape, strides, dtype).size(d))
        check(lambda L, d=d: strided(L, shape, strides, dtype).stride(d))
    assert len(ours.untyped_storage()) == len(theirs.untyped_storage())
    assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
    offset = ours.data_ptr() - ours.untyped_storage().data_ptr()
    if ours.numel():
        assert offset == ours.storage_offset() * ours.element_size()


def test_views_share_one_storage():
    for lib in (ember, torch):
        x = lib.arange(12.0).reshape(3, 4)
        row = x[1]
        col = x[:, 2]
        assert row.storage_offset() == 4 and col.storage_offset() == 2
        assert row.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        assert row.data_ptr() == x.data_ptr() + 4 * x.element_size()
        assert len(col.untyped_storage()) == 48 and col.nbytes == 12
        assert lib.zeros(0).data_ptr() == 0 and lib.zeros(2, 0).data_ptr() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_storage_contents(dtype):
    data = [[0, 1, -2], [3, 100, 5]] if dtype != "bool" else [[True, False, True]]

    def make(L):
        return L.tensor(data, dtype=L.float64).to(getattr(L, dtype))

    for lib in (ember, torch):
        t = make(lib)
        assert t.untyped_storage().element_size() == 1
    for view in (lambda t: t, lambda t: t[:, 1:], lambda t: t.t(), lambda t: t[0]):
        for part in (lambda t: t.storage(), lambda t: t.untyped_storage()):
            for attr in ("tolist", "nbytes", "element_size", "size", "__len__"):
                check(lambda L, v=view, p=part, a=attr: getattr(p(v(make(L))), a)())
        check(lambda L, v=view: v(make(L)).storage().dtype)
        check(lambda L, v=view: v(make(L)).storage()[1])
        check(lambda L, v=view: v(make(L)).storage()[-1])
        check(lambda L, v=view: v(make(L)).storage()[100])
        check(lambda L, v=view: v(make(L)).untyped_storage()[0])
        check(lambda L, v=view: v(make(L)).untyped_storage()[1000])


def test_storage_is_shared_and_written_through():
    for lib in (ember, torch):
        x = lib.zeros(2, 3)
        st = x.untyped_storage()
        x[1, 2] = 1.0
        assert st.tolist()[-4:] == list(np.float32(1.0).tobytes())
        assert x[1].untyped_storage().data_ptr() == st.data_ptr()
        assert lib.zeros(2, 0).storage().tolist() == [] and len(lib.zeros(0).untyped_storage()) == 0


# -- conversion ------------------------------------------------------------------------------

TO_FORMS = {
    "dtype": lambda L, x: x.to(L.float64),
    "same dtype": lambda L, x: x.to(L.float32),
    "'cpu'": lambda L, x: x.to("cpu"),
    "device obj": lambda L, x: x.to(L.device("cpu")),
    "device, dtype": lambda L, x: x.to("cpu", L.int32),
    "device obj, dtype": lambda L, x: x.to(L.device("cpu"), L.float16),
    "other tensor": lambda L, x: x.to(L.zeros(1, dtype=L.int8)),
    "same-type other": lambda L, x: x.to(L.zeros(1)),
    "dtype=, copy=True": lambda L, x: x.to(dtype=L.float32, copy=True),
    "copy=True": lambda L, x: x.to(copy=True),
    "dtype, flags": lambda L, x: x.to(L.float32, False, True),
    "device, dtype, flags": lambda L, x: x.to("cpu", L.float32, False, True),
    "other, flags": lambda L, x: x.to(L.zeros(1), False, True),
    "keywords": lambda L, x: x.to(device="cpu", dtype=L.int16),
    "device, dtype=": lambda L, x: x.to("cpu", dtype=L.float64),
    "None": lambda L, x: x.to(None),
    "nothing": lambda L, x: x.to(),
    "dtype=None": lambda L, x: x.to(dtype=None),
    "non_blocking": lambda L, x: x.to(L.float32, non_blocking=True),
    "contiguous format": lambda L, x: x.to(memory_format=L.contiguous_format),
    "dtype, contiguous": lambda L, x: x.to(L.float64, memory_format=L.contiguous_format),
    "dtype, preserve": lambda L, x: x.to(L.float64, memory_format=L.preserve_format),
    "dtype, dtype": lambda L, x: x.to(L.float64, L.float32),
    "device, str": lambda L, x: x.to("cpu", "float32"),
    "bad device": lambda L, x: x.to("foo"),
    "unknown keyword": lambda L, x: x.to(foo=1),
    "other=": lambda L, x: x.to(other=L.zeros(1)),
    "dtype twice": lambda L, x: x.to(L.float64, dtype=L.float64),
    "device twice": lambda L, x: x.to("cpu", device="cpu"),
    "other, dtype=": lambda L, x: x.to(L.zeros(1), dtype=L.int8),
    "float()": lambda L, x: x.float(),
    "double()": lambda L, x: x.double(),
    "cpu()": lambda L, x: x.cpu(),
    "type(dtype)": lambda L, x: x.type(L.float32),
    "type(other dtype)": lambda L, x: x.type(L.int64),
}


@pytest.mark.parametrize("form", list(TO_FORMS))
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "expanded", "size-1 column"])
def test_to_forms_and_identity(form, layout):
    """Each call form gives torch's dtype, strides and values, and returns the tensor itself
    exactly when torch does."""
    shape, strides = LAYOUTS[layout]
    check(lambda L: TO_FORMS[form](L, strided(L, shape, strides)))
    same = []
    for lib in (ember, torch):
        x = strided(lib, shape, strides)
        try:
            same.append(TO_FORMS[form](lib, x) is x)
        except Exception:  # noqa: BLE001 - errors are compared above
            same.append(None)
    assert same[0] == same[1]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_conversions_keep_torch_strides(layout):
    shape, strides = LAYOUTS[layout]
    for convert in (
        lambda L, x: x.double(),
        lambda L, x: x.to(L.int8),
        lambda L, x: x.bool(),
        lambda L, x: x.to(copy=True),
        lambda L, x: x.cfloat(),
        lambda L, x: x.to(L.float16, memory_format=L.contiguous_format),
        lambda L, x: L.tensor(x),
    ):
        check(lambda L, c=convert: c(L, strided(L, shape, strides)))


def test_channels_last_conversion():
    check(lambda L: L.zeros(2, 3, 4, 5).to(memory_format=L.channels_last))
    check(lambda L: L.zeros(2, 3, 4, 5).to(L.float64, memory_format=L.channels_last))
    check(lambda L: L.zeros(2, 1, 4, 1).to(L.float64, memory_format=L.channels_last))
    check(lambda L: L.zeros(2, 3, 4, 5, 6).to(L.float64, memory_format=L.channels_last_3d))
    check(lambda L: L.zeros(2, 3, 4).to(L.float64, memory_format=L.channels_last))
    for lib in (ember, torch):
        x = lib.zeros(2, 3, 4, 5).to(memory_format=lib.channels_last)
        assert x.is_contiguous(memory_format=lib.channels_last) and not x.is_contiguous()


def test_to_keeps_autograd_for_float_targets():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.double()
        assert y.requires_grad and not y.is_leaf
        y.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0] and x.grad.dtype == lib.float32
        z = x.to(lib.int32)
        assert not z.requires_grad
        assert x.to(lib.float32) is x


def _cast_values(dtype: str) -> list:
    """Values of ``dtype`` that exercise casts: fractions, negatives, extremes, nan and inf."""
    if dtype == "bool":
        return [True, False]
    if dtype in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        vals = {int(info.min), -129, -1, 0, 1, 127, 128, 255, 256, 2**24 + 1, int(info.max)}
        return sorted(v for v in vals if info.min <= v <= info.max)
    vals = [-300.7, -127.9, -2.5, -1.7, -0.5, -0.0, 0.0, 0.3, 1.5, 2.5, 127.5, 255.9, 65519.0,
            65520.0, 3e4, 1e10, -1e10, 3.3e38, float("inf"), float("-inf"), float("nan")]  # fmt: skip
    if dtype.startswith("complex"):
        return [complex(v, w) for v, w in zip(vals, vals[::-1], strict=True)]
    return vals


def _defined(value, src: str, dst: str) -> bool:
    """Whether C++ defines the cast (floats into integers only when they fit)."""
    if dst in ("bool",) or not (src.startswith(("float", "bfloat", "complex"))):
        return True
    if dst.startswith(("float", "bfloat", "complex")):
        return True
    v = value.real if isinstance(value, complex) else value
    if v != v or v in (float("inf"), float("-inf")):
        return False
    low, high = (-128, 255) if dst == "uint8" else (np.iinfo(dst).min, np.iinfo(dst).max)
    return low < v < high


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(DTYPES, DTYPES)))
def test_cast_values_match_torch(src, dst):
    def make(L, dtype):
        vals = [v for v in _cast_values(src) if _defined(v, src, dst)]
        wide = "complex128" if src.startswith("complex") else "float64"
        return L.tensor(vals, dtype=getattr(L, wide)).to(getattr(L, dtype))

    check(lambda L: make(L, src).to(getattr(L, dst)))
    method = next(m for m, d in CAST_METHODS.items() if d == dst)
    check(lambda L: getattr(make(L, src), method)())
    check(lambda L: make(L, src).type(getattr(L, dst)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_predicates_and_type_names(dtype):
    for pred in ("is_floating_point", "is_complex", "is_signed"):
        check(lambda L, p=pred: getattr(L.zeros(1, dtype=getattr(L, dtype)), p)())
    check(lambda L: L.is_floating_point(L.zeros(1, dtype=getattr(L, dtype))))
    check(lambda L: L.is_complex(L.zeros(1, dtype=getattr(L, dtype))))
    check(lambda L: L.zeros(2, dtype=getattr(L, dtype)).type())


@pytest.mark.parametrize(
    "target",
    ["torch.IntTensor", "torch.DoubleTensor", "torch.BoolTensor", "torch.BFloat16Tensor",
     "torch.ComplexFloatTensor", "IntTensor", "torch.float32", "torch.FooTensor", float, "int"],
    ids=str,
)  # fmt: skip
def test_type_with_names(target):
    check(lambda L: L.zeros(2, 3).type(target))


def test_type_with_ember_names_and_classes():
    assert ember.zeros(2).type("ember.IntTensor").dtype is ember.int32
    check(lambda L: L.zeros(2).type(L.DoubleTensor))
    check(lambda L: L.zeros(2, dtype=L.int64).type(L.IntTensor))
    for lib in (ember, torch):
        x = lib.zeros(2)
        assert x.type(lib.float32) is x and x.type("torch.FloatTensor") is x


# -- legacy constructors -----------------------------------------------------------------------

LEGACY = {
    "sizes": lambda L: L.Tensor(2, 3).zero_(),
    "data": lambda L: L.Tensor([1, 2]),
    "nested data": lambda L: L.Tensor([[1, 2], [3, 4]]),
    "nothing": lambda L: L.Tensor(),
    "0": lambda L: L.Tensor(0),
    "0, 3": lambda L: L.Tensor(0, 3),
    "tuple is data": lambda L: L.Tensor((2, 3)),
    "Size is a shape": lambda L: L.Tensor(L.Size([2, 3])).zero_(),
    "empty Size": lambda L: L.Tensor(L.Size([])).zero_(),
    "size=": lambda L: L.Tensor(size=(2, 3)).zero_(),
    "np.int64 size": lambda L: L.Tensor(np.int64(2)).zero_(),
    "int array": lambda L: L.Tensor(np.array([1, 2], dtype=np.int32)),
    "float array": lambda L: L.Tensor(np.array([1.5, 2.5])),
    "range": lambda L: L.Tensor(range(3)),
    "[]": lambda L: L.Tensor([]),
    "[[]]": lambda L: L.Tensor([[]]),
    "device=": lambda L: L.Tensor([1, 2], device="cpu"),
    "tensor": lambda L: L.Tensor(L.tensor([1, 2])),
    "0-dim tensor": lambda L: L.Tensor(L.tensor(2)),
    "float": lambda L: L.Tensor(2.5),
    "bool": lambda L: L.Tensor(True),
    "np.float64": lambda L: L.Tensor(np.float64(2)),
    "negative": lambda L: L.Tensor(-1),
    "int, float": lambda L: L.Tensor(2, 2.5),
    "two tuples": lambda L: L.Tensor((2, 3), (4,)),
    "ragged": lambda L: L.Tensor([[1, 2], [3]]),
    "[str]": lambda L: L.Tensor(["a"]),
    "complex data": lambda L: L.Tensor([1 + 2j]),
    "dtype=": lambda L: L.Tensor([1, 2], dtype=L.float64),
    "tensor, device=": lambda L: L.Tensor(L.tensor([1, 2]), device="cpu"),
    "FloatTensor data": lambda L: L.FloatTensor([1, 2]),
    "FloatTensor sizes": lambda L: L.FloatTensor(2, 3).zero_(),
    "LongTensor": lambda L: L.LongTensor([1.7, -2.7]),
    "IntTensor": lambda L: L.IntTensor([1.5]),
    "DoubleTensor": lambda L: L.DoubleTensor(2).zero_(),
    "BoolTensor": lambda L: L.BoolTensor([1, 0]),
    "ByteTensor": lambda L: L.ByteTensor([1, 255]),
    "ByteTensor overflow": lambda L: L.ByteTensor([300]),
    "ByteTensor wrap": lambda L: L.ByteTensor([-1]),
    "HalfTensor": lambda L: L.HalfTensor([1, 2.5]),
    "BFloat16Tensor": lambda L: L.BFloat16Tensor([1, 2.5]),
    "CharTensor": lambda L: L.CharTensor([-3]),
    "ShortTensor": lambda L: L.ShortTensor(np.array([3, 4])),
    "LongTensor of a float tensor": lambda L: L.LongTensor(L.tensor([1.0, 2.0])),
    "FloatTensor of a float tensor": lambda L: L.FloatTensor(L.tensor([1.0, 2.0])),
    "LongTensor 2**63": lambda L: L.LongTensor([2**63]),
}


@pytest.mark.parametrize("name", list(LEGACY))
def test_legacy_constructors(name):
    check(LEGACY[name])


def test_legacy_aliases_and_classes():
    for lib in (ember, torch):
        src = lib.tensor([1.0, 2.0])
        alias = lib.Tensor(src)
        assert alias is not src and alias.data_ptr() == src.data_ptr()
        assert isinstance(lib.zeros(2), lib.FloatTensor)
        assert isinstance(lib.zeros(2).t(), lib.FloatTensor)
        assert not isinstance(lib.zeros(2, dtype=lib.int64), lib.FloatTensor)
        assert isinstance(lib.zeros(2, dtype=lib.int64), lib.LongTensor)
        assert not issubclass(lib.FloatTensor, lib.Tensor)
        assert lib.FloatTensor.dtype is lib.float32 and lib.LongTensor.dtype is lib.int64
        assert not lib.FloatTensor.is_cuda
    assert repr(ember.FloatTensor) == "<class 'ember.FloatTensor'>"
    assert not hasattr(torch, "ComplexFloatTensor") and not hasattr(ember, "ComplexFloatTensor")


# -- Size ------------------------------------------------------------------------------------

SIZE_CASES = {
    "repr": lambda L: repr(L.Size([2, 3])),
    "repr empty": lambda L: repr(L.Size([])),
    "repr one": lambda L: repr(L.Size([5])),
    "str": lambda L: str(L.Size([2, 3])),
    "== tuple": lambda L: L.Size([2, 3]) == (2, 3),
    "== list": lambda L: L.Size([2, 3]) == [2, 3],
    "== Size": lambda L: L.Size([2, 3]) == L.Size((2, 3)),
    "!= Size": lambda L: L.Size([2, 3]) != L.Size((2, 4)),
    "shape == tuple": lambda L: L.zeros(2, 3).shape == (2, 3),
    "slice": lambda L: L.Size([2, 3, 4])[1:],
    "reverse": lambda L: L.Size([2, 3])[::-1],
    "index": lambda L: L.Size([2, 3])[-1],
    "out of range": lambda L: L.Size([2, 3])[5],
    "numel": lambda L: L.Size([2, 3, 4]).numel(),
    "numel empty": lambda L: L.Size([]).numel(),
    "numel zero": lambda L: L.Size([2, 0]).numel(),
    "+ tuple": lambda L: L.Size([2, 3]) + (4,),
    "tuple +": lambda L: (4,) + L.Size([2, 3]),
    "+ Size": lambda L: L.Size([2]) + L.Size([4]),
    "+ list": lambda L: L.Size([2]) + [3],
    "* 2": lambda L: L.Size([2, 3]) * 2,
    "2 *": lambda L: 2 * L.Size([2, 3]),
    "count": lambda L: L.Size((2, 3, 2)).count(2),
    "index()": lambda L: L.Size((2, 3)).index(3),
    "hash": lambda L: hash(L.Size((2, 3))) == hash((2, 3)),
    "isinstance tuple": lambda L: isinstance(L.Size((2, 3)), tuple),
    "empty": lambda L: L.Size(),
    "from int": lambda L: L.Size(3),
    "float item": lambda L: L.Size([2.5]),
    "str item": lambda L: L.Size(["a"]),
    "tensor item": lambda L: L.Size([L.tensor(2)]),
    "bool item": lambda L: L.Size([True]),
    "numpy item": lambda L: L.Size([np.int64(2)]),
    "negative": lambda L: L.Size([-1]),
    "size()": lambda L: L.zeros(2, 3).size(),
    "pickle": lambda L: pickle.loads(pickle.dumps(L.Size([2, 3]))),
}


@pytest.mark.parametrize("name", list(SIZE_CASES))
def test_size_behaves_like_torch_size(name):
    check(SIZE_CASES[name])


# -- devices ---------------------------------------------------------------------------------

DEVICE_ARGS = [
    ("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu", 0), ("cpu:0",), ("cpu:1",),
    ("cuda", 0), ("cpu", -1), ("cuda", -1), ("cuda:-1",), ("cuda:01",), ("cuda:1:2",),
    ("cuda: 1",), (" cuda",), ("CUDA",), ("cuda:",), ("cuda:x",), ("foo",), ("",),
    ("cuda:1", 2), (-1,), (1.0,), (None,), (True,), ("cuda", 1.0), ("cuda", "1"),
    ("cuda", True), ("_x",),
]  # fmt: skip


@pytest.mark.parametrize("args", DEVICE_ARGS, ids=str)
def test_device_parsing(args):
    def describe(L):
        d = L.device(*args)
        return (repr(d), str(d), d.type, d.index, d == L.device(str(d)), hash(d) == hash(L.device(str(d))))

    check(describe)


def test_device_forms_ember_differs_on():
    """Known differences: a bare index means cuda (torch asks its accelerator, absent here),
    and ember knows only cpu and cuda (torch also parses mps, meta, xla, ...)."""
    assert repr(ember.device(1)) == "device(type='cuda', index=1)"
    for name in ("mps", "meta"):
        assert torch.device(name).type == name
        with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
            ember.device(name)


def test_device_equality_hash_and_pickle():
    for lib in (ember, torch):
        d = lib.device("cuda:1")
        assert d == lib.device("cuda", 1) and d != lib.device("cuda:0")
        assert lib.device("cpu") != "cpu" and not (lib.device("cpu") == "foo")
        assert lib.device("cpu") != lib.device("cpu", 0)
        assert {d: 1}[lib.device("cuda", 1)] == 1
        assert pickle.loads(pickle.dumps(d)) == d
        assert lib.device(d) == d and lib.device(device="cuda:1") == d
        assert lib.device(type="cuda", index=1) == d
        assert lib.zeros(2).device == lib.device("cpu")
        assert lib.zeros(2, device="cpu:0").device == lib.device("cpu")
        assert lib.zeros(2).get_device() == -1
    check(lambda L: L.zeros(2, device=1.5))
    check(lambda L: L.zeros(2, device="foo"))
    check(lambda L: L.zeros(2, device=-1))


@pytest.mark.skipif(ember.cuda.is_available(), reason="a GPU is present")
def test_cuda_requests_fail_clearly_without_a_gpu():
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    x = ember.zeros(2)
    for call in (
        lambda: x.cuda(),
        lambda: x.cuda(0),
        lambda: x.to("cuda"),
        lambda: x.to("cuda:1"),
        lambda: x.to(0),
        lambda: x.to(ember.device("cuda", 0)),
        lambda: x.type("torch.cuda.FloatTensor"),
        lambda: ember.zeros(2, device="cuda"),
        lambda: ember.tensor([1.0], device="cuda:0"),
        lambda: ember.ones_like(x, device="cuda"),
        lambda: ember.arange(3, device=0),
    ):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            call()
    with pytest.raises(RuntimeError, match="Invalid device, must be cuda device"):
        x.cuda("cpu")
