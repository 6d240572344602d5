"""``ncasr bench --engine ray``: WER, CER and RTF of each model over a manifest, the
utterances spread over a Ray actor pool; plus the cluster's throughput (hours of audio per
hour of wall time). Only ncasr itself runs (no peers, no latency columns)."""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Union

from ..bench.runner import BenchRecord, Target, _net_files
from ..data import read_manifest
from ..errors import ConfigError
from ..metrics import char_error_rate, word_error_rate
from .ray_engine import RayTranscriber, actor_count, map_on_actors, ray_connection
from .settings import DecodeSettings, RayOptions
from .transcribe import utterance_items

__all__ = ["ClusterBench", "bench_on_ray"]


@dataclass
class ClusterBench:
    """One model's benchmark record and the wall time of each run on the cluster.

    Example::

        for b in bench_on_ray(["model/"], "test.tsv", RayOptions(num_actors=4)):
            print(b.record.wer, b.audio_hours_per_hour)
    """

    record: BenchRecord
    actors: int
    wall_seconds: List[float] = field(default_factory=list)

    @property
    def audio_hours_per_hour(self) -> float:
        """Audio per wall time of the fastest run.

        Example::

            print(f"{bench.audio_hours_per_hour:.0f} h/h")
        """
        return self.record.audio_s / min(self.wall_seconds) if self.wall_seconds else 0.0


def bench_on_ray(
    models: Sequence[str],
    manifest: Union[str, "os.PathLike[str]"],
    options: Optional[RayOptions] = None,
    settings: Optional[DecodeSettings] = None,
    *,
    repeat: int = 1,
    progress: Optional[Callable[[str], None]] = None,
) -> List[ClusterBench]:
    """Benchmark each of ``models`` (``DIR`` or ``DIR:int8``/``DIR:float``) on ``manifest``
    with one Recognizer per Ray actor (``settings`` gives the decoding options).

    Example::

        results = bench_on_ray(["model/", "model/:int8"], "test.tsv", RayOptions(address="auto"))
        print(markdown([b.record for b in results]))
    """
    if repeat < 1:
        raise ConfigError(f"repeat must be >= 1, got {repeat}")
    options = options or RayOptions()
    settings = settings or DecodeSettings()
    items = utterance_items(manifest, read_manifest(manifest))
    refs = [item["text"] for item in items]
    out: List[ClusterBench] = []
    with ray_connection(options) as ray:
        actors = actor_count(ray, options)
        for spec in models:
            target = Target.parse(spec)
            if target.format != "ncnn":
                raise ConfigError(f"{spec}: the ray engine runs ncnn model folders only")
            found = _net_files(target)
            run_settings = dataclasses.replace(
                settings, model_dir=target.model_dir, variant=target.variant, num_threads=options.threads_per_actor
            )
            record = BenchRecord(
                model=Path(target.model_dir).name or target.model_dir,
                model_dir=target.model_dir,
                variant=target.variant,
                precision="int8" if found["int8"] else "fp16",
                backend=f"ncasr (ray, {actors} actors)",
                threads=options.threads_per_actor,
                method=settings.method,
                size_bytes=found["sizes"],
            )
            bench = ClusterBench(record, actors)
            runs: List[Dict[str, dict]] = []
            for r in range(repeat):
                if progress:
                    progress(f"run {r + 1}/{repeat}: {record.model} on {actors} actors")
                start = time.perf_counter()
                by_id = {
                    str(row["id"]): json.loads(str(row["line"]))
                    for row in map_on_actors(ray, items, RayTranscriber, {"settings": run_settings}, options)
                }
                bench.wall_seconds.append(time.perf_counter() - start)
                runs.append(by_id)
            _aggregate(record, items, refs, runs)
            out.append(bench)
    return out


def _aggregate(record: BenchRecord, items: List[dict], refs: List[str], runs: List[Dict[str, dict]]) -> None:
    first = runs[0]
    failed = [r for r in first.values() if "error" in r]
    if failed or len(first) != len(items):
        record.error = failed[0]["error"] if failed else f"{len(items) - len(first)} utterances had no result"
        return
    record.hypotheses = [first[item["id"]]["text"] for item in items]
    record.stable = all([run[item["id"]]["text"] for item in items] == record.hypotheses for run in runs)
    counts = word_error_rate(refs, record.hypotheses)
    edits, chars = char_error_rate(refs, record.hypotheses)
    record.utterances = len(items)
    record.audio_s = sum(r["duration"] for r in first.values())
    record.ref_words, record.wer, record.cer = counts.ref_words, counts.wer, edits / max(chars, 1)
    record.substitutions, record.deletions = counts.substitutions, counts.deletions
    record.insertions = counts.insertions
    record.rtf_runs = [sum(r["decode_s"] for r in run.values()) / record.audio_s for run in runs]
    record.rtf_median = statistics.median(record.rtf_runs)
    record.rtf_min, record.rtf_max = min(record.rtf_runs), max(record.rtf_runs)
