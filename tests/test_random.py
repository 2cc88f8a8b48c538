"""Randomness: generators and global state, the sampling factories' metadata against torch,
statistics of large fixed-seed samples, and errors against torch.

ember's streams are not PyTorch's bit for bit, so values are compared with themselves
(reproducibility) and with the distributions they should follow, never with torch's.
"""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
from tests._harness import oracle

DEFAULT_SEED = 67280421310721


def _np(t) -> np.ndarray:
    return t.detach().float().numpy() if t.dtype in (ember.float16, ember.bfloat16) else t.numpy()


# -- generators and global state ------------------------------------------------------------

DRAWS = {
    "rand": lambda g: ember.rand(5, generator=g),
    "randn": lambda g: ember.randn(2, 3, generator=g, dtype=ember.float64),
    "randint": lambda g: ember.randint(-5, 5, (6,), generator=g),
    "randperm": lambda g: ember.randperm(8, generator=g),
    "normal": lambda g: ember.normal(ember.zeros(4), 2.0, generator=g),
    "bernoulli": lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    "multinomial": lambda g: ember.multinomial(ember.ones(2, 6), 3, generator=g),
    "multinomial_repl": lambda g: ember.multinomial(ember.ones(6), 9, True, generator=g),
    "poisson": lambda g: ember.poisson(ember.full((5,), 3.0), generator=g),
    "uniform_": lambda g: ember.empty(5).uniform_(-2, 2, generator=g),
    "random_": lambda g: ember.empty(5, dtype=ember.int32).random_(generator=g),
    "exponential_": lambda g: ember.empty(5).exponential_(generator=g),
    "cauchy_": lambda g: ember.empty(5).cauchy_(generator=g),
    "geometric_": lambda g: ember.empty(5).geometric_(0.3, generator=g),
    "rand_like": lambda g: ember.rand_like(ember.zeros(3), generator=g),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_same_seed_same_stream_different_seed_different(name):
    draw = DRAWS[name]
    ember.manual_seed(123)
    a = [draw(None).tolist() for _ in range(3)]
    ember.manual_seed(123)
    assert [draw(None).tolist() for _ in range(3)] == a
    assert a[0] != a[1]  # the stream moves on
    ember.manual_seed(124)
    assert draw(None).tolist() != a[0]
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert draw(g1).tolist() == draw(g2).tolist()
    assert draw(ember.Generator().manual_seed(8)).tolist() != draw(g1.manual_seed(7)).tolist()


def test_generator_objects_are_independent_of_the_global_one():
    ember.manual_seed(5)
    expected = ember.rand(6).tolist()
    ember.manual_seed(5)
    g = ember.Generator().manual_seed(5)
    ember.rand(100, generator=g)
    assert ember.rand(6).tolist() == expected  # drawing from g left the global stream alone
    assert ember.rand(6, generator=ember.Generator().manual_seed(5)).tolist() == expected


def test_new_generators_and_a_fresh_process_start_from_the_default_seed():
    g = ember.Generator()
    assert g.initial_seed() == DEFAULT_SEED == torch.Generator().initial_seed()
    assert g.device == ember.device("cpu")
    first = ember.rand(4, generator=ember.Generator()).tolist()
    assert ember.rand(4, generator=g).tolist() == first
    code = "import ember; print(ember.initial_seed()); print(ember.rand(4).tolist())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == [str(DEFAULT_SEED), str(first)]


@pytest.mark.parametrize("seed", [0, 1, 2**63 - 1, 2**64 - 1, -1, -(2**63), True, 3.9])
def test_manual_seed_accepts_what_torch_accepts(seed):
    assert isinstance(ember.manual_seed(seed), ember.Generator)
    assert ember.manual_seed(seed) is ember.default_generator is ember.random.default_generator
    assert ember.initial_seed() == torch.manual_seed(seed).initial_seed()
    if not isinstance(seed, bool | float):
        g = ember.Generator()
        assert g.manual_seed(seed) is g
        assert g.initial_seed() == torch.Generator().manual_seed(seed).initial_seed()


def test_seed_draws_a_fresh_seed_and_uses_it():
    s = ember.seed()
    assert 0 <= s < 2**64 and ember.initial_seed() == s
    g = ember.Generator()
    s2 = g.seed()
    assert g.initial_seed() == s2
    same = ember.Generator().manual_seed(s2)
    assert ember.rand(4, generator=g).tolist() == ember.rand(4, generator=same).tolist()


def test_state_round_trips_and_is_a_copy():
    ember.manual_seed(11)
    state = ember.get_rng_state()
    assert state.dtype is ember.uint8 and state.dim() == 1 and state.device == ember.device("cpu")
    a = ember.randn(5).tolist()
    state_after = ember.get_rng_state()
    assert state.tolist() != state_after.tolist()
    ember.manual_seed(99)
    ember.set_rng_state(state)
    assert ember.randn(5).tolist() == a and ember.initial_seed() == 11
    g = ember.Generator().manual_seed(3)
    ember.rand(1, generator=g)  # leave a cached half-draw state in the middle of the stream
    saved = g.get_state()
    saved_copy = saved.clone()
    b = ember.randint(0, 1000, (9,), generator=g).tolist()
    saved.zero_()  # get_state gave a copy: writing it changes nothing in g
    g.manual_seed(4)
    assert g.set_state(saved_copy) is g
    assert ember.randint(0, 1000, (9,), generator=g).tolist() == b and g.initial_seed() == 3
    other = ember.Generator().set_state(saved_copy)
    assert ember.randint(0, 1000, (9,), generator=other).tolist() == b


def test_fork_rng_restores_the_global_state():
    ember.manual_seed(21)
    expected = ember.rand(3).tolist()
    ember.manual_seed(21)
    with ember.random.fork_rng():
        ember.rand(50)
        ember.manual_seed(1)
    assert ember.rand(3).tolist() == expected and ember.initial_seed() == 21
    ember.manual_seed(21)
    with ember.random.fork_rng(enabled=False):
        ember.rand(50)
    assert ember.rand(3).tolist() != expected
    ember.manual_seed(21)
    with pytest.raises(KeyError), ember.random.fork_rng(devices=[]):
        ember.rand(50)
        raise KeyError("leaves the block")
    assert ember.rand(3).tolist() == expected


def test_module_exports():
    for name in (
        "Generator",
        "manual_seed",
        "seed",
        "initial_seed",
        "get_rng_state",
        "set_rng_state",
        "fork_rng",
        "default_generator",
    ):
        assert hasattr(ember.random, name), name
    for name in (
        "Generator",
        "manual_seed",
        "seed",
        "initial_seed",
        "get_rng_state",
        "set_rng_state",
        "rand",
        "randn",
        "randint",
        "randperm",
        "normal",
        "bernoulli",
        "multinomial",
        "poisson",
        "rand_like",
        "randn_like",
        "randint_like",
    ):
        assert hasattr(ember, name) and hasattr(torch, name), name
    for name in (
        "uniform_",
        "normal_",
        "random_",
        "bernoulli_",
        "exponential_",
        "geometric_",
        "cauchy_",
        "log_normal_",
        "bernoulli",
        "multinomial",
    ):
        assert hasattr(ember.Tensor, name) and hasattr(torch.Tensor, name), name


# -- metadata of every factory against torch ------------------------------------------------

FLOATS = ["float16", "bfloat16", "float32", "float64"]
SIZES = [(), (0,), (5,), (2, 3), (1, 0, 4)]


def _meta_cases():
    cases = []
    for size in SIZES:
        for dt in [None, *FLOATS, "complex64", "complex128"]:
            kw = {} if dt is None else {"dtype": dt}
            cases.append(
                (f"rand{size}{dt}", lambda L, s=size, kw=kw: L.rand(*(s or [s]), **_dt(L, kw)))
            )
            cases.append((f"randn{size}{dt}", lambda L, s=size, kw=kw: L.randn(s, **_dt(L, kw))))
        cases.append((f"rand-size-kw{size}", lambda L, s=size: L.rand(size=s, requires_grad=True)))
        cases.append((f"randn-Size{size}", lambda L, s=size: L.randn(L.Size(s))))
        for dt in [None, "int8", "int16", "int32", "int64", "uint8", *FLOATS]:
            kw = {} if dt is None else {"dtype": dt}
            cases.append(
                (f"randint{size}{dt}", lambda L, s=size, kw=kw: L.randint(3, 10, s, **_dt(L, kw)))
            )
        cases.append((f"randint-high{size}", lambda L, s=size: L.randint(7, s)))
        cases.append((f"randint-bool{size}", lambda L, s=size: L.randint(0, 2, s, dtype=L.bool)))
        cases.append((f"randint-kw{size}", lambda L, s=size: L.randint(high=4, size=s)))
        cases.append(
            (
                f"normal-size{size}",
                lambda L, s=size: L.normal(1.0, 2.0, s, dtype=L.float64, requires_grad=True),
            )
        )
        cases.append((f"normal-size-int-args{size}", lambda L, s=size: L.normal(0, 1, size=s)))
    for n in (0, 1, 5):
        for dt in [None, "int32", "uint8", "int16", *FLOATS]:
            kw = {} if dt is None else {"dtype": dt}
            cases.append((f"randperm{n}{dt}", lambda L, n=n, kw=kw: L.randperm(n, **_dt(L, kw))))
    cases.append(("randperm-grad", lambda L: L.randperm(4, dtype=L.float32, requires_grad=True)))
    cases.append(
        ("randint-grad", lambda L: L.randint(4, (3,), dtype=L.float32, requires_grad=True))
    )
    for dt in FLOATS:
        for shape in [(), (0,), (3,), (2, 3)]:
            m = lambda L, s=shape, d=dt: L.zeros(s, dtype=getattr(L, d))  # noqa: E731
            cases.append((f"normal-mean{dt}{shape}", lambda L, m=m: L.normal(m(L))))
            cases.append((f"normal-std{dt}{shape}", lambda L, m=m: L.normal(0.5, m(L) + 1)))
            cases.append((f"normal-both{dt}{shape}", lambda L, m=m: L.normal(m(L), m(L) + 1)))
            cases.append((f"bernoulli{dt}{shape}", lambda L, m=m: L.bernoulli(m(L) + 0.5)))
            cases.append((f"bernoulli-p{dt}{shape}", lambda L, m=m: L.bernoulli(m(L), 0.3)))
            cases.append((f"poisson{dt}{shape}", lambda L, m=m: L.poisson(m(L) + 2)))
            cases.append((f"rand_like{dt}{shape}", lambda L, m=m: L.rand_like(m(L))))
            cases.append((f"randn_like{dt}{shape}", lambda L, m=m: L.randn_like(m(L))))
            cases.append((f"randint_like{dt}{shape}", lambda L, m=m: L.randint_like(m(L), 2, 9)))
    cases += [
        ("normal-broadcast", lambda L: L.normal(L.zeros(2, 1), L.ones(3))),
        ("normal-mixed-f64-f32", lambda L: L.normal(L.zeros(3, dtype=L.float64), L.ones(3))),
        ("normal-mixed-f32-f64", lambda L: L.normal(L.zeros(3), L.ones(3, dtype=L.float64))),
        ("normal-mixed-f16-f32", lambda L: L.normal(L.zeros(3, dtype=L.float16), L.ones(3))),
        ("normal-complex", lambda L: L.normal(L.zeros(3, dtype=L.complex64), 2.0)),
        ("normal-grad", lambda L: L.normal(L.zeros(3, requires_grad=True), L.ones(3))),
        ("normal-grad-std", lambda L: L.normal(0.0, L.ones(3, requires_grad=True))),
        ("bernoulli-int-p", lambda L: L.bernoulli(L.ones(4, dtype=L.int64), 0.5)),
        ("bernoulli-grad", lambda L: L.bernoulli(L.full((3,), 0.5, requires_grad=True))),
        ("bernoulli-method", lambda L: L.full((2, 2), 0.5).bernoulli()),
        ("poisson-grad", lambda L: L.poisson(L.ones(3, requires_grad=True))),
        ("multinomial-1d", lambda L: L.multinomial(L.tensor([1.0, 2.0, 0.0]), 2)),
        ("multinomial-1d-repl", lambda L: L.multinomial(L.tensor([1.0, 2.0, 0.0]), 7, True)),
        ("multinomial-2d", lambda L: L.multinomial(L.ones(4, 5, dtype=L.float64), 5)),
        ("multinomial-2d-repl", lambda L: L.multinomial(L.ones(4, 5, dtype=L.float16), 1, True)),
        ("multinomial-0-rows", lambda L: L.multinomial(L.ones(0, 3), 2)),
        ("multinomial-method", lambda L: L.ones(3, 4).multinomial(2, replacement=True)),
        (
            "rand_like-int-to-float",
            lambda L: L.rand_like(L.zeros(3, dtype=L.int64), dtype=L.float64),
        ),
        ("rand_like-grad", lambda L: L.rand_like(L.zeros(3), requires_grad=True)),
        ("rand_like-of-grad", lambda L: L.rand_like(L.zeros(3, requires_grad=True))),
        ("randn_like-transposed", lambda L: L.randn_like(L.zeros(4, 3).t())),
        ("randint_like-int32", lambda L: L.randint_like(L.zeros(3, dtype=L.int32), 5)),
        ("randint_like-dtype", lambda L: L.randint_like(L.zeros(2, 2), high=5, dtype=L.int64)),
        ("generator-kw", lambda L: L.rand(2, 2, generator=L.Generator(), device="cpu")),
    ]
    return cases


def _dt(lib, kw: dict) -> dict:
    return {k: getattr(lib, v) for k, v in kw.items()}


META_CASES = _meta_cases()


@pytest.mark.parametrize("fn", [c[1] for c in META_CASES], ids=[c[0] for c in META_CASES])
def test_factory_metadata_matches_torch(fn):
    ours, theirs = fn(ember), fn(torch)
    assert str(ours.dtype).replace("ember.", "") == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    assert str(ours.device) == str(theirs.device)
    assert ours.requires_grad == theirs.requires_grad
    assert (ours.grad_fn is None) == (theirs.grad_fn is None)


INPLACE = [
    "uniform_",
    "normal_",
    "random_",
    "bernoulli_",
    "exponential_",
    "cauchy_",
    "log_normal_",
    "geometric_",
]
ARGS = {"geometric_": (0.5,)}


@pytest.mark.parametrize("dtype", [*FLOATS, "int8", "uint8", "int32", "int64", "bool"])
@pytest.mark.parametrize("method", INPLACE)
def test_inplace_methods_return_self_keep_dtype_or_fail_like_torch(method, dtype):
    def fn(lib):
        t = lib.zeros(2, 3, dtype=getattr(lib, dtype))
        out = getattr(t, method)(*ARGS.get(method, ()))
        assert out is t
        return out.dtype

    torch_error = None
    try:
        expected = fn(torch)
    except Exception as exc:
        torch_error = exc
    if torch_error is not None:
        with pytest.raises(oracle._builtin_kind(type(torch_error))):
            fn(ember)
    else:
        assert str(fn(ember)).replace("ember.", "") == str(expected).replace("torch.", "")


# -- in place, views and autograd -----------------------------------------------------------


def test_inplace_fill_writes_through_views_and_bumps_the_version():
    ember.manual_seed(0)
    base = ember.zeros(4, 6)
    view = base.narrow(1, 2, 3)  # columns 2..4: not contiguous
    before = base._version
    view.uniform_(1, 2)
    arr = base.numpy()
    inside, outside = arr[:, 2:5], arr[:, [0, 1, 5]]
    assert (outside == 0).all() and ((inside >= 1) & (inside < 2)).all()
    assert base._version > before
    view.t().normal_(5, 0.1)
    assert abs(arr[:, 2:5].mean() - 5) < 0.2 and (arr[:, [0, 1, 5]] == 0).all()


def test_random_ops_have_zero_gradients_like_torch():
    for lib in (ember, torch):
        mean = lib.zeros(3, requires_grad=True)
        std = lib.ones(3, requires_grad=True)
        (lib.normal(mean, std) * lib.arange(3.0)).sum().backward()
        assert mean.grad.tolist() == [0.0, 0.0, 0.0] and std.grad.tolist() == [0.0, 0.0, 0.0]
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        y.normal_()
        assert y.grad_fn is not None and y.requires_grad
        (y * 3).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
        leaf = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.uniform_()
        with lib.no_grad():
            leaf.uniform_(2, 3)
        assert leaf.requires_grad and leaf.grad_fn is None and min(leaf.tolist()) >= 2


# -- statistics on large fixed-seed samples --------------------------------------------------

N = 200_000


@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_and_randn_statistics(dtype):
    g = ember.Generator().manual_seed(1)
    dt = getattr(ember, dtype)
    u = _np(ember.rand(N, dtype=dt, generator=g))
    assert u.min() >= 0 and u.max() < 1  # narrow dtypes must not round up to 1
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.std() - math.sqrt(1 / 12)) < 0.005
    z = _np(ember.randn(N, dtype=dt, generator=g))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    x = _np(ember.normal(3.0, 2.0, (N,), dtype=dt, generator=g))
    assert abs(x.mean() - 3) < 0.03 and abs(x.std() - 2) < 0.03


