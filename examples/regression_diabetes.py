"""Regression: a small MLP on scikit-learn's diabetes data (442 patients, 10 features, disease progression).

Shows: a regression model with ``create_supervised_trainer``; the regression metrics (MAE, MSE, RMSE, R²,
Pearson correlation, maximum and median absolute error, mean absolute relative error) attached to one
evaluator and reported in the target's units; a closed-form least-squares fit scored by the same evaluator as
the baseline to beat; a scatter plot of predictions against truth (``predictions.png``).

    python examples/regression_diabetes.py          # 60 epochs
    python examples/regression_diabetes.py --fast   # 20 epochs (what CI runs)
"""

from __future__ import annotations

import argparse
import sys

import _common
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ignite.engine import Engine, create_supervised_evaluator, create_supervised_trainer
from ignite.metrics import MeanAbsoluteError, MeanSquaredError, RootMeanSquaredError
from ignite.metrics.regression import (
    MaximumAbsoluteError,
    MeanAbsoluteRelativeError,
    MedianAbsoluteError,
    PearsonCorrelation,
    R2Score,
)
from ignite.utils import manual_seed


class Linear(nn.Module):
    """Least squares, solved in closed form: the baseline."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        super().__init__()
        design = torch.cat([x, torch.ones(len(x), 1)], 1)
        self.register_buffer("w", torch.linalg.lstsq(design, y).solution)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, torch.ones(len(x), 1)], 1) @ self.w


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _common.parser(__doc__, "regression_diabetes")
    p.add_argument("--epochs", type=_common.positive_int, default=60)
    p.add_argument("--lr", type=_common.positive_float, default=1e-3)
    args = _common.parse(p, argv, fast_epochs=20)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manual_seed(args.seed)
    x = _common.sklearn_csv("diabetes_data_raw.csv.gz")
    y = _common.sklearn_csv("diabetes_target.csv.gz").reshape(-1, 1)
    perm = torch.randperm(len(x))
    train, test = perm[:354], perm[354:]
    mean, std = x[train].mean(0), x[train].std(0)
    x = (x - mean) / std
    y_mean, y_std = y[train].mean(), y[train].std()
    y_scaled = (y - y_mean) / y_std  # the model learns standardized targets; metrics are in the original units

    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-3)
    trainer = create_supervised_trainer(model, optimizer, nn.MSELoss())
    train_loader = DataLoader(TensorDataset(x[train], y_scaled[train]), batch_size=32, shuffle=True)
    test_loader = DataLoader(TensorDataset(x[test], y[test]), batch_size=len(test))

    def evaluator_for(net: nn.Module) -> Engine:
        metrics = {
            "MAE": MeanAbsoluteError(),
            "MSE": MeanSquaredError(),
            "RMSE": RootMeanSquaredError(),
            "R2": R2Score(),
            "Pearson": PearsonCorrelation(),
            "MaxAE": MaximumAbsoluteError(),
            "MedianAE": MedianAbsoluteError(),
            "MARE": MeanAbsoluteRelativeError(),
        }
        return create_supervised_evaluator(
            net, metrics=metrics, output_transform=lambda x, y, y_pred: (y_pred * y_std + y_mean, y)
        )

    trainer.run(train_loader, max_epochs=args.epochs)
    mlp = evaluator_for(model).run(test_loader).metrics
    baseline = evaluator_for(Linear(x[train], y_scaled[train])).run(test_loader).metrics

    print(f"{'metric':10s}{'MLP':>10s}{'least squares':>16s}")
    for name in mlp:
        print(f"{name:10s}{mlp[name]:10.3f}{baseline[name]:16.3f}")

    # the plot: predicted against true progression on the held-out patients
    model.eval()
    with torch.no_grad():
        predicted = model(x[test]) * y_std + y_mean
    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(y[test], predicted, s=12)
    ax.plot([25, 346], [25, 346], color="gray", linestyle="--")
    ax.set_xlabel("true progression")
    ax.set_ylabel("predicted progression")
    ax.set_title(f"diabetes, held-out patients (R² = {mlp['R2']:.2f})")
    _common.save(fig, args.output_dir / "predictions.png")
    rounded = {name: {k: round(v, 4) for k, v in m.items()} for name, m in (("mlp", mlp), ("least_squares", baseline))}
    _common.report(rounded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
