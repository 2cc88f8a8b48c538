"""Attention and transformer layers against torch: outputs, attention weights and gradients of
inputs, float masks and every parameter, over masks, causal attention, norm_first, train and
eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.nn._compare import close, copy_state, randn

TOL = dict(rtol=1e-4, atol=1e-5)


def _lib_tensor(lib, a, grad):
    t = lib.tensor(a)
    if grad and a.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def run_both(emod, tmod, call, arrays, grad_idx=None, train=True, tol=TOL, seed=0):
    """``call(lib, mod, *tensors)`` on both; compare outputs, then (random grad_output) the
    gradients of the float inputs (those in ``grad_idx``, default all) and parameters."""
    if tmod is not None:
        copy_state(emod, tmod)
        emod.train(train)
        tmod.train(train)
    grad_idx = range(len(arrays)) if grad_idx is None else grad_idx
    es = [_lib_tensor(ember, a, i in grad_idx) for i, a in enumerate(arrays)]
    ts = [_lib_tensor(torch, a, i in grad_idx) for i, a in enumerate(arrays)]
    eo, to = call(ember, emod, *es), call(torch, tmod, *ts)
    eo = [o for o in (eo if isinstance(eo, tuple) else (eo,))]
    to = [o for o in (to if isinstance(to, tuple) else (to,))]
    assert [o is None for o in eo] == [o is None for o in to]
    eo = [o for o in eo if o is not None]
    to = [o for o in to if o is not None]
    for e, t in zip(eo, to, strict=True):
        close(e, t, **tol)
    rng = np.random.default_rng(seed)
    pairs = [(e, t) for e, t in zip(eo, to, strict=True) if t.requires_grad]
    if not pairs:
        return
    gs = [rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype) for _, t in pairs]
    torch.autograd.backward([t for _, t in pairs], [torch.tensor(g) for g in gs])
    ember.autograd.backward([e for e, _ in pairs], [ember.tensor(g) for g in gs])
    for e, t in zip(es, ts, strict=True):
        assert (e.grad is None) == (t.grad is None)
        if t.grad is not None:
            close(e.grad, t.grad, **tol)
    if tmod is not None:
        tparams = dict(tmod.named_parameters())
        for name, p in emod.named_parameters():
            tp = tparams[name]
            assert (p.grad is None) == (tp.grad is None), name
            if p.grad is not None:
                close(p.grad, tp.grad, **tol)


def _build(kind, *args, seed=0, **kwargs):
    torch.manual_seed(seed)
    tmod = getattr(torch.nn, kind)(*args, **kwargs)
    emod = getattr(ember.nn, kind)(*args, **kwargs)
    assert repr(emod) == repr(tmod).replace("torch.", "ember.")
    assert list(emod.state_dict()) == list(tmod.state_dict())
    return emod, tmod


def _bool_mask(shape, seed, keep_diag=True):
    m = np.random.default_rng(seed).random(shape) < 0.3
    if keep_diag:  # never mask a whole row
        m[..., 0] = False
    return m


# --- scaled_dot_product_attention --------------------------------------------------------------


SDPA_CASES = [
    ("plain", {}),
    ("bool", {"mask": "bool"}),
    ("float", {"mask": "float"}),
    ("bool_broadcast", {"mask": "bool_bcast"}),
    ("causal", {"is_causal": True}),
    ("causal_rect", {"is_causal": True, "S": 7}),
    ("scale", {"scale": 0.37}),
]


@pytest.mark.parametrize("name,case", SDPA_CASES)
def test_sdpa(name, case):
    B, H, L, E = 2, 3, 5, 4
    S = case.get("S", L)
    arrays = [randn(B, H, L, E, seed=1), randn(B, H, S, E, seed=2), randn(B, H, S, 6, seed=3)]
    mask = case.get("mask")
    if mask == "bool":
        arrays.append(~_bool_mask((B, H, L, S), 4))
    elif mask == "bool_bcast":
        arrays.append(~_bool_mask((L, S), 4))
    elif mask == "float":
        arrays.append(randn(B, 1, L, S, seed=5))
    kw = {k: case[k] for k in ("is_causal", "scale") if k in case}

    def call(lib, _, q, k, v, *m):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, m[0] if m else None, **kw)

    run_both(None, None, call, arrays)


def test_sdpa_gqa_float64_and_3d():
    q, k, v = (
        randn(2, 4, 3, 5, dtype="float64"),
        randn(2, 2, 6, 5, dtype="float64", seed=1),
        randn(2, 2, 6, 5, dtype="float64", seed=2),
    )

    def call(lib, _, q, k, v):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    run_both(None, None, call, [q, k, v], tol=dict(rtol=1e-10, atol=1e-12))

    def call3(lib, _, q, k, v):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v)

    run_both(
        None, None, call3, [q[0, :2], k[0, :, :3], v[0, :, :3]], tol=dict(rtol=1e-10, atol=1e-12)
    )


def test_sdpa_dropout_and_errors():
    q = ember.randn(2, 4, 8)
    out = ember.nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert out.shape == (2, 4, 8)
    with pytest.raises(RuntimeError):
        ember.nn.functional.scaled_dot_product_attention(
            q, q, q, attn_mask=ember.ones(4, 4, dtype=ember.bool), is_causal=True
        )
    tq = torch.randn(2, 4, 8)
    with pytest.raises(RuntimeError):
        torch.nn.functional.scaled_dot_product_attention(
            tq, tq, tq, attn_mask=torch.ones(4, 4, dtype=torch.bool), is_causal=True
        )


def test_sdpa_gradcheck():
    q = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    k = ember.randn(1, 2, 5, 4, dtype=ember.float64, requires_grad=True)
    v = ember.randn(1, 2, 5, 3, dtype=ember.float64, requires_grad=True)
    f = ember.nn.functional.scaled_dot_product_attention
    assert ember.autograd.gradcheck(lambda q, k, v: f(q, k, v, is_causal=True), (q, k, v))
    assert ember.autograd.gradgradcheck(lambda q, k, v: f(q, k, v), (q, k, v))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["plain", "causal", "bool", "float", "heads_view"])
def test_sdpa_fused_node(dtype, case):
    """The fused attention node (one graph node, softmax in place, output in the query's
    memory order) against torch: values and the gradients of q, k and v, including
    non-contiguous head views like multi-head attention's."""
    N, H, L, S, E = 3, 2, 6, 7, 5
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    q, k, v = (randn(N, H, n, E, seed=i, dtype=dtype) * 2 for i, n in enumerate((L, S, S)))
    arrays = [q, k, v]
    kw = {}
    if case == "causal":
        kw["is_causal"] = True
    elif case == "bool":
        arrays.append(~_bool_mask((H, L, S), 7))
    elif case == "float":
        arrays.append(randn(N, 1, L, S, seed=8, dtype=dtype))
    elif case == "heads_view":  # (L, N, H*E) rows seen as (N, H, L, E), as in MHA
        arrays = [a.transpose(2, 0, 1, 3).reshape(a.shape[2], N, H * E) for a in arrays]

    def call(lib, _, q, k, v, *m):
        if case == "heads_view":
            q, k, v = (t.reshape(t.shape[0], N, H, E).permute(1, 2, 0, 3) for t in (q, k, v))
        f = lib.nn.functional.scaled_dot_product_attention
        out = f(q, k, v, m[0] if m else None, **kw)
        if lib is ember:
            assert type(out.grad_fn).__name__ == "ScaledDotProductAttention"
        return out

    run_both(None, None, call, arrays, grad_idx=(0, 1, 2), tol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["high", "far_row", "one_high_row"])
