"""Optimizers against torch.optim: trajectories, state dicts, groups, hooks and errors.

The same parameters (several shapes, float32 and float64) are optimised for a number of steps
on a smooth non-quadratic loss in both libraries; parameters and optimizer state must agree
to float rounding at every step.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

SHAPES = [(3, 4), (5,), (2, 1, 3), ()]


def as_np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().numpy())


def make_params(lib, dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    return [
        lib.nn.Parameter(lib.tensor(rng.standard_normal(s).astype(dtype)))
        for s in SHAPES
    ]


def targets(dtype="float32", seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def loss_fn(lib, params, tgts):
    total = 0
    for i, (p, t) in enumerate(zip(params, tgts)):
        d = p - lib.tensor(t)
        total = total + ((i + 1) * d * d).sum() + 0.1 * (p * p * p).sum()
    return total


def run(lib, make_opt, steps=20, dtype="float32", per_step=None):
    params = make_params(lib, dtype)
    tgts = targets(dtype)
    opt = make_opt(lib, params)
    history = []
    for k in range(steps):
        opt.zero_grad()
        loss = loss_fn(lib, params, tgts)
        loss.backward()
        opt.step()
        if per_step is not None:
            per_step(opt, k)
        history.append([as_np(p).copy() for p in params])
    return opt, params, history


OPTIMIZERS = {
    "sgd": lambda L, p: L.optim.SGD(p, lr=0.01),
    "sgd-momentum": lambda L, p: L.optim.SGD(p, lr=0.01, momentum=0.9, dampening=0.1),
    "sgd-nesterov-wd": lambda L, p: L.optim.SGD(p, lr=0.01, momentum=0.8, nesterov=True, weight_decay=0.1),
    "sgd-maximize": lambda L, p: L.optim.SGD(p, lr=0.001, momentum=0.5, maximize=True),
    "adam": lambda L, p: L.optim.Adam(p, lr=0.05),
    "adam-amsgrad-wd": lambda L, p: L.optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.9)),
    "adam-maximize": lambda L, p: L.optim.Adam(p, lr=0.01, maximize=True),
    "adam-decoupled": lambda L, p: L.optim.Adam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "adamw": lambda L, p: L.optim.AdamW(p, lr=0.05),
    "adamw-amsgrad": lambda L, p: L.optim.AdamW(p, lr=0.05, amsgrad=True, weight_decay=0.3),
    "adamax": lambda L, p: L.optim.Adamax(p, lr=0.05, weight_decay=0.1),
    "adamax-maximize": lambda L, p: L.optim.Adamax(p, lr=0.01, maximize=True),
    "nadam": lambda L, p: L.optim.NAdam(p, lr=0.05),
    "nadam-wd": lambda L, p: L.optim.NAdam(p, lr=0.05, weight_decay=0.1, momentum_decay=0.01),
    "nadam-decoupled": lambda L, p: L.optim.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "radam": lambda L, p: L.optim.RAdam(p, lr=0.05),
    "radam-wd": lambda L, p: L.optim.RAdam(p, lr=0.05, weight_decay=0.1, betas=(0.5, 0.6)),
    "radam-decoupled": lambda L, p: L.optim.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "rmsprop": lambda L, p: L.optim.RMSprop(p, lr=0.01),
    "rmsprop-centered-momentum": lambda L, p: L.optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5, weight_decay=0.1),
    "rmsprop-momentum-maximize": lambda L, p: L.optim.RMSprop(p, lr=0.001, momentum=0.9, maximize=True),
    "adagrad": lambda L, p: L.optim.Adagrad(p, lr=0.1),
    "adagrad-decay": lambda L, p: L.optim.Adagrad(p, lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5),
    "adadelta": lambda L, p: L.optim.Adadelta(p, lr=0.5),
    "adadelta-wd": lambda L, p: L.optim.Adadelta(p, lr=1.0, rho=0.5, weight_decay=0.1, maximize=True),
    "asgd": lambda L, p: L.optim.ASGD(p, lr=0.01),
    "asgd-t0": lambda L, p: L.optim.ASGD(p, lr=0.01, t0=5, lambd=0.01, weight_decay=0.1),
    "rprop": lambda L, p: L.optim.Rprop(p, lr=0.01),
    "rprop-bounds": lambda L, p: L.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1), maximize=True),
    "groups": lambda L, p: L.optim.Adam(
        [{"params": p[:2], "lr": 0.1}, {"params": p[2:], "betas": (0.5, 0.6)}], lr=0.01
    ),
}


def tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_trajectory_matches_torch(name, dtype):
    oe, _, he = run(ember, OPTIMIZERS[name], dtype=dtype)
    ot, _, ht = run(torch, OPTIMIZERS[name], dtype=dtype)
    for k, (a, b) in enumerate(zip(he, ht)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, err_msg=f"step {k + 1}", **tol(dtype))
    se, st = oe.state_dict(), ot.state_dict()
    assert se["param_groups"] == st["param_groups"]
    assert list(se["state"]) == list(st["state"])
    for i in st["state"]:
        assert list(se["state"][i]) == list(st["state"][i])
        for key, v in st["state"][i].items():
            w = se["state"][i][key]
            assert str(w.dtype).replace("ember", "torch") == str(v.dtype), key
            np.testing.assert_allclose(as_np(w), as_np(v), err_msg=key, **tol(dtype))


@pytest.mark.parametrize("name", ["sgd-momentum", "adam-amsgrad-wd", "groups", "nadam", "asgd-t0", "rprop", "adagrad"])
def test_resume_from_state_dict_is_exact(name):
    _, _, full = run(ember, OPTIMIZERS[name], steps=12)
    params = make_params(ember)
    tgts = targets()
    opt = OPTIMIZERS[name](ember, params)
    for k in range(12):
        if k == 6:  # rebuild the optimizer from its saved state, as a resumed run does
            saved = opt.state_dict()
            opt = OPTIMIZERS[name](ember, params)
            opt.load_state_dict(saved)
        opt.zero_grad()
        loss_fn(ember, params, tgts).backward()
        opt.step()
    for x, y in zip(full[-1], params):
        np.testing.assert_array_equal(x, as_np(y))


@pytest.mark.parametrize("name", ["sgd-momentum", "adam-amsgrad-wd", "adamw"])
def test_state_dict_from_torch_continues_torch_run(name):
    """Torch's optimizer state, converted tensor by tensor, resumes in ember."""
    ot, pt, _ = run(torch, OPTIMIZERS[name], steps=5)
    sd = ot.state_dict()
    converted = {
        "state": {
            i: {k: ember.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v for k, v in s.items()}
            for i, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    }
    pe = [ember.nn.Parameter(ember.tensor(p.detach().numpy().copy())) for p in pt]
    oe = OPTIMIZERS[name](ember, pe)
    oe.load_state_dict(converted)
    tgts = targets()
    for lib, opt, params in ((ember, oe, pe), (torch, ot, pt)):
        for _ in range(5):
            opt.zero_grad()
            loss_fn(lib, params, tgts).backward()
            opt.step()
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(as_np(a), as_np(b), rtol=2e-5, atol=2e-6)


def test_repr_and_param_groups():
    for name in ("sgd-nesterov-wd", "groups", "adamw"):
        e = OPTIMIZERS[name](ember, make_params(ember))
        t = OPTIMIZERS[name](torch, make_params(torch))
        assert repr(e) == repr(t)
    e = ember.optim.SGD(make_params(ember)[:1], lr=0.1)
    e.add_param_group({"params": make_params(ember)[1], "momentum": 0.9})
    assert e.param_groups[1]["lr"] == 0.1 and e.param_groups[1]["momentum"] == 0.9
    assert len(e.param_groups[1]["params"]) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda L, p: L.optim.SGD(p, lr=-1),
        lambda L, p: L.optim.SGD(p, lr=0.1, momentum=-0.5),
        lambda L, p: L.optim.SGD(p, lr=0.1, weight_decay=-1),
        lambda L, p: L.optim.SGD(p, lr=0.1, nesterov=True),
        lambda L, p: L.optim.Adam(p, lr=-0.1),
        lambda L, p: L.optim.Adam(p, eps=-1),
        lambda L, p: L.optim.Adam(p, betas=(1.0, 0.9)),
        lambda L, p: L.optim.Adam(p, betas=(0.9, -0.1)),
        lambda L, p: L.optim.AdamW(p, weight_decay=-0.1),
        lambda L, p: L.optim.Adagrad(p, lr_decay=-1),
        lambda L, p: L.optim.Adadelta(p, rho=1.5),
        lambda L, p: L.optim.Rprop(p, etas=(1.5, 2.0)),
        lambda L, p: L.optim.RMSprop(p, alpha=-1),
        lambda L, p: L.optim.NAdam(p, momentum_decay=-1),
        lambda L, p: L.optim.SGD(p[0], lr=0.1),
        lambda L, p: L.optim.SGD([], lr=0.1),
        lambda L, p: L.optim.SGD([{"params": set(p)}], lr=0.1),
        lambda L, p: L.optim.SGD([p[0], 3], lr=0.1),
        lambda L, p: L.optim.SGD([p[0] * 2], lr=0.1),
        lambda L, p: L.optim.SGD([{"params": p[:1]}, {"params": p[:2]}], lr=0.1),
        lambda L, p: L.optim.SGD(p, lr=0.1).load_state_dict(
            {"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]}
        ),
        lambda L, p: L.optim.SGD(p, lr=0.1).load_state_dict(
            {"state": {}, "param_groups": [{"params": [0]}]}
        ),
    ],
)
def test_errors_match_torch(make):
    errs = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            make(lib, make_params(lib))
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1])
    assert str(errs[0]).replace("ember", "torch") == str(errs[1])


