"""ember.save / ember.load: files exchanged with torch.save / torch.load both ways, views kept
as views, map_location and mmap, atomic saves, and safe loading of hostile files."""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import ml_dtypes
import numpy as np
import pytest
import torch

import ember

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64", "bool", "complex64", "complex128"]


def sample(dtype, shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype == "bfloat16":
        return rng.standard_normal(shape).astype(ml_dtypes.bfloat16)
    if dtype.startswith(("int", "uint")):
        return rng.integers(0, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def to_torch(a: np.ndarray):
    if a.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def np_of(t):
    if isinstance(t, torch.Tensor):
        if t.dtype == torch.bfloat16:
            return t.detach().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return t.detach().numpy()
    return t.detach().numpy()


def same(e, t):
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert tuple(e.stride()) == tuple(t.stride())
    assert e.storage_offset() == t.storage_offset()
    assert e.requires_grad == t.requires_grad
    np.testing.assert_array_equal(np_of(e), np_of(t))


def payload(lib, wrap):
    """The same nested object in either library: every dtype, views sharing a storage,
    a parameter, a state dict with metadata, and plain values."""
    tensors = {d: wrap(sample(d)) for d in DTYPES}
    base = wrap(sample("float32", (4, 5), seed=3))
    sd = collections.OrderedDict(weight=wrap(sample("float32", (2, 3))), bias=wrap(sample("float32", (2,))))
    sd._metadata = collections.OrderedDict({"": {"version": 1}})
    return {
        "tensors": tensors,
        "base": base,
        "t": base.t(),
        "row": base[2],
        "cols": base[:, 1:4:2],
        "empty": wrap(np.zeros((0, 3), np.float32)),
        "scalar": wrap(np.array(2.5, np.float64)),
        "param": lib.nn.Parameter(wrap(sample("float32", (3,), seed=4))),
        "frozen": lib.nn.Parameter(wrap(sample("float32", (2,), seed=5)), requires_grad=False),
        "grad": wrap(sample("float64", (2,))).requires_grad_(),
        "sd": sd,
        "plain": [1, 2.5, "text", None, True, (3, "x"), {"nested": [b"bytes"]}],
        "dtype": lib.float16,
        "size": lib.Size([2, 3]),
        "device": lib.device("cpu"),
    }


def check_same(e, t):
    for d in DTYPES:
        same(e["tensors"][d], t["tensors"][d])
    for k in ("base", "t", "row", "cols", "empty", "scalar", "param", "frozen", "grad"):
        same(e[k], t[k])
    assert isinstance(e["param"], ember.nn.Parameter) and isinstance(t["param"], torch.nn.Parameter)
    for k in ("t", "row", "cols"):  # views come back sharing the base's storage
        assert e[k].untyped_storage().data_ptr() == e["base"].untyped_storage().data_ptr()
        assert t[k].untyped_storage().data_ptr() == t["base"].untyped_storage().data_ptr()
    assert list(e["sd"]) == list(t["sd"]) and dict(e["sd"]._metadata) == dict(t["sd"]._metadata)
    for k in t["sd"]:
        same(e["sd"][k], t["sd"][k])
    assert e["plain"] == t["plain"]
    assert str(e["dtype"]) == "ember.float16" and t["dtype"] == torch.float16
    assert tuple(e["size"]) == tuple(t["size"]) and isinstance(e["size"], ember.Size)
    assert str(e["device"]) == str(t["device"])


def test_ember_file_loads_in_torch(tmp_path):
    path = tmp_path / "model.pt"
    ember.save(payload(ember, ember.tensor), path)
    theirs = torch.load(path, weights_only=True)
    check_same(payload(ember, ember.tensor), theirs)
    assert not [p for p in os.listdir(tmp_path) if p != "model.pt"]  # no temp files left


def test_torch_file_loads_in_ember(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(payload(torch, to_torch), path)
    ours = ember.load(path)
    check_same(ours, torch.load(path, weights_only=True))
    ours["base"][0, 0] = 99.0  # the views really share memory
    assert float(ours["t"][0, 0]) == 99.0


def test_round_trip_and_file_objects():
    buf = io.BytesIO()
    ember.save(payload(ember, ember.tensor), buf)
    buf.seek(0)
    check_same(ember.load(buf), torch.load(io.BytesIO(buf.getvalue()), weights_only=True))
    tbuf = io.BytesIO()
    torch.save(payload(torch, to_torch), tbuf)
    tbuf.seek(0)
    check_same(ember.load(tbuf), payload(torch, to_torch))


def test_real_model_and_optimizer_state_from_torch(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 3),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(2, 1, 6, 6)).sum().backward()
    opt.step()
    torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt.pt")
    ours = ember.load(tmp_path / "ckpt.pt")
    theirs = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert list(ours["model"]) == list(theirs["model"])
    for k, v in theirs["model"].items():
        same(ours["model"][k], v)
    assert ours["optim"]["param_groups"] == theirs["optim"]["param_groups"]
    for i, st in theirs["optim"]["state"].items():
        for k, v in st.items():
            same(ours["optim"]["state"][i][k], v)
    # and the reverse: ember writes it back, torch reads the model again
    ember.save(ours, tmp_path / "back.pt")
    model.load_state_dict(torch.load(tmp_path / "back.pt", weights_only=True)["model"])


def test_map_location_forms(tmp_path):
    path = tmp_path / "x.pt"
    ember.save({"a": ember.arange(4.0), "b": ember.ones(2)}, path)
    for loc in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, location: storage):
        out = ember.load(path, map_location=loc)
        assert out["a"].tolist() == [0.0, 1.0, 2.0, 3.0] and out["a"].device.type == "cpu"
    seen = []
    ember.load(path, map_location=lambda storage, location: seen.append(location))
    assert seen == ["cpu", "cpu"]
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            ember.load(path, map_location="cuda")


def test_cuda_checkpoint_without_gpu(tmp_path):
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    path = tmp_path / "gpu.pt"
    with zipfile.ZipFile(io.BytesIO(), "w"):
        pass
    buf = io.BytesIO()
    ember.save({"w": ember.arange(3.0)}, buf)
    raw = buf.getvalue().replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    # rewrite the archive so the pickle names a cuda location
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info.filename, data)
    assert raw
    with pytest.raises(RuntimeError, match="map_location"):
        ember.load(path)
    assert ember.load(path, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0]


