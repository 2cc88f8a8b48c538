"""Fit y = sin(x) with a cubic polynomial, four ways, as in PyTorch's beginner material.

Written as a PyTorch program with ``import ember as torch``.  The same model,
``y = a + b x + c x^2 + d x^3`` on ``x`` in ``[-pi, pi]``, is fitted by gradient descent:

1. ``tensors``: the gradient of the squared error worked out by hand, no autograd;
2. ``autograd``: the weights are tensors with ``requires_grad=True``; ``loss.backward()``
   computes the gradient and the update runs under ``torch.no_grad()``;
3. ``nn``: ``nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))`` on the features
   ``(x, x^2, x^3)``, ``nn.MSELoss`` and a hand-written update over ``model.parameters()``;
4. ``optim``: the same module trained by ``torch.optim`` (``--optimizer rmsprop|sgd|adam``).

Then a linear regression with noise: an ``nn.Linear`` fitted by mini-batch SGD through a
``DataLoader``, recovering the true weights.  Each part prints its loss as it trains and the
fitted coefficients; the polynomial's least-squares optimum is about
``y = 0.857 x - 0.0933 x^3`` (and ``a = c = 0``).  All parts together take a few seconds.

Smoke test: ``--steps 200``.
"""

from __future__ import annotations

import argparse
import math
import time

import ember as torch
import ember.nn as nn
from ember.utils.data import DataLoader, TensorDataset


def polynomial(coeffs) -> str:
    a, b, c, d = (float(v) for v in coeffs)
    return f"y = {a:.4f} + {b:.4f} x + {c:.4f} x^2 + {d:.4f} x^3"


def fit_with_tensors(x, y, steps, lr, log_every):
    """Gradient descent with the gradient derived by hand (no autograd)."""
    a, b, c, d = (torch.randn(()) for _ in range(4))
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        if log_every and t % log_every == log_every - 1:
            print(f"  step {t + 1:5d}  loss {loss:.4f}")
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= lr * grad_a
        b -= lr * grad_b
        c -= lr * grad_c
        d -= lr * grad_d
    return loss, (a, b, c, d)


def fit_with_autograd(x, y, steps, lr, log_every):
    """The same loop with the gradient from autograd."""
    a, b, c, d = (torch.randn((), requires_grad=True) for _ in range(4))
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if log_every and t % log_every == log_every - 1:
            print(f"  step {t + 1:5d}  loss {loss.item():.4f}")
        loss.backward()
        with torch.no_grad():
            for w in (a, b, c, d):
                w -= lr * w.grad
                w.grad = None
    return loss.item(), (a, b, c, d)


def features(x):
    """``(x, x^2, x^3)`` as a ``(N, 3)`` tensor."""
    p = torch.tensor([1, 2, 3])
    return x.unsqueeze(-1).pow(p)


def fit_with_nn(x, y, steps, lr, log_every, optimizer_name=None):
    """An ``nn.Linear(3, 1)`` on the polynomial features, with or without ``torch.optim``."""
    xx = features(x)
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = None
    if optimizer_name == "rmsprop":
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    elif optimizer_name == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    elif optimizer_name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for t in range(steps):
        loss = loss_fn(model(xx), y)
        if log_every and t % log_every == log_every - 1:
            print(f"  step {t + 1:5d}  loss {loss.item():.4f}")
        if optimizer is None:
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
        else:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    linear = model[0]
    coeffs = (linear.bias[0], linear.weight[0, 0], linear.weight[0, 1], linear.weight[0, 2])
    return loss.item(), coeffs


def linear_regression(args):
    """Noisy data from ``y = X w + b + noise``: recover ``w`` and ``b`` with mini-batch SGD."""
    n, dim = 1000, 5
    true_w = torch.tensor([[2.0, -3.4, 1.5, 0.0, 0.7]])
    true_b = 4.2
    x = torch.randn(n, dim)
    y = x @ true_w.T + true_b + 0.1 * torch.randn(n, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(args.seed))
    model = nn.Linear(dim, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
    loss_fn = nn.MSELoss()
    for epoch in range(1, args.epochs + 1):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            full = loss_fn(model(x), y).item()
        print(f"  epoch {epoch}  mse {full:.5f}")
    w_err = (model.weight - true_w).abs().max().item()
    b_err = abs(model.bias.item() - true_b)
    print(f"  learned w = {[round(v, 3) for v in model.weight[0].tolist()]}, "
          f"b = {model.bias.item():.3f}")
    print(f"  true    w = {[round(v, 3) for v in true_w[0].tolist()]}, b = {true_b}")
    print(f"  largest error: w {w_err:.4f}, b {b_err:.4f}")
    return full


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000, help="gradient steps per polynomial fit")
    parser.add_argument("--points", type=int, default=2000, help="samples of sin(x) on [-pi, pi]")
    parser.add_argument("--lr", type=float, default=1e-6, help="plain gradient descent step size")
    parser.add_argument("--optimizer", choices=["rmsprop", "sgd", "adam"], default="rmsprop",
                        help="optimizer of the fourth fit (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the linear regression")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    torch.set_default_dtype(getattr(torch, args.dtype))
    x = torch.linspace(-math.pi, math.pi, args.points)
    y = torch.sin(x)
    log_every = max(args.steps // 4, 1)
    results = {}
    start = time.perf_counter()
    for name, fit in [("tensors", fit_with_tensors), ("autograd", fit_with_autograd),
                      ("nn", fit_with_nn)]:
        print(f"[{name}] gradient descent, lr {args.lr}")
        loss, coeffs = fit(x, y, args.steps, args.lr, log_every)
        print(f"  {polynomial(coeffs)}   (loss {loss:.4f})")
        results[name] = loss
    optimizer_name = {"rmsprop": "RMSprop", "sgd": "SGD", "adam": "Adam"}[args.optimizer]
    print(f"[optim] torch.optim.{optimizer_name}")
    loss, coeffs = fit_with_nn(x, y, args.steps, args.lr, log_every, args.optimizer)
    print(f"  {polynomial(coeffs)}   (loss {loss:.4f})")
    results["optim"] = loss
    print("[linear regression] nn.Linear(5, 1) with mini-batch SGD on 1,000 noisy samples")
    results["linear_mse"] = linear_regression(args)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return results


if __name__ == "__main__":
    main()
