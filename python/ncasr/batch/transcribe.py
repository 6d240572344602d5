"""``ncasr transcribe --manifest``: a manifest in, one JSON line per utterance out, on the
local engine (processes) or the Ray engine (an actor pool on a cluster)."""

from __future__ import annotations

import os
import time
from typing import Any, Dict, List, Optional, Union

from ..data import ManifestEntry, ManifestError, read_manifest
from ..errors import ConfigError
from .local import run_local
from .output import ResultsFile, sort_results
from .progress import ProgressBar
from .settings import ENGINES, DecodeSettings, RayOptions
from .summary import TranscribeSummary, summarize
from .worker import Outcome

__all__ = ["transcribe_manifest", "utterance_items"]

PathLike = Union[str, "os.PathLike[str]"]


def utterance_items(manifest: PathLike, entries: List[ManifestEntry]) -> List[Dict[str, Any]]:
    """``{"id", "path", "text"}`` per entry; an entry without an ``id`` column is known by
    its audio path. A repeated id is a ManifestError naming both lines.

    Example::

        items = utterance_items("test.tsv", read_manifest("test.tsv"))
    """
    seen: Dict[str, int] = {}
    items = []
    for e in entries:
        uid = e.id or e.path
        if uid in seen:
            raise ManifestError(manifest, e.line, f"utterance id {uid!r} repeats line {seen[uid]}")
        seen[uid] = e.line
        items.append({"id": uid, "path": e.path, "text": e.text})
    return items


def transcribe_manifest(
    manifest: PathLike,
    output: PathLike,
    settings: Optional[DecodeSettings] = None,
    *,
    engine: str = "local",
    processes: int = 0,
    ray: Optional[RayOptions] = None,
    progress: bool = True,
) -> TranscribeSummary:
    """Transcribe every utterance of ``manifest`` (the TSV format of ncasr.data) into the
    JSON-lines file ``output``, skipping ids it already holds, then sort it by id and
    summarise it (WER/CER where the manifest has text).

    ``engine``: ``local`` (``processes`` processes, 0 = one per CPU) or ``ray``
    (``ray`` options). ``progress``: a tqdm bar with hours of audio and wall-clock RTF.

    Example::

        summary = transcribe_manifest("test.tsv", "out.jsonl", DecodeSettings(), engine="local")
        print(summary)
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {ENGINES}, got {engine!r}")
    settings = settings or DecodeSettings()
    settings.config()  # a bad model folder or option fails here, not in every worker
    items = utterance_items(manifest, read_manifest(manifest))
    results = ResultsFile(output)
    pending = [item for item in items if item["id"] not in results.done]
    summary = TranscribeSummary(os.fspath(output), engine, 0, skipped=len(items) - len(pending))
    bar = ProgressBar(len(pending), progress)
    start = time.perf_counter()

    def on_result(outcome: Outcome) -> None:
        if summary.startup_seconds is None:
            summary.startup_seconds = time.perf_counter() - start
        if results.write(outcome.id, outcome.line, failed=outcome.failed) and not outcome.failed:
            summary.transcribed += 1
            summary.run_audio_seconds += outcome.duration
        bar.update(outcome.duration)

    try:
        if pending and engine == "local":
            summary.workers = run_local(settings, pending, on_result, processes=processes)
        elif pending:
            from .ray_engine import run_ray

            summary.workers = run_ray(settings, pending, on_result, ray or RayOptions())
    finally:
        bar.close()
        results.close()
    summary.wall_seconds = time.perf_counter() - start
    sort_results(output)
    return summarize(output, summary)