def test_sdpa_fused_softmax_shifts(dtype, case):
    """The fused softmax's shifts against torch: scores far above exp's range (one shift for
    all rows), a row far below the others and one far above them (shifted row by row)."""
    N, H, L, S, E = 2, 3, 6, 7, 5
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    q, k, v = (randn(N, H, n, E, seed=i, dtype=dtype) for i, n in enumerate((L, S, S)))
    bias = randn(N, 1, L, S, seed=9, dtype=dtype)
    if case == "high":
        bias += 100
    elif case == "far_row":
        bias[1, 0, 2] -= 300
    else:
        bias[0, 0, 4] += 200

    def call(lib, _, q, k, v, m):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, m)

    run_both(None, None, call, [q, k, v, bias], grad_idx=(0, 1, 2), tol=tol)


def test_sdpa_fused_large_scores_twice():
    """Scores of 1 MB and more: the backward's temporary is a kept buffer, taken again by the
    second call; both calls match torch."""
    N, H, L, S, E = 2, 4, 128, 256, 16
    q, k, v = (randn(N, H, n, E, seed=i) for i, n in enumerate((L, S, S)))
    for seed in (0, 1):
        q, k, v = q + seed, k - seed, v * (1 + seed)

        def call(lib, _, q, k, v):
            return lib.nn.functional.scaled_dot_product_attention(q, k, v)

        run_both(None, None, call, [q, k, v], seed=seed)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