def test_zero_grad_closure_and_hooks():
    for lib in (ember, torch):
        params = make_params(lib)
        opt = lib.optim.SGD(params, lr=0.1)
        log = []
        h = opt.register_step_pre_hook(lambda o, a, k: log.append("pre"))
        opt.register_step_post_hook(lambda o, a, k: log.append("post"))

        def closure():
            opt.zero_grad()
            loss = loss_fn(lib, params, targets())
            loss.backward()
            log.append("closure")
            return loss

        loss = opt.step(closure)
        assert float(loss) == pytest.approx(float(loss_fn(lib, make_params(lib), targets())), rel=1e-6)
        h.remove()
        opt.step(closure)
        assert log == ["pre", "closure", "post", "closure", "post"]
        opt.zero_grad(set_to_none=False)
        assert all(float(p.grad.abs().sum()) == 0 for p in params)
        opt.zero_grad()
        assert all(p.grad is None for p in params)


def test_parameters_without_grad_are_skipped():
    for lib in (ember, torch):
        params = make_params(lib)
        before = as_np(params[1]).copy()
        opt = lib.optim.Adam(params, lr=0.1)
        (params[0] * params[0]).sum().backward()
        opt.step()
        np.testing.assert_array_equal(as_np(params[1]), before)
        assert len(opt.state) == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=0.1, max_iter=5),
        dict(lr=1, max_iter=8, history_size=3),
        dict(lr=1, max_iter=10, line_search_fn="strong_wolfe"),
        dict(lr=0.5, max_iter=4, max_eval=6, line_search_fn="strong_wolfe", history_size=2),
    ],
)
def test_lbfgs_matches_torch(kwargs, dtype):
    out = {}
    for lib in (ember, torch):
        params = make_params(lib, dtype)
        tgts = targets(dtype)
        opt = lib.optim.LBFGS(params, **kwargs)
        losses = []

        def closure():
            opt.zero_grad()
            loss = loss_fn(lib, params, tgts)
            loss.backward()
            return loss

        for _ in range(3):
            losses.append(float(opt.step(closure)))
        st = opt.state[params[0]]
        out[lib.__name__] = (losses, [as_np(p).copy() for p in params], st["func_evals"], st["n_iter"], sorted(st))
    (le, pe, fe, ne, ke), (lt, pt, ft, nt, kt) = out["ember"], out["torch"]
    assert ke == kt
    if dtype == "float64":  # float32 runs stop by tolerances that rounding can tip either way
        assert (fe, ne) == (ft, nt)
    t = tol(dtype) if dtype == "float64" else dict(rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(le, lt, **t)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a, b, **t)


def test_lbfgs_errors():
    for lib in (ember, torch):
        p = make_params(lib)
        with pytest.raises(ValueError):
            lib.optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}])
        opt = lib.optim.LBFGS(p, line_search_fn="wolfe")
        def closure():
            opt.zero_grad()
            loss = loss_fn(lib, p, targets())
            loss.backward()
            return loss
        with pytest.raises(RuntimeError, match="strong_wolfe"):
            opt.step(closure)
