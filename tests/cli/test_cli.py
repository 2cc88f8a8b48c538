"""The command line: ``info``, the ``demo`` main job and ``run`` (PyTorch programs on ember)."""

import json
import subprocess
import sys
import textwrap

import pytest
import torch

import ember
from ember import compat
from ember.__main__ import main


def test_info_names_versions_and_devices(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"ember      {ember.__version__}" in out
    assert "NumPy" in out and "BLAS" in out and "devices    cpu" in out


def test_demo_trains_evaluates_and_saves(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    main(["demo", "--epochs", "12", "--no-progress", "--out", str(out_dir), "--seed", "0"])
    text = capsys.readouterr().out
    metrics = json.loads((out_dir / "metrics.json").read_text())
    # the bar for the main job: at least 97% on the held-out digits
    assert metrics["test_accuracy"] >= 0.97, text
    for key in ("precision_macro", "recall_macro", "f1_macro"):
        assert 0.9 <= metrics[key] <= 1.0
    assert len(metrics["history"]["loss"]) == 12
    assert metrics["history"]["loss"][-1] < metrics["history"]["loss"][0]
    assert "confusion matrix" in text and "test accuracy" in text
    png = (out_dir / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # the checkpoint is PyTorch's format: torch reads it safely and the weights fit torch's net
    ckpt = torch.load(out_dir / "model.pt", weights_only=True)
    assert ckpt["epoch"] == 12 and "state" in ckpt["optimizer"]
    net = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(),
                            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2)),
        torch.nn.Sequential(torch.nn.Dropout(0.25), torch.nn.Flatten(),
                            torch.nn.Linear(1024, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                            torch.nn.Linear(128, 10)),
    )
    renamed = {k.replace("features", "0").replace("classifier", "1"): v
               for k, v in ckpt["model"].items()}
    net.load_state_dict(renamed)


def test_demo_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    for opt in ("--epochs", "--batch-size", "--lr", "--device", "--seed", "--out"):
        assert opt in out


def test_run_executes_a_torch_program_on_ember(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        x = torch.randn(64, 4)
        y = x.sum(1, keepdim=True)
        first = None
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16):
            loss = F.mse_loss(net(xb), yb)
            first = loss.item() if first is None else first
            opt.zero_grad(); loss.backward(); opt.step()
        print(torch.__name__, type(net).__module__, sys.argv[1:], loss.item() < first)
    """))
    res = subprocess.run([sys.executable, "-m", "ember", "run", str(script), "--flag", "x"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["ember", "ember.nn.modules.container", "['--flag',", "'x']",
                                  "True"]


def test_run_reports_a_missing_script():
    res = subprocess.run([sys.executable, "-m", "ember", "run"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2 and "usage" in res.stderr


def test_compat_install_maps_torch_names_and_refuses_missing_parts():
    saved = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    try:
        compat.install()
        import torch as t  # noqa: F811
        import torch.nn.functional as F
        from torch.utils import data

        assert t is ember and F is ember.nn.functional and data is ember.utils.data
        assert ember.__spec__.name == "ember"
        with pytest.raises(ModuleNotFoundError, match="torch.fx"):
            import torch.fx  # noqa: F401
    finally:
        compat.uninstall()
        sys.modules.update(saved)
    import torch as real

    assert real is saved["torch"]
