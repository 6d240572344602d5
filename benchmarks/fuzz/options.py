"""What a fuzz run is asked to do (the command line's flags, and a few knobs for tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional


@dataclass
class Options:
    cases: int = 1000
    seed: int = 0
    jobs: int = 2
    time_limit: float = 3600.0
    per_case_timeout: float = 60.0
    memory_limit_mb: int = 4096  # per child: two at once must fit a small machine
    long_silence_seconds: int = 7200  # the one long-audio case; 0 leaves it out
    model_share: float = 0.65  # fraction of cases that damage a model folder
    only: Optional[List[int]] = None  # run just these case indices
    check_subprocess: int = 0
    keep_failures: Optional[Path] = None
    keep_max: int = 20  # kept folders per (verdict, kind)
    json_path: Optional[Path] = None
    max_listed: int = 40  # failing cases printed
    progress: bool = True
    small_models: Optional[List[Path]] = None  # None: tests/data/icefall-arch/*-small
    work_dir: Optional[Path] = None
