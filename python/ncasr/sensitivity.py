"""Which layers lose accuracy in int8: per-layer sensitivity and automatic exclusion.

Sensitivity of a layer = the damage when only that layer is int8 and everything else float,
measured on a few calibration utterances through the real streaming encoder (chunks with
carried states) and greedy decoding:
- ``min_cosine``: the lowest per-chunk cosine between int8 and float encoder outputs;
- ``rel_error``: ||int8 - float|| / ||float|| over all encoder outputs;
- ``token_agreement``: 1 - edit distance / reference length of the greedy token ids.
Layers are reported worst first. ``auto_exclude`` keeps the worst layers float until the
whole model meets a budget on the lowest chunk cosine.

Cost: one conversion and one decode per candidate layer; restrict ``candidates`` (names)
or ``types`` on large models.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Dict, Iterable, List, Optional

import numpy as np

from . import _core
from .config import RuntimeOptions
from .data import gather_audio
from .errors import ConfigError
# one direction only: int8_model imports this module inside quantize(), not at import time
from .int8_model import quantize
from .metrics import align_words

__all__ = ["LayerSensitivity", "SensitivityReport", "measure_sensitivity", "auto_exclude"]


@dataclass(frozen=True)
class LayerSensitivity:
    net: str
    name: str
    type: str
    min_cosine: float
    rel_error: float
    token_agreement: float


@dataclass
class SensitivityReport:
    layers: List[LayerSensitivity] = field(default_factory=list)  # worst first
    utterances: int = 0

    def to_dict(self) -> dict:
        return {"utterances": self.utterances, "layers": [asdict(l) for l in self.layers]}

    def __str__(self) -> str:
        lines = [f"per-layer int8 sensitivity on {self.utterances} utterance(s), worst first:",
                 f"  {'net':8} {'layer':28} {'type':14} {'min cos':>9} {'rel err':>9} {'tokens':>7}"]
        for l in self.layers:
            lines.append(f"  {l.net:8} {l.name:28} {l.type:14} {l.min_cosine:9.5f} "
                         f"{l.rel_error:9.2e} {l.token_agreement:7.3f}")
        return "\n".join(lines)


class _Probe:
    """Features of a few utterances and the float model's encoder outputs and tokens."""

    def __init__(self, model_dir: str, utterances):
        self.feats = [self._fbank(x, rate) for x, rate, _ in utterances]
        ref = self._recognizer(model_dir)
        self.ref_out = [ref._r.encode(f) for f in self.feats]
        self.ref_tokens = [self._tokens(ref, x, rate) for x, rate, _ in utterances]
        self.utterances = utterances

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
        from .recognizer import Recognizer

        # The fastest layers, fp32 weights: the float model as calibration ran it.
        return Recognizer.from_dir(model_dir, runtime=RuntimeOptions.fastest(),
                                   use_fp16_storage=False)

    @staticmethod
    def _tokens(rec, x, rate) -> List[int]:
        return list(rec.transcribe(x, rate).token_ids)

    def measure(self, model_dir: str):
        rec = self._recognizer(model_dir)
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
            hyp = self._tokens(rec, x, rate)
            agree.append(1.0 - align_words(ref, hyp).errors / max(1, len(ref)))
        return cos, (num / den) ** 0.5 if den > 0 else 0.0, float(np.mean(agree))


def _candidates(model_dir: str, table, types: Optional[Iterable[str]],
                names: Optional[Iterable[str]], ncasr_int8_gemm: bool = False) -> List[dict]:
    """Layers that go int8 when everything is quantized (a dry conversion)."""
    work = tempfile.mkdtemp(prefix=".ncasr-sensitivity-")
    try:
        report = quantize(model_dir, os.path.join(work, "all"), table, ncasr_int8_gemm=ncasr_int8_gemm)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _filter([l for l in report.layers if l["action"].startswith("int8")], types, names)


def _filter(layers: List[dict], types, names) -> List[dict]:
    if types is not None:
        types = set(types)
        layers = [l for l in layers if l["type"] in types]
    if names is not None:
        names = set(names)
        layers = [l for l in layers if l["name"] in names]
    return layers


