"""Train a CNN to classify images and evaluate it: written as a PyTorch script, run on ember.

The only changes from the PyTorch version of this program are the imports (``import ember as
torch``, and ``ember.vision`` in place of ``torchvision``).  Two datasets that need no download:

* ``--dataset digits`` (default): the 1,797 real 8x8 handwritten digits bundled with
  scikit-learn (``ember.vision.datasets.Digits``, fixed 1,437 / 360 split);
* ``--dataset fashion-mnist``: Zalando's Fashion-MNIST, 60,000 + 10,000 28x28 images of clothes,
  read from the IDX ``.gz`` files in ``--data-dir`` (Debian's ``dataset-fashion-mnist`` package
  installs them in ``/usr/share/datasets/fashion-mnist``).

After each epoch it prints the training loss and accuracy and the test accuracy; at the end the
test accuracy, macro precision / recall / F1 and the confusion matrix (``ember.metrics``), and
with ``--out`` it saves a checkpoint that ``torch.load`` can also read.

Measured on the 2-core development machine (CPU, float32), which was at times shared with
other jobs (load average up to ~12), so some wall times are inflated:

    python examples/image_classification.py
        digits, 15 epochs: test accuracy 0.9889, macro F1 0.9881;
        17 s of CPU time (one BLAS thread; 160 s wall on the loaded machine)
    python examples/image_classification.py --dataset fashion-mnist \\
            --data-dir /usr/share/datasets/fashion-mnist
        Fashion-MNIST, the default "fast" net, 3 epochs: test accuracy 0.9029 (macro F1 0.902;
        0.893 after epoch 2) in 537 s with two BLAS threads (the first epoch, alone on the
        machine, took 121 s; the other two ran beside other jobs).  With one BLAS thread on
        the loaded machine: 0.8998, 466 s of CPU time.

Smoke test (a few seconds): ``--epochs 1 --limit 256 --test-limit 256``.
"""

from __future__ import annotations

import argparse
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember import metrics
from ember.utils.data import DataLoader, TensorDataset
from ember.vision import datasets, transforms

# Mean and standard deviation of the training pixels (scaled to [0, 1]).
STATS = {"digits": (0.3, 0.38), "fashion-mnist": (0.2860, 0.3530)}


class Net(nn.Module):
    """The classic two-convolution network of PyTorch's MNIST example.

    ``conv(1->32, 3x3) -> ReLU -> conv(32->64, 3x3) -> ReLU -> max-pool 2 -> dropout ->
    linear(->128) -> ReLU -> dropout -> linear(128->10)``.  With ``padding=1`` (used for the 8x8
    digits) the convolutions keep the image size.
    """

    def __init__(self, image_size: int, padding: int = 0, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1, padding)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, padding)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        side = (image_size - 4 + 4 * padding) // 2
        self.fc1 = nn.Linear(64 * side * side, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)


