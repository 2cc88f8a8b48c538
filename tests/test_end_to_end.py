"""A small model trained end to end (DataLoader, nn layers, loss, optimizer, scheduler) gives
the same loss curve in ember as in PyTorch, from the same initial weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


def data(n=96, d=20, c=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    w = rng.standard_normal((d, c)).astype(np.float32)
    y = (x @ w + 0.5 * rng.standard_normal((n, c))).argmax(1)
    return x, y


def model(lib):
    return lib.nn.Sequential(
        lib.nn.Linear(20, 32), lib.nn.ReLU(), lib.nn.Linear(32, 32), lib.nn.Tanh(),
        lib.nn.Linear(32, 4),
    )


def copy_weights(src, dst):
    dst.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


OPTIMS = {
    "sgd-momentum": lambda L, p: L.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4),
    "adam": lambda L, p: L.optim.Adam(p, lr=0.01),
    "adamw": lambda L, p: L.optim.AdamW(p, lr=0.01),
    "rmsprop": lambda L, p: L.optim.RMSprop(p, lr=0.005, momentum=0.5),
}


def train(lib, net, make_opt, x, y, order, epochs=3):
    ds = lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y))
    loader = lib.utils.data.DataLoader(ds, batch_size=16, sampler=order)
    opt = make_opt(lib, net.parameters())
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loss_fn = lib.nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        net.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        sched.step()
    net.eval()
    with lib.no_grad():
        acc = float((net(lib.tensor(x)).argmax(1) == lib.tensor(y)).float().mean())
    return losses, acc


@pytest.mark.parametrize("name", list(OPTIMS))
def test_training_curves_match_torch(name):
    x, y = data()
    order = list(np.random.default_rng(1).permutation(len(x)))
    torch.manual_seed(0)
    tnet = model(torch)
    enet = model(ember)
    copy_weights(tnet, enet)
    le, acc_e = train(ember, enet, OPTIMS[name], x, y, order)
    lt, acc_t = train(torch, tnet, OPTIMS[name], x, y, order)
    np.testing.assert_allclose(le, lt, rtol=2e-4, atol=2e-5)
    assert le[-1] < le[0]
    assert acc_e == pytest.approx(acc_t, abs=1.5 / len(x))
