"""A DCGAN that learns to draw 8x8 digits, scored with FID and Inception Score.

Shows: a GAN step with two models and two optimizers in one process function returning a dict of outputs;
``RunningAverage`` of each output; an evaluation engine whose process function generates images, scored by
``FID`` and ``InceptionScore`` with a small feature extractor (a digits CNN trained first, in seconds; the
default Inception network would need torchvision and downloaded weights); the same metrics used directly on
real images as a reference; a checkpoint of both models and optimizers; a ``FileLogger``; a grid of samples.

    python examples/dcgan_digits.py            # 100 epochs
    python examples/dcgan_digits.py --fast     # 3 epochs (what CI runs)
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
from ignite.handlers import Checkpoint, DiskSaver, FileLogger
from ignite.metrics import FID, InceptionScore, RunningAverage
from ignite.utils import manual_seed

NZ = 32  # size of the latent vector


def generator() -> nn.Module:
    return nn.Sequential(
        nn.ConvTranspose2d(NZ, 128, 4, 1, 0, bias=False),  # 4x4
        nn.BatchNorm2d(128),
        nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),  # 8x8
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.Conv2d(64, 1, 3, 1, 1),
        nn.Tanh(),
    )


def discriminator() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1),  # 4x4
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False),  # 2x2
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 2, 1, 0),  # 1x1: a logit
        nn.Flatten(),
    )


def train_feature_extractor(train: tuple[torch.Tensor, torch.Tensor], epochs: int) -> nn.Module:
    """A digits classifier; its last hidden layer gives FID's features, its softmax Inception Score's classes."""
    model = _common.digits_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    trainer.run(DataLoader(TensorDataset(*train), batch_size=64, shuffle=True), max_epochs=epochs)
    return model.eval()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "dcgan_digits")
    p.add_argument("--epochs", type=_common.positive_int, default=100)
    p.add_argument("--batch-size", type=_common.positive_int, default=64)
    p.add_argument("--lr", type=_common.positive_float, default=2e-4)
    p.add_argument("--eval-every", type=_common.positive_int, default=25, help="epochs between FID/IS evaluations")
    p.add_argument("--data-dir", type=_common.digits_dir, help="read DIR/digits.npz instead of scikit-learn's copy")
    args = _common.parse(p, argv)
    if args.fast:
        args.epochs, args.eval_every = min(args.epochs, 3), 3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.output_dir
    manual_seed(args.seed)
    data = _common.digits(args.data_dir, seed=args.seed)
    real_train = data["train"][0]

    classifier = train_feature_extractor(data["train"], epochs=2 if args.fast else 8)
    features = classifier[:-2]  # up to the flattened 256 features
    probabilities = nn.Sequential(classifier, nn.Softmax(dim=1))

    net_g, net_d = generator(), discriminator()
    opt_g = torch.optim.Adam(net_g.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(net_d.parameters(), lr=args.lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()

    def gan_step(engine: Engine, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        real = batch[0] * 2 - 1  # [0, 1] -> the generator's [-1, 1]
        ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
        net_g.train(), net_d.train()
        fake = net_g(torch.randn(len(real), NZ, 1, 1))
        # the discriminator: real -> 1, fake -> 0
        opt_d.zero_grad()
        d_real = net_d(real)
        loss_d = bce(d_real, ones) + bce(net_d(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        # the generator: make the discriminator say 1 on fakes
        opt_g.zero_grad()
        d_fake = net_d(fake)
        loss_g = bce(d_fake, ones)
        loss_g.backward()
        opt_g.step()
        return {
            "loss_d": loss_d.item(),
            "loss_g": loss_g.item(),
            "D_x": torch.sigmoid(d_real).mean().item(),
            "D_G_z": torch.sigmoid(d_fake).mean().item(),
        }

    trainer = Engine(gan_step)
    for name in ("loss_d", "loss_g", "D_x", "D_G_z"):
        RunningAverage(output_transform=lambda out, name=name: out[name]).attach(trainer, name)

    # evaluation: each iteration generates as many images as the real batch it is compared with
    def generate(engine: Engine, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        net_g.eval()
        with torch.no_grad():
            fake = (net_g(torch.randn(len(batch[0]), NZ, 1, 1)) + 1) / 2
        return fake, batch[0]

    evaluator = Engine(generate)
    FID(num_features=256, feature_extractor=features).attach(evaluator, "fid")
    InceptionScore(num_features=10, feature_extractor=probabilities, output_transform=lambda o: o[0]).attach(
        evaluator, "is"
    )
    # generated images against the held-out real ones (360): FID depends on the sample size, so the reference
    # below compares as many real training images with the same held-out set
    real_loader = DataLoader(TensorDataset(*data["test"]), batch_size=180)
    history: list[dict[str, Any]] = []
    fixed_noise = torch.randn(40, NZ, 1, 1)

    @trainer.on(Events.EPOCH_COMPLETED(every=args.eval_every) | Events.COMPLETED)
    def evaluate(engine: Engine) -> None:
        if history and history[-1]["epoch"] == engine.state.epoch:
            return
        m = evaluator.run(real_loader).metrics
        history.append({"epoch": engine.state.epoch, "fid": m["fid"], "is": m["is"]})
        s = engine.state.metrics
        print(
            f"epoch {engine.state.epoch:4d}  loss D {s['loss_d']:.3f}  loss G {s['loss_g']:.3f}  "
            f"D(x) {s['D_x']:.2f}  D(G(z)) {s['D_G_z']:.2f}  FID {m['fid']:.3f}  IS {m['is']:.2f}",
            flush=True,
        )

    to_save = {"generator": net_g, "discriminator": net_d, "opt_g": opt_g, "opt_d": opt_d, "trainer": trainer}
    trainer.add_event_handler(
        Events.EPOCH_COMPLETED(every=args.eval_every),
        Checkpoint(to_save, DiskSaver(out / "checkpoints", require_empty=False), n_saved=1),
    )
    log = out / "log.jsonl"
    log.unlink(missing_ok=True)
    with FileLogger(log) as file_logger:
        file_logger.attach_output_handler(
            trainer, Events.EPOCH_COMPLETED, tag="training", metric_names=["loss_d", "loss_g", "D_x", "D_G_z"]
        )
        file_logger.attach_output_handler(evaluator, Events.COMPLETED, tag="generated", metric_names=["fid", "is"])
        train_loader = DataLoader(TensorDataset(*data["train"]), batch_size=args.batch_size, shuffle=True)
        trainer.run(train_loader, max_epochs=args.epochs)

    # the same metrics on real images: the best a generator could hope for
    fid, score = FID(num_features=256, feature_extractor=features), InceptionScore(10, probabilities)
    real_test = data["test"][0]
    fid.update((real_train[: len(real_test)], real_test))
    score.update(real_train[: len(real_test)])
    reference = {"fid": fid.compute(), "is": score.compute()}
    print(f"real training images vs the held-out ones: FID {reference['fid']:.3f}  IS {reference['is']:.2f}")

    net_g.eval()
    with torch.no_grad():
        samples = (net_g(fixed_noise) + 1) / 2
    grid = _common.image_grid(samples, out / "samples.png", f"DCGAN samples after {args.epochs} epochs")
    print(f"samples: {grid}")
    _common.report(
        {
            "epochs": args.epochs,
            "fid_first": round(history[0]["fid"], 4),
            "fid_last": round(history[-1]["fid"], 4),
            "is_last": round(history[-1]["is"], 3),
            "fid_real": round(reference["fid"], 4),
            "is_real": round(reference["is"], 3),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
