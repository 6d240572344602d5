"""The exceptions ncasr raises. The C++ core's errors arrive as these classes."""

from __future__ import annotations

__all__ = ["NcasrError", "ModelError", "ModelFileNotFoundError", "AudioError", "ConfigError"]


class NcasrError(Exception):
    """Base class of every error ncasr raises on purpose."""


class ModelError(NcasrError, ValueError):
    """A model file is missing, malformed, or does not fit with the other files.

    ``path`` names the file (or folder) and ``reason`` says what is wrong with it.
    """

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


class ModelFileNotFoundError(ModelError, FileNotFoundError):
    """A model file or folder does not exist."""


class AudioError(NcasrError, ValueError):
    """Audio that cannot be recognised as given (empty, NaN, wrong rate, ...)."""


class ConfigError(NcasrError, ValueError):
    """A configuration value outside its valid range."""
