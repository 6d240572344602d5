"""What quantizing produced: typed per-layer results, sizes, calibration, sensitivity.

``QuantizeReport`` prints as the table ``ncasr quantize`` shows and round-trips through
JSON (``to_json`` / ``from_json``). Every layer is named ``<net>/<layer>`` (``key``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional, Tuple

from .options import QuantizeOptions

__all__ = [
    "AutoExcludeSummary",
    "CalibrationSummary",
    "LayerOutcome",
    "LayerResult",
    "LayerSensitivity",
    "NetSize",
    "QuantizeReport",
    "SensitivityReport",
]


class LayerOutcome(str, Enum):
    """What became of a layer with weights (the core's outcome names, plus ``sensitive``).

    Example::

        kept = [l.key for l in report.layers if l.outcome is ncasr.LayerOutcome.SENSITIVE]
    """

    INT8 = "int8"  # written in int8
    EXCLUDED = "excluded"  # the options kept it float, by name or by type
    SENSITIVE = "sensitive"  # automatic exclusion kept it float to meet the cosine budget
    KEPT_FLOAT = "kept_float"  # no int8 form that is correct and faster (reason says why)


@dataclass(frozen=True)
class LayerResult:
    """One layer with weights: its outcome, why, and its bytes before and after.

    Example::

        for l in report.layers:
            print(l.key, l.outcome.value, l.reason)
    """

    net: str
    name: str
    type: str
    outcome: LayerOutcome
    reason: str = ""  # why it stayed float ("" when int8)
    int8_type: str = ""  # the type written when int8, e.g. "Gemm" for an InnerProduct
    bytes_in: int = 0
    bytes_out: int = 0

    @property
    def key(self) -> str:
        """``<net>/<layer>``, as tables, exclusions and sensitivity name it.

        Example::

            report.layers[0].key   # "encoder/lstm_0"
        """
        return f"{self.net}/{self.name}"


@dataclass(frozen=True)
class NetSize:
    """One net's weight file before and after.

    Example::

        enc = report.nets["encoder"]; print(enc.bytes_out / enc.bytes_in)
    """

    file: str  # the .bin written in the output folder
    bytes_in: int
    bytes_out: int
    quantized: int  # layers written in int8


@dataclass(frozen=True)
class CalibrationSummary:
    """What a calibration run saw and produced (the table itself is saved in the folder).

    Example::

        print(report.calibration.utterances, report.calibration.scales)
    """

    method: str
    utterances: int
    audio_seconds: float
    scales: int
    zero_inputs: Tuple[str, ...] = ()  # input always 0: kept float
    never_ran: Tuple[str, ...] = ()  # the audio never reached them: kept float
    seconds: float = 0.0


@dataclass(frozen=True)
class LayerSensitivity:
    """The damage when only this layer is int8 (see ``ncasr.quantization.sensitivity``).

    Example::

        worst = report.layers[0]; print(worst.key, worst.min_cosine)
    """

    net: str
    name: str
    type: str
    min_cosine: float  # lowest per-chunk cosine, int8 vs float encoder output
    rel_error: float  # ||int8 - float|| / ||float|| over all encoder outputs
    token_agreement: float  # 1 - token edit distance / reference length

    @property
    def key(self) -> str:
        """``<net>/<layer>``.

        Example::

            sensitivity.layers[0].key   # "encoder/conv_300"
        """
        return f"{self.net}/{self.name}"


@dataclass(frozen=True)
class SensitivityReport:
    """Per-layer sensitivity, worst first.

    Example::

        rep = measure_sensitivity("model", ["a.wav"], table); print(rep)
    """

    layers: Tuple[LayerSensitivity, ...] = ()
    utterances: int = 0

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready values.

        Example::

            json.dumps(rep.to_dict())
        """
        return {"utterances": self.utterances, "layers": [asdict(l) for l in self.layers]}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SensitivityReport":
        """The inverse of ``to_dict``.

        Example::

            rep = SensitivityReport.from_dict(json.loads(text))
        """
        return cls(tuple(LayerSensitivity(**l) for l in d["layers"]), d["utterances"])

    def __str__(self) -> str:
        lines = [
            f"per-layer int8 sensitivity on {self.utterances} utterance(s), worst first:",
            f"  {'layer':36} {'type':14} {'min cos':>9} {'rel err':>9} {'tokens':>7}",
        ]
        for l in self.layers:
            lines.append(f"  {l.key:36} {l.type:14} {l.min_cosine:9.5f} {l.rel_error:9.2e} {l.token_agreement:7.3f}")
        return "\n".join(lines)


@dataclass(frozen=True)
class AutoExcludeSummary:
    """What automatic exclusion kept float and the cosine it reached.

    Example::

        a = report.auto_exclude; print(a.excluded, a.reached, a.budget)
    """

    budget: float  # the lowest per-chunk encoder cosine asked for
    excluded: Tuple[str, ...]  # "<net>/<layer>", in the order they were kept float
    reached: float  # the model's lowest per-chunk cosine with them float
    sensitivity: SensitivityReport = SensitivityReport()


@dataclass(frozen=True)
class QuantizeReport:
    """The result of ``ncasr.quantize``: sizes per net, every layer's outcome, calibration,
    automatic exclusion, and the int8 encoder's lowest per-chunk cosine to the float one.

    Example::

        report = ncasr.quantize("model", "model-int8", calibration="wavs/")
        print(report)                            # the table `ncasr quantize` prints
        same = ncasr.QuantizeReport.from_json(report.to_json())
    """

    model_dir: str
    out_dir: str
    options: QuantizeOptions = QuantizeOptions()
    nets: Dict[str, NetSize] = field(default_factory=dict)
    layers: Tuple[LayerResult, ...] = ()
    calibration: Optional[CalibrationSummary] = None  # when audio was calibrated here
    table: Optional[str] = None  # the calibration.table written, when a table was used
    auto_exclude: Optional[AutoExcludeSummary] = None
    encoder_cosine: Optional[float] = None  # lowest per-chunk cosine, int8 vs float encoder
    cosine_utterances: int = 0  # how many utterances measured it (0: no audio was given)
    seconds: float = 0.0  # wall time, calibration included

    def layers_with(self, outcome: LayerOutcome) -> List[LayerResult]:
        """The layers with this outcome, in file order.

        Example::

            n_int8 = len(report.layers_with(ncasr.LayerOutcome.INT8))
        """
        return [l for l in self.layers if l.outcome is outcome]

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready values (enums as their names' values, tuples as lists).

        Example::

            d = report.to_dict(); d["nets"]["encoder"]["bytes_out"]
        """
        d = asdict(self)
        d["options"] = self.options.to_dict()
        d["layers"] = [dict(asdict(l), outcome=l.outcome.value) for l in self.layers]
        if self.auto_exclude is not None:
            d["auto_exclude"] = dict(asdict(self.auto_exclude), sensitivity=self.auto_exclude.sensitivity.to_dict())
        return json.loads(json.dumps(d))  # tuples -> lists, as JSON holds them

    def to_json(self, indent: Optional[int] = 2) -> str:
        """``to_dict`` as JSON text.

        Example::

            Path("report.json").write_text(report.to_json())
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "QuantizeReport":
        """The inverse of ``to_dict``.

        Example::

            report = ncasr.QuantizeReport.from_dict(json.load(open("report.json")))
        """
        cal = d.get("calibration")
        auto = d.get("auto_exclude")
        return cls(
            model_dir=d["model_dir"],
            out_dir=d["out_dir"],
            options=QuantizeOptions.from_dict(d.get("options", {})),
            nets={k: NetSize(**v) for k, v in d.get("nets", {}).items()},
            layers=tuple(LayerResult(**dict(l, outcome=LayerOutcome(l["outcome"]))) for l in d.get("layers", [])),
            calibration=None
            if cal is None
            else CalibrationSummary(
                **dict(cal, zero_inputs=tuple(cal["zero_inputs"]), never_ran=tuple(cal["never_ran"]))
            ),
            table=d.get("table"),
            auto_exclude=None
            if auto is None
            else AutoExcludeSummary(
                budget=auto["budget"],
                excluded=tuple(auto["excluded"]),
                reached=auto["reached"],
                sensitivity=SensitivityReport.from_dict(auto["sensitivity"]),
            ),
            encoder_cosine=d.get("encoder_cosine"),
            cosine_utterances=d.get("cosine_utterances", 0),
            seconds=d.get("seconds", 0.0),
        )

    @classmethod
    def from_json(cls, text: str) -> "QuantizeReport":
        """The inverse of ``to_json``.

        Example::

            report = ncasr.QuantizeReport.from_json(Path("report.json").read_text())
        """
        return cls.from_dict(json.loads(text))

    def layer_table(self) -> str:
        """Every layer with weights, one row each: key, type, outcome, bytes, reason.

        Example::

            print(report.layer_table())
        """
        width = max([len(l.key) for l in self.layers] + [5])
        lines = [f"{'layer':{width}}  {'type':22} {'outcome':10} {'bytes in':>11} {'bytes out':>11}  reason"]
        for l in self.layers:
            typ = l.type if not l.int8_type or l.int8_type == l.type else f"{l.type}->{l.int8_type}"
            lines.append(
                f"{l.key:{width}}  {typ:22} {l.outcome.value:10} {l.bytes_in:11,} {l.bytes_out:11,}  {l.reason}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [
            f"{self.model_dir} -> {self.out_dir}",
            f"  {'net':8} {'bytes in':>13} {'bytes out':>13} {'ratio':>6} {'int8 layers':>12}",
        ]
        for net, n in self.nets.items():
            ratio = n.bytes_out / n.bytes_in if n.bytes_in else 1.0
            lines.append(f"  {net:8} {n.bytes_in:13,} {n.bytes_out:13,} {ratio:6.0%} {n.quantized:12}")
        kept = Counter(
            (l.outcome.value, l.type, l.reason)
            for l in self.layers
            if l.outcome is not LayerOutcome.INT8 and l.outcome is not LayerOutcome.SENSITIVE
        )
        for (outcome, typ, reason), n in sorted(kept.items()):
            lines.append(f"  {outcome}: {n} x {typ} ({reason})")
        for l in self.layers_with(LayerOutcome.SENSITIVE):
            lines.append(f"  sensitive: {l.key} ({l.type}) kept float: {l.reason}")
        if self.calibration:
            c = self.calibration
            lines.append(
                f"  calibration: {c.method}, {c.utterances} utterances, {c.audio_seconds:.1f} s "
                f"of audio, {c.scales} scales, {c.seconds:.1f} s"
            )
        if self.auto_exclude:
            a = self.auto_exclude
            lines.append(
                f"  auto-exclude (min cosine >= {a.budget}): kept {len(a.excluded)} layer(s) "
                f"float, reached {a.reached:.5f}"
            )
        if self.encoder_cosine is not None:
            lines.append(
                f"  encoder cosine, int8 vs float (lowest per chunk, {self.cosine_utterances} "
                f"utterance(s)): {self.encoder_cosine:.5f}"
            )
        lines.append(f"  took {self.seconds:.1f} s")
        return "\n".join(lines)
