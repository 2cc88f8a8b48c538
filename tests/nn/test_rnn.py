"""Recurrent layers, cells and packed sequences against torch: outputs, final states and the
gradients of inputs, initial states and every parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import ember
from ember.nn.utils import rnn as ernn
from tests.nn._compare import close, copy_state, randn

TOL = dict(rtol=2e-5, atol=2e-6)


def _pair(arr):
    e = ember.tensor(arr).requires_grad_(True)
    t = torch.tensor(arr).requires_grad_(True)
    return e, t


def _flat(out):
    """The tensors of an RNN's result (PackedSequence data included)."""
    if isinstance(out, (tuple, list)) or type(out).__name__ == "PackedSequence":
        if type(out).__name__ == "PackedSequence":
            return [out.data]
        res = []
        for o in out:
            res += _flat(o)
        return res
    return [out]


def _backward_and_compare(eouts, touts, leaves, emod, tmod, seed=1, tol=TOL):
    for e, t in zip(eouts, touts, strict=True):
        close(e, t, **tol)
    rng = np.random.default_rng(seed)
    gs = [rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype) for t in touts]
    torch.autograd.backward(touts, [torch.tensor(g) for g in gs])
    ember.autograd.backward(eouts, [ember.tensor(g) for g in gs])
    for e, t in leaves:
        close(e.grad, t.grad, **tol)
    if emod is not None:
        tparams = dict(tmod.named_parameters())
        for name, p in emod.named_parameters():
            close(p.grad, tparams[name].grad, **tol)


def _build(kind, *args, seed=0, **kwargs):
    torch.manual_seed(seed)
    dtype = kwargs.pop("dtype", "float32")
    tmod = getattr(torch.nn, kind)(*args, dtype=getattr(torch, dtype), **kwargs)
    emod = getattr(ember.nn, kind)(*args, dtype=getattr(ember, dtype), **kwargs)
    copy_state(emod, tmod)
    return emod, tmod


CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3, "batch_first": True}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True}),
    ("LSTM", {"bias": False}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "batch_first": True}),
    ("GRU", {"bidirectional": True, "bias": False}),
]


def _states(kind, kwargs, batch, seed):
    d = 2 if kwargs.get("bidirectional") else 1
    n = d * kwargs.get("num_layers", 1)
    hout = kwargs.get("proj_size") or 6
    h = randn(n, batch, hout, seed=seed)
    if kind == "LSTM":
        return h, randn(n, batch, 6, seed=seed + 1)
    return (h,)


