"""Sequence to sequence: a GRU encoder-decoder that writes numbers in words ("4 0 0 7" -> "four thousand seven").

Shows: ``create_supervised_trainer`` on a model with two inputs (``prepare_batch`` and ``model_fn``), padded
targets ignored by the loss; an evaluator whose process function decodes greedily and returns token lists;
``Bleu`` and ``Rouge`` (ROUGE-2 and ROUGE-L) on them, with an exact-match rate from ``Average``; evaluated on
numbers never seen in training.

    python examples/seq2seq_numbers.py           # 10 epochs on 8000 numbers, 2000 held out
    python examples/seq2seq_numbers.py --fast    # 2 epochs (what CI runs)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.metrics import Average, Bleu, Rouge
from ignite.utils import manual_seed

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
    "seventeen eighteen nineteen".split()  # fmt: skip
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
PAD, BOS, EOS = 0, 1, 2
WORDS = ["<pad>", "<s>", "</s>", *ONES, *TENS[2:], "hundred", "thousand"]
WORD_ID = {w: i for i, w in enumerate(WORDS)}
SRC_LEN, TGT_LEN = 4, 8  # digits (left-padded, so that units are always last); words + </s>


def in_words(n: int) -> list[str]:
    if n == 0:
        return ["zero"]
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    words = [ONES[thousands], "thousand"] if thousands else []
    words += [ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [TENS[rest // 10]] + ([ONES[rest % 10]] if rest % 10 else [])
    elif rest:
        words.append(ONES[rest])
    return words


def encode(numbers: torch.Tensor) -> TensorDataset:
    """Source digits (1-10, 0 = padding), decoder input (<s> words) and target (words </s>)."""
    src = torch.zeros(len(numbers), SRC_LEN, dtype=torch.long)
    tgt = torch.full((len(numbers), TGT_LEN + 1), PAD, dtype=torch.long)
    for i, n in enumerate(numbers.tolist()):
        digits = [int(d) + 1 for d in str(n)]
        src[i, SRC_LEN - len(digits) :] = torch.tensor(digits)
        ids = [BOS] + [WORD_ID[w] for w in in_words(n)] + [EOS]
        tgt[i, : len(ids)] = torch.tensor(ids)
    return TensorDataset(src, tgt[:, :-1], tgt[:, 1:])


class Seq2Seq(nn.Module):
    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.src_embedding = nn.Embedding(11, 32, padding_idx=0)
        self.encoder = nn.GRU(32, hidden, batch_first=True)
        self.tgt_embedding = nn.Embedding(len(WORDS), 64, padding_idx=PAD)
        self.decoder = nn.GRU(64, hidden, batch_first=True)
        self.out = nn.Linear(hidden, len(WORDS))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits ``(N, vocabulary, T)`` of each next word."""
        _, h = self.encoder(self.src_embedding(src))
        y, _ = self.decoder(self.tgt_embedding(tgt_in), h)
        return self.out(y).transpose(1, 2)

    @torch.no_grad()
    def greedy(self, src: torch.Tensor) -> torch.Tensor:
        _, h = self.encoder(self.src_embedding(src))
        token = torch.full((len(src), 1), BOS, dtype=torch.long)
        out = []
        for _ in range(TGT_LEN):
            y, h = self.decoder(self.tgt_embedding(token), h)
            token = self.out(y).argmax(-1)
            out.append(token)
        return torch.cat(out, 1)


def to_words(ids: torch.Tensor) -> list[list[str]]:
    sentences = []
    for row in ids.tolist():
        row = row[: row.index(EOS)] if EOS in row else row
        sentences.append([WORDS[i] for i in row if i != PAD])
    return sentences


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "seq2seq_numbers")
    p.add_argument("--epochs", type=_common.positive_int, default=10)
    p.add_argument("--batch-size", type=_common.positive_int, default=64)
    p.add_argument("--lr", type=_common.positive_float, default=3e-3)
    args = _common.parse(p, argv, fast_epochs=2)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manual_seed(args.seed)
    numbers = torch.randperm(10000)
    train_numbers, test_numbers = numbers[:8000], numbers[8000:]
    if args.fast:
        train_numbers, test_numbers = train_numbers[:3000], test_numbers[:500]
    train_loader = DataLoader(encode(train_numbers), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(encode(test_numbers), batch_size=500)

    model = Seq2Seq()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    def prepare_batch(batch: list[torch.Tensor], device: Any = None, non_blocking: bool = False) -> tuple:
        src, tgt_in, tgt_out = batch
        return (src, tgt_in), tgt_out

    trainer = create_supervised_trainer(
        model,
        optimizer,
        nn.CrossEntropyLoss(ignore_index=PAD),
        prepare_batch=prepare_batch,
        model_fn=lambda model, inputs: model(*inputs),
    )

    def translate(engine: Engine, batch: list[torch.Tensor]) -> tuple[list[list[str]], list[list[list[str]]]]:
        model.eval()
        src, _, tgt_out = batch
        candidates = to_words(model.greedy(src))
        references = [[sentence] for sentence in to_words(tgt_out)]  # one reference per candidate
        return candidates, references

    evaluator = Engine(translate)
    Bleu(ngram=4, smooth="smooth1").attach(evaluator, "bleu")
    Rouge(variants=[2, "L"]).attach(evaluator, "rouge")
    exact = Average(output_transform=lambda out: torch.tensor([[float(c == r[0])] for c, r in zip(*out)]))
    exact.attach(evaluator, "exact_match")

    @trainer.on(Events.EPOCH_COMPLETED)
    def evaluate(engine: Engine) -> None:
        m = evaluator.run(test_loader).metrics
        print(
            f"epoch {engine.state.epoch:3d}  loss {engine.state.output:.4f}  BLEU {m['bleu']:.4f}  "
            f"ROUGE-L F {m['Rouge-L-F']:.4f}  exact {m['exact_match'].item():.3f}",
            flush=True,
        )

    trainer.run(train_loader, max_epochs=args.epochs)

    examples = torch.tensor([7, 19, 40, 115, 2026, 9999])
    for n, words in zip(examples.tolist(), to_words(model.greedy(encode(examples).tensors[0]))):
        print(f"{n:5d} -> {' '.join(words)}")
    m = evaluator.state.metrics
    _common.report(
        {
            "bleu": round(m["bleu"], 4),
            "rouge_2_f": round(m["Rouge-2-F"], 4),
            "rouge_l_f": round(m["Rouge-L-F"], 4),
            "exact_match": round(m["exact_match"].item(), 4),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