class FastNet(nn.Module):
    """A cheaper net for 28x28 images: pool after each convolution (14x14 then 7x7 maps), so the
    second convolution costs a third of the classic net's and the first linear layer is 3,136
    wide instead of 9,216.  It reaches the same accuracy on Fashion-MNIST in a third of the time.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25),
            nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(128, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def load_split(args, train: bool):
    """The split as one normalised float tensor ``(N, 1, H, W)`` and its labels.

    The images are decoded once into a tensor (rather than through a per-image ``transform``),
    as PyTorch scripts commonly do for datasets that fit in memory: it keeps the epoch loop free
    of Python work per image.
    """
    if args.dataset == "digits":
        ds = datasets.Digits(train=train)
    else:
        ds = datasets.FashionMNIST(args.data_dir, train=train)
    limit = args.limit if train else args.test_limit
    images, labels = ds.data, ds.targets
    if limit:
        images, labels = images[:limit], labels[:limit]
    mean, std = STATS[args.dataset]
    normalize = transforms.Normalize((mean,), (std,))
    x = normalize(images.unsqueeze(1).float().div(255.0))
    return x, labels, ds.classes


def make_model(args, image_size: int) -> nn.Module:
    if args.dataset == "digits":
        return Net(image_size, padding=1)
    if args.model == "classic":
        return Net(image_size)
    return FastNet()


def train_epoch(model, loader, optimizer, device, epoch, log_interval):
    model.train()
    seen = correct = 0
    loss_sum = 0.0
    for batch, (x, y) in enumerate(loader, 1):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        seen += y.shape[0]
        loss_sum += loss.item() * y.shape[0]
        correct += (logits.argmax(dim=1) == y).sum().item()
        if log_interval and batch % log_interval == 0:
            print(f"  epoch {epoch} [{seen:6d}/{len(loader.dataset)}]  loss {loss_sum / seen:.4f}",
                  flush=True)
    return loss_sum / seen, correct / seen


@torch.no_grad()
def predict(model, loader, device):
    model.eval()
    preds, targets = [], []
    for x, y in loader:
        preds.append(model(x.to(device)).argmax(dim=1).cpu())
        targets.append(y)
    return torch.cat(preds), torch.cat(targets)


def print_confusion(confusion, classes) -> None:
    names = [c.split(" - ")[-1][:11] for c in classes]
    width = max(5, max(len(str(v)) for v in confusion.flatten().tolist()) + 1)
    print("confusion matrix (rows: true class, columns: predicted class)")
    print(" " * 13 + "".join(f"{i:>{width}d}" for i in range(len(names))))
    for i, row in enumerate(confusion.tolist()):
        print(f"{i:2d} {names[i]:<10s}" + "".join(f"{v:>{width}d}" for v in row))


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["digits", "fashion-mnist"], default="digits")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist",
                        help="folder with the Fashion-MNIST IDX files (default: %(default)s)")
    parser.add_argument("--model", choices=["fast", "classic"], default="fast",
                        help="network for 28x28 images (digits always use the classic net)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the training set (default: 15 digits, 3 fashion-mnist)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="images per step (default: 32 digits, 64 fashion-mnist)")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam's learning rate (default: 2e-3 digits, 1e-3 fashion-mnist)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    parser.add_argument("--test-limit", type=int, default=0,
                        help="use only the first N test images")
    parser.add_argument("--log-interval", type=int, default=200,
                        help="print the running loss every N batches (0: only per epoch)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--seed", type=int, default=1,
                        help="seeds the weights, dropout and shuffling")
    parser.add_argument("--out", default=None, help="save the checkpoint to this file")
    args = parser.parse_args(argv)
    digits = args.dataset == "digits"
    epochs = args.epochs or (15 if digits else 3)
    batch_size = args.batch_size or (32 if digits else 64)
    lr = args.lr or (2e-3 if digits else 1e-3)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    x_train, y_train, classes = load_split(args, train=True)
    x_test, y_test, _ = load_split(args, train=False)
    image_size = x_train.shape[-1]
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(args.seed))
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=500)

    model = make_model(args, image_size).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images of "
          f"{image_size}x{image_size}; {type(model).__name__} with {n_params:,} parameters "
          f"on {device}")

    start, cpu_start = time.perf_counter(), time.process_time()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loss, train_acc = train_epoch(model, train_loader, optimizer, device, epoch,
                                      args.log_interval)
        scheduler.step()
        pred, target = predict(model, test_loader, device)
        print(f"epoch {epoch}/{epochs}  loss {loss:.4f}  train acc {train_acc:.4f}  "
              f"test acc {metrics.accuracy(pred, target):.4f}  ({time.perf_counter() - t0:.1f} s)",
              flush=True)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start

    pred, target = predict(model, test_loader, device)
    result = {
        "accuracy": metrics.accuracy(pred, target),
        "precision": metrics.precision(pred, target, average="macro", num_classes=10),
        "recall": metrics.recall(pred, target, average="macro", num_classes=10),
        "f1": metrics.f1_score(pred, target, average="macro", num_classes=10),
        "seconds": seconds,
    }
    print(f"\ntrained {epochs} epochs in {seconds:.1f} s (process CPU time {cpu_seconds:.1f} s)")
    print(f"test accuracy   {result['accuracy']:.4f}")
    print(f"precision       {result['precision']:.4f} (macro)")
    print(f"recall          {result['recall']:.4f} (macro)")
    print(f"F1              {result['f1']:.4f} (macro)")
    print_confusion(metrics.confusion_matrix(pred, target, num_classes=10), classes)
    if args.out:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": epochs, "args": vars(args)}, args.out)
        print(f"saved checkpoint to {args.out}")
    return result


if __name__ == "__main__":
    main()
