"""Random number generators and the global random state, as ``torch.random``.

A :class:`Generator` owns one backend bit generator (NumPy's PCG64 on cpu) and the seed it
was started from.  The default cpu generator lives here, seeded at import with PyTorch's
default seed, so that a program which never seeds still draws the same numbers on every
run.  ``ember.manual_seed`` reseeds it (and the default generator of every GPU in use);
``fork_rng`` saves and restores them around a block.

Streams are reproducible within ember but are not PyTorch's bit for bit: the same seed gives
different numbers in ember and in PyTorch.
"""

from __future__ import annotations

import contextlib
import operator
import os
from collections.abc import Iterator

from ember import _dtype
from ember._device import CPU, as_device
from ember._tensor import Tensor, _from_array
from ember.backend import for_device

__all__ = [
    "Generator",
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]

# PyTorch's default seed (``default_rng_seed_val``), used by every new generator.
_DEFAULT_SEED = 67280421310721
_SEED_SPAN = 1 << 64


class Generator:
    """A source of random numbers on one device; pass it as ``generator=`` to sampling ops.

    >>> g = ember.Generator().manual_seed(0)
    >>> ember.rand(2, generator=g)  # the same two numbers every time g is seeded with 0

    A new generator starts from the default seed 67280421310721, independent of the global
    generator and of every other Generator.
    """

    __slots__ = ("device", "_bits", "_seed")

    def __init__(self, device="cpu") -> None:
        self.device = as_device(device)
        self._seed = _DEFAULT_SEED
        self._bits = for_device(self.device).make_bit_generator(_DEFAULT_SEED)

    def __repr__(self) -> str:
        return f"ember.Generator(device='{self.device}', initial_seed={self._seed})"

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``: any int in [-2**63, 2**64); negatives wrap
        modulo 2**64, as in PyTorch.  Returns the generator itself."""
        if isinstance(seed, bool) or not hasattr(type(seed), "__index__"):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = operator.index(seed)
        if not -(1 << 63) <= seed < _SEED_SPAN:
            raise ValueError(
                f"Overflow when unpacking long long: seed {seed} is outside [-2**63, 2**64)"
            )
        seed %= _SEED_SPAN
        self._bits = for_device(self.device).make_bit_generator(seed)
        self._seed = seed
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new seed."""
        fresh = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(fresh)
        return fresh

    def initial_seed(self) -> int:
        """The seed the current stream started from."""
        return self._seed

    def get_state(self) -> Tensor:
        """The full state as a new cpu uint8 tensor; :meth:`set_state` restores it."""
        be = for_device(self.device)
        host = be.to_host(be.generator_state(self._bits, self._seed))
        return _from_array(host, CPU, _dtype.uint8)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state taken by :meth:`get_state` (on a generator of the same device type)."""
        if not isinstance(new_state, Tensor):
            raise TypeError(
                f"expected an ember.ByteTensor, but got {type(new_state).__module__}."
                f"{type(new_state).__name__}"
            )
        if new_state._dtype is not _dtype.uint8:
            raise TypeError(
                f"RNG state must be an ember.ByteTensor (uint8), but got a tensor of "
                f"{new_state._dtype}"
            )
        be = for_device(self.device)
        data = for_device(new_state._device).to_host(new_state._data).reshape(-1)
        if data.size != be.GENERATOR_STATE_NBYTES:
            raise RuntimeError(
                f"Expected a {self.device.type} generator state of size "
                f"{be.GENERATOR_STATE_NBYTES} but found the input RNG state size to be "
                f"{data.size}"
            )
        self._seed = be.set_generator_state(self._bits, data)
        return self


default_generator = Generator()

# Default generators of cuda devices, made on first use; they start from the last global seed.
_device_generators: dict = {}
_global_seed = _DEFAULT_SEED


def _default_for(device) -> Generator:
    """The default generator of ``device`` (an ember.device already normalised)."""
    if device.type == "cpu":
        return default_generator
    gen = _device_generators.get(device)
    if gen is None:
        gen = _device_generators[device] = Generator(device).manual_seed(_global_seed)
    return gen


def _resolve(generator, device) -> Generator:
    """The generator a sampling op on ``device`` uses: ``generator`` if given, checked."""
    if generator is None:
        return default_generator if device is CPU else _default_for(device)
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an ember.Generator, not {type(generator).__name__}")
    if generator.device.type != device.type:
        raise RuntimeError(
            f"Expected a '{device.type}' device type for generator but found "
            f"'{generator.device.type}'"
        )
    return generator


def manual_seed(seed) -> Generator:
    """Seed the default generators of the cpu and of every GPU; returns the cpu one.

    ``seed`` is anything ``int()`` accepts whose value lies in [-2**63, 2**64).
    """
    global _global_seed
    seed = int(seed)
    default_generator.manual_seed(seed)
    _global_seed = default_generator.initial_seed()
    for gen in _device_generators.values():
        gen.manual_seed(_global_seed)
    return default_generator


def seed() -> int:
    """Seed the default generators from the operating system's entropy; returns the seed."""
    fresh = default_generator.seed()
    manual_seed(fresh)
    return fresh


def initial_seed() -> int:
    """The seed the default cpu generator's stream started from."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default cpu generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default cpu generator from a state taken by :func:`get_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, device_type: str | None = None) -> Iterator[None]:
    """Run a block with the random state forked: on exit the default generators of the cpu
    and of ``devices`` (cuda indices or devices; all GPUs in use when None) are restored.

    >>> with ember.random.fork_rng():
    ...     noise = ember.randn(3)  # the stream outside the block is untouched
    """
    if not enabled:
        yield
        return
    if device_type not in (None, "cuda"):
        raise RuntimeError(f"fork_rng supports device_type 'cuda' only, got {device_type!r}")
    if devices is None:
        gens = [default_generator, *_device_generators.values()]
    else:
        gens = [default_generator]
        for d in devices:
            gens.append(_default_for(as_device(d)))  # a bare int names a GPU
    states = [g.get_state() for g in gens]
    try:
        yield
    finally:
        for g, st in zip(gens, states, strict=True):
            g.set_state(st)