@pytest.mark.parametrize("dropout", [False, True])
def test_sdpa_fully_masked_rows_give_zeros(dtype, mask_kind, dropout):
    # a query row that may attend to nothing: torch's attention gives zeros, and zero
    # gradients, where a plain softmax gives NaN (fused node, and the unfused path taken
    # with dropout; dropout_p=1e-9 keeps every weight but leaves the fused node)
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 2, s, 4)).astype(dtype) for s in (3, 5, 5))
    keep = np.ones((2, 1, 3, 5), bool)
    keep[0, :, 1] = False
    keep[1, :, 2] = False
    mask = keep if mask_kind == "bool" else np.where(keep, 0.0, -np.inf).astype(dtype)
    g = rng.standard_normal((2, 2, 3, 4)).astype(dtype)
    res = {}
    for lib in (torch, ember):
        lib.manual_seed(0)
        ts = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        y = lib.nn.functional.scaled_dot_product_attention(
            *ts, attn_mask=lib.tensor(mask), dropout_p=1e-9 if dropout else 0.0
        )
        y.backward(lib.tensor(g))
        res[lib.__name__] = [y.detach().numpy()] + [t.grad.numpy() for t in ts]
    assert not np.isnan(res["ember"][0]).any()
    assert (res["ember"][0][0, :, 1] == 0).all() and (res["ember"][1][1, :, 2] == 0).all()
    for e, t in zip(res["ember"], res["torch"], strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


def test_sdpa_fused_gradgradcheck_masked():
    q = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    k = ember.randn(2, 5, 4, dtype=ember.float64, requires_grad=True)
    v = ember.randn(2, 5, 3, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(~_bool_mask((3, 5), 3))
    bias = ember.randn(2, 3, 5, dtype=ember.float64)

    def f(q, k, v):
        a = ember.nn.functional.scaled_dot_product_attention(q, k, v, mask, scale=0.7)
        return a + ember.nn.functional.scaled_dot_product_attention(q, k, v, bias)

    assert ember.autograd.gradcheck(f, (q, k, v))
    assert ember.autograd.gradgradcheck(f, (q, k, v))


# --- MultiheadAttention -------------------------------------------------------------------------

MHA_CONFIGS = [
    {},
    {"batch_first": True},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True},
    {"kdim": 3, "vdim": 5},
]

MASKS = ["none", "kpm_bool", "kpm_float", "attn2d_bool", "attn2d_float", "attn3d", "both"]


def _mha_arrays(cfg, L, S, N, E, mask, seed=0):
    bf = cfg.get("batch_first", False)
    qshape = (N, L, E) if bf else (L, N, E)
    kshape = (N, S, cfg.get("kdim", E)) if bf else (S, N, cfg.get("kdim", E))
    vshape = (N, S, cfg.get("vdim", E)) if bf else (S, N, cfg.get("vdim", E))
    arrays = [
        randn(*qshape, seed=seed),
        randn(*kshape, seed=seed + 1),
        randn(*vshape, seed=seed + 2),
    ]
    kpm = attn = None
    if mask in ("kpm_bool", "both"):
        kpm = _bool_mask((N, S), 7)
    if mask == "kpm_float":
        kpm = np.where(_bool_mask((N, S), 7), -np.inf, 0).astype("float32")
    if mask in ("attn2d_bool", "both"):
        attn = _bool_mask((L, S), 8)
    if mask == "attn2d_float":
        attn = randn(L, S, seed=9)
    if mask == "attn3d":
        attn = _bool_mask((N * 2, L, S), 10)
    return arrays, kpm, attn


@pytest.mark.parametrize("cfg", MHA_CONFIGS)
@pytest.mark.parametrize("mask", MASKS)
def test_mha(cfg, mask):
    E, heads, L, S, N = 8, 2, 4, 6, 3
    emod, tmod = _build("MultiheadAttention", E, heads, **cfg)
    arrays, kpm, attn = _mha_arrays(cfg, L, S, N, E, mask)
    n = len(arrays)
    arrays += [m for m in (kpm, attn) if m is not None]
    need_weights = mask != "attn2d_float"

    def call(lib, mod, q, k, v, *masks):
        it = iter(masks)
        kw = {}
        if kpm is not None:
            kw["key_padding_mask"] = next(it)
        if attn is not None:
            kw["attn_mask"] = next(it)
        return mod(q, k, v, need_weights=need_weights, average_attn_weights=mask != "both", **kw)

    run_both(emod, tmod, call, arrays, grad_idx=range(n))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [False, True])