def measure_sensitivity(model_dir, audio, table=None, *, types=None, candidates=None,
                        max_utterances: int = 2, progress=None,
                        ncasr_int8_gemm: bool = False) -> SensitivityReport:
    """Quantize one layer at a time and measure the damage (see the module docstring)."""
    model_dir = os.fspath(model_dir)
    utts = gather_audio(audio)[:max_utterances]
    probe = _Probe(model_dir, utts)
    everything = _candidates(model_dir, table, None, None, ncasr_int8_gemm)
    layers = _filter(everything, types, candidates)
    work = tempfile.mkdtemp(prefix=".ncasr-sensitivity-")
    try:
        out = _rank(model_dir, table, probe, layers, everything, work, progress, ncasr_int8_gemm)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return SensitivityReport(out, len(utts))


STATIC_TYPES = ("Convolution", "ConvolutionDepthWise")  # int8 input scales from calibration


def auto_exclude(model_dir, audio, table=None, *, min_cosine: float = 0.999,
                 max_utterances: int = 2, ncasr_int8_gemm: bool = False,
                 dynamic: bool = True) -> Dict[str, object]:
    """Layers to keep float so that the int8 model's lowest per-chunk encoder cosine to the
    float model is at least ``min_cosine``.

    The whole model is measured first; while it misses the budget the most sensitive layer
    is kept float and the model measured again. Layers with calibrated (static) input
    scales are ranked and tried first, since clipping is where int8 loses most; the
    dynamically quantized layers (LSTM, Gemm) are ranked only if that is not enough, and
    never with ``dynamic=False`` (then the budget may stay unmet: "min_cosine" says what was
    reached).
    Returns {"exclude": [...], "min_cosine": reached, "sensitivity": SensitivityReport}.
    """
    if not 0.0 < min_cosine <= 1.0:
        raise ConfigError(f"the cosine budget must be in (0, 1], got {min_cosine}")
    model_dir = os.fspath(model_dir)
    probe = _Probe(model_dir, gather_audio(audio)[:max_utterances])
    work = tempfile.mkdtemp(prefix=".ncasr-autoexclude-")
    exclude: List[str] = []
    ranked = SensitivityReport([], len(probe.utterances))

    def whole_model() -> float:
        dst = os.path.join(work, f"s{len(exclude)}")
        quantize(model_dir, dst, table, exclude_layers=exclude, ncasr_int8_gemm=ncasr_int8_gemm)
        cos = probe.measure(dst)[0]
        shutil.rmtree(dst, ignore_errors=True)
        return cos

    try:
        cos = whole_model()
        everything = _candidates(model_dir, table, None, None, ncasr_int8_gemm) if cos < min_cosine else []
        for stage in ("static", "dynamic") if dynamic else ("static",):
            if cos >= min_cosine:
                break
            layers = [l for l in everything
                      if (l["type"] in STATIC_TYPES) == (stage == "static")
                      and l["name"] not in exclude]
            part = _rank(model_dir, table, probe, layers, everything, work, None, ncasr_int8_gemm)
            ranked.layers += part
            for l in part:
                if cos >= min_cosine:
                    break
                exclude.append(l.name)
                cos = whole_model()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"exclude": exclude, "min_cosine": cos, "sensitivity": ranked}


def _rank(model_dir: str, table, probe: "_Probe", layers: List[dict], everything: List[dict],
          work: str, progress=None, ncasr_int8_gemm: bool = False) -> List[LayerSensitivity]:
    """Each of `layers` alone in int8 (every other layer of `everything` kept float),
    measured; worst first."""
    names = [l["name"] for l in everything]
    out = []
    for i, l in enumerate(layers):
        dst = os.path.join(work, f"l{i}")
        quantize(model_dir, dst, table, exclude_layers=[n for n in names if n != l["name"]],
                 ncasr_int8_gemm=ncasr_int8_gemm)
        cos, err, agree = probe.measure(dst)
        shutil.rmtree(dst, ignore_errors=True)
        out.append(LayerSensitivity(l["net"], l["name"], l["type"], cos, err, agree))
        if progress:
            progress(i + 1, len(layers))
    out.sort(key=lambda s: (s.min_cosine, -s.rel_error))
    return out
