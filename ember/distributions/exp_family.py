"""``ExponentialFamily``: the base of distributions in the exponential family."""

from __future__ import annotations

from ember.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Distributions with densities ``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))``.

    ember's members compute ``entropy`` and ``kl_divergence`` in closed form, so this class
    carries no Bregman-divergence machinery; it is kept for ``isinstance`` checks.
    """