def test_mmap(tmp_path):
    path = tmp_path / "big.pt"
    x = torch.randn(64, 33)
    torch.save({"x": x, "y": x[:, 3:7], "z": torch.zeros(0)}, path)
    out = ember.load(path, mmap=True)
    np.testing.assert_array_equal(out["x"].numpy(), x.numpy())
    np.testing.assert_array_equal(out["y"].numpy(), x[:, 3:7].numpy())
    out["x"][0, 0] = 5.0  # copy-on-write: the file is not changed
    again = ember.load(path)
    assert float(again["x"][0, 0]) == float(x[0, 0])
    ember.save({"w": ember.arange(10.0)}, tmp_path / "e.pt")
    assert ember.load(tmp_path / "e.pt", mmap=True)["w"].tolist() == list(map(float, range(10)))
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(path.read_bytes()), mmap=True)


def test_failed_save_keeps_old_file(tmp_path):
    path = tmp_path / "keep.pt"
    ember.save({"w": ember.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(Exception):
        ember.save({"w": ember.zeros(3), "bad": lambda: 0}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.pt"]
    assert ember.load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(RuntimeError, match="zip"):
        ember.load(path)


# -- safety ---------------------------------------------------------------------------------------


class Evil:
    def __init__(self, call, args):
        self.call, self.args = call, args

    def __reduce__(self):
        return (self.call, self.args)


def hostile(tmp_path, obj, name="evil.pt"):
    """A checkpoint whose pickle holds ``obj`` (pickled with the standard pickler)."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil/data.pkl", pickle.dumps({"w": 1, "x": obj}, protocol=2))
        zf.writestr("evil/byteorder", "little")
        zf.writestr("evil/version", "3\n")
    return path


@pytest.mark.parametrize(
    "call, args, name",
    [
        (os.system, ("touch {marker}",), "system"),
        (eval, ("open('{marker}', 'w')",), "eval"),
        (__import__("subprocess").Popen, (["touch", "{marker}"],), "Popen"),
        (exec, ("open('{marker}', 'w')",), "exec"),
        (os.remove, ("{marker}",), "remove"),
    ],
)
def test_hostile_globals_are_refused_before_running(tmp_path, call, args, name):
    marker = tmp_path / "pwned"
    args = tuple(a.format(marker=marker) if isinstance(a, str) else [x.format(marker=marker) for x in a] if isinstance(a, list) else a for a in args)
    path = hostile(tmp_path, Evil(call, args))
    for lib in (ember, torch):
        with pytest.raises(pickle.UnpicklingError) as info:
            lib.load(path, weights_only=True)
        assert name in str(info.value)
    with pytest.raises(pickle.UnpicklingError, match=name):
        ember.load(path)  # weights_only=True is the default
    assert not marker.exists()


class Custom:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, Custom) and other.v == self.v


class Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = ember.nn.Parameter(ember.arange(3.0))
        self.register_buffer("steps", ember.tensor(7))

    def forward(self, x):
        return x * self.w


def test_trusted_objects_need_weights_only_false_or_safe_globals(tmp_path):
    path = tmp_path / "obj.pt"
    ember.save({"c": Custom(3), "t": ember.ones(1)}, path)
    with pytest.raises(pickle.UnpicklingError, match="Custom"):
        ember.load(path)
    assert ember.load(path, weights_only=False)["c"] == Custom(3)
    with ember.serialization.safe_globals([Custom]):
        assert ember.load(path)["c"] == Custom(3)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path)
    ember.serialization.add_safe_globals([Custom])
    try:
        assert Custom in ember.serialization.get_safe_globals()
        assert ember.load(path)["c"] == Custom(3)
    finally:
        ember.serialization.clear_safe_globals()


def test_whole_module_round_trip(tmp_path):
    path = tmp_path / "net.pt"
    net = Net()
    ember.save(net, path)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path)
    back = ember.load(path, weights_only=False)
    assert isinstance(back, Net) and isinstance(back.w, ember.nn.Parameter)
    assert back.w.tolist() == [0.0, 1.0, 2.0] and int(back.steps) == 7
    assert back(ember.ones(3)).tolist() == [0.0, 1.0, 2.0]


def test_torch_module_object_is_refused(tmp_path):
    path = tmp_path / "tm.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear"):
        ember.load(path)


def test_environment_switches(tmp_path, monkeypatch):
    path = tmp_path / "obj.pt"
    ember.save({"c": Custom(1)}, path)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    assert ember.load(path)["c"] == Custom(1)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path, weights_only=False)


# -- damaged files --------------------------------------------------------------------------------


def _good_checkpoint(tmp_path):
    path = tmp_path / "good.pt"
    ember.save({"a": ember.arange(12.0).reshape(3, 4), "b": [ember.ones(2, dtype=ember.int64)]}, path)
    return path


def test_truncated_and_corrupted_files_raise_clear_errors(tmp_path):
    raw = _good_checkpoint(tmp_path).read_bytes()
    rng = np.random.default_rng(0)
    bad = tmp_path / "bad.pt"
    cases = [raw[:n] for n in (0, 10, len(raw) // 3, len(raw) // 2, len(raw) - 30)]
    for _ in range(150):  # random byte corruptions anywhere in the archive
        data = bytearray(raw)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 6))):
            data[pos] = int(rng.integers(0, 256))
        cases.append(bytes(data))
    for data in cases:
        bad.write_bytes(data)
        try:
            out = ember.load(bad)
        except (RuntimeError, pickle.UnpicklingError):
            continue
        # a corruption that only touched tensor bytes loads, with the right structure
        assert set(out) == {"a", "b"} and tuple(out["a"].shape) == (3, 4)


def test_storage_shorter_than_its_tensor(tmp_path):
    path = _good_checkpoint(tmp_path)
    src = zipfile.ZipFile(path)
    short = tmp_path / "short.pt"
    with zipfile.ZipFile(short, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data/0"):
                data = data[:8]
            dst.writestr(info.filename, data)
    with pytest.raises(RuntimeError, match="damaged"):
        ember.load(short)


def test_wrong_byte_order(tmp_path):
    path = _good_checkpoint(tmp_path)
    src = zipfile.ZipFile(path)
    big = tmp_path / "big.pt"
    with zipfile.ZipFile(big, "w") as dst:
        for info in src.infolist():
            data = b"big" if info.filename.endswith("byteorder") else src.read(info)
            dst.writestr(info.filename, data)
    with pytest.raises(RuntimeError, match="little-endian"):
        ember.load(big)


def test_save_killed_mid_write_leaves_old_checkpoint(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(4)}, path)
    script = f"""
import os, signal, ember
import ember.serialization as s
real = s._write_record
count = [0]
def dying(zf, name, data):
    real(zf, name, data)
    count[0] += 1
    if count[0] == 3:
        os.kill(os.getpid(), signal.SIGKILL)
s._write_record = dying
ember.save({{"w": ember.zeros(1000)}}, {str(path)!r})
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal_kill()
    assert ember.load(path)["w"].tolist() == [1.0] * 4


def signal_kill():
    import signal

    return signal.SIGKILL


# -- safetensors ----------------------------------------------------------------------------------


def test_safetensors_interchange(tmp_path):
    from safetensors.numpy import load_file, save_file

    tensors = {d: ember.tensor(sample(d)) for d in DTYPES if d not in ("complex128", "bfloat16")}
    tensors["view"] = ember.arange(20.0).reshape(4, 5).t()  # saved as a contiguous copy
    tensors["empty"] = ember.zeros(0, 3)
    path = tmp_path / "e.safetensors"
    ember.serialization.save_safetensors(tensors, path, metadata={"format": "pt"})
    theirs = load_file(str(path))
    assert set(theirs) == set(tensors)
    for k, v in tensors.items():
        np.testing.assert_array_equal(theirs[k], v.numpy())
        assert theirs[k].dtype == v.numpy().dtype
    assert ember.serialization.safetensors_metadata(path) == {"format": "pt"}
    arrays = {d: sample(d) for d in DTYPES if d not in ("complex128", "bfloat16", "complex64")}
    save_file(arrays, str(tmp_path / "t.safetensors"))
    ours = ember.serialization.load_safetensors(tmp_path / "t.safetensors")
    for k, v in arrays.items():
        np.testing.assert_array_equal(ours[k].numpy(), v)
    back = ember.serialization.load_safetensors(path)
    for k, v in tensors.items():
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())
    bf = {"b": ember.tensor(sample("bfloat16"))}
    ember.serialization.save_safetensors(bf, tmp_path / "bf.safetensors")
    np.testing.assert_array_equal(
        ember.serialization.load_safetensors(tmp_path / "bf.safetensors")["b"].numpy(), bf["b"].numpy()
    )
    import safetensors.torch

    tb = safetensors.torch.load_file(str(tmp_path / "bf.safetensors"))["b"]
    assert tb.dtype == torch.bfloat16
    np.testing.assert_array_equal(np_of(tb), bf["b"].numpy())


def test_safetensors_damaged(tmp_path):
    path = tmp_path / "x.safetensors"
    ember.serialization.save_safetensors({"a": ember.ones(3)}, path)
    raw = path.read_bytes()
    for data in (raw[:5], raw[:12], b"\xff" * 8 + raw[8:], raw[:-4]):
        path.write_bytes(data)
        with pytest.raises(RuntimeError):
            ember.serialization.load_safetensors(path)


# -- resuming training ----------------------------------------------------------------------------


class TinyNet(ember.nn.Module):
    def __init__(self, seed=0):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.w1 = ember.nn.Parameter(ember.tensor(rng.standard_normal((4, 8)).astype(np.float32) * 0.5))
        self.b1 = ember.nn.Parameter(ember.zeros(8))
        self.w2 = ember.nn.Parameter(ember.tensor(rng.standard_normal((8, 1)).astype(np.float32) * 0.5))
        self.register_buffer("seen", ember.zeros((), dtype=ember.int64))

    def forward(self, x):
        self.seen += x.shape[0]
        return (x @ self.w1 + self.b1).tanh() @ self.w2


@pytest.mark.parametrize("make_opt", [
    lambda p: ember.optim.SGD(p, lr=0.05, momentum=0.9),
    lambda p: ember.optim.Adam(p, lr=0.01, amsgrad=True),
])
def test_resumed_training_gives_the_same_losses(tmp_path, make_opt):
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = ember.tensor(rng.standard_normal((32, 1)).astype(np.float32))

    def train(model, opt, steps):
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(float(loss))
        return losses

    model = TinyNet()
    opt = make_opt(model.parameters())
    straight = train(model, opt, 12)

    model = TinyNet()
    opt = make_opt(model.parameters())
    first = train(model, opt, 5)
    ember.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.pt")
    model2 = TinyNet(seed=99)
    opt2 = make_opt(model2.parameters())
    ckpt = ember.load(tmp_path / "ckpt.pt")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optim"])
    assert first + train(model2, opt2, 7) == straight
    assert int(model2.seen) == 32 * 12
