"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``, as in
``torch.nn.functional``.

Both are compositions of batched matrix products, a softmax and dropout, so they support
every autograd feature (double backward included).  Masks follow PyTorch: for
``scaled_dot_product_attention`` a boolean ``attn_mask`` marks the positions that *may* be
attended; for ``multi_head_attention_forward`` (and ``MultiheadAttention``, the transformer
layers) a boolean mask marks the positions that are *not* allowed.  Float masks are added to
the attention scores in both.
"""

from __future__ import annotations

import math
import warnings

import ember
from ember._tensor import Tensor
from ember.nn.functional.activation import softmax
from ember.nn.functional.dropout import dropout
from ember.nn.functional.linear import linear
from ember.ops import attention as _attention


def _causal_bias(rows: int, cols: int, like: Tensor) -> Tensor:
    """``0`` on and below the diagonal, ``-inf`` above, as a ``(rows, cols)`` float tensor."""
    keep = ember.ones(rows, cols, dtype=ember.bool, device=like.device).tril()
    return ember.zeros(rows, cols, dtype=like.dtype, device=like.device).masked_fill(
        keep.logical_not(), float("-inf")
    )


def _fused_bias(query, key, value, attn_mask, is_causal):
    """The additive score bias (an array, or None) when the fused attention node can take
    these inputs: one float dtype, equal batch dims, nothing empty, and a mask that needs
    no gradient and adds to the scores without enlarging them; else False."""
    dt = query.dtype
    if (
        dt not in (ember.float32, ember.float64)
        or key.dtype != dt
        or value.dtype != dt
        or query.dim() != key.dim()
        or query.dim() != value.dim()
        or query.shape[:-2] != key.shape[:-2]
        or query.shape[:-2] != value.shape[:-2]
        or key.shape[-2] != value.shape[-2]
        or not query.numel()
        or not key.numel()
    ):
        return False
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        return _causal_bias(length, source, query)._data
    if attn_mask is None:
        return None
    if attn_mask.requires_grad or attn_mask.device != query.device:
        return False
    scores_shape = tuple(query.shape[:-1]) + (source,)
    try:
        if ember.broadcast_shapes(tuple(attn_mask.shape), scores_shape) != scores_shape:
            return False
    except RuntimeError:
        return False
    if attn_mask.dtype == ember.bool:
        zeros = ember.zeros(tuple(attn_mask.shape), dtype=dt, device=query.device)
        return zeros.masked_fill(attn_mask.logical_not(), float("-inf"))._data
    return attn_mask._data if attn_mask.dtype == dt else False


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``.

    Shapes: query ``(*, L, E)``, key ``(*, S, E)``, value ``(*, S, Ev)``; output ``(*, L, Ev)``.
    ``attn_mask`` broadcasts to ``(*, L, S)``: bool (True = may attend) or float (added).
    ``is_causal`` masks out the positions above the diagonal; ``scale`` defaults to
    ``1 / sqrt(E)``.  ``dropout_p`` drops attention weights (always, as PyTorch: pass 0.0 in
    eval).  ``enable_gqa`` lets key/value have fewer heads (dim -3) than query.
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            "scaled_dot_product_attention: expected query, key and value to be at least 2-D"
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"Expected query and key to have the same last dimension, got {query.shape[-1]} "
            f"and {key.shape[-1]}"
        )
    if enable_gqa and query.dim() >= 3 and key.dim() >= 3:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk != hq:
            if hq % hk:
                raise RuntimeError(
                    "Number of heads in key and value must divide the number of heads in query"
                )
            key = key.repeat_interleave(hq // hk, -3)
            value = value.repeat_interleave(hq // value.shape[-3], -3)
    length, source = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if dropout_p == 0.0:
        bias = _fused_bias(query, key, value, attn_mask, is_causal)
        if bias is not False:
            return _attention.scaled_dot_product_attention(query, key, value, factor, bias)
    scores = ember.matmul(query * factor, key.transpose(-2, -1))
    if is_causal:
        scores = scores + _causal_bias(length, source, scores)
    elif attn_mask is not None:
        if attn_mask.dtype == ember.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    weights = _attention.safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return ember.matmul(weights, value)


def _attend_heads(q, k, v, num_heads, is_causal, batch_first):
    """Each head's attention over the projections ``q, k, v`` laid out ``(L, N, E)`` (or
    ``(N, L, E)`` when ``batch_first``), unmasked and without dropout; returns the heads'
    outputs merged back, in the same layout.  The heads are ``(N, H, L, head_dim)`` views of
    the projections and the fused attention lays its output out in the query's memory
    order, so taking the heads apart and merging them back copies nothing."""
    e = q.shape[-1]
    order, inverse = ((0, 2, 1, 3), (0, 2, 1, 3)) if batch_first else ((1, 2, 0, 3), (2, 0, 1, 3))

    def heads(t):
        return t.reshape(t.shape[0], t.shape[1], num_heads, e // num_heads).permute(*order)

    out = scaled_dot_product_attention(heads(q), heads(k), heads(v), None, 0.0, is_causal)
    return out.permute(*inverse).reshape(q.shape[0], q.shape[1], e)


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask (True = not allowed) as a float mask of 0 / -inf; float masks unchanged."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype != ember.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same "
            "type for both instead.",
            stacklevel=3,
        )
    if not is_float:
        mask = ember.zeros(tuple(mask.shape), dtype=target_type, device=mask.device).masked_fill(
            mask, float("-inf")
        )
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.dim()}-D tensor instead"
                )
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(
                        f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
                    )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.dim()}-D query tensor"
    )


def _in_projection(query, key, value, w, b, w_q, w_k, w_v):
    """The q, k, v projections: one product when query, key and value are the same tensor."""
    if w is not None:
        if key is value:
            if query is key:
                return linear(query, w, b).chunk(3, -1)
            e = w.shape[1]
            b_q, b_kv = (None, None) if b is None else (b[:e], b[e:])
            q = linear(query, w[:e], b_q)
            k, v = linear(key, w[e:], b_kv).chunk(2, -1)
            return q, k, v
        w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
):
    """Multi-head attention on sequence-first inputs ``(L, N, E)`` (or unbatched ``(L, E)``);
    returns ``(attn_output, attn_weights or None)``.  See ``nn.MultiheadAttention``."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask,
        "key_padding_mask",
        None if attn_mask is None else attn_mask.dtype,
        "attn_mask",
        query.dtype,
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention applies the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
        q, k, v = _in_projection(
            query, key, value, None, in_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight
        )
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, None, None, None)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )

    def pad_last(m):
        return None if m is None else ember.cat([m, m.new_zeros(tuple(m.shape[:-1]) + (1,))], -1)

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key.")
        k = ember.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ember.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = pad_last(attn_mask), pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        which = "bias_k" if bias_k is not None else "bias_v"
        other = "bias_v" if bias_k is not None else "bias_k"
        raise AssertionError(f"{which} is set but {other} is None")

    if (
        not need_weights
        and attn_mask is None
        and key_padding_mask is None
        and bias_k is None
        and static_k is None
        and static_v is None
        and not add_zero_attn
        and (dropout_p == 0.0 or not training)
    ):
        out = _attend_heads(q, k, v, num_heads, is_causal, batch_first=False)
        out = linear(out, out_proj_weight, out_proj_bias)
        return (out if is_batched else out.squeeze(1)), None

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (
        k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
        if static_k is None
        else static_k
    )
    v = (
        v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
        if static_v is None
        else static_v
    )
    if add_zero_attn:
        zeros = ember.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k = ember.cat([k, zeros], 1)
        v = ember.cat([v, zeros], 1)
        attn_mask, key_padding_mask = pad_last(attn_mask), pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                f"{key_padding_mask.shape[0]}"
            )
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                f"{key_padding_mask.shape[1]}"
            )
        kpm = (
            key_padding_mask.reshape(bsz, 1, 1, src_len)
            .expand(bsz, num_heads, 1, src_len)
            .reshape(bsz * num_heads, 1, src_len)
        )
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = ember.bmm(q * (1.0 / math.sqrt(head_dim)), k.transpose(1, 2))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        out = ember.bmm(weights, v)
    else:
        out = scaled_dot_product_attention(
            q, k, v, attn_mask, dropout_p, is_causal and attn_mask is None
        )
        weights = None
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if weights is not None:
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            weights = weights.squeeze(0)
    if not is_batched:
        out = out.squeeze(1)
    return out, weights