def test_mha_self_attention_causal(batch_first, need_weights):
    emod, tmod = _build("MultiheadAttention", 8, 4, batch_first=batch_first)
    x = randn(3, 5, 8) if batch_first else randn(5, 3, 8)
    causal = np.triu(np.full((5, 5), -np.inf, "float32"), 1)

    def call(lib, mod, x, m):
        return mod(x, x, x, attn_mask=m, is_causal=True, need_weights=need_weights)

    run_both(emod, tmod, call, [x, causal], grad_idx=[0])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
def test_mha_self_attention_fused(batch_first, dtype, train, monkeypatch):
    """Plain self-attention without weights takes the fused path (heads as views; batch
    first without transposes): output and the gradients of the input and every parameter."""
    from ember.ops.attention import ScaledDotProductAttention

    calls = []
    forward = ScaledDotProductAttention.forward
    monkeypatch.setattr(
        ScaledDotProductAttention,
        "forward",
        staticmethod(lambda *a, **k: calls.append(1) or forward(*a, **k)),
    )
    # dropout is off in eval; in training the fused path needs dropout 0
    emod, tmod = _build(
        "MultiheadAttention", 12, 3, dropout=0.0 if train else 0.25, batch_first=batch_first
    )
    emod.to(getattr(ember, dtype))
    tmod.to(getattr(torch, dtype))
    x = randn(4, 7, 12, dtype=dtype) if batch_first else randn(7, 4, 12, dtype=dtype)
    tol = TOL if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)

    def call(lib, mod, x):
        out, w = mod(x, x, x, need_weights=False)
        assert w is None
        return out

    run_both(emod, tmod, call, [x], train=train, tol=tol)
    assert calls