@pytest.mark.parametrize("kind,kwargs", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_padded(kind, kwargs, with_state):
    emod, tmod = _build(kind, 5, 6, **kwargs)
    T, B = 4, 3
    shape = (B, T, 5) if kwargs.get("batch_first") else (T, B, 5)
    ex, tx = _pair(randn(*shape, seed=2))
    leaves = [(ex, tx)]
    if with_state:
        st = [_pair(a) for a in _states(kind, kwargs, B, 3)]
        leaves += st
        ehx = tuple(e for e, _ in st) if kind == "LSTM" else st[0][0]
        thx = tuple(t for _, t in st) if kind == "LSTM" else st[0][1]
        eo, to = emod(ex, ehx), tmod(tx, thx)
    else:
        eo, to = emod(ex), tmod(tx)
    _backward_and_compare(_flat(eo), _flat(to), leaves, emod, tmod)


@pytest.mark.parametrize("kind,kwargs", CONFIGS[::2])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed(kind, kwargs, enforce_sorted):
    emod, tmod = _build(kind, 5, 6, **kwargs)
    lengths = [5, 3, 3, 1] if enforce_sorted else [2, 5, 1, 4]
    bf = kwargs.get("batch_first", False)
    shape = (4, 5, 5) if bf else (5, 4, 5)
    ex, tx = _pair(randn(*shape, seed=4))
    st = [_pair(a) for a in _states(kind, kwargs, 4, 5)]
    ehx = tuple(e for e, _ in st) if kind == "LSTM" else st[0][0]
    thx = tuple(t for _, t in st) if kind == "LSTM" else st[0][1]
    ep = ernn.pack_padded_sequence(ex, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first=bf, enforce_sorted=enforce_sorted)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    eo, eh = emod(ep, ehx)
    to, th = tmod(tp, thx)
    epad, elens = ernn.pad_packed_sequence(eo, batch_first=bf)
    tpad, tlens = trnn.pad_packed_sequence(to, batch_first=bf)
    assert elens.tolist() == tlens.tolist() and elens.dtype == ember.int64
    _backward_and_compare([epad] + _flat(eh), [tpad] + _flat(th), [(ex, tx)] + st, emod, tmod)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_eval_dropout(kind):
    emod, tmod = _build(kind, 5, 6, num_layers=2, dropout=0.3)
    emod.eval()
    tmod.eval()
    ex, tx = _pair(randn(4, 5, seed=6))
    st = [_pair(a[:, 0]) for a in _states(kind, {"num_layers": 2}, 1, 7)]
    ehx = tuple(e for e, _ in st) if kind == "LSTM" else st[0][0]
    thx = tuple(t for _, t in st) if kind == "LSTM" else st[0][1]
    eo, to = emod(ex, ehx), tmod(tx, thx)
    _backward_and_compare(_flat(eo), _flat(to), [(ex, tx)] + st, emod, tmod)


def test_dropout_train_changes_output_and_is_deterministic_when_zero():
    m = ember.nn.LSTM(4, 8, num_layers=2, dropout=0.5)
    x = ember.randn(6, 2, 4)
    m.train()
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_float64_and_no_grad():
    emod, tmod = _build("GRU", 3, 4, num_layers=2, bidirectional=True, dtype="float64")
    x = randn(5, 2, 3, dtype="float64", seed=8)
    with ember.no_grad():
        eo, eh = emod(ember.tensor(x))
    with torch.no_grad():
        to, th = tmod(torch.tensor(x))
    assert eo.grad_fn is None and not eo.requires_grad
    close(eo, to)
    close(eh, th)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_gradcheck_float64(kind):
    kw = {"proj_size": 2} if kind == "LSTM" else {}
    m = getattr(ember.nn, kind)(3, 4, bidirectional=True, dtype=ember.float64, **kw)
    x = ember.randn(3, 2, 3, dtype=ember.float64, requires_grad=True)

    def fn_params(x, w_ih, w_hh):
        return _run_layer(kind, x, w_ih, w_hh, kw)

    assert ember.autograd.gradcheck(lambda x: m(x)[0], (x,))
    w_ih = ember.randn(*m.weight_ih_l0.shape, dtype=ember.float64, requires_grad=True)
    w_hh = ember.randn(*m.weight_hh_l0.shape, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(fn_params, (x, w_ih, w_hh))


def _run_layer(kind, x, w_ih, w_hh, kw):
    from ember.ops.rnn import rnn_layer

    mode = {"RNN": "RNN_TANH"}.get(kind, kind)
    hout = w_hh.shape[1]
    steps = [(t * x.shape[1], x.shape[1]) for t in range(x.shape[0])][::-1]
    h0 = ember.zeros(x.shape[1], hout, dtype=x.dtype)
    hs = w_hh.shape[0] // {"LSTM": 4, "GRU": 3}.get(kind, 1)
    c0 = ember.full((x.shape[1], hs), 0.3, dtype=x.dtype) if kind == "LSTM" else None
    w_hr = None
    if kw.get("proj_size"):
        w_hr = ember.full((hout, hs), 0.2, dtype=x.dtype)
    flat = x.reshape(-1, x.shape[2])
    y, h, c = rnn_layer(mode, flat, h0, c0, w_ih, w_hh, None, None, w_hr, steps)
    return (y, h) if c is None else (y, h, c)


def test_create_graph_raises():
    m = ember.nn.LSTM(3, 4)
    x = ember.randn(2, 1, 3, requires_grad=True)
    out, _ = m(x)
    with pytest.raises(RuntimeError, match="double backward"):
        ember.autograd.grad(out.sum(), x, create_graph=True)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(kind, batched):
    kwargs = {"nonlinearity": "relu"} if kind == "RNNCell" and batched else {}
    emod, tmod = _build(kind, 5, 6, **kwargs)
    xs = (3, 5) if batched else (5,)
    hs = (3, 6) if batched else (6,)
    ex, tx = _pair(randn(*xs, seed=9))
    st = [_pair(randn(*hs, seed=10))]
    if kind == "LSTMCell":
        st.append(_pair(randn(*hs, seed=11)))
        eo = emod(ex, (st[0][0], st[1][0]))
        to = tmod(tx, (st[0][1], st[1][1]))
    else:
        eo, to = emod(ex, st[0][0]), tmod(tx, st[0][1])
    _backward_and_compare(_flat(eo), _flat(to), [(ex, tx)] + st, emod, tmod)
    # no state: zeros
    close(_flat(emod(ex))[0], _flat(tmod(tx))[0], **TOL)
    assert repr(emod) == repr(tmod).replace("torch.", "ember.")


def test_cell_double_backward():
    m = ember.nn.GRUCell(3, 4, dtype=ember.float64)
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    h = ember.randn(2, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x, h: m(x, h), (x, h))


@pytest.mark.parametrize(
    "kind,args,kwargs",
    [
        ("LSTM", (10, 20), {"num_layers": 2, "batch_first": True, "bidirectional": True}),
        ("LSTM", (10, 20), {"proj_size": 5, "bias": False, "dropout": 0.2, "num_layers": 2}),
        ("GRU", (3, 4), {}),
        ("RNN", (3, 4), {"nonlinearity": "relu"}),
        ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
        ("LSTMCell", (3, 4), {}),
    ],
)
def test_params_and_repr(kind, args, kwargs):
    torch.manual_seed(0)
    t = getattr(torch.nn, kind)(*args, **kwargs)
    e = getattr(ember.nn, kind)(*args, **kwargs)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    tsd, esd = t.state_dict(), e.state_dict()
    assert list(tsd) == list(esd)
    for k in tsd:
        assert tuple(tsd[k].shape) == tuple(esd[k].shape)
        bound = 1 / np.sqrt(args[1])
        assert np.abs(esd[k].numpy()).max() <= bound
    if hasattr(t, "all_weights"):
        assert [[tuple(p.shape) for p in ws] for ws in e.all_weights] == [
            [tuple(p.shape) for p in ws] for ws in t.all_weights
        ]


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.LSTM(3, 4, proj_size=4),
        lambda nn: nn.LSTM(3, 4, dropout=1.5),
        lambda nn: nn.GRU(3, 4, proj_size=2),
        lambda nn: nn.RNN(3, 4, nonlinearity="gelu"),
        lambda nn: nn.RNN(3, 0),
        lambda nn: nn.RNN(3, 4, num_layers=0),
        lambda nn: nn.RNN(3, 4, bias=1),
        lambda nn: nn.RNN(3.0, 4),
    ],
)
def test_constructor_errors(make):
    with pytest.raises(Exception) as te:
        make(torch.nn)
    with pytest.raises(type(te.value)):
        make(ember.nn)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, m: m(lib.zeros(2, 3, 5)),  # wrong input size
        lambda lib, m: m(lib.zeros(2, 3, 3, 1)),  # 4-D
        lambda lib, m: m(lib.zeros(2, 3, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 3, 4))),
        lambda lib, m: m(lib.zeros(2, 3, 3), (lib.zeros(1, 3, 4), lib.zeros(2, 3, 4))),
        lambda lib, m: m(lib.zeros(2, 3, 3, dtype=lib.float64)),
        lambda lib, m: m(lib.zeros(2, 3), (lib.zeros(1, 1, 4), lib.zeros(1, 1, 4))),
    ],
)
def test_forward_errors(call):
    tm, em = torch.nn.LSTM(3, 4), ember.nn.LSTM(3, 4)
    with pytest.raises(Exception) as te:
        call(torch, tm)
    with pytest.raises(type(te.value)) as ee:
        call(ember, em)
    assert str(ee.value) == str(te.value).replace("torch.", "ember.")


