"""Write an int8 model folder from a float one (``ncasr.quantize``).

Per layer type, the int8 form that is correct and measured faster than float:
- LSTM: weights per gate row; activations quantized per time step at run time.
- Gemm (pnnx's Linear) and InnerProduct on (T, C) inputs, rewritten as Gemm: weights per
  tensor; input rows quantized at run time (ncnn's int8 InnerProduct is SSE-only on x86
  and several times slower than float, its int8 Gemm uses AVX2/VNNI).
- Convolution1D, pointwise (kernel 1): rewritten as an int8 Gemm with the weights as
  constant A, one scale per output channel; input quantized at run time.
- Convolution: weights per output channel; the input scale comes from a calibration
  table (``ncasr.calibrate``), so it is quantized only when a table is given.
- ConvolutionDepthWise1D (kernel 31 in Zipformer, Conv-Emformer): only with
  ``ncasr_int8_depthwise``, as ncasr's NcasrDepthwiseConv1DInt8 (ncnn has no int8 form).
Everything else stays float. The input folder is never modified; the output folder is
written next to its destination and renamed into place only when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from . import _core
from .errors import ConfigError, ModelError

__all__ = ["quantize", "quantize_model", "QuantizeReport"]


@dataclass(frozen=True)
class QuantizeReport:
    """Sizes before/after per net, and what happened to each layer with weights."""

    model_dir: str
    out_dir: str
    nets: Dict[str, dict] = field(default_factory=dict)  # net -> {bytes_in, bytes_out, quantized, file}
    layers: List[dict] = field(default_factory=list)  # {net, name, type, action, bytes_in, bytes_out}
    calibration: Optional[dict] = None  # quantize_model: what calibration saw and produced
    seconds: float = 0.0  # wall time, calibration included

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"{self.model_dir} -> {self.out_dir}"]
        for net, d in self.nets.items():
            lines.append(f"  {net}: {d['bytes_in']:,} -> {d['bytes_out']:,} bytes "
                         f"({d['bytes_out'] / d['bytes_in']:.0%}), {d['quantized']} layers int8")
        kept: Dict[str, int] = {}
        for l in self.layers:
            if not l["action"].startswith("int8"):
                kept[f"{l['type']} ({l['action']})"] = kept.get(f"{l['type']} ({l['action']})", 0) + 1
        for what, n in sorted(kept.items()):
            lines.append(f"  kept float: {n} x {what}")
        if self.calibration:
            c = self.calibration
            lines.append(f"  calibration: {c['method']}, {c['utterances']} utterances, "
                         f"{c['audio_seconds']:.1f} s of audio, {c['scales']} scales, "
                         f"{c['seconds']:.1f} s")
            if c.get("auto_exclude"):
                a = c["auto_exclude"]
                lines.append(f"  auto-exclude (min cosine >= {a['budget']}): kept "
                             f"{len(a['excluded'])} layer(s) float, reached {a['min_cosine']:.5f}")
        lines.append(f"  took {self.seconds:.1f} s")
        return "\n".join(lines)


def _load_table(table):
    from .calibration import ScaleTable

    if table is None or isinstance(table, ScaleTable):
        return table
    return ScaleTable.load(os.fspath(table))


# Written into an int8 folder that uses ncasr's own layers: other runtimes cannot load it.
NCASR_ONLY_FILE = _core.NCASR_ONLY_FILE


def quantize(model_dir, out_dir, table=None, *, exclude_layers: Iterable[str] = (),
             exclude_types: Iterable[str] = (), force: bool = False,
             fp16_storage: bool = False, ncasr_int8_gemm: bool = False,
             ncasr_int8_depthwise: bool = False) -> QuantizeReport:
    """Write an int8 copy of the model in ``model_dir`` to ``out_dir``.

    ``table``: a calibration ScaleTable (or its file) from ``ncasr.calibrate``; without
    one, Convolution layers stay float. ``fp16_storage``: write the weights that stay
    float as fp16 (half their size; ncnn widens them at load). ``ncasr_int8_gemm``: write
    Linear and pointwise-conv layers as ncasr's NcasrInt8Gemm (one int8 scale per output
    channel instead of ncnn's one per weight matrix): more accurate, but only ncasr loads
    the result, which the folder records in NCASR-ONLY.txt. ``ncasr_int8_depthwise``: write
    depthwise Conv1D layers as ncasr's NcasrDepthwiseConv1DInt8 (int8 taps, one scale per
    channel; activations per channel per chunk), also ncasr-only. Refuses a non-empty
    ``out_dir`` unless ``force``; never writes into ``model_dir``.
    """
    t0 = time.perf_counter()
    src = Path(model_dir).resolve()
    dst = Path(out_dir).resolve()
    files = _core.inspect_model(str(src), "float")  # validates the whole input model first
    if dst == src or src in dst.parents:
        raise ConfigError(f"{dst}: the output folder must not be the model folder or inside it")
    if dst.exists() and any(dst.iterdir()) and not force:
        raise ConfigError(f"{dst}: output folder is not empty (pass force=True / --force)")
    # Probe run, table checks and per-net options, in the core.
    plan = _core.ConversionPlan(str(src), _load_table(table), set(exclude_layers),
                                set(exclude_types), fp16_storage, ncasr_int8_gemm,
                                ncasr_int8_depthwise)
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".ncasr-quantize-", dir=dst.parent))
    nets, layers = {}, []
    try:
        for net in ("encoder", "decoder", "joiner"):
            param, bin_ = files[net]["param"], files[net]["bin"]
            if bin_ is None:
                raise ModelError(param, "has no .bin next to it")
            stem = Path(param).name[: -len(".param")]
            out_stem = stem.replace(".ncnn", ".ncnn.int8") if ".ncnn" in stem else stem + ".int8"
            r = plan.convert(net, param, bin_, str(work / f"{out_stem}.param"),
                             str(work / f"{out_stem}.bin"))
            if r["quantized"] == 0 and not fp16_storage:  # nothing changed: keep the float file under its own name
                (work / f"{out_stem}.param").unlink()
                (work / f"{out_stem}.bin").unlink()
                shutil.copyfile(param, work / Path(param).name)
                shutil.copyfile(bin_, work / Path(bin_).name)
                out_stem = stem
            nets[net] = {"bytes_in": r["bytes_in"], "bytes_out": r["bytes_out"],
                         "quantized": r["quantized"], "file": f"{out_stem}.bin"}
            layers += [dict(l, net=net) for l in r["layers"]]
        if files["tokens"]:
            shutil.copyfile(files["tokens"], work / "tokens.txt")
        ncasr_only = [f"{l['net']}/{l['name']} ({l['action'][len('int8 as '):]})" for l in layers
                      if l["action"].startswith("int8 as Ncasr")]
        if ncasr_only:
            (work / NCASR_ONLY_FILE).write_text(_core.ncasr_only_note(ncasr_only))
        _core.inspect_model(str(work))  # the result must load as a model folder
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(work, dst)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return QuantizeReport(model_dir=str(src), out_dir=str(dst), nets=nets, layers=layers,
                          seconds=time.perf_counter() - t0)


def quantize_model(model_dir, out_dir, calibration_audio=None, *, method: str = "kl",
                   table=None, exclude_layers: Iterable[str] = (),
                   exclude_types: Iterable[str] = (), force: bool = False,
                   progress=True, num_workers: int = 0,
                   auto_exclude: Optional[float] = None, auto_exclude_dynamic: bool = True,
                   fp16_storage: bool = False, ncasr_int8_gemm: bool = False,
                   ncasr_int8_depthwise: bool = False) -> QuantizeReport:
    """Calibrate on ``calibration_audio`` (files, folders, manifests or arrays; see
    ``ncasr.calibrate``) unless a ``table`` is given, then write the int8 model to
    ``out_dir`` with the table saved beside it as ``calibration.table``.

    ``auto_exclude``: a budget on the lowest per-chunk cosine between int8 and float encoder
    outputs (e.g. 0.999); the most sensitive layers (``ncasr.sensitivity``) stay float until
    the model meets it, measured on up to two calibration utterances; with
    ``auto_exclude_dynamic=False`` only calibrated (Convolution) layers may stay float."""
    from .calibration import calibrate_model

    if (calibration_audio is None) == (table is None):
        raise ConfigError("give either calibration_audio or a table")
    t0 = time.perf_counter()
    info = None
    if table is None:
        cal = calibrate_model(model_dir, calibration_audio, method=method, progress=progress,
                              num_workers=num_workers)
        table = cal.table
        info = {"method": method, "utterances": cal.utterances,
                "audio_seconds": cal.audio_seconds, "scales": len(cal.table),
                "zero_inputs": cal.zero_inputs, "never_ran": cal.never_ran,
                "seconds": cal.seconds}
    else:
        table = _load_table(table)  # a file is read once, then saved beside the model
    exclude_layers = list(exclude_layers)
    auto = None
    if auto_exclude is not None:
        from . import sensitivity  # at call time: sensitivity imports this module

        if calibration_audio is None:
            raise ConfigError("auto_exclude needs calibration_audio to measure sensitivity")
        auto = sensitivity.auto_exclude(model_dir, calibration_audio, table,
                                        min_cosine=auto_exclude, ncasr_int8_gemm=ncasr_int8_gemm,
                                        dynamic=auto_exclude_dynamic)
        exclude_layers += [n for n in auto["exclude"] if n not in exclude_layers]
    report = quantize(model_dir, out_dir, table, exclude_layers=exclude_layers,
                      exclude_types=exclude_types, force=force, fp16_storage=fp16_storage,
                      ncasr_int8_gemm=ncasr_int8_gemm, ncasr_int8_depthwise=ncasr_int8_depthwise)
    if auto is not None:
        worst = {l.name: l for l in auto["sensitivity"].layers}
        for l in report.layers:
            if l["name"] in auto["exclude"]:
                l["action"] = (f"kept float: sensitive (min cosine {worst[l['name']].min_cosine:.5f} "
                               "when it alone is int8)")
        info = dict(info or {}, auto_exclude={"budget": auto_exclude,
                                              "excluded": auto["exclude"],
                                              "min_cosine": auto["min_cosine"],
                                              "sensitivity": auto["sensitivity"].to_dict()})
    table.save(str(Path(report.out_dir) / "calibration.table"))
    return replace(report, calibration=info, seconds=time.perf_counter() - t0)