def test_mha_unbatched_eval_and_errors():
    emod, tmod = _build("MultiheadAttention", 6, 3, dropout=0.2)
    q, k = randn(4, 6), randn(5, 6, seed=1)
    kpm = _bool_mask((5,), 2)

    def call(lib, mod, q, k, kpm):
        return mod(q, k, k, key_padding_mask=kpm)

    run_both(emod, tmod, call, [q, k, kpm], train=False)
    for lib, m in ((torch, tmod), (ember, emod)):
        with pytest.raises(AssertionError):
            m(lib.zeros(4, 2, 6), lib.zeros(5, 6), lib.zeros(5, 6))
        with pytest.raises(RuntimeError):
            m(lib.zeros(4, 2, 6), lib.zeros(5, 2, 6), lib.zeros(5, 2, 6), attn_mask=lib.zeros(3, 3))
        with pytest.raises(AssertionError):
            m(
                lib.zeros(4, 2, 6),
                lib.zeros(5, 2, 6),
                lib.zeros(5, 2, 6),
                attn_mask=lib.zeros(4, 5, dtype=lib.int64),
            )
        with pytest.raises(AssertionError):
            lib.nn.MultiheadAttention(6, 4)
        with pytest.raises(ValueError):
            lib.nn.MultiheadAttention(0, 4)


def test_multi_head_attention_forward_functional():
    torch.manual_seed(1)
    t = torch.nn.MultiheadAttention(8, 2)
    e = ember.nn.MultiheadAttention(8, 2)
    copy_state(e, t)
    q, k = randn(4, 2, 8), randn(5, 2, 8, seed=1)

    def call(lib, mod, q, k):
        m = t if lib is torch else e
        return lib.nn.functional.multi_head_attention_forward(
            q,
            k,
            k,
            8,
            2,
            m.in_proj_weight,
            m.in_proj_bias,
            None,
            None,
            False,
            0.0,
            m.out_proj.weight,
            m.out_proj.bias,
            training=True,
            average_attn_weights=False,
        )

    run_both(None, None, call, [q, k])


def test_mha_dropout_train_is_random():
    m = ember.nn.MultiheadAttention(8, 2, dropout=0.5)
    x = ember.randn(4, 2, 8)
    a, wa = m(x, x, x)
    b, wb = m(x, x, x)
    assert not np.allclose(wa.detach().numpy(), wb.detach().numpy())


# --- transformer layers -------------------------------------------------------------------------


LAYER_CONFIGS = [
    ({}, True),
    ({"norm_first": True}, True),
    ({"activation": "gelu", "batch_first": True}, True),
    ({"norm_first": True, "activation": "gelu", "bias": False}, False),
    ({"layer_norm_eps": 1e-3, "batch_first": True}, False),
]


def _layer_masks(kind, L, N, seed):
    if kind == "none":
        return []
    if kind == "causal":
        return [np.triu(np.full((L, L), -np.inf, "float32"), 1)]
    if kind == "bool":
        return [_bool_mask((L, L), seed), _bool_mask((N, L), seed + 1)]
    return [randn(L, L, seed=seed)]


@pytest.mark.parametrize("cfg,train", LAYER_CONFIGS)
@pytest.mark.parametrize("masks", ["none", "causal", "bool", "float"])
def test_encoder_layer(cfg, train, masks):
    E, L, N = 8, 5, 3
    emod, tmod = _build("TransformerEncoderLayer", E, 2, 16, dropout=0.0, **cfg)
    bf = cfg.get("batch_first", False)
    x = randn(*((N, L, E) if bf else (L, N, E)))
    ms = _layer_masks(masks, L, N, 3)

    def call(lib, mod, x, *ms):
        kw = {}
        if ms:
            kw["src_mask"] = ms[0]
        if len(ms) > 1:
            kw["src_key_padding_mask"] = ms[1]
        return mod(x, is_causal=masks == "causal", **kw)

    run_both(emod, tmod, call, [x] + ms, grad_idx=[0], train=train)


@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal", "bool"])
def test_encoder_stack(norm, masks):
    E, L, N = 8, 5, 2
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(E, 2, 12, dropout=0.0)
    el = ember.nn.TransformerEncoderLayer(E, 2, 12, dropout=0.0)
    tmod = torch.nn.TransformerEncoder(
        tl, 2, torch.nn.LayerNorm(E) if norm else None, enable_nested_tensor=False
    )
    emod = ember.nn.TransformerEncoder(
        el, 2, ember.nn.LayerNorm(E) if norm else None, enable_nested_tensor=False
    )
    assert repr(emod) == repr(tmod).replace("torch.", "ember.")
    ms = _layer_masks(masks, L, N, 5)

    def call(lib, mod, x, *ms):
        kw = {}
        if ms:
            kw["mask"] = ms[0]
        if len(ms) > 1:
            kw["src_key_padding_mask"] = ms[1]
        return mod(x, **kw)

    run_both(emod, tmod, call, [randn(L, N, E)] + ms, grad_idx=[0])