# --- nn.utils.rnn ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    arrs = [randn(n, 2, seed=n) for n in (3, 5, 1)]
    es = [_pair(a) for a in arrs]
    eo = ernn.pad_sequence([e for e, _ in es], batch_first, -1.0, padding_side)
    to = trnn.pad_sequence([t for _, t in es], batch_first, -1.0, padding_side)
    _backward_and_compare([eo], [to], es, None, None)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_roundtrip(enforce_sorted):
    lens = (5, 3, 2) if enforce_sorted else (2, 5, 3)
    arrs = [randn(n, 3, seed=n) for n in lens]
    es = [_pair(a) for a in arrs]
    ep = ernn.pack_sequence([e for e, _ in es], enforce_sorted=enforce_sorted)
    tp = trnn.pack_sequence([t for _, t in es], enforce_sorted=enforce_sorted)
    close(ep.data, tp.data)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.batch_sizes.dtype == ember.int64
    for a, b in (
        (ep.sorted_indices, tp.sorted_indices),
        (ep.unsorted_indices, tp.unsorted_indices),
    ):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist()
    eu = ernn.unpack_sequence(ep)
    tu = trnn.unpack_sequence(tp)
    for e, t in zip(eu, tu, strict=True):
        close(e, t)
    epad, elen = ernn.pad_packed_sequence(ep, True, 9.0, total_length=7)
    tpad, tlen = trnn.pad_packed_sequence(tp, True, 9.0, total_length=7)
    assert elen.tolist() == tlen.tolist()
    _backward_and_compare([epad, eu[1]], [tpad, tu[1]], es, None, None)
    eun = ernn.unpad_sequence(epad, elen, batch_first=True)
    tun = trnn.unpad_sequence(tpad, tlen, batch_first=True)
    for e, t in zip(eun, tun, strict=True):
        close(e, t)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, u: u.pack_padded_sequence(lib.zeros(3, 2), [1, 3]),
        lambda lib, u: u.pack_padded_sequence(lib.zeros(3, 2), [3, 0]),
        lambda lib, u: u.pack_padded_sequence(lib.zeros(3, 2), [3, 2, 1]),
        lambda lib, u: u.pad_packed_sequence(u.pack_sequence([lib.zeros(3)]), total_length=2),
    ],
)
def test_utils_errors(call):
    with pytest.raises(Exception) as te:
        call(torch, trnn)
    with pytest.raises(type(te.value)):
        call(ember, ernn)


def test_language_model_packed_lstm_lengths_tensor():
    lengths = torch.tensor([3, 1, 2])
    x = randn(3, 3, 4, seed=12)
    emod, tmod = _build("LSTM", 4, 5, batch_first=True)
    ex, tx = _pair(x)
    eo, _ = emod(ernn.pack_padded_sequence(ex, ember.tensor(lengths.numpy()), True, False))
    to, _ = tmod(trnn.pack_padded_sequence(tx, lengths, True, False))
    close(ernn.pad_packed_sequence(eo, True)[0], trnn.pad_packed_sequence(to, True)[0], **TOL)
