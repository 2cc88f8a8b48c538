"""The workloads, each written once against the PyTorch API.

``WORKLOADS`` maps a name to ``(make, unit, unit_scale, per)``: ``make(lib)`` builds the inputs
with ``lib`` (ember or torch) and returns the step to time; ``per`` divides the step's time
(1,000 ops → microseconds per op).  Models start from the same weights in both libraries
(torch's initial state dict copied into ember's), so both do the same arithmetic.
"""

from __future__ import annotations

import numpy as np


def _matmul(n: int):
    def make(lib):
        rng = np.random.default_rng(0)
        a = lib.tensor(rng.standard_normal((n, n), dtype=np.float32))
        b = lib.tensor(rng.standard_normal((n, n), dtype=np.float32))
        return lambda: a @ b

    return make


def _dispatch(grad: bool, n_ops: int = 1000):
    def make(lib):
        rng = np.random.default_rng(0)
        x0 = lib.tensor(rng.standard_normal(16, dtype=np.float32), requires_grad=grad)
        # close to 1 and 0, so a thousand steps neither overflow nor vanish
        b = lib.tensor(1 + 1e-3 * rng.standard_normal(16, dtype=np.float32))
        c = lib.tensor(1e-3 * rng.standard_normal(16, dtype=np.float32))

        if not grad:

            def step():
                with lib.no_grad():
                    x = x0
                    for _ in range(n_ops // 2):
                        x = x * b
                        x = x + c
                return x

        else:

            def step():
                x = x0
                for _ in range(n_ops // 2):
                    x = x * b
                    x = x + c
                x.sum().backward()
                x0.grad = None

        return step

    return make


def _weights_from(torch_model, lib, model):
    """Give ``model`` (built with ``lib``) the same weights as ``torch_model``."""
    if lib.__name__ == "torch":
        model.load_state_dict(torch_model.state_dict())
    else:
        model.load_state_dict(
            {k: lib.tensor(v.detach().numpy()) for k, v in torch_model.state_dict().items()}
        )
    return model


def _same_model(build):
    """``make(lib)`` helpers build the model with ``lib`` and copy torch's initial weights."""
    import torch

    torch.manual_seed(0)
    reference = build(torch)

    def model_for(lib):
        lib.manual_seed(0)
        return _weights_from(reference, lib, build(lib))

    return model_for


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def _train_step(model_of, x_shape, n_classes, opt_name, lr, nll=False):
    def make(lib):
        rng = np.random.default_rng(0)
        model = model_of(lib)
        x = lib.tensor(rng.standard_normal(x_shape, dtype=np.float32))
        y = lib.tensor(rng.integers(0, n_classes, x_shape[0]))
        if opt_name == "sgd":
            opt = lib.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        else:
            opt = lib.optim.Adam(model.parameters(), lr=lr)
        loss_fn = lib.nn.functional.nll_loss if nll else lib.nn.functional.cross_entropy

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    return make


class _MnistNet:
    """The classic MNIST network of PyTorch's examples, for either library."""

    @staticmethod
    def build(lib):
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 32, 3, 1)
                self.conv2 = nn.Conv2d(32, 64, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.dropout2 = nn.Dropout(0.5)
                self.fc1 = nn.Linear(9216, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = F.relu(self.conv2(x))
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = lib.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = self.dropout2(x)
                return F.log_softmax(self.fc2(x), dim=1)

        return Net()


def _lstm():
    def make(lib):
        import torch

        torch.manual_seed(0)
        ref = torch.nn.LSTM(64, 256)
        lib.manual_seed(0)
        model = _weights_from(ref, lib, lib.nn.LSTM(64, 256))
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((35, 20, 64), dtype=np.float32), requires_grad=True)
        g = lib.tensor(rng.standard_normal((35, 20, 256), dtype=np.float32))

        def step():
            out, _ = model(x)
            out.backward(g)
            model.zero_grad()
            x.grad = None

        return step

    return make


def _transformer(lib):
    import torch

    torch.manual_seed(0)
    kwargs = dict(d_model=128, nhead=4, dim_feedforward=512, dropout=0.0, batch_first=True)
    ref = torch.nn.TransformerEncoderLayer(**kwargs)
    lib.manual_seed(0)
    layer = _weights_from(ref, lib, lib.nn.TransformerEncoderLayer(**kwargs))
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((16, 64, 128), dtype=np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((16, 64, 128), dtype=np.float32))

    def step():
        layer(x).backward(g)
        layer.zero_grad()
        x.grad = None

    return step


def _resnet18(lib):
    import torch

    from bench import _resnet

    torch.manual_seed(0)
    ref = _resnet.resnet18(torch).eval()
    model = _weights_from(ref, lib, _resnet.resnet18(lib)).eval()
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((8, 3, 64, 64), dtype=np.float32))

    def step():
        with lib.no_grad():
            return model(x)

    return step


def _dataloader(lib):
    rng = np.random.default_rng(0)
    data = lib.utils.data
    ds = data.TensorDataset(
        lib.tensor(rng.standard_normal((60000, 1, 28, 28), dtype=np.float32)),
        lib.tensor(rng.integers(0, 10, 60000)),
    )
    gen = lib.Generator().manual_seed(0)
    loader = data.DataLoader(ds, batch_size=64, shuffle=True, generator=gen)

    def step():
        n = 0
        for x, _ in loader:
            n += x.shape[0]
        return n

    return step


WORKLOADS = {
    "matmul 1024 f32": (_matmul(1024), "ms", 1e3, 1, 2 * 1024**3),
    "matmul 256 f32": (_matmul(256), "ms", 1e3, 1, 2 * 256**3),
    "dispatch no-grad": (_dispatch(False), "us/op", 1e6, 1000, 0),
    "dispatch autograd": (_dispatch(True), "us/op", 1e6, 1000, 0),
    "MLP train step": (
        lambda lib: _train_step(_same_model(_mlp), (128, 784), 10, "sgd", 0.01)(lib),
        "ms", 1e3, 1, 0,
    ),
    "CNN train step": (
        lambda lib: _train_step(_same_model(_MnistNet.build), (64, 1, 28, 28), 10, "adam",
                                1e-3, nll=True)(lib),
        "ms", 1e3, 1, 0,
    ),
    "LSTM fwd+bwd": (_lstm(), "ms", 1e3, 1, 0),
    "transformer layer fwd+bwd": (_transformer, "ms", 1e3, 1, 0),
    "ResNet-18 fwd": (_resnet18, "ms", 1e3, 1, 0),
    "DataLoader epoch": (_dataloader, "ms", 1e3, 1, 0),
}
