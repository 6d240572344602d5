"""One-layer ncnn nets, written from NumPy weights, to probe and benchmark a layer form on its
own: a Linear (Gemm with constant B) or a pointwise convolution (Gemm with constant A) as
fp32, as ncnn's int8 Gemm (one weight scale), or as ncasr's NcasrInt8Gemm (one scale per
output channel); a depthwise Conv1D as fp32 or as ncasr's int8 layer. Run them with
``ncasr._core.run_net(param, bin, {"in0": x}, ["out0"])``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

INT8_TAG = 0x000D4B38  # ncnn's tag for an int8 weight blob
FORMS = ("fp32", "ncnn-int8", "ncasr-int8")
LAYOUTS = ("rows", "columns")


def _tagged_fp32(a: np.ndarray) -> bytes:
    return struct.pack("<I", 0) + np.ascontiguousarray(a, dtype="<f4").tobytes()


def _tagged_int8(q: np.ndarray) -> bytes:
    raw = np.ascontiguousarray(q, dtype=np.int8).tobytes()
    return struct.pack("<I", INT8_TAG) + raw + b"\0" * ((4 - len(raw) % 4) % 4)


def quantize_weights(w: np.ndarray, per_channel: bool) -> Tuple[np.ndarray, np.ndarray]:
    """int8 weights and scales (q = round(w * scale), 127 / absmax per row or overall)."""
    w = np.asarray(w, dtype=np.float32)
    absmax = np.abs(w).max(axis=1) if per_channel else np.array([np.abs(w).max()], np.float32)
    scales = np.where(absmax > 0, 127.0 / np.maximum(absmax, 1e-30), 1.0).astype(np.float32)
    q = np.clip(np.round(w * (scales[:, None] if per_channel else scales[0])), -127, 127).astype(np.int8)
    return q, scales


def _gemm_layer(
    w: np.ndarray, bias: Optional[np.ndarray], form: str, layout: str, name: str, bottom: str, top: str
) -> Tuple[str, bytes]:
    """One Gemm layer line and its weight bytes (see write_gemm_net)."""
    if form not in FORMS or layout not in LAYOUTS:
        raise ValueError(f"form must be one of {FORMS} and layout one of {LAYOUTS}")
    w = np.asarray(w, dtype=np.float32)
    if w.ndim != 2:
        raise ValueError("w must be (N, K)")
    n, k = w.shape
    int8 = form != "fp32"
    per_channel = form == "ncasr-int8" or layout == "columns"  # constant A is per row in ncnn too
    if layout == "rows":
        params = ["2=0", "3=1", "4=0", "5=1", "6=1", "7=0", f"8={n}", f"9={k}", f"10={4 if bias is not None else -1}"]
    else:
        params = ["2=0", "3=0", "4=1", "5=0", "6=1", f"7={n}", "8=0", f"9={k}", f"10={1 if bias is not None else -1}"]
    blob = b""
    if int8:
        q, scales = quantize_weights(w, per_channel)
        blob += _tagged_int8(q)
        params.append("18=2")
        if form == "ncasr-int8" and layout == "rows":
            params.append("28=1")
    else:
        blob += _tagged_fp32(w)
    if bias is not None:
        blob += _tagged_fp32(np.asarray(bias, dtype=np.float32).reshape(n))
    if int8:
        blob += np.asarray(scales, dtype="<f4").tobytes()
    layer_type = "NcasrInt8Gemm" if form == "ncasr-int8" else "Gemm"
    return f"{layer_type:<16} {name:<24} 1 1 {bottom} {top} 0=1.0 1=1.0 {' '.join(params)}", blob


def _write(folder, name: str, lines, blob: bytes) -> Tuple[str, str]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    param, binf = folder / f"{name}.param", folder / f"{name}.bin"
    layers = ["Input            in0                      0 1 in0", *lines]
    tops = 0
    for line in layers:  # type name bottoms tops names...: count the tops
        f = line.split()
        tops += int(f[3])
    param.write_text(f"7767517\n{len(layers)} {tops}\n" + "\n".join(layers) + "\n")
    binf.write_bytes(blob)
    return str(param), str(binf)


def write_gemm_net(
    folder,
    w: np.ndarray,
    bias: Optional[np.ndarray] = None,
    form: str = "fp32",
    layout: str = "rows",
    name: str = "gemm",
) -> Tuple[str, str]:
    """Writes ``name.param``/``name.bin`` for y = x W^T + b (layout "rows": input T x K, output
    T x N) or y = W x + b (layout "columns": input K x T, output N x T); W is (N, K). Blobs:
    ``in0`` -> ``out0``."""
    line, blob = _gemm_layer(w, bias, form, layout, name, "in0", "out0")
    return _write(folder, name, [line], blob)


def write_gemm_chain(
    folder, k: int, n: int, count: int, form: str = "fp32", layout: str = "rows", seed: int = 0, name: str = "chain"
) -> Tuple[str, str]:
    """``count`` Gemm layers with distinct random weights, alternating K -> N and N -> K
    (count even ends at width K): ``in0`` -> ``out1`` ... ``out{count}``. More weights than
    the caches hold, as in a real encoder, for benchmarks."""
    rng = np.random.default_rng(seed)
    lines, blob = [], b""
    for i in range(count):
        a, b = (k, n) if i % 2 == 0 else (n, k)
        w = (rng.standard_normal((b, a)) / np.sqrt(a)).astype(np.float32)
        line, data = _gemm_layer(
            w, np.zeros(b, np.float32), form, layout, f"g{i}", "in0" if i == 0 else f"out{i}", f"out{i + 1}"
        )
        lines.append(line)
        blob += data
    return _write(folder, name, lines, blob)


def write_lstm_net(
    folder,
    w_xc: np.ndarray,
    bias: np.ndarray,
    w_hc: np.ndarray,
    w_hr: Optional[np.ndarray] = None,
    form: str = "fp32",
    name: str = "lstm",
) -> Tuple[str, str]:
    """A forward ncnn LSTM with explicit states: ``in0`` (T x input), ``h0`` (num_output),
    ``c0`` (hidden) -> ``out0`` (T x num_output), ``h1``, ``c1``. Gate rows I, F, O, G:
    w_xc (4H, input), bias (4H,), w_hc (4H, num_output), w_hr (num_output, H) or None.
    form "ncnn-int8" writes ncnn's int8 LSTM (8=2): W_xc and W_hc per gate row, the rest float."""
    if form not in ("fp32", "ncnn-int8"):
        raise ValueError("form must be fp32 or ncnn-int8")
    w_xc, w_hc = np.asarray(w_xc, np.float32), np.asarray(w_hc, np.float32)
    rows, size = w_xc.shape
    hidden = rows // 4
    num_output = w_hc.shape[1]
    if rows != 4 * hidden or w_hc.shape[0] != rows or (w_hr is None) != (num_output == hidden):
        raise ValueError("inconsistent LSTM weight shapes")
    blob = b""
    if form == "fp32":
        blob += _tagged_fp32(w_xc) + _tagged_fp32(bias) + _tagged_fp32(w_hc)
    else:
        qxc, sxc = quantize_weights(w_xc, True)
        qhc, shc = quantize_weights(w_hc, True)
        blob += _tagged_int8(qxc) + _tagged_fp32(bias) + _tagged_int8(qhc)
    if w_hr is not None:
        blob += _tagged_fp32(np.asarray(w_hr, np.float32))
    if form != "fp32":
        blob += np.asarray(sxc, "<f4").tobytes() + np.asarray(shc, "<f4").tobytes()
    params = f"0={num_output} 1={rows * size} 2=0 3={hidden}" + (" 8=2" if form != "fp32" else "")
    lines = [
        "Input            h0                       0 1 h0",
        "Input            c0                       0 1 c0",
        f"LSTM             {name:<24} 3 3 in0 h0 c0 out0 h1 c1 {params}",
    ]
    return _write(folder, name, lines, blob)


