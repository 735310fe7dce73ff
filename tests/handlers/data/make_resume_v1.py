"""Writes the ExactResume format-1 fixtures (``resume_v1_*.pt``) read by ``test_resume.py``.

They were written by commit 6635ec1 (before the RNG capture moved to ``ignite/_rng.py``), so that the test checks
that checkpoints of that version still resume exactly. Run from the repository root:
``PYTHONPATH=. python tests/handlers/data/make_resume_v1.py``.
"""

import sys
from pathlib import Path

import torch

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent))

from test_resume import Setup  # noqa: E402

from ignite.engine import Events  # noqa: E402

STOP_AT = 10  # mid-epoch (7 batches per epoch)

for name, setup in [("plain", Setup()), ("deterministic", Setup(deterministic=True))]:
    s = setup.build()

    def save(engine, s=s, name=name):
        objs = {k: v.state_dict() for k, v in s.to_save.items()}
        torch.save(objs, here / f"resume_v1_{name}_it{STOP_AT}.pt")
        engine.terminate()

    s.trainer.add_event_handler(Events.ITERATION_COMPLETED(once=STOP_AT), save)
    s.run()
