"""What a batch job decodes with (DecodeSettings) and how it spreads over Ray (RayOptions)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from ..errors import ConfigError

__all__ = ["DecodeSettings", "RayOptions", "ENGINES"]

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class DecodeSettings:
    """The model and decoding options every worker builds its Recognizer from.

    ``model_dir=None`` is the bundled default model. Each worker (a local process or a Ray
    actor) holds one Recognizer with ``num_threads`` threads.

    Example::

        settings = DecodeSettings(model_dir="model/", method="modified_beam_search")
        rec = settings.recognizer()
    """

    model_dir: Optional[str] = None
    variant: str = ""
    method: str = "greedy_search"
    num_active_paths: int = 4
    num_threads: int = 1
    hotwords_file: Optional[str] = None
    hotwords_score: float = 1.5
    sherpa_ncnn: bool = False  # RuntimeOptions.sherpa_ncnn() instead of RuntimeOptions.fastest()
    mix_to_mono: bool = False

    def resolved_model_dir(self) -> str:
        """``model_dir``, or the bundled model's folder when it is None.

        Example::

            DecodeSettings().resolved_model_dir()  # .../ncasr/models/reference-lstm-en
        """
        if self.model_dir is not None:
            return os.fspath(self.model_dir)
        from ..default_model import default_model_dir

        return str(default_model_dir())

    def config(self) -> "RecognizerConfig":  # noqa: F821 - imported lazily
        """The RecognizerConfig these settings give; checks the model folder and options
        without loading the nets.

        Example::

            DecodeSettings(model_dir="model/", variant="int8").config().variant  # "int8"
        """
        from ..config import RecognizerConfig, RuntimeOptions

        preset = RuntimeOptions.sherpa_ncnn() if self.sherpa_ncnn else RuntimeOptions.fastest()
        return RecognizerConfig.from_dir(
            self.resolved_model_dir(),
            runtime=preset,
            method=self.method,
            num_active_paths=self.num_active_paths,
            num_threads=self.num_threads,
            hotwords_file=self.hotwords_file,
            hotwords_score=self.hotwords_score,
            variant=self.variant,
        )

    def recognizer(self) -> "Recognizer":  # noqa: F821 - imported lazily
        """A Recognizer with these settings.

        Example::

            text = DecodeSettings().recognizer().transcribe("a.wav").text
        """
        from ..recognizer import Recognizer

        return Recognizer(self.config())


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide a Ray job runs.

    ``address``: None starts a local Ray instance (unless this process is already connected),
    ``"auto"`` or ``"HOST:PORT"`` joins a running cluster (``ray start --head``).
    ``num_actors``: 0 is one per ``threads_per_actor`` CPUs of the cluster. Each actor holds
    one model and takes ``threads_per_actor`` CPUs. ``batch_size``: utterances per Ray task,
    the unit that is run again when its actor dies (Ray Data restarts the actor).

    Example::

        options = RayOptions(address="auto", num_actors=8, threads_per_actor=2)
    """

    address: Optional[str] = None
    num_actors: int = 0
    threads_per_actor: int = 1
    batch_size: int = 8

    def __post_init__(self) -> None:
        if self.num_actors < 0:
            raise ConfigError(f"num_actors must be >= 0, got {self.num_actors}")
        for name in ("threads_per_actor", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
