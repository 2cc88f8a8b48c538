"""L-BFGS with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``.

The algorithm works on one flat vector holding every parameter: the gradient is gathered
into it, the search direction comes from the two-loop recursion over the last
``history_size`` curvature pairs, and steps are added back parameter by parameter.  Scalars
(curvatures, step lengths) stay in the parameters' dtype where PyTorch keeps them as tensors,
so float32 runs round as PyTorch's do.
"""

from __future__ import annotations

from ember._tensor import Tensor, _from_array
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.backend import array_module
from ember.optim.optimizer import Optimizer, _with_hooks


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), kept in ``bounds``
    (by default the interval between the points); their midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square**0.5
        if x1 <= x2:
            pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tol=1e-9, max_ls=25):
    """A step length ``t`` along ``d`` meeting the strong Wolfe conditions: first bracket an
    acceptable interval by growing ``t``, then shrink it by cubic interpolation ("zoom").

    Returns ``(f_new, g_new, t, evaluations)``.
    """
    xp = array_module(d)
    d_norm = xp.abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    it = 0
    while it < max_ls:
        if f_new > (f + c1 * t * gtd) or (it > 1 and f_new >= f_prev):
            br, br_f, br_g, br_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            br, br_f, br_g, br_gtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if gtd_new >= 0:
            br, br_f, br_g, br_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
    if it == max_ls:
        br, br_f, br_g, br_gtd = [0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    stalled = False
    low, high = (0, 1) if br_f[0] <= br_f[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(br[1] - br[0]) * d_norm < tol:
            break
        t = _cubic_min(br[0], br_f[0], br_gtd[0], br[1], br_f[1], br_gtd[1])
        top, bottom = max(br), min(br)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            # too close to an end: step away from it, unless the last step made progress
            if stalled or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
        if f_new > (f + c1 * t * gtd) or f_new >= br_f[low]:
            br[high], br_f[high], br_g[high], br_gtd[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if br_f[0] <= br_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br[high] - br[low]) >= 0:
                br[high], br_f[high], br_g[high], br_gtd[high] = br[low], br_f[low], br_g[low], br_gtd[low]
            br[low], br_f[low], br_g[low], br_gtd[low] = t, f_new, g_new.copy(), gtd_new
    return br_f[low], br_g[low], br[low], evals


_ARRAY_KEYS = ("d", "prev_flat_grad", "H_diag", "t")
_LIST_KEYS = ("old_dirs", "old_stps", "ro", "al")


class LBFGS(Optimizer):
    """Limited-memory BFGS; ``step(closure)`` runs up to ``max_iter`` iterations, calling
    ``closure`` (which zeroes gradients, computes the loss and calls ``backward``) as needed.
    One parameter group only."""

    def __init__(
        self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
        tolerance_change=1e-9, history_size=100, line_search_fn=None,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(
            lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change, history_size=history_size,
            line_search_fn=line_search_fn,
        ))  # fmt: skip
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups)"
            )
        self._params = self.param_groups[0]["params"]

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]

    # -- the flat view of all parameters ------------------------------------------------------

    def _flat_grad(self):
        xp = array_module(self._params[0]._data)
        parts = [
            xp.zeros(p.numel(), p.dtype.np) if p.grad is None else p.grad._data.reshape(-1)
            for p in self._params
        ]
        return xp.concatenate(parts)

    def _add_flat(self, step, d) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += step * d[offset: offset + n].reshape(p.shape)
            p._bump_version()
            offset += n

    def _snapshot(self) -> list:
        return [p._data.copy() for p in self._params]

    def _restore(self, saved: list) -> None:
        for p, arr in zip(self._params, saved):
            p._data[...] = arr
            p._bump_version()

    def _evaluate(self, closure, x, t, d):
        self._add_flat(t, d)
        with enable_grad():
            loss = float(closure())
        g = self._flat_grad()
        self._restore(x)
        return loss, g

    # -- state kept as tensors (so state_dict holds tensors, as PyTorch's does) ---------------

    def _load_state(self, state: dict) -> dict:
        out = {}
        for k, v in state.items():
            if isinstance(v, Tensor):
                out[k] = v._data
            elif isinstance(v, list):
                out[k] = [x._data if isinstance(x, Tensor) else x for x in v]
            else:
                out[k] = v
        return out

    def _store_state(self, state: dict, values: dict) -> None:
        device = self._params[0].device
        for k, v in values.items():
            if k in _ARRAY_KEYS and hasattr(v, "dtype") and hasattr(v, "shape"):
                state[k] = _from_array(array_module(self._params[0]._data).asarray(v), device)
            elif k in _LIST_KEYS and v is not None:
                state[k] = [
                    None if x is None else _from_array(array_module(self._params[0]._data).asarray(x), device)
                    for x in v
                ]
            else:
                state[k] = v

    @_with_hooks
    def step(self, closure):
        """Run the optimisation loop; returns the loss of the first ``closure`` call."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure that reevaluates the model")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history, line_search = group["history_size"], group["line_search_fn"]
        xp = array_module(self._params[0]._data)

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if xp.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        s = self._load_state(state)
        d, t = s.get("d"), s.get("t")
        old_dirs, old_stps, ro = s.get("old_dirs"), s.get("old_stps"), s.get("ro")
        h_diag, prev_grad, prev_loss = s.get("H_diag"), s.get("prev_flat_grad"), s.get("prev_loss")
        al = s.get("al")

        with no_grad():
            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = -flat_grad
                    old_dirs, old_stps, ro = [], [], []
                    h_diag = 1
                else:
                    y = flat_grad - prev_grad
                    step_vec = d * t
                    ys = y.dot(step_vec)
                    if ys > 1e-10:  # keep only pairs with positive curvature
                        if len(old_dirs) == history:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(step_vec)
                        ro.append(1.0 / ys)
                        h_diag = ys / y.dot(y)
                    if al is None:
                        al = [None] * history
                    # two-loop recursion: d = -H grad with H from the stored pairs
                    q = -flat_grad
                    for i in range(len(old_dirs) - 1, -1, -1):
                        al[i] = old_stps[i].dot(q) * ro[i]
                        q = q - al[i] * old_dirs[i]
                    d = r = q * h_diag
                    for i in range(len(old_dirs)):
                        be = old_dirs[i].dot(r) * ro[i]
                        r += (al[i] - be) * old_stps[i]
                prev_grad = flat_grad.copy()
                prev_loss = loss

                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
                else:
                    t = lr
                gtd = flat_grad.dot(d)
                if gtd > -tol_change:
                    break

                ls_evals = 0
                if line_search is not None:
                    if line_search != "strong_wolfe":
                        raise RuntimeError("only 'strong_wolfe' is supported")
                    x0 = self._snapshot()
                    loss, flat_grad, t, ls_evals = _strong_wolfe(
                        lambda x, step, direction: self._evaluate(closure, x, step, direction),
                        x0, t, d, loss, flat_grad, gtd,
                    )
                    self._add_flat(t, d)
                    converged = xp.abs(flat_grad).max() <= tol_grad
                else:
                    self._add_flat(t, d)
                    converged = False
                    if n_iter != max_iter:
                        with enable_grad():
                            loss = float(closure())
                        flat_grad = self._flat_grad()
                        converged = xp.abs(flat_grad).max() <= tol_grad
                        ls_evals = 1
                evals += ls_evals
                state["func_evals"] += ls_evals

                if n_iter == max_iter or evals >= max_eval or converged:
                    break
                if xp.abs(d * t).max() <= tol_change:
                    break
                if abs(loss - prev_loss) < tol_change:
                    break

        self._store_state(state, dict(
            d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
            prev_flat_grad=prev_grad, prev_loss=prev_loss, al=al,
        ))  # fmt: skip
        return orig_loss