@pytest.mark.parametrize("cfg,train", LAYER_CONFIGS)
@pytest.mark.parametrize("masks", ["none", "causal", "all"])
def test_decoder_layer(cfg, train, masks):
    E, T, S, N = 8, 4, 6, 2
    emod, tmod = _build("TransformerDecoderLayer", E, 2, 16, dropout=0.0, **cfg)
    bf = cfg.get("batch_first", False)
    tgt = randn(*((N, T, E) if bf else (T, N, E)))
    mem = randn(*((N, S, E) if bf else (S, N, E)), seed=1)
    extra = []
    if masks in ("causal", "all"):
        extra.append(np.triu(np.full((T, T), -np.inf, "float32"), 1))
    if masks == "all":
        extra += [_bool_mask((T, S), 2), _bool_mask((N, T), 3), _bool_mask((N, S), 4)]

    def call(lib, mod, tgt, mem, *ms):
        kw = {}
        names = ["tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask"]
        for name, m in zip(names, ms, strict=False):
            kw[name] = m
        return mod(tgt, mem, tgt_is_causal=masks == "causal", **kw)

    run_both(emod, tmod, call, [tgt, mem] + extra, grad_idx=[0, 1], train=train)


@pytest.mark.parametrize(
    "cfg", [{}, {"norm_first": True, "batch_first": True, "activation": "gelu"}]
)
def test_transformer(cfg):
    E = 8
    emod, tmod = _build("Transformer", E, 2, 2, 2, 16, dropout=0.0, **cfg)
    bf = cfg.get("batch_first", False)
    src = randn(*((2, 6, E) if bf else (6, 2, E)))
    tgt = randn(*((2, 4, E) if bf else (4, 2, E)), seed=1)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(
        ember.nn.Transformer.generate_square_subsequent_mask(4).numpy(), tmask
    )
    kpm = _bool_mask((2, 6), 3)

    def call(lib, mod, src, tgt, tmask, kpm):
        return mod(src, tgt, tgt_mask=tmask, src_key_padding_mask=kpm, memory_key_padding_mask=kpm)

    run_both(
        emod, tmod, call, [src, tgt, tmask, kpm], grad_idx=[0, 1], tol=dict(rtol=2e-4, atol=2e-5)
    )
    for lib, m in ((torch, tmod), (ember, emod)):
        with pytest.raises(RuntimeError):
            m(
                lib.zeros(6, 3, E) if not bf else lib.zeros(3, 6, E),
                lib.zeros(4, 2, E) if not bf else lib.zeros(2, 4, E),
            )


def test_activation_callable_and_repr():
    for act in ("relu", "gelu"):
        _build("TransformerEncoderLayer", 8, 2, 16, activation=act)
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=torch.nn.GELU())
    e = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=ember.nn.GELU())
    assert repr(e) == repr(t).replace("torch.", "ember.")
    run_both(e, t, lambda lib, m, x: m(x), [randn(3, 2, 8)])
    e2 = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=ember.tanh)
    t2 = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=torch.tanh)
    run_both(e2, t2, lambda lib, m, x: m(x), [randn(3, 2, 8)])
    with pytest.raises(RuntimeError):
        ember.nn.TransformerEncoderLayer(8, 2, activation="swish")


def test_initialisation_statistics():
    m = ember.nn.Transformer(16, 2, 1, 1, 32)
    w = m.encoder.layers[0].self_attn.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 48))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert (m.encoder.layers[0].self_attn.in_proj_bias.detach().numpy() == 0).all()
