"""The local engine: one process per core, each holding one Recognizer; results arrive as
each utterance finishes. Processes are spawned (not forked), so a parent that has run
ncnn's thread pool is safe to start them."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Dict, Iterable, Optional, Set

from ..errors import ConfigError, NcasrError
from .settings import DecodeSettings
from .worker import Outcome, UtteranceTranscriber

__all__ = ["run_local", "local_workers"]

_transcriber: Optional[UtteranceTranscriber] = None


def _start(settings: DecodeSettings) -> None:
    global _transcriber
    _transcriber = UtteranceTranscriber(settings)


def _transcribe(item: Dict[str, Any]) -> Outcome:
    assert _transcriber is not None, "worker process was not initialised"
    return _transcriber(item)


def local_workers(processes: int = 0) -> int:
    """How many processes ``processes`` means: 0 is one per CPU this process may use.

    Example::

        local_workers(0)  # e.g. 2 on a 2-core machine
    """
    if processes < 0:
        raise ConfigError(f"processes must be >= 0, got {processes}")
    if processes:
        return processes
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_local(
    settings: DecodeSettings,
    items: Iterable[Dict[str, Any]],
    on_result: Callable[[Outcome], None],
    *,
    processes: int = 0,
) -> int:
    """Transcribe ``items`` (``{"id", "path", "text"}``) on local processes, calling
    ``on_result`` in this process as each finishes; at most a few items per process are
    queued at a time. Returns the number of processes used.

    Example::

        run_local(DecodeSettings(), [{"id": "u1", "path": "a.wav", "text": ""}], print, processes=2)
    """
    workers = local_workers(processes)
    window = 4 * workers
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(settings,)) as pool:
        running: Set[Future] = set()
        try:
            for item in items:
                running.add(pool.submit(_transcribe, item))
                if len(running) >= window:
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    for f in finished:
                        on_result(f.result())
            while running:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for f in finished:
                    on_result(f.result())
        except BrokenProcessPool:
            raise NcasrError(
                "a transcription process died (out of memory, or a crash); the results so far are kept: "
                "run the same command again to resume"
            ) from None
    return workers
