"""Module, Parameter, Buffer and the containers, compared with torch.nn.

Every model is built by one function written against the torch API and run with ``lib`` set to
``ember`` or ``torch``; names, reprs, state dicts, hooks, errors and gradients must agree.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember


def text(x) -> str:
    return str(x).replace("torch", "ember")


def as_np(t) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().numpy())


def affine_class(lib):
    class Affine(lib.nn.Module):
        def __init__(self, n_in, n_out, seed=0):
            super().__init__()
            rng = np.random.default_rng(seed)
            self.weight = lib.nn.Parameter(lib.tensor(rng.standard_normal((n_out, n_in)).astype(np.float32)))
            self.bias = lib.nn.Parameter(lib.tensor(rng.standard_normal(n_out).astype(np.float32)))
            self.register_buffer("calls", lib.zeros((), dtype=lib.int64))
            self.register_buffer("scratch", lib.ones(2), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}"

    return Affine


def build(lib):
    Affine = affine_class(lib)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = Affine(3, 4, seed=1)
            self.blocks = lib.nn.ModuleList([Affine(4, 4, seed=2), Affine(4, 4, seed=3)])
            self.heads = lib.nn.ModuleDict({"b": Affine(4, 2, seed=4), "a": Affine(4, 1, seed=5)})
            self.seq = lib.nn.Sequential(OrderedDict(first=Affine(4, 4, seed=6)))
            self.extra = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(2, 3))])
            self.table = lib.nn.ParameterDict({"z": lib.nn.Parameter(lib.ones(1)), "y": lib.nn.Parameter(lib.ones(2))})
            self.shared = self.stem  # the same module twice: listed once
            self.scale = lib.nn.Parameter(lib.tensor(2.0))
            self.register_buffer("steps", lib.tensor([0, 1]))
            self.nothing = None

        def forward(self, x):
            h = self.stem(x)
            for blk in self.blocks:
                h = blk(h).tanh()
            h = self.seq(h)
            return self.heads["b"](h) * self.scale, self.heads["a"](h)

    return Net()


def test_names_repr_and_state_dict():
    e, t = build(ember), build(torch)
    assert text(e) == text(t)
    for what in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(e, what)()] == [n for n, _ in getattr(t, what)()], what
    assert [n for n, _ in e.named_parameters(prefix="m", recurse=False)] == [
        n for n, _ in t.named_parameters(prefix="m", recurse=False)
    ]
    assert [n for n, _ in e.named_modules(remove_duplicate=False)] == [
        n for n, _ in t.named_modules(remove_duplicate=False)
    ]
    assert len(list(e.parameters())) == len(list(t.parameters()))
    sd_e, sd_t = e.state_dict(), t.state_dict()
    assert list(sd_e) == list(sd_t)
    assert dict(sd_e._metadata) == dict(sd_t._metadata)
    for k in sd_t:
        np.testing.assert_array_equal(as_np(sd_e[k]), as_np(sd_t[k]))
        assert not sd_e[k].requires_grad
        assert str(sd_e[k].dtype).replace("ember", "torch") == str(sd_t[k].dtype)
    kept = e.state_dict(keep_vars=True)
    assert kept["scale"] is e.scale


def test_forward_and_gradients_match():
    e, t = build(ember), build(torch)
    x = np.random.default_rng(7).standard_normal((5, 3)).astype(np.float32)
    g1 = np.random.default_rng(8).standard_normal((5, 2)).astype(np.float32)
    g2 = np.random.default_rng(9).standard_normal((5, 1)).astype(np.float32)
    outs = {}
    for lib, m in ((ember, e), (torch, t)):
        xt = lib.tensor(x, requires_grad=True)
        a, b = m(xt)
        lib.autograd.backward([a, b], [lib.tensor(g1), lib.tensor(g2)])
        outs[lib.__name__] = (a, b, xt.grad, {n: p.grad for n, p in m.named_parameters()})
    oe, ot = outs["ember"], outs["torch"]
    for i in range(3):
        np.testing.assert_allclose(as_np(oe[i]), as_np(ot[i]), rtol=1e-5, atol=1e-5)
    for n, g in ot[3].items():
        if g is None:
            assert oe[3][n] is None, n
        else:
            np.testing.assert_allclose(as_np(oe[3][n]), as_np(g), rtol=1e-5, atol=1e-5, err_msg=n)


def test_load_state_dict_round_trip_and_errors():
    e, t = build(ember), build(torch)
    src = build(ember)
    with ember.no_grad():
        for p in src.parameters():
            p.mul_(3.0)
    res = e.load_state_dict(src.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    assert res.missing_keys == [] and res.unexpected_keys == []
    np.testing.assert_array_equal(as_np(e.scale), as_np(src.scale))
    assert e.scale is not src.scale

    def bad(lib, m):
        sd = m.state_dict()
        del sd["stem.bias"]
        sd["stem.weight"] = lib.zeros(2, 2)
        sd["nope"] = lib.zeros(1)
        sd["heads.a.ghost"] = lib.zeros(1)
        return sd

    for lib, m in ((ember, e), (torch, t)):
        with pytest.raises(RuntimeError) as info:
            m.load_state_dict(bad(lib, m))
        if lib is ember:
            ours = text(info.value)
        else:
            theirs = text(info.value)
    assert ours == theirs
    re_ = e.load_state_dict(bad(ember, build(ember)) | {"stem.weight": e.stem.weight.detach()}, strict=False)
    rt = t.load_state_dict(bad(torch, build(torch)) | {"stem.weight": t.stem.weight.detach()}, strict=False)
    assert re_.missing_keys == rt.missing_keys == ["stem.bias"]
    assert re_.unexpected_keys == rt.unexpected_keys == ["nope", "heads.a.ghost"]
    assert text(re_) == text(rt)


def test_load_state_dict_assign():
    e = build(ember)
    new = {k: v.clone() * 2 for k, v in e.state_dict().items()}
    e.load_state_dict(new, assign=True)
    assert isinstance(e.scale, ember.nn.Parameter) and e.scale.requires_grad
    assert e.state_dict()["steps"] is new["steps"] or np.array_equal(
        as_np(e.state_dict()["steps"]), as_np(new["steps"])
    )


@pytest.mark.parametrize(
    "action",
    [
        lambda lib, m: m.register_parameter("a.b", None),
        lambda lib, m: m.register_parameter("", None),
        lambda lib, m: m.register_parameter(3, None),
        lambda lib, m: m.register_parameter("stem", None),
        lambda lib, m: m.register_parameter("w", lib.zeros(2)),
        lambda lib, m: m.register_parameter("w", lib.nn.Parameter(lib.zeros(2)) * 2),
        lambda lib, m: m.register_buffer("x.y", lib.zeros(1)),
        lambda lib, m: m.register_buffer("", lib.zeros(1)),
        lambda lib, m: m.register_buffer("scale", lib.zeros(1)),
        lambda lib, m: m.register_buffer("b", 3),
        lambda lib, m: m.add_module("q", 3),
        lambda lib, m: m.add_module("a.b", lib.nn.Module()),
        lambda lib, m: m.add_module("", lib.nn.Module()),
        lambda lib, m: m.add_module("scale", lib.nn.Module()),
        lambda lib, m: setattr(m, "scale", lib.zeros(1)),
        lambda lib, m: setattr(m, "stem", 3),
        lambda lib, m: setattr(m, "steps", 3),
        lambda lib, m: m.missing_attr,
        lambda lib, m: m.get_submodule("stem.nope"),
        lambda lib, m: m.get_submodule("stem.weight"),
        lambda lib, m: m.get_parameter("stem.calls"),
        lambda lib, m: m.get_buffer("stem.weight"),
        lambda lib, m: m.train("yes"),
        lambda lib, m: m.to(lib.int64),
        lambda lib, m: m.extra(3),
        lambda lib, m: m.blocks(3),
        lambda lib, m: m.blocks[5],
        lambda lib, m: m.seq[-2],
        lambda lib, m: lib.nn.Sequential() + lib.nn.ModuleList(),
        lambda lib, m: m.seq * 0,
        lambda lib, m: m.blocks.extend(3),
        lambda lib, m: m.extra.extend(lib.zeros(2)),
        lambda lib, m: m.heads.update([("a", lib.nn.Module(), 3)]),
        lambda lib, m: m.heads.update([3]),
        lambda lib, m: m.heads["zzz"],
    ],
)
def test_errors_match_torch(action):
    errors = {}
    for lib in (ember, torch):
        m = build(lib)
        try:
            action(lib, m)
        except Exception as exc:  # noqa: BLE001 - the type is what we compare
            errors[lib.__name__] = exc
        else:
            errors[lib.__name__] = None
    ours, theirs = errors["ember"], errors["torch"]
    assert theirs is not None
    assert type(ours) is type(theirs), (ours, theirs)
    assert text(ours.args[0] if ours.args else "") == text(theirs.args[0] if theirs.args else "")


def test_module_assignment_moves_between_registries():
    for lib in (ember, torch):
        m = lib.nn.Module()
        m.x = lib.nn.Parameter(lib.zeros(1))
        with pytest.raises(TypeError):
            m.x = lib.nn.Module()
        del m.x
        m.x = lib.nn.Module()
        assert "x" in m._modules and "x" not in m._parameters
        m.x = None
        assert m.x is None
        m.b = lib.nn.Buffer(lib.ones(2), persistent=False)
        assert "b" in m._buffers and "b" not in m.state_dict()
        m.b = lib.zeros(3)
        assert m.b.shape == (3,) and "b" not in m.state_dict()
        m.register_buffer("c", None)
        assert "c" in m._buffers and "c" not in m.state_dict()
        del m.b
        assert "b" not in m._buffers
        assert "b" not in dir(m) and "c" in dir(m)


def test_train_eval_requires_grad_zero_grad():
    e = build(ember)
    assert e.training and e.blocks[0].training
    assert e.eval() is e
    assert not any(m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    e.requires_grad_()
    x = ember.ones(2, 3)
    e(x)[0].sum().backward()
    assert e.stem.weight.grad is not None
    e.zero_grad(set_to_none=False)
    assert float(e.stem.weight.grad.abs().sum()) == 0.0
    e.zero_grad()
    assert e.stem.weight.grad is None


def test_apply_and_to():
    e, t = build(ember), build(torch)
    order_e, order_t = [], []
    e.apply(lambda m: order_e.append(type(m).__name__))
    t.apply(lambda m: order_t.append(type(m).__name__))
    assert order_e == order_t
    for lib, m in ((ember, e), (torch, t)):
        w = m.stem.weight
        assert m.to(lib.float64) is m
        assert m.stem.weight is w  # parameters are converted in place
        assert m.stem.weight.dtype == lib.float64
        assert m.stem.calls.dtype == lib.int64  # integer buffers keep their dtype
        assert m.steps.dtype == lib.int64
        m.half()
        assert m.scale.dtype == lib.float16
        m.float()
        assert m.scale.dtype == lib.float32
        m.to("cpu", lib.float64)
        assert m.scale.dtype == lib.float64
        m.to(lib.zeros(1, dtype=lib.float32))
        assert m.scale.dtype == lib.float32
        m.double().bfloat16()
        assert m.scale.dtype == lib.bfloat16
        m.type(lib.float32)
        assert m.steps.dtype == lib.float32  # type() casts everything


def test_forward_hooks_order_kwargs_and_removal():
    logs = {}
    for lib in (ember, torch):
        log = []
        m = affine_class(lib)(3, 2)
        h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre1"))
        m.register_forward_pre_hook(lambda mod, args: (log.append("pre0"), (args[0] * 2,))[1], prepend=True)
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: log.append(("prekw", sorted(kwargs))), with_kwargs=True
        )
        m.register_forward_hook(lambda mod, args, out: log.append(("fwd", tuple(out.shape))))
        m.register_forward_hook(lambda mod, args, out: out + 1, prepend=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append("fwdkw"), with_kwargs=True)
        x = lib.ones(4, 3)
        out = m(x)
        h1.remove()
        out2 = m(x)
        with m.register_forward_hook(lambda mod, args, out: log.append("ctx")):
            m(x)
        m(x)
        log.append(float(out.sum()) - float(out2.sum()))
        logs[lib.__name__] = (log, as_np(out))
    assert logs["ember"][0] == logs["torch"][0]
    np.testing.assert_allclose(logs["ember"][1], logs["torch"][1], rtol=1e-6)


def test_always_call_hook_and_global_hooks():
    logs = {}
    for lib in (ember, torch):
        log = []

        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m = Boom()
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
        m.register_forward_hook(lambda mod, args, out: log.append("never"))
        with pytest.raises(ValueError):
            m(lib.ones(1))
        h = lib.nn.modules.module.register_module_forward_pre_hook(
            lambda mod, args: log.append(("global", type(mod).__name__))
        )
        try:
            lib.nn.Sequential(lib.nn.Sequential())(lib.ones(1))
        finally:
            h.remove()
        lib.nn.Sequential()(lib.ones(1))
        logs[lib.__name__] = log
    assert logs["ember"] == logs["torch"]


def test_full_backward_hooks_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    g = rng.standard_normal((4, 2)).astype(np.float32)
    seen = {}
    for lib in (ember, torch):
        log = []
        m = affine_class(lib)(3, 2)
        m.register_full_backward_pre_hook(lambda mod, go: (log.append(("pre", as_np(go[0]))), (go[0] * 2,))[1])
        m.register_full_backward_hook(
            lambda mod, gi, go: (log.append(("hook", as_np(gi[0]), as_np(go[0]))), (gi[0] + 1,))[1]
        )
        xt = lib.tensor(x, requires_grad=True)
        m(xt).backward(lib.tensor(g))
        seen[lib.__name__] = (log, as_np(xt.grad), as_np(m.weight.grad))
        # no input requires grad: the hook still runs, with grad_input all None
        log2 = []
        m = affine_class(lib)(3, 2)
        m.register_full_backward_hook(lambda mod, gi, go: log2.append(gi))
        m(lib.tensor(x)).backward(lib.tensor(g))
        assert log2 == [(None,)]
        assert type(m(lib.tensor(x, requires_grad=True)).grad_fn).__name__ == "BackwardHookFunctionBackward"
    (le, xe, we), (lt, xt_, wt) = seen["ember"], seen["torch"]
    assert [e[0] for e in le] == [t[0] for t in lt]
    for a, b in zip(le, lt):
        for u, v in zip(a[1:], b[1:]):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xe, xt_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(we, wt, rtol=1e-5, atol=1e-6)


def test_sequential_container_ops():
    results = {}
    for lib in (ember, torch):
        Affine = affine_class(lib)
        mods = [Affine(2, 2, seed=i) for i in range(4)]
        s = lib.nn.Sequential(*mods[:3])
        r = [len(s), s[0] is mods[0], s[-1] is mods[2], [k for k in s[1:]._modules]]
        r.append(type(s[::2]).__name__)
        s[1] = mods[3]
        r.append(s[1] is mods[3])
        del s[0]
        r.append(list(s._modules))
        s.append(mods[0])
        s.insert(0, mods[1])
        s.insert(-1, mods[2])
        r.append([mods.index(m) for m in s])
        r.append(mods.index(s.pop(1)))
        r.append(list(s._modules))
        r.append(len(s + s))
        r.append(len(s * 2))
        s2 = lib.nn.Sequential(mods[0])
        s2 += lib.nn.Sequential(mods[1])
        s2.extend([mods[2]])
        r.append([mods.index(m) for m in s2])
        del s2[0:2]
        r.append(list(s2._modules))
        r.append(text(s2))
        x = lib.ones(3, 2)
        r.append(as_np(lib.nn.Sequential(mods[0], mods[1])(x)).round(5).tolist())
        results[lib.__name__] = r
    assert results["ember"] == results["torch"]


def test_module_list_dict_ops():
    results = {}
    for lib in (ember, torch):
        Affine = affine_class(lib)
        mods = [Affine(2, 2, seed=i) for i in range(5)]
        ml = lib.nn.ModuleList(mods[:3])
        r = [len(ml), ml[-1] is mods[2], type(ml[1:]).__name__, len(ml[1:])]
        ml.append(mods[3])
        ml.insert(1, mods[4])
        r.append([mods.index(m) for m in ml])
        del ml[0]
        r.append(list(ml._modules))
        r.append(mods.index(ml.pop(-1)))
        ml += [mods[0], mods[0]]
        r.append([mods.index(m) for m in ml])
        r.append(len(ml + ml))
        del ml[::2]
        r.append(list(ml._modules))
        r.append(text(lib.nn.ModuleList([mods[0], mods[1], mods[1], mods[1], mods[2]])))
        r.append(text(lib.nn.ModuleList()))
        md = lib.nn.ModuleDict([("z", mods[0]), ("a", mods[1])])
        md["m"] = mods[2]
        md.update({"q": mods[3]})
        r.append(list(md.keys()))
        r.append(["a" in md, "nope" in md, len(md)])
        r.append(mods.index(md.pop("a")))
        r.append([k for k in md])
        r.append([mods.index(v) for v in md.values()])
        r.append(text(md))
        md.clear()
        r.append(len(md))
        results[lib.__name__] = r
    assert results["ember"] == results["torch"]


def test_parameter_list_and_dict():
    results = {}
    for lib in (ember, torch):
        pl = lib.nn.ParameterList([lib.zeros(2, 3), lib.nn.Parameter(lib.ones(1))])
        pl.append(lib.zeros(4))
        pl.extend([lib.zeros(1, dtype=lib.float64)])
        r = [len(pl), all(isinstance(p, lib.nn.Parameter) for p in pl), text(pl)]
        r.append(len(pl[1:3]))
        r.append([n for n, _ in pl.named_parameters()])
        pl[0] = lib.ones(5)
        r.append(list(pl[0].shape))
        pd = lib.nn.ParameterDict({"b": lib.zeros(2), "a": lib.zeros(1)})
        pd["c"] = lib.ones(3)
        r.append(list(pd.keys()))
        r.append(text(pd))
        r.append([n for n, _ in pd.named_parameters()])
        r.append(list(pd.pop("b").shape))
        r.append(["a" in pd, len(pd), pd.get("zz") is None])
        r.append(sorted(k for k, _ in pd.items()))
        r.append(list(pd.setdefault("d", lib.zeros(7)).shape))
        r.append(list(pd.popitem()[0]))
        with pytest.raises(RuntimeError):
            pl()
        with pytest.raises(RuntimeError):
            pd(1)
        results[lib.__name__] = r
    assert results["ember"] == results["torch"]


def test_parameter_and_buffer_basics():
    for lib in (ember, torch):
        data = lib.arange(6.0).reshape(2, 3)
        p = lib.nn.Parameter(data)
        assert p.requires_grad and p.is_leaf and isinstance(p, lib.Tensor)
        assert p.data_ptr() == data.data_ptr()  # shares storage
        assert not lib.nn.Parameter(data, requires_grad=False).requires_grad
        q = p * 2
        assert type(q) is lib.Tensor and q.grad_fn is not None
        c = copy.deepcopy(p)
        assert isinstance(c, lib.nn.Parameter) and c.data_ptr() != p.data_ptr()
        assert c.requires_grad
        assert lib.nn.Parameter().shape == (0,)
        b = lib.nn.Buffer(lib.ones(2), persistent=False)
        assert isinstance(b, lib.nn.Buffer) and isinstance(b, lib.Tensor)
        assert not isinstance(lib.ones(2), lib.nn.Buffer)
    e = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    t = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(e) == repr(t)
    with pytest.raises(TypeError):
        ember.nn.Parameter([1.0])


def test_get_submodule_parameter_buffer_and_set_submodule():
    for lib in (ember, torch):
        m = build(lib)
        assert m.get_submodule("blocks.1") is m.blocks[1]
        assert m.get_submodule("") is m
        assert m.get_parameter("heads.a.bias") is m.heads["a"].bias
        assert m.get_buffer("stem.calls") is m.stem.calls
        new = lib.nn.Module()
        m.set_submodule("seq.first", new)
        assert m.seq.first is new
