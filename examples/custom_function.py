"""A custom autograd Function, checked numerically and used in training, run on ember.

Written as a PyTorch program with ``import ember as torch``, after the beginner material's
"defining new autograd functions": the Legendre polynomial ``P3(x) = (5x^3 - 3x) / 2`` as a
``torch.autograd.Function`` with its own ``forward`` and ``backward``
(``P3'(x) = 1.5 (5x^2 - 1)``).  The script

1. checks the hand-written backward against finite differences with
   ``torch.autograd.gradcheck`` (and the second derivative with ``gradgradcheck``; the
   backward is made of differentiable tensor ops, so double backward works too) in float64;
2. fits ``y = a + b * P3(c + d x)`` to ``sin(x)`` on ``[-pi, pi]`` by gradient descent, the
   Function inside the model, printing the loss and the fitted coefficients (the beginner
   material's result is about ``y = -6.7e-11 - 2.21 P3(-4.5e-11 + 0.255 x)``, loss ~9).

A second Function, ``ClampWithMask``, shows ``ctx.mark_non_differentiable`` and
``ctx.needs_input_grad``: it returns the clamped input and a boolean mask of the entries that
were not clipped; only the first output carries a gradient.

Smoke test: ``--steps 200``.
"""

from __future__ import annotations

import argparse
import math
import time

import ember as torch
from ember.autograd import Function, gradcheck, gradgradcheck


class LegendrePolynomial3(Function):
    """``P3(x) = (5x^3 - 3x) / 2``, with the derivative ``1.5 (5x^2 - 1)`` written by hand."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class ClampWithMask(Function):
    """``clamp(x, lo, hi)`` and the mask ``lo <= x <= hi``; the gradient flows where unclipped."""

    @staticmethod
    def forward(ctx, input, lo: float, hi: float):
        mask = (input >= lo) & (input <= hi)
        ctx.save_for_backward(mask)
        ctx.mark_non_differentiable(mask)
        return input.clamp(lo, hi), mask

    @staticmethod
    def backward(ctx, grad_out, grad_mask):
        (mask,) = ctx.saved_tensors
        grad_input = grad_out * mask if ctx.needs_input_grad[0] else None
        return grad_input, None, None


def check_gradients() -> bool:
    """Finite-difference checks in float64 of both Functions."""
    x = torch.randn(20, dtype=torch.float64, requires_grad=True)
    ok_p3 = gradcheck(LegendrePolynomial3.apply, (x,), eps=1e-6, atol=1e-4)
    ok_p3_2 = gradgradcheck(LegendrePolynomial3.apply, (x,), eps=1e-6, atol=1e-4)
    # keep the points away from the clamp's kinks, where finite differences are not defined
    z = (torch.rand(20, dtype=torch.float64) * 0.8 + 0.1) * torch.tensor([-2.0, 2.0]).repeat(10)
    z.requires_grad_(True)
    ok_clamp = gradcheck(lambda t: ClampWithMask.apply(t, -1.0, 1.0)[0], (z,), eps=1e-6, atol=1e-4)
    print(f"gradcheck  LegendrePolynomial3: {ok_p3}")
    print(f"gradgradcheck  LegendrePolynomial3: {ok_p3_2}")
    print(f"gradcheck  ClampWithMask: {ok_clamp}")

    clipped, mask = ClampWithMask.apply(torch.linspace(-2, 2, 9, requires_grad=True), -1.0, 1.0)
    print(f"ClampWithMask: mask.requires_grad={mask.requires_grad}, "
          f"grad_fn={type(clipped.grad_fn).__name__}")
    return ok_p3 and ok_p3_2 and ok_clamp and not mask.requires_grad


def train(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    # starting close to the answer: far from it, gradient descent on this model diverges
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    P3 = LegendrePolynomial3.apply
    log_every = max(args.steps // 5, 1)
    for t in range(args.steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % log_every == log_every - 1:
            print(f"  step {t + 1:5d}  loss {loss.item():.4f}")
        loss.backward()
        with torch.no_grad():
            for w in (a, b, c, d):
                w -= args.lr * w.grad
                w.grad = None
    print(f"result: y = {a.item():.4g} + {b.item():.4f} * P3({c.item():.4g} + {d.item():.4f} x)  "
          f"(loss {loss.item():.4f})")
    return loss.item()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000, help="gradient descent steps")
    parser.add_argument("--lr", type=float, default=5e-6, help="step size")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    ok = check_gradients()
    if not ok:
        raise SystemExit("gradient check failed")
    print(f"fitting y = a + b P3(c + d x) to sin(x), {args.steps} steps, lr {args.lr}")
    loss = train(args)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return {"gradcheck": ok, "loss": loss}


if __name__ == "__main__":
    main()
