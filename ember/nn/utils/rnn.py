"""Sequences of unequal length: ``PackedSequence`` and the pad / pack helpers, as
``torch.nn.utils.rnn``.

Packing and padding are one differentiable row gather each (``index_select`` on a flat view),
with the row indices computed on arrays: no Python loop over sequences or time steps.
"""

from __future__ import annotations

from typing import NamedTuple

import ember
from ember._tensor import Tensor
from ember.backend import array_module

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    xp = array_module(permutation._data)
    inv = xp.empty_like(permutation._data)
    inv[permutation._data] = xp.arange(permutation.numel(), dtype=inv.dtype)
    return ember.tensor(inv, device=permutation.device)


class PackedSequence(_PackedSequenceBase):
    """The time steps of a batch of sequences, longest first, without padding.

    ``data`` holds the rows of step 0 for every sequence, then step 1 for the sequences that
    are that long, ...; ``batch_sizes[t]`` is the number of sequences at step ``t`` (an int64
    CPU tensor); ``sorted_indices`` maps the packed order to the original batch order
    (``unsorted_indices`` is its inverse).  Build it with ``pack_padded_sequence`` or
    ``pack_sequence``, not directly.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # PackedSequence((data, batch_sizes, ...)) as torch allows
            data, batch_sizes = data[0], data[1]
        if not isinstance(batch_sizes, Tensor):
            raise TypeError("batch_sizes should always be a Tensor")
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data`` (and the index tensors, to the same device) converted as ``Tensor.to``."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        si = None if self.sorted_indices is None else self.sorted_indices.to(dev)
        ui = None if self.unsorted_indices is None else self.unsorted_indices.to(dev)
        return type(self)(data, self.batch_sizes, si, ui)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, *args, **kwargs) -> PackedSequence:
        return self.to(*args, device="cuda", **kwargs)

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    def half(self) -> PackedSequence:
        return self._with_data(self.data.half())

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences
    with the given lengths.  With ``enforce_sorted=False`` the lengths may come in any
    order; otherwise they must be decreasing."""
    lens = _lengths_array(lengths)
    if isinstance(lengths, Tensor) and lengths.dim() != 1:
        raise RuntimeError(
            f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
            f"{str(lengths.device)} {str(lengths.dtype).replace('ember.', '')} tensor"
        )
    bdim = 0 if batch_first else 1
    if len(lens) != input.shape[bdim]:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
            f"(batch_size={input.shape[bdim]})"
        )
    xp = array_module(input._data)
    lens_a = xp.asarray(lens, dtype=xp.int64)
    if enforce_sorted:
        if len(lens) > 1 and bool((lens_a[1:] > lens_a[:-1]).any()):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        sorted_indices = None
    else:
        order = xp.argsort(-lens_a, kind="stable")
        lens_a = lens_a[order]
        sorted_indices = ember.tensor(order, device=input.device)
        input = input.index_select(bdim, sorted_indices)
    if len(lens) == 0 or int(lens_a[-1]) <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    steps = int(lens_a[0])
    if steps > input.shape[1 - bdim]:
        raise RuntimeError(
            f"Expected sequence length to be at most {input.shape[1 - bdim]}, but got "
            f"sequence of length {steps}"
        )
    if batch_first:
        input = input.transpose(0, 1)
    b = input.shape[1]
    # row t*B + j of the time-major batch goes in when sequence j is longer than t
    active = xp.arange(steps)[:, None] < lens_a[None, :]
    batch_sizes = active.sum(1)
    rows = xp.flatnonzero(active.reshape(-1))
    flat = input[:steps].reshape((steps * b,) + tuple(input.shape[2:]))
    data = flat.index_select(0, ember.tensor(rows, device=input.device))
    return PackedSequence(data, ember.tensor(batch_sizes.astype(xp.int64)), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: ``(padded, lengths)``, padded ``(T, B, *)`` (or
    ``(B, T, *)``) filled with ``padding_value`` past each sequence's end, in the original
    batch order; ``lengths`` an int64 tensor."""
    data, bs_t = sequence.data, sequence.batch_sizes
    xp = array_module(data._data)
    bs = xp.asarray(bs_t._data)
    steps = int(bs.shape[0])
    b = int(bs[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
    else:
        total_length = steps
    n = data.shape[0]
    active = xp.arange(b)[None, :] < bs[:, None]
    src = xp.full((total_length, b), n, dtype=xp.int64)
    src[:steps][active] = xp.arange(n)
    pad_row = ember.full(
        (1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device
    )
    ext = ember.cat([data, pad_row])
    padded = ext.index_select(0, ember.tensor(src.reshape(-1), device=data.device))
    padded = padded.reshape((total_length, b) + tuple(data.shape[1:]))
    lengths = active.sum(0).astype(xp.int64)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(1, unsorted)
        lengths = lengths[array_module(unsorted._data).asarray(unsorted._data)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, ember.tensor(lengths)


def pad_sequence(
    sequences,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (``(B, L_max, *)`` with
    ``batch_first``), padding with ``padding_value`` on ``padding_side`` ("right"/"left")."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    xp = array_module(first._data)
    lens = xp.asarray([s.shape[0] for s in sequences], dtype=xp.int64)
    longest = int(lens.max())
    tail = tuple(first.shape[1:])
    n = int(lens.sum())
    offsets = xp.concatenate([xp.zeros(1, dtype=xp.int64), xp.cumsum(lens)[:-1]])
    pos = xp.arange(longest)[None, :]
    if padding_side == "right":
        valid = pos < lens[:, None]
        src = offsets[:, None] + pos
    else:
        start = longest - lens
        valid = pos >= start[:, None]
        src = offsets[:, None] + pos - start[:, None]
    src = xp.where(valid, src, n)  # (B, L_max); row n is the padding row
    if not batch_first:
        src = src.T
    pad_row = ember.full((1,) + tail, padding_value, dtype=first.dtype, device=first.device)
    ext = ember.cat(sequences + [pad_row])
    out = ext.index_select(0, ember.tensor(xp.ascontiguousarray(src).reshape(-1)))
    return out.reshape(tuple(src.shape) + tail)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors of shapes ``(L_i, *)`` (longest first unless
    ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into a list of tensors of the given lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(_lengths_array(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of tensors a ``PackedSequence`` was packed from."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
