"""The logger modules import no backend: it is imported when a logger is created."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_logger_modules_import_no_backend():
    code = (
        "import sys, ignite.handlers as h\n"
        "import ignite.handlers.tensorboard_logger, ignite.handlers.visdom_logger, ignite.handlers.mlflow_logger\n"
        "import ignite.handlers.wandb_logger, ignite.handlers.file_logger, ignite.handlers.fbresearch_logger\n"
        "h.TensorboardLogger, h.VisdomLogger, h.MLflowLogger, h.WandBLogger, h.FileLogger, h.FBResearchLogger\n"
        "import ignite.contrib.handlers as c\n"
        "assert c.TensorboardLogger is h.TensorboardLogger and c.WandBLogger is h.WandBLogger\n"
        "heavy = ['tensorboardX', 'torch.utils.tensorboard', 'tensorboard', 'visdom', 'mlflow', 'wandb',\n"
        "         'matplotlib']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