def test_complex_draws_have_independent_parts():
    g = ember.Generator().manual_seed(2)
    z = ember.randn(N, dtype=ember.complex64, generator=g).numpy()
    assert abs(z.real.std() - math.sqrt(0.5)) < 0.01 and abs(z.imag.std() - math.sqrt(0.5)) < 0.01
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 0.01
    u = ember.rand(N, dtype=ember.complex128, generator=g).numpy()
    assert abs(u.real.mean() - 0.5) < 0.005 and abs(u.imag.mean() - 0.5) < 0.005
    w = ember.empty(N, dtype=ember.complex64).normal_(3, 2, generator=g).numpy()
    assert abs(w.real.mean() - 3) < 0.02 and abs(w.imag.std() - 2 * math.sqrt(0.5)) < 0.02


def test_normal_with_tensor_parameters_follows_each_element():
    g = ember.Generator().manual_seed(3)
    means = ember.tensor([[-5.0], [0.0], [5.0]])
    stds = ember.tensor([[0.5], [1.0], [3.0]]).expand(3, N // 3)
    x = ember.normal(means, stds, generator=g).numpy()
    assert x.shape == (3, N // 3)
    np.testing.assert_allclose(x.mean(axis=1), [-5, 0, 5], atol=0.06)
    np.testing.assert_allclose(x.std(axis=1), [0.5, 1, 3], rtol=0.02)
    y = ember.normal(ember.zeros(N), 0.0, generator=g).numpy()
    assert (y == 0).all()


def test_randint_and_random_ranges():
    g = ember.Generator().manual_seed(4)
    x = ember.randint(-3, 4, (N,), generator=g).numpy()
    counts = np.bincount(x + 3)
    assert x.min() == -3 and x.max() == 3 and len(counts) == 7
    assert np.abs(counts / N - 1 / 7).max() < 0.005
    big = ember.randint(-(2**63), 2**63 - 1, (1000,), generator=g).numpy()
    assert big.min() < -(2**61) and big.max() > 2**61
    b = ember.randint(0, 2, (1000,), dtype=ember.bool, generator=g).numpy()
    assert 400 < b.sum() < 600
    for dtype, top in [
        ("int8", 127),
        ("uint8", 255),
        ("int16", 32767),
        ("float16", 2048),
        ("bfloat16", 256),
    ]:
        r = _np(ember.empty(N, dtype=getattr(ember, dtype)).random_(generator=g))
        assert r.min() == 0 and r.max() == top, dtype
    r = ember.empty(N, dtype=ember.float32).random_(generator=g).numpy()
    assert r.min() >= 0 and r.max() <= 2**24 and r.max() > 2**24 * 0.99
    coin = ember.empty(N, dtype=ember.bool).random_(generator=g).numpy()
    assert abs(coin.mean() - 0.5) < 0.01
    r = ember.empty(N, dtype=ember.int8).random_(100, None, generator=g).numpy()
    assert r.min() == 100 and r.max() == 127
    r = ember.empty(N, dtype=ember.int64).random_(5, generator=g).numpy()
    assert set(np.unique(r)) == {0, 1, 2, 3, 4}
    r = ember.empty(N, dtype=ember.float64).random_(-2, 2, generator=g).numpy()
    assert set(np.unique(r)) == {-2.0, -1.0, 0.0, 1.0}
    r = ember.empty(N, dtype=ember.int32).random_(**{"from": 7, "to": 9}, generator=g).numpy()
    assert set(np.unique(r)) == {7, 8}


def test_randperm_is_a_permutation():
    g = ember.Generator().manual_seed(5)
    for n in (1, 2, 10, 1000):
        p = ember.randperm(n, generator=g).numpy()
        assert sorted(p.tolist()) == list(range(n))
    assert ember.randperm(1000, generator=g).tolist() != list(range(1000))
    half = ember.randperm(2049, dtype=ember.float16, generator=g)
    assert sorted(half.tolist()) == list(range(2049))


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_bernoulli_rates(p):
    g = ember.Generator().manual_seed(6)
    x = ember.bernoulli(ember.full((N,), p), generator=g).numpy()
    assert set(np.unique(x)) <= {0.0, 1.0} and abs(x.mean() - p) < 0.005
    y = ember.empty(N, dtype=ember.int64).bernoulli_(p, generator=g).numpy()
    assert abs(y.mean() - p) < 0.005
    probs = ember.tensor([[0.0], [p], [1.0]])
    z = ember.zeros(3, N // 3).bernoulli_(probs, generator=g).numpy()
    assert (z[0] == 0).all() and (z[2] == 1).all() and abs(z[1].mean() - p) < 0.01
    w = ember.bernoulli(ember.zeros(N), p, generator=g).numpy()
    assert abs(w.mean() - p) < 0.005


def test_multinomial_with_replacement_frequencies():
    g = ember.Generator().manual_seed(7)
    probs = ember.tensor([[0.1, 0.2, 0.7, 0.0], [0.0, 5.0, 0.0, 5.0]])  # rows need not sum to 1
    x = ember.multinomial(probs, N, replacement=True, generator=g).numpy()
    assert x.shape == (2, N) and x.dtype == np.int64
    np.testing.assert_allclose(np.bincount(x[0], minlength=4) / N, [0.1, 0.2, 0.7, 0], atol=0.005)
    np.testing.assert_allclose(np.bincount(x[1], minlength=4) / N, [0, 0.5, 0, 0.5], atol=0.005)
    one = ember.multinomial(ember.tensor([0.0, 0.0, 3.0, 0.0]), 50, True, generator=g)
    assert one.tolist() == [2] * 50


def test_multinomial_without_replacement():
    g = ember.Generator().manual_seed(8)
    rows = 20_000
    probs = ember.tensor([0.5, 0.0, 0.3, 0.2, 0.0]).expand(rows, 5).contiguous()
    x = ember.multinomial(probs, 3, generator=g).numpy()
    assert x.shape == (rows, 3)
    assert all(len(set(r)) == 3 for r in x[:200].tolist())
    assert (np.sort(x, axis=1) == [0, 2, 3]).all()  # zero-probability categories never drawn
    np.testing.assert_allclose(
        np.bincount(x[:, 0], minlength=5) / rows, [0.5, 0, 0.3, 0.2, 0], atol=0.01
    )  # the first draw follows the probabilities
    # second draw given the first is 0: p(2) = 0.3 / 0.5
    second = x[x[:, 0] == 0, 1]
    assert abs((second == 2).mean() - 0.6) < 0.02
    first = ember.multinomial(probs, 1, generator=g).numpy()[:, 0]
    np.testing.assert_allclose(
        np.bincount(first, minlength=5) / rows, [0.5, 0, 0.3, 0.2, 0], atol=0.01
    )
    # More samples than nonzero categories: the nonzero ones first, then zeros in index order.
    y = ember.multinomial(ember.tensor([0.0, 1.0, 0.0, 1.0, 0.0]), 5, generator=g).tolist()
    assert sorted(y[:2]) == [1, 3] and y[2:] == [0, 2, 4]
    z = ember.multinomial(ember.rand(64, 1000, generator=g), 1000, generator=g).numpy()
    assert (np.sort(z, axis=1) == np.arange(1000)).all()


def test_continuous_inplace_distributions():
    g = ember.Generator().manual_seed(9)
    e = ember.empty(N, dtype=ember.float64).exponential_(4.0, generator=g).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.005
    geo = ember.empty(N, dtype=ember.int32).geometric_(0.25, generator=g).numpy()
    assert geo.min() == 1 and abs(geo.mean() - 4) < 0.05
    c = ember.empty(N).cauchy_(2.0, 3.0, generator=g).numpy()
    q1, med, q3 = np.percentile(c, [25, 50, 75])
    assert abs(med - 2) < 0.05 and abs((q3 - q1) / 2 - 3) < 0.1
    ln = ember.empty(N).log_normal_(1.0, 0.5, generator=g).numpy()
    assert ln.min() > 0 and abs(np.log(ln).mean() - 1) < 0.01 and abs(np.log(ln).std() - 0.5) < 0.01
    u = ember.empty(N, dtype=ember.float16).uniform_(-3, 5, generator=g).float().numpy()
    assert u.min() >= -3 and u.max() <= 5 and abs(u.mean() - 1) < 0.03
    pois = ember.poisson(ember.full((N,), 3.5, dtype=ember.float64), generator=g).numpy()
    assert abs(pois.mean() - 3.5) < 0.03 and abs(pois.var() - 3.5) < 0.1


# -- errors against torch ------------------------------------------------------------------

ERRORS = [
    (lambda L: L.randint(5, 3, (2,)), "expects 'from' to be less than 'to'"),
    (lambda L: L.randint(0, (2,)), "expects 'from' to be less than 'to'"),
    (lambda L: L.randint(-1, 3, (2,), dtype=L.uint8), "from is out of bounds for"),
    (lambda L: L.randint(300, (2,), dtype=L.uint8), "to - 1 is out of bounds for"),
    (lambda L: L.randint(3, (2,), dtype=L.bool), "to - 1 is out of bounds for"),
    (lambda L: L.randint(2**40, (2,), dtype=L.int32), "to - 1 is out of bounds for"),
    (lambda L: L.randint(70000, (2,), dtype=L.float16), "to - 1 is out of bounds for"),
    (lambda L: L.randint(5, (2,), dtype=L.complex64), "handles only integral, floating-point"),
    (lambda L: L.randint(5.5, (2,)), "must be int, not float"),
    (lambda L: L.randint(5, 2, 3), None),
    (lambda L: L.randint(5, (2,), requires_grad=True), "floating point and complex dtype"),
    (lambda L: L.rand(2, dtype=L.int64), "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda L: L.rand(2, dtype=L.bool), "\"check_uniform_bounds\" not implemented for 'Bool'"),
    (lambda L: L.randn(2, dtype=L.int32), "\"normal_kernel_cpu\" not implemented for 'Int'"),
    (lambda L: L.rand(-1), "negative dimension"),
    (lambda L: L.randn(2, -3), "negative dimension"),
    (lambda L: L.rand(2, 3.0), "argument 'size'"),
    (lambda L: L.rand(3, generator=1), None),
    (lambda L: L.randperm(-1), "negative dimension"),
    (lambda L: L.randperm(5.0), "must be int, not float"),
    (lambda L: L.randperm(257, dtype=L.uint8), "without overflow"),
    (lambda L: L.randperm(129, dtype=L.int8), "without overflow"),
    (lambda L: L.randperm(2050, dtype=L.float16), "n cannot be greater than 2049"),
    (lambda L: L.randperm(5, dtype=L.bool), "\"randperm\" not implemented for 'Bool'"),
    (lambda L: L.randperm(5, requires_grad=True), "floating point and complex dtype"),
    (lambda L: L.normal(0.0, -1.0, (2,)), "normal expects std >= 0.0, but found std -1"),
    (lambda L: L.normal(L.zeros(3), -1.0), "normal expects std >= 0.0, but found std -1"),
    (lambda L: L.normal(L.zeros(3), -L.ones(3)), "normal expects all elements of std >= 0.0"),
    (lambda L: L.normal(1.0, L.tensor([1.0, -0.5])), "normal expects all elements of std >= 0.0"),
    (
        lambda L: L.normal(L.zeros(3), L.ones(4)),
        "must match the size of tensor b (4) at non-singleton dimension 0",
    ),
    (
        lambda L: L.normal(L.zeros(6), L.ones(2, 3)),
        "must match the size of tensor b (3) at non-singleton dimension 1",
    ),
    (lambda L: L.normal(L.zeros(3, dtype=L.int64), 1.0), '"normal_kernel_cpu" not implemented'),
    (lambda L: L.normal(0.0, 1.0, (2,), dtype=L.int64), '"normal_kernel_cpu" not implemented'),
    (lambda L: L.normal(0.0, 1.0), None),
    (lambda L: L.bernoulli(L.full((3,), 1.5)), "Expected p_in >= 0 && p_in <= 1"),
    (lambda L: L.bernoulli(L.tensor([0.5, -0.1])), "Expected p_in >= 0 && p_in <= 1"),
    (lambda L: L.bernoulli(L.tensor([float("nan")])), "Expected p_in >= 0 && p_in <= 1"),
    (lambda L: L.bernoulli(L.ones(3), 1.5), "bernoulli_ expects p to be in [0, 1], but got p=1.5"),
    (lambda L: L.bernoulli(L.ones(3, dtype=L.int64)), "bernoulli_tensor_cpu_p_"),
    (lambda L: L.ones(3).bernoulli_(-0.5), "bernoulli_ expects p to be in [0, 1]"),
    (lambda L: L.ones(3).bernoulli_(float("nan")), "bernoulli_ expects p to be in [0, 1]"),
    (
        lambda L: L.ones(3).bernoulli_(L.full((2,), 0.2)),
        "The expanded size of the tensor (3) must match the existing size (2)",
    ),
    (lambda L: L.ones(3).bernoulli_(L.full((3,), 1.2)), "Expected p_in >= 0 && p_in <= 1"),
    (lambda L: L.ones(3).bernoulli_(L.ones(3, dtype=L.int64)), "bernoulli_tensor_cpu_p_"),
    (
        lambda L: L.multinomial(L.tensor([1.0, -2.0, 0.0]), 1),
        "probability tensor contains either `inf`, `nan` or element < 0",
    ),
    (lambda L: L.multinomial(L.tensor([1.0, float("inf")]), 1), "contains either `inf`, `nan`"),
    (
        lambda L: L.multinomial(L.tensor([[1.0, 1.0], [1.0, float("nan")]]), 1, True),
        "contains either `inf`, `nan`",
    ),
    (
        lambda L: L.multinomial(L.tensor([1.0, 2.0, 0.0]), 4),
        "cannot sample n_sample > prob_dist.size(-1) samples without replacement",
    ),
    (
        lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1),
        "invalid multinomial distribution (sum of probabilities <= 0)",
    ),
    (
        lambda L: L.multinomial(L.tensor([[1.0, 1.0], [0.0, 0.0]]), 5, True),
        "invalid multinomial distribution (sum of probabilities <= 0)",
    ),
    (lambda L: L.multinomial(L.tensor([1.0, 2.0]), 0), "cannot sample n_sample <= 0 samples"),
    (lambda L: L.multinomial(L.tensor([1.0, 2.0]), -3), "cannot sample n_sample <= 0 samples"),
    (lambda L: L.multinomial(L.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
    (lambda L: L.multinomial(L.ones(()), 1), "prob_dist must be 1 or 2 dim"),
    (
        lambda L: L.multinomial(L.ones(3, dtype=L.int64), 1),
        "multinomial only supports floating-point dtypes for input, got: Long",
    ),
    (lambda L: L.multinomial(L.tensor([1.0, 2.0]), 1.5), "must be int, not float"),
    (lambda L: L.empty(3).uniform_(3, 1), "uniform_ expects to return a [from, to) range"),
    (lambda L: L.empty(3).uniform_(float("inf"), 1), "from is out of bounds for"),
    (lambda L: L.empty(3, dtype=L.float16).uniform_(0, 1e6), "to is out of bounds for"),
    (lambda L: L.empty(3).uniform_(-3e38, 3e38), "uniform_ expects to-from <= "),
    (lambda L: L.empty(3, dtype=L.int32).uniform_(), '"check_uniform_bounds" not implemented'),
    (lambda L: L.empty(3).normal_(0, -1), "normal expects std >= 0.0"),
    (lambda L: L.empty(3, dtype=L.uint8).normal_(), '"normal_kernel_cpu" not implemented'),
    (lambda L: L.empty(3).exponential_(0), "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda L: L.empty(3).exponential_(float("nan")), "exponential_ expects lambda > 0.0"),
    (
        lambda L: L.empty(3, dtype=L.int64).exponential_(),
        "continuous probability distribution. dtype must be a floating point",
    ),
    (lambda L: L.empty(3).geometric_(0), "geometric_ expects p to be in (0, 1), but got p=0"),
    (lambda L: L.empty(3).geometric_(1.5), "geometric_ expects p to be in (0, 1)"),
    (lambda L: L.empty(3, dtype=L.bool).geometric_(0.5), '"geometric_cpu" not implemented'),
    (lambda L: L.empty(3).cauchy_(0, 0), "cauchy_ expects sigma > 0.0"),
    (lambda L: L.empty(3, dtype=L.int8).cauchy_(), "continuous probability distribution"),
    (lambda L: L.empty(3).log_normal_(0, -1), "log_normal_ expects std > 0.0"),
    (lambda L: L.empty(3, dtype=L.int64).log_normal_(), '"log_normal_cpu" not implemented'),
    (lambda L: L.empty(3).random_(5, 3), "expects 'from' to be less than 'to'"),
    (lambda L: L.empty(3).random_(0), "expects 'from' to be less than 'to'"),
    (lambda L: L.empty(3, dtype=L.int8).random_(200), "to - 1 is out of bounds for"),
    (lambda L: L.empty(3, dtype=L.uint8).random_(-3, 3), "from is out of bounds for"),
    (lambda L: L.empty(3, dtype=L.bool).random_(1, 3), "to - 1 is out of bounds for"),
    (lambda L: L.empty(3, dtype=L.complex64).random_(), '"random_kernel_cpu" not implemented'),
    (lambda L: L.empty(3, dtype=L.complex64).bernoulli_(), "bernoulli_scalar_cpu_"),
    (lambda L: L.zeros(3, requires_grad=True).normal_(), "leaf Variable that requires grad"),
    (lambda L: L.rand_like(L.zeros(3, dtype=L.int64)), '"check_uniform_bounds" not implemented'),
    (lambda L: L.randn_like(L.zeros(3, dtype=L.int64)), '"normal_kernel_cpu" not implemented'),
    (lambda L: L.randint_like(L.zeros(3), 5, 3), "expects 'from' to be less than 'to'"),
    (lambda L: L.randint_like(L.zeros(3, dtype=L.uint8), 300), "to - 1 is out of bounds for"),
    (lambda L: L.poisson(-L.ones(3)), "invalid Poisson rate, expected rate to be non-negative"),
    (lambda L: L.poisson(L.ones(3, dtype=L.int64)), '"poisson_cpu" not implemented'),
    (lambda L: L.Generator().manual_seed(1.5), "manual_seed expected a long, but got float"),
    (lambda L: L.Generator().manual_seed(True), "manual_seed expected a long, but got bool"),
    (lambda L: L.Generator().manual_seed(2**64), "Overflow when unpacking long long"),
    (lambda L: L.manual_seed(-(2**63) - 1), "Overflow when unpacking long long"),
    (lambda L: L.manual_seed("a"), "invalid literal for int()"),
    (
        lambda L: L.set_rng_state(L.zeros(10, dtype=L.uint8)),
        "found the input RNG state size to be 10",
    ),
    (lambda L: L.set_rng_state(L.zeros(10, dtype=L.float32)), "ByteTensor"),
    (lambda L: L.Generator().set_state(np.zeros(10, np.uint8)), "ByteTensor"),
    (lambda L: L.Generator().set_state([0, 1]), "ByteTensor"),
]


@pytest.mark.parametrize("fn,match", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_match_torch(fn, match):
    state = ember.get_rng_state(), torch.get_rng_state()
    try:
        oracle.check(fn, match=match)
        with pytest.raises((RuntimeError, TypeError, ValueError, NotImplementedError)):
            fn(torch)  # every row is an error case
    finally:
        ember.set_rng_state(state[0])
        torch.set_rng_state(state[1])


def test_discrete_draws_beyond_float_precision_warn_like_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match=r"out of bounds \[-\(2\^24\), 2\^24\]"):
            lib.randint(0, 2**30, (2,), dtype=lib.float32)
