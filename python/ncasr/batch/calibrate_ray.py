"""``ncasr calibrate --engine ray``: each actor runs its batches through the model's
calibration pipeline into a HistogramCollector of its own, the driver merges them, and the
thresholds come from the merged statistics. Merging adds counts (and takes maxima), and
two_pass ranges are fixed from the merged absmax before the histogram pass, so the table
equals a local run's whatever the split between actors."""

from __future__ import annotations

import os
import pickle
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Union

import numpy as np

from .. import _core
from ..audio import load_audio
from ..data import _paths
from ..errors import AudioError, ConfigError
from ..quantization.calibration import COLLECT_MODES, Calibration
from ..quantization.options import CALIBRATION_METHODS
from .progress import ProgressBar
from .ray_engine import actor_count, map_on_actors, ray_connection
from .settings import RayOptions

__all__ = ["calibrate_on_ray", "audio_paths", "audio_problem"]

PathLike = Union[str, "os.PathLike[str]"]
TAIL_PADDING = 0.5  # seconds, as ncasr.calibrate


def audio_paths(sources: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    """The audio files named by ``sources``: files, folders (searched recursively) and
    manifests (.tsv), in the order ``ncasr.calibrate`` takes them.

    Example::

        audio_paths(["wavs/", "extra.tsv"])
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    found = [str(p) for src in sources for p in _paths(src)]
    if not found:
        raise AudioError("no audio was given")
    return found


def audio_problem(samples: np.ndarray) -> Optional[str]:
    """Why an utterance cannot calibrate (empty, NaN or inf, silent), or None.

    Example::

        audio_problem(np.zeros(16000, np.float32))  # "audio is silent (all zeros); it cannot calibrate"
    """
    if samples.size == 0:
        return "empty audio"
    finite = np.isfinite(samples)
    if not finite.all():
        return f"sample {int(np.argmin(finite))} is NaN or infinite"
    if not np.any(samples):
        return "audio is silent (all zeros); it cannot calibrate"
    return None


class RayCollector:
    """A Ray Data actor holding the model's calibration pipeline. Each batch of ``path``
    columns is observed into a fork of the collector it was built with; it returns that
    collector pickled, the batch's ``index`` values, its audio seconds and any ``error``.

    Example::

        dataset.map_batches(RayCollector, fn_constructor_kwargs={"model_dir": "model/",
                            "collector": pickle.dumps(HistogramCollector("online"))})
    """

    def __init__(self, model_dir: str, collector: bytes, mix_to_mono: bool = False) -> None:
        self.runner = _core.ActivationRunner(model_dir, 1)
        self.template = pickle.loads(collector)
        self.mix_to_mono = mix_to_mono

    def __call__(self, batch: Dict[str, Sequence[Any]]) -> Dict[str, List[Any]]:
        collector = self.template.fork()
        audio_s, errors = 0.0, []
        for path in batch["path"]:
            try:
                samples, rate = load_audio(str(path), mix_to_mono=self.mix_to_mono)
            except (AudioError, OSError) as e:
                errors.append(str(e))
                continue
            problem = audio_problem(samples)
            if problem:
                errors.append(f"{path}: {problem}")
                continue
            self.runner.collect(collector, samples, rate, TAIL_PADDING)
            audio_s += samples.size / rate
        return {
            "indices": [",".join(str(int(i)) for i in batch["index"])],
            "count": [len(batch["index"])],
            "collector": [pickle.dumps(collector)],
            "audio_s": [audio_s],
            "error": ["; ".join(errors)],
        }


def _one_pass(
    ray: Any,
    rows: List[Dict[str, Any]],
    main: Any,
    model_dir: str,
    mix_to_mono: bool,
    options: RayOptions,
    bar: ProgressBar,
) -> float:
    """Observe every row once on the actors, merging each batch into ``main`` exactly once."""
    merged: Set[str] = set()
    audio_s = 0.0
    template = pickle.dumps(main.fork())
    kwargs = {"model_dir": model_dir, "collector": template, "mix_to_mono": mix_to_mono}
    for out in map_on_actors(ray, rows, RayCollector, kwargs, options):
        if out["error"]:
            raise AudioError(str(out["error"]))
        if out["indices"] in merged:
            continue
        merged.add(out["indices"])
        main.merge(pickle.loads(out["collector"]))
        audio_s += float(out["audio_s"])
        for _ in range(int(out["count"])):
            bar.update(0.0)
    return audio_s


def calibrate_on_ray(
    model_dir: PathLike,
    audio: Union[PathLike, Iterable[PathLike]],
    options: Optional[RayOptions] = None,
    *,
    method: str = "kl",
    collect: str = "two_pass",
    bins: int = 2048,
    percent: float = 99.99,
    mix_to_mono: bool = False,
    progress: bool = True,
    probe_utterances: int = 2,
) -> Calibration:
    """``ncasr.calibrate`` with the utterances spread over a Ray actor pool (each actor loads
    its own audio and model); the same arguments, the same table.

    Example::

        cal = calibrate_on_ray("model/", ["wavs/"], RayOptions(address="auto"))
        cal.table.save("model.table")
    """
    if method not in CALIBRATION_METHODS:
        raise ConfigError(f"method must be one of {CALIBRATION_METHODS}, got {method!r}")
    if collect not in COLLECT_MODES:
        raise ConfigError(f"collect must be one of {COLLECT_MODES}, got {collect!r}")
    options = options or RayOptions()
    model_dir = os.fspath(model_dir)
    paths = audio_paths(audio)
    keys = [f"{t['net']}/{t['layer']}" for t in _core.ActivationRunner(model_dir, 1).targets]
    rows = [{"index": i, "path": p} for i, p in enumerate(paths)]
    passes = 2 if collect == "two_pass" and method in ("kl", "percentile") else 1
    start = time.perf_counter()
    main = _core.HistogramCollector(collect, bins)
    bar = ProgressBar(len(rows) * passes, progress, desc="calibrating")
    try:
        with ray_connection(options) as ray:
            actor_count(ray, options)
            audio_s = _one_pass(ray, rows, main, model_dir, mix_to_mono, options, bar)
            if passes == 2:
                main.finish_absmax_pass()
                _one_pass(ray, rows, main, model_dir, mix_to_mono, options, bar)
    finally:
        bar.close()
    cal = Calibration(table=_core.ScaleTable(), method=method, utterances=len(paths), audio_seconds=audio_s)
    for key in keys:
        if key not in main:
            cal.never_ran.append(key)
        elif main.stats(key)["absmax"] == 0.0:
            cal.zero_inputs.append(key)
        else:
            cal.table[key] = main.threshold(key, method, percent).scale
    if len(cal.table) == 0:
        raise AudioError("calibration produced no scales: no layer input was ever nonzero")
    cal.seconds = time.perf_counter() - start
    cal.probe = [(*load_audio(p, mix_to_mono=mix_to_mono), p) for p in paths[: max(0, probe_utterances)]]
    return cal
