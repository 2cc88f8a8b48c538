"""Learning-rate schedulers against torch.optim.lr_scheduler: the learning rates (and the
cycled momentum) of every parameter group, step by step, to the last bit."""

from __future__ import annotations

import warnings

import pytest
import torch

import ember


def optimizer(lib, kind="sgd"):
    params = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(3))]
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.5}]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


S = "lr_scheduler"
SCHEDULERS = {
    "lambda": lambda L, o: getattr(L.optim, S).LambdaLR(o, lambda e: 0.95**e),
    "lambda-list": lambda L, o: getattr(L.optim, S).LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
    "multiplicative": lambda L, o: getattr(L.optim, S).MultiplicativeLR(o, lambda e: 0.9),
    "step": lambda L, o: getattr(L.optim, S).StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda L, o: getattr(L.optim, S).MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "constant": lambda L, o: getattr(L.optim, S).ConstantLR(o, factor=0.25, total_iters=4),
    "linear": lambda L, o: getattr(L.optim, S).LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "exponential": lambda L, o: getattr(L.optim, S).ExponentialLR(o, gamma=0.8),
    "polynomial": lambda L, o: getattr(L.optim, S).PolynomialLR(o, total_iters=7, power=2.0),
    "cosine": lambda L, o: getattr(L.optim, S).CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "warm-restarts": lambda L, o: getattr(L.optim, S).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "cyclic": lambda L, o: getattr(L.optim, S).CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=3, step_size_down=5),
    "cyclic-tri2": lambda L, o: getattr(L.optim, S).CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="triangular2"),
    "cyclic-exp": lambda L, o: getattr(L.optim, S).CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="exp_range", gamma=0.9),
    "cyclic-fn": lambda L, o: getattr(L.optim, S).CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5**x, scale_mode="iterations"),
    "onecycle": lambda L, o: getattr(L.optim, S).OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=25),
    "onecycle-3phase-linear": lambda L, o: getattr(L.optim, S).OneCycleLR(o, max_lr=1.0, epochs=5, steps_per_epoch=5, three_phase=True, anneal_strategy="linear", pct_start=0.4),
    "sequential": lambda L, o: getattr(L.optim, S).SequentialLR(o, [getattr(L.optim, S).LinearLR(o, 0.1, total_iters=3), getattr(L.optim, S).ExponentialLR(o, 0.9)], milestones=[4]),
    "chained": lambda L, o: getattr(L.optim, S).ChainedScheduler([getattr(L.optim, S).ConstantLR(o, 0.5, total_iters=4), getattr(L.optim, S).ExponentialLR(o, 0.9)]),
}


def trajectory(lib, name, kind, steps=24):
    opt = optimizer(lib, kind)
    sched = SCHEDULERS[name](lib, opt)
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        mom = [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], mom))
    return out


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_rates_match_torch(name, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert trajectory(ember, name, kind) == trajectory(torch, name, kind)


@pytest.mark.parametrize("name", ["step", "multistep", "cosine", "linear", "polynomial", "exponential", "constant"])
def test_closed_form_jumps_match_torch(name):
    res = []
    for lib in (ember, torch):
        opt = optimizer(lib)
        sched = SCHEDULERS[name](lib, opt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in (3, 7, 2, 10):
                sched.step(e)
                res.append((lib.__name__, e, sched.get_last_lr()))
    half = len(res) // 2
    assert [r[1:] for r in res[:half]] == [r[1:] for r in res[half:]]


def test_warm_restarts_with_epochs():
    res = {}
    for lib in (ember, torch):
        opt = optimizer(lib)
        sched = SCHEDULERS["warm-restarts"](lib, opt)
        out = []
        for e in [0.5, 1.5, 4.0, 9.25, 20]:
            sched.step(e)
            out.append(sched.get_last_lr())
        res[lib.__name__] = out
    assert res["ember"] == res["torch"]


def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79, 0.7] * 2
    for kwargs in (
        dict(patience=2),
        dict(mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
        dict(patience=0, min_lr=[0.05, 0.2]),
    ):
        res = {}
        for lib in (ember, torch):
            opt = optimizer(lib)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
            out = []
            for m in metrics:
                sched.step(m)
                out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.best))
            res[lib.__name__] = out
        assert res["ember"] == res["torch"], kwargs


@pytest.mark.parametrize("name", ["step", "cosine", "onecycle", "cyclic", "warm-restarts", "sequential"])
def test_state_dict_resume(name):
    full = trajectory(ember, name, "sgd", steps=16)
    opt = optimizer(ember)
    sched = SCHEDULERS[name](ember, opt)
    out = []
    for k in range(16):
        if k == 7:
            sd, osd = sched.state_dict(), opt.state_dict()
            opt = optimizer(ember)
            sched = SCHEDULERS[name](ember, opt)
            opt.load_state_dict(osd)
            sched.load_state_dict(sd)
        opt.step()
        sched.step()
        mom = [g.get("momentum") for g in opt.param_groups]
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], mom))
    assert out == full


@pytest.mark.parametrize(
    "make",
    [
        lambda L, o: L.optim.lr_scheduler.StepLR(3, step_size=2),
        lambda L, o: L.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
        lambda L, o: L.optim.lr_scheduler.ConstantLR(o, factor=1.5),
        lambda L, o: L.optim.lr_scheduler.LinearLR(o, start_factor=0),
        lambda L, o: L.optim.lr_scheduler.LinearLR(o, end_factor=2),
        lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="nope"),
        lambda L, o: L.optim.lr_scheduler.CyclicLR(o, [0.1], 1.0),
        lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, 1.0),
        lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=0),
        lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=2.0),
        lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="x"),
        lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
        lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"),
        lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
        lambda L, o: L.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
        lambda L, o: L.optim.lr_scheduler.SequentialLR(o, [L.optim.lr_scheduler.StepLR(o, 2)], milestones=[3]),
        lambda L, o: L.optim.lr_scheduler.StepLR(o, 2, last_epoch=4),
    ],
)
def test_errors_match_torch(make):
    errs = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            make(lib, optimizer(lib))
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1])
    assert str(errs[0]) == str(errs[1]).replace("torch", "ember")


def test_onecycle_overstep_and_order_warning():
    for lib in (ember, torch):
        opt = optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
        with pytest.warns(UserWarning, match="optimizer.step"):
            sched.step()
        sched.step()
        sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            sched.step()
