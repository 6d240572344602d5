"""Which layers lose accuracy in int8: per-layer sensitivity and automatic exclusion.

Sensitivity of a layer = the damage when only that layer is int8 and everything else float,
measured on a few calibration utterances through the real streaming encoder (chunks with
carried states) and greedy decoding:
- ``min_cosine``: the lowest per-chunk cosine between int8 and float encoder outputs;
- ``rel_error``: ||int8 - float|| / ||float|| over all encoder outputs;
- ``token_agreement``: 1 - edit distance / reference length of the greedy token ids.
Layers are reported worst first and named ``<net>/<layer>``. ``auto_exclude`` keeps the
worst layers float until the whole model meets a budget on the lowest chunk cosine.

Every model measured is converted with the caller's ``QuantizeOptions``, so what is
measured is what ``ncasr.quantize`` writes. Cost: one conversion and one decode per
candidate layer; restrict ``candidates`` (keys) or ``types`` on large models.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from ..config import RuntimeOptions
from ..data import Source, gather_audio
from ..metrics import align_words
from .conversion import convert
from .options import QuantizeOptions
from .report import AutoExcludeSummary, LayerOutcome, LayerResult, LayerSensitivity, SensitivityReport
from .statistics import ScaleTable

__all__ = ["STATIC_TYPES", "Probe", "auto_exclude", "measure_sensitivity"]

STATIC_TYPES = ("Convolution", "ConvolutionDepthWise")  # int8 input scales from calibration

Utterance = Tuple[np.ndarray, int, str]


class Probe:
    """A few utterances, their features and the float model's encoder outputs and tokens;
    ``measure`` compares another version of the model with them.

    Example::

        probe = Probe("model", gather_audio(["a.wav"]))
        min_cos, rel_err, agreement = probe.measure("model-int8")
    """

    def __init__(self, model_dir: Union[str, os.PathLike], utterances: Sequence[Utterance]) -> None:
        self.utterances = list(utterances)
        self.feats = [self._fbank(x, rate) for x, rate, _ in self.utterances]
        ref = self._recognizer(os.fspath(model_dir))
        self.ref_out = [ref._r.encode(f) for f in self.feats]
        self.ref_tokens = [list(ref.transcribe(x, rate).token_ids) for x, rate, _ in self.utterances]

    @staticmethod
    def _fbank(x: np.ndarray, rate: int) -> np.ndarray:
        if rate != 16000:
            x = _core.LinearResampler(rate, 16000).resample(x, True)
        fb = _core.OnlineFbank(_core.FbankOptions())
        fb.accept_waveform(np.concatenate([x, np.zeros(8000, np.float32)]))
        fb.input_finished()
        return fb.frames(0, fb.num_frames_ready)

    @staticmethod
    def _recognizer(model_dir: str):
        from ..recognizer import Recognizer

        # The fastest layers, fp32 weights: the float model as calibration ran it.
        return Recognizer.from_dir(model_dir, runtime=RuntimeOptions.fastest(), use_fp16_storage=False)

    def measure(self, model_dir: Union[str, os.PathLike]) -> Tuple[float, float, float]:
        """(lowest per-chunk encoder cosine, relative error, token agreement) of a model
        folder against the float reference.

        Example::

            min_cos = probe.measure("model-int8")[0]
        """
        rec = self._recognizer(os.fspath(model_dir))
        cos, num, den = 1.0, 0.0, 0.0
        for feats, ref in zip(self.feats, self.ref_out):
            for a, b in zip(ref, rec._r.encode(feats)):
                na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
                if na > 0 and nb > 0:
                    cos = min(cos, float((a * b).sum()) / (na * nb))
                num += float(np.sum((a - b) ** 2))
                den += float(np.sum(a * a))
        agree = []
        for (x, rate, _), ref in zip(self.utterances, self.ref_tokens):
            hyp = list(rec.transcribe(x, rate).token_ids)
            agree.append(1.0 - align_words(ref, hyp).errors / max(1, len(ref)))
        return cos, (num / den) ** 0.5 if den > 0 else 0.0, float(np.mean(agree))


class _Workspace:
    """Converts model variants into a scratch folder and measures them with a probe."""

    def __init__(self, model_dir: str, table: Optional[ScaleTable], options: QuantizeOptions, probe: Probe) -> None:
        self.model_dir, self.table, self.options, self.probe = model_dir, table, options, probe
        self.root = tempfile.mkdtemp(prefix=".ncasr-sensitivity-")
        self.count = 0

    def convert(self, options: QuantizeOptions) -> Tuple[str, List[LayerResult]]:
        self.count += 1
        dst = os.path.join(self.root, f"m{self.count}")
        _, layers = convert(self.model_dir, dst, self.table, options)
        return dst, layers

    def measure(self, options: QuantizeOptions) -> Tuple[float, float, float]:
        dst, _ = self.convert(options)
        try:
            return self.probe.measure(dst)
        finally:
            shutil.rmtree(dst, ignore_errors=True)

    def int8_layers(self) -> List[LayerResult]:
        """The layers that go int8 under the options (a dry conversion)."""
        dst, layers = self.convert(self.options)
        shutil.rmtree(dst, ignore_errors=True)
        return [l for l in layers if l.outcome is LayerOutcome.INT8]

    def rank(
        self,
        layers: List[LayerResult],
        everything: List[LayerResult],
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> List[LayerSensitivity]:
        """Each of ``layers`` alone in int8 (every other layer of ``everything`` float); worst first."""
        keys = [l.key for l in everything]
        out = []
        for i, l in enumerate(layers):
            alone = self.options.with_excluded([k for k in keys if k != l.key])
            cos, err, agree = self.measure(alone)
            out.append(LayerSensitivity(l.net, l.name, l.type, cos, err, agree))
            if progress:
                progress(i + 1, len(layers))
        out.sort(key=lambda s: (s.min_cosine, -s.rel_error))
        return out

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _select(
    layers: List[LayerResult], types: Optional[Iterable[str]], keys: Optional[Iterable[str]]
) -> List[LayerResult]:
    if types is not None:
        wanted = set(types)
        layers = [l for l in layers if l.type in wanted]
    if keys is not None:
        wanted = set(keys)
        layers = [l for l in layers if l.key in wanted]
    return layers


def measure_sensitivity(
    model_dir: Union[str, os.PathLike],
    audio: Union[Source, Iterable[Source]],
    table: Optional[ScaleTable] = None,
    *,
    options: Optional[QuantizeOptions] = None,
    types: Optional[Iterable[str]] = None,
    candidates: Optional[Iterable[str]] = None,
    max_utterances: int = 2,
    progress: Optional[Callable[[int, int], None]] = None,
) -> SensitivityReport:
    """Quantize one layer at a time and measure the damage (see the module docstring).

    ``candidates``: ``<net>/<layer>`` keys to measure (default: every layer that goes int8);
    ``types``: only these layer types.

    Example::

        cal = ncasr.calibrate("model", ["a.wav"])
        print(measure_sensitivity("model", ["a.wav"], cal.table, types=["Convolution"]))
    """
    model_dir = os.fspath(model_dir)
    utts = gather_audio(audio)[:max_utterances]
    work = _Workspace(model_dir, table, options or QuantizeOptions(), Probe(model_dir, utts))
    try:
        everything = work.int8_layers()
        ranked = work.rank(_select(everything, types, candidates), everything, progress)
    finally:
        work.close()
    return SensitivityReport(tuple(ranked), len(utts))


def auto_exclude(
    model_dir: Union[str, os.PathLike],
    probe: Probe,
    table: Optional[ScaleTable],
    options: QuantizeOptions,
    min_cosine: float = 0.999,
) -> AutoExcludeSummary:
    """Layers to keep float so that the int8 model's lowest per-chunk encoder cosine to the
    float model is at least ``min_cosine``.

    The whole model is measured first; while it misses the budget the most sensitive layer
    is kept float and the model measured again. Layers with calibrated (static) input
    scales are ranked and tried first, since clipping is where int8 loses most; the
    dynamically quantized layers (LSTM, Gemm) are ranked only if that is not enough, and
    never with ``options.auto_exclude_dynamic=False`` (then the budget may stay unmet:
    ``reached`` says what was reached).

    Example::

        probe = Probe("model", gather_audio(["a.wav"]))
        summary = auto_exclude("model", probe, cal.table, ncasr.QuantizeOptions(), 0.999)
    """
    work = _Workspace(os.fspath(model_dir), table, options, probe)
    excluded: List[str] = []
    ranked: List[LayerSensitivity] = []
    try:
        cos = work.measure(options)[0]
        everything = work.int8_layers() if cos < min_cosine else []
        stages = ("static", "dynamic") if options.auto_exclude_dynamic else ("static",)
        for stage in stages:
            if cos >= min_cosine:
                break
            layers = [
                l for l in everything if (l.type in STATIC_TYPES) == (stage == "static") and l.key not in excluded
            ]
            part = work.rank(layers, everything)
            ranked += part
            for l in part:
                if cos >= min_cosine:
                    break
                excluded.append(l.key)
                cos = work.measure(options.with_excluded(excluded))[0]
    finally:
        work.close()
    return AutoExcludeSummary(
        budget=min_cosine,
        excluded=tuple(excluded),
        reached=cos,
        sensitivity=SensitivityReport(tuple(ranked), len(probe.utterances)),
    )
