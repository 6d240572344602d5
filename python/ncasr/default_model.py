"""The model that ships inside the package: a small streaming LSTM transducer trained here
by recipes/reference_lstm (its MODEL_CARD.md says on what data and how well it does)."""

from __future__ import annotations

from pathlib import Path

from .errors import ModelFileNotFoundError

DEFAULT_MODEL_NAME = "reference-lstm-en"

_MODELS_ROOT = Path(__file__).resolve().parent / "models"


def default_model_dir() -> Path:
    """Folder of the bundled reference model (encoder/decoder/joiner files and tokens.txt).

    Raises ModelFileNotFoundError when the package was installed without it.

    Example::

        rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())
    """
    folder = _MODELS_ROOT / DEFAULT_MODEL_NAME
    if not (folder / "tokens.txt").is_file():
        raise ModelFileNotFoundError(
            folder, "the bundled default model is missing from this installation; pass a model folder explicitly"
        )
    return folder
