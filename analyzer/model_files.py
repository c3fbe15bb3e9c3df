"""Where the project's trained model files live (``models/`` at the top of the checkout).

``ANALYZER_MODELS`` overrides the location (e.g. for a non-editable install).
"""

from __future__ import annotations

import os
from pathlib import Path


def models_dir() -> Path:
    return Path(os.environ.get("ANALYZER_MODELS", Path(__file__).resolve().parents[1] / "models"))


def shipped_model(name: str) -> Path:
    """``models/<name>``: a model trained by this project's scripts and committed with it."""
    return models_dir() / name


def shared_data_dir() -> Path:
    """The third-party training/evaluation data (``../shared/data`` beside the checkout), or
    ``ANALYZER_SHARED_DATA``."""
    return Path(os.environ.get("ANALYZER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
