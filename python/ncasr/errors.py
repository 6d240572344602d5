"""The exceptions ncasr raises. The C++ core's errors arrive as these classes."""

from __future__ import annotations

import os
from typing import Tuple, Union

__all__ = ["NcasrError", "ModelError", "ModelFileNotFoundError", "AudioError", "ConfigError"]


class NcasrError(Exception):
    """Base class of every error ncasr raises on purpose.

    Example::

        try:
            text = rec.transcribe("hello.wav").text
        except ncasr.NcasrError as e:
            print(f"cannot transcribe: {e}")
    """


class ModelError(NcasrError, ValueError):
    """A model file is missing, malformed, or does not fit with the other files.

    ``path`` names the file (or folder) and ``reason`` says what is wrong with it.

    Example::

        try:
            rec = ncasr.Recognizer.from_dir("model/")
        except ncasr.ModelError as e:
            print(e.path, e.reason)
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> Tuple[type, Tuple[str, str]]:
        return (type(self), (self.path, self.reason))


class ModelFileNotFoundError(ModelError, FileNotFoundError):
    """A model file or folder does not exist.

    Example::

        try:
            info = ncasr.inspect_model("no/such/folder")
        except ncasr.ModelFileNotFoundError as e:
            print("missing:", e.path)
    """


class AudioError(NcasrError, ValueError):
    """Audio that cannot be recognised as given (empty, NaN, wrong rate, ...).

    Example::

        try:
            rec.transcribe(np.zeros(0, np.float32), sample_rate=16000)
        except ncasr.AudioError as e:
            print(e)  # audio is empty
    """


class ConfigError(NcasrError, ValueError):
    """A configuration value outside its valid range.

    Example::

        try:
            ncasr.RecognizerConfig.from_dir("model/", num_threads=0)
        except ncasr.ConfigError as e:
            print(e)  # num_threads must be an int >= 1, got 0
    """
