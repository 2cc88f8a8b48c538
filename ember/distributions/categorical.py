"""``Categorical``: one of ``K`` classes, given by probabilities or logits."""

from __future__ import annotations

import math

import ember
from ember._tensor import Size, Tensor, _from_array
from ember.backend import array_module
from ember.distributions import constraints
from ember.distributions.distribution import Distribution
from ember.distributions.utils import _bits, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """A categorical distribution over ``{0, ..., K-1}``, ``K = probs.size(-1)``.

    Give either ``probs`` (nonnegative, normalised over the last dimension) or ``logits``
    (unnormalised log probabilities, normalised with a logsumexp); leading dimensions batch.

    >>> m = Categorical(logits=ember.zeros(4))
    >>> m.sample().shape
    ember.Size([])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(
            Categorical, batch_shape, _instance, ("probs", "logits"), (self._num_events,)
        )
        new._param = new.__dict__.get("logits", new.__dict__.get("probs"))
        new._num_events = self._num_events
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        return ember.full(
            self._extended_shape(), math.nan, dtype=self.probs.dtype, device=self.probs.device
        )

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape=()) -> Tensor:
        if not isinstance(sample_shape, Size):
            sample_shape = Size(sample_shape)
        # Inverse-CDF sampling on the backend arrays: the hot path of policy-gradient loops.
        probs = self.__dict__.get("probs")
        p = (
            probs._data
            if probs is not None
            else array_module(self.logits._data).exp(self.logits._data)
        )
        cdf = p.reshape(-1, self._num_events).cumsum(-1)
        u = _bits(self._param.device).random((sample_shape.numel(), cdf.shape[0]))
        u *= cdf[:, -1]
        idx = (u[..., None] >= cdf).sum(-1)
        # Rounding can leave u at the total; keep such a draw on the last class.
        array_module(idx).minimum(idx, self._num_events - 1, out=idx)
        shape = self._extended_shape(sample_shape)
        return _from_array(idx.astype("int64", copy=False).reshape(shape), self._param.device)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = ember.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=ember.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = ember.arange(self._num_events, dtype=ember.long, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
