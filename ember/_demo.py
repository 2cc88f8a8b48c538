"""``python -m ember demo``: train a small CNN on the real handwritten digits and evaluate it.

The digits are scikit-learn's bundled 8x8 images (no download).  Training shows a progress bar
per epoch with the running loss and accuracy; evaluation prints test accuracy, macro precision,
recall and F1 and the confusion matrix; the checkpoint (``model.pt``, loadable by
``torch.load``), the metrics (``metrics.json``) and a plot of the curves (``curves.png``) are
written into ``--out``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import ember
from ember import nn
from ember.utils.data import DataLoader, TensorDataset


class DigitsCNN(nn.Module):
    """Two 3x3 convolutions, max-pooling, dropout and two linear layers (8x8 in, 10 out)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(0.25),
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def _datasets(device):
    """Train and test sets, pixels standardised by the training split's mean and std."""
    from ember.vision.datasets import Digits

    train, test = Digits(train=True), Digits(train=False)
    pixels = train.data.float().div(255.0)
    mean, std = pixels.mean(), pixels.std()

    def prepared(ds):
        x = ds.data.float().div(255.0).sub(mean).div(std).unsqueeze(1)
        return TensorDataset(x.to(device), ds.targets.to(device))

    return prepared(train), prepared(test)


def add_arguments(parser) -> None:
    parser.add_argument("--epochs", type=int, default=12, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step")
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights and shuffling")
    parser.add_argument("--out", default="runs/demo", help="folder for checkpoint and plot")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _evaluate(model, loader):
    model.eval()
    preds, targets = [], []
    with ember.no_grad():
        for x, y in loader:
            preds.append(model(x).argmax(1))
            targets.append(y)
    return ember.cat(preds).cpu(), ember.cat(targets).cpu()


def _plot(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, history["loss"], marker="o")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss")
    ax2.plot(epochs, history["train_acc"], marker="o", label="train")
    ax2.plot(epochs, history["test_acc"], marker="o", label="test")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend()
    fig.suptitle("ember: CNN on scikit-learn's digits")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(args) -> dict:
    """Train and evaluate; returns the final metrics (also written to ``metrics.json``)."""
    from tqdm import tqdm

    from ember import metrics

    device = ember.device(args.device)
    ember.manual_seed(args.seed)
    train_set, test_set = _datasets(device)
    gen = ember.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=gen)
    test_loader = DataLoader(test_set, batch_size=256)
    model = DigitsCNN().to(device)
    opt = ember.optim.Adam(model.parameters(), lr=args.lr)
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    print(f"ember {ember.__version__}: CNN on digits ({len(train_set)} train, {len(test_set)} "
          f"test images), {sum(p.numel() for p in model.parameters()):,} parameters, {device}")
    history = {"loss": [], "train_acc": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = correct = 0
        loss_sum = 0.0
        bar = tqdm(train_loader, desc=f"epoch {epoch:2d}/{args.epochs}", unit="batch",
                   leave=True, disable=args.no_progress, ncols=90)
        for x, y in bar:
            opt.zero_grad()
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            n = y.shape[0]
            total += n
            loss_sum += loss.item() * n
            correct += int((logits.argmax(1) == y).sum())
            bar.set_postfix(loss=f"{loss_sum / total:.4f}", acc=f"{correct / total:.3f}")
        sched.step()
        pred, target = _evaluate(model, test_loader)
        history["loss"].append(loss_sum / total)
        history["train_acc"].append(correct / total)
        history["test_acc"].append(float(metrics.accuracy(pred, target)))
        if args.no_progress:
            print(f"epoch {epoch:2d}/{args.epochs}  loss {loss_sum / total:.4f}  "
                  f"train acc {correct / total:.3f}  test acc {history['test_acc'][-1]:.3f}")
    seconds = time.perf_counter() - start
    pred, target = _evaluate(model, test_loader)
    result = {
        "test_accuracy": float(metrics.accuracy(pred, target)),
        "precision_macro": float(metrics.precision(pred, target, average="macro")),
        "recall_macro": float(metrics.recall(pred, target, average="macro")),
        "f1_macro": float(metrics.f1_score(pred, target, average="macro")),
        "train_seconds": round(seconds, 2),
        "epochs": args.epochs,
    }
    confusion = metrics.confusion_matrix(pred, target, num_classes=10)
    print(f"\ntrained in {seconds:.1f} s")
    print(f"test accuracy  {result['test_accuracy']:.4f}")
    print(f"precision      {result['precision_macro']:.4f} (macro)")
    print(f"recall         {result['recall_macro']:.4f} (macro)")
    print(f"F1             {result['f1_macro']:.4f} (macro)")
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + " ".join(f"{c:4d}" for c in range(10)))
    for i, row in enumerate(confusion.tolist()):
        print(f"  {i:2d}  " + " ".join(f"{v:4d}" for v in row))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ember.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": args.epochs},
               out / "model.pt")
    (out / "metrics.json").write_text(json.dumps({**result, "history": history}, indent=2))
    _plot(history, out / "curves.png")
    print(f"saved {out / 'model.pt'}, {out / 'metrics.json'} and {out / 'curves.png'}")
    return result