def write_depthwise_net(
    folder, w: np.ndarray, bias: Optional[np.ndarray] = None, form: str = "fp32", pad: int = 0, name: str = "dw"
) -> Tuple[str, str]:
    """Writes ``name.param``/``name.bin`` for a depthwise Conv1D (stride 1, one filter per
    channel) with taps w (C, K): ncnn's ConvolutionDepthWise1D with float weights (form
    "fp32"), or ncasr's NcasrDepthwiseConv1DInt8 with int8 taps and per-channel scales as
    ``ncasr quantize --ncasr-int8-depthwise`` writes it (form "ncasr-int8"). The input is
    (C, W); ``pad`` columns on both sides. Blobs: ``in0`` -> ``out0``."""
    w = np.asarray(w, dtype=np.float32)
    c, k = w.shape
    params = f"0={c} 1={k} 2=1 3=1 4={pad} 15={pad} 5={int(bias is not None)} 6={c * k} 7={c}"
    if form == "fp32":
        line = f"ConvolutionDepthWise1D {name} 1 1 in0 out0 {params}"
        blob = _tagged_fp32(w) + (b"" if bias is None else np.asarray(bias, "<f4").tobytes())
    elif form == "ncasr-int8":
        q, scales = quantize_weights(w, per_channel=True)
        line = f"NcasrDepthwiseConv1DInt8 {name} 1 1 in0 out0 {params} 8=1"
        blob = _tagged_int8(q) + (b"" if bias is None else _tagged_fp32(bias)) + np.asarray(scales, "<f4").tobytes()
    else:
        raise ValueError(f"form must be fp32 or ncasr-int8, not {form!r}")
    return _write(folder, name, [line], blob)
