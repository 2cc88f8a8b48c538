"""ember.vision.models against torchvision.models: same state-dict keys and shapes, same repr,
same outputs (eval and train mode) and gradients once torchvision's weights are loaded."""

import numpy as np
import pytest

import ember
import ember.vision.models as EM
from tests.vision._torchvision import load

torch = pytest.importorskip("torch")
tv = load()
TM = tv.models


def _randomize(model, seed=0):
    """Give torch BatchNorm layers non-trivial statistics and affine parameters, so outputs are
    sensitive to every tensor of the state dict."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            elif isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / m.in_features**0.5)
    return model


def _load_from_torch(em, tm):
    missing = em.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy()) for k, v in tm.state_dict().items()}
    )
    assert not missing.missing_keys and not missing.unexpected_keys


def _same_structure(em, tm):
    es, ts = em.state_dict(), tm.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert tuple(es[k].shape) == tuple(ts[k].shape), k
        assert str(es[k].dtype).split(".")[-1] == str(ts[k].dtype).split(".")[-1], k
    assert repr(em) == repr(tm).replace("torch.", "ember.")


def _close(e, t, rtol=1e-4):
    e, t = e.detach().numpy(), t.detach().numpy()
    scale = max(np.abs(t).max(), 1e-3)
    np.testing.assert_allclose(e, t, rtol=0, atol=rtol * scale)


def _skip_init(monkeypatch):
    """Make weight initialisation free in both libraries (VGG's 100M-weight classifier costs
    seconds to draw); the tests load weights from torch afterwards anyway."""
    for mod in (torch.nn.init, ember.nn.init):
        for name in ("kaiming_uniform_", "kaiming_normal_", "normal_", "uniform_", "constant_"):
            monkeypatch.setattr(mod, name, lambda t, *a, **k: t)


def _fill(model, seed=0):
    """Uniform weights scaled by fan-in, drawn in one cheap call per tensor."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.ndim > 1 else 1
            bound = (3.0 / fan_in) ** 0.5
            p.uniform_(-bound, bound, generator=g)
    return model


CASES = [
    ("resnet18", {"num_classes": 10}, 32),
    ("resnet34", {}, 32),
    ("resnet50", {"num_classes": 5}, 32),
    ("mobilenet_v2", {"num_classes": 10}, 32),
    ("mobilenet_v2", {"width_mult": 0.5, "dropout": 0.1}, 32),
    ("vgg11", {"num_classes": 10}, 32),
]


@pytest.mark.parametrize("name,kwargs,size", CASES, ids=lambda c: str(c))
def test_eval_matches_torchvision(name, kwargs, size, monkeypatch):
    torch.manual_seed(0)
    if name.startswith("vgg"):
        _skip_init(monkeypatch)
        tm = _fill(getattr(TM, name)(**kwargs)).eval()
    else:
        tm = _randomize(getattr(TM, name)(**kwargs)).eval()
    em = getattr(EM, name)(**kwargs).eval()
    _same_structure(em, tm)
    _load_from_torch(em, tm)
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        yt = tm(torch.tensor(x))
    with ember.no_grad():
        ye = em(ember.tensor(x))
    assert tuple(ye.shape) == tuple(yt.shape)
    _close(ye, yt)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("resnet18", {"num_classes": 4}),
        ("mobilenet_v2", {"num_classes": 4, "dropout": 0.0, "width_mult": 0.35}),
    ],
)
def test_train_step_matches_torchvision(name, kwargs):
    torch.manual_seed(1)
    tm = _randomize(getattr(TM, name)(**kwargs), seed=1).train()
    em = getattr(EM, name)(**kwargs).train()
    _load_from_torch(em, tm)
    # float64: train-mode BatchNorm over tiny late feature maps is ill-conditioned, and float32
    # rounding alone moves some gradients by a percent
    tm.double()
    em.double()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 32, 32))
    y = np.array([0, 3, 1, 2])
    lt = torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    le = ember.nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y))
    np.testing.assert_allclose(le.item(), lt.item(), rtol=1e-10)
    lt.backward()
    le.backward()
    eparams = dict(em.named_parameters())
    for k, p in tm.named_parameters():
        _close(eparams[k].grad, p.grad, rtol=1e-7)
    ebufs = dict(em.named_buffers())
    for k, b in tm.named_buffers():
        np.testing.assert_allclose(ebufs[k].numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    # one SGD step runs and changes the weights
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    before = em.fc.weight.clone() if name == "resnet18" else em.classifier[1].weight.clone()
    opt.step()
    after = em.fc.weight if name == "resnet18" else em.classifier[1].weight
    assert not np.allclose(before.detach().numpy(), after.detach().numpy())


class _TutorialNet(torch.nn.Module):
    """The network of PyTorch's "Neural Networks" tutorial, with conv1 padded for 28x28."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(16 * 5 * 5, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        F = torch.nn.functional
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def test_lenet5_matches_tutorial_net():
    torch.manual_seed(0)
    tm = _TutorialNet()
    em = EM.LeNet5()
    assert list(em.state_dict()) == list(tm.state_dict())
    _load_from_torch(em, tm)
    x = np.random.default_rng(2).standard_normal((3, 1, 28, 28)).astype(np.float32)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = tm(xt), em(xe)
    _close(ye, yt, 1e-5)
    g = np.random.default_rng(3).standard_normal(yt.shape).astype(np.float32)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    _close(xe.grad, xt.grad, 1e-5)
    _close(em.conv1.weight.grad, tm.conv1.weight.grad, 1e-5)
    assert EM.LeNet5(num_classes=3, in_channels=3, padding=0)(ember.randn(2, 3, 32, 32)).shape == (
        2,
        3,
    )


def test_initialization_follows_torchvision():
    ember.manual_seed(0)
    m = EM.resnet18(num_classes=10, zero_init_residual=True)
    w = m.layer3[0].conv1.weight  # kaiming normal, fan_out = 256 * 9
    assert abs(float(w.std()) - (2 / (256 * 9)) ** 0.5) < 0.002
    assert float(m.layer1[0].bn2.weight.abs().sum()) == 0.0
    assert float(m.bn1.weight.sum()) == 64
    mb = EM.mobilenet_v2(num_classes=10)
    assert abs(float(mb.classifier[1].weight.std()) - 0.01) < 0.001
    assert float(mb.classifier[1].bias.abs().sum()) == 0.0


def test_no_pretrained_weights():
    for fn in (EM.resnet18, EM.mobilenet_v2, EM.vgg11):
        with pytest.raises(ValueError, match="never downloads"):
            fn(weights="IMAGENET1K_V1")
    with pytest.raises(ValueError, match="never downloads"):
        EM.resnet50(pretrained=True)
    assert EM.resnet18(weights=None, progress=False).fc.out_features == 1000
