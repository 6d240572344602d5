"""Write an int8 ncnn net in the form ncnn's ``ncnn2int8`` tool writes it (a test oracle).

The int8 files of the released sherpa-ncnn models (``encoder_jit_trace-pnnx.ncnn.int8.*``,
``joiner_...int8.*``) were made with ``ncnn2int8 in.param in.bin out.param out.bin table``
(ncnn tools/quantize/ncnn2int8.cpp, with tools/modelwriter.h doing the writing). That tool
is not on PyPI, so this module writes the same bytes from a float net and a scale table; the
tests load the result in ncasr and in sherpa-ncnn. Written from a reading of ncnn's sources,
no code copied. Two versions of the tool matter:

``tool="2023"`` -- the one that made the released models (Dec 2022 - Feb 2023). It quantizes
  only the layers the table names, per output channel, with the table's weight scales:
    InnerProduct      8=2; weight int8, bias fp32; then weight scales (num_output floats) and
                      the input scale (1 float), raw fp32.
    Convolution       8=2; same layout plus an (empty) top-scale slot.
    ConvolutionDepthWise  8=1; one weight scale per group.
  Every other tagged weight is written back as fp32 (tag 0): the tool never set the writer's
  ``storage_type``, and the released int8 encoders are sized that way (conv-emformer
  2022-12-06: 148 MB fp16 float file, 103.5 MB int8 file).
``tool="2025"`` -- upstream ncnn master since 2024: as above, plus, with weight scales it
  computes itself (127 / row absmax, no table): LSTM (8=2; W_xc and W_hc int8 with one scale per gate row,
  bias and W_hr float; then the 4H xc scales and 4H hc scales, raw fp32), Gemm (18=2; a constant
  B is transposed to transB=1 and gets one scale for the whole matrix, a constant A one per
  row; scales after A/B/C), Embed (18=2; one scale). Other tagged weights are written fp16.
  MultiHeadAttention, RNN and GRU are quantized by that tool too; no icefall net has them, so
  this module refuses them rather than guess.
Neither version quantizes Convolution1D or ConvolutionDepthWise1D (icefall's conv modules).
Zipformer's own layers were built into the ncnn fork (csukuangfj/ncnn) the 2023 tool came from;
upstream's tool sees them as custom layers, which keep their params but load no weights, so it
cannot convert a Zipformer encoder (SimpleUpsample has weights): this module refuses that. (The
fork's ModelWriter revision indexed for this work writes no SimpleUpsample weights either; the
bias is written here as the layer reads it.)
The tool's requantize fusion (Convolution -> Convolution, int8_scale_term += 100 with the next
layer's input scale as top scale) never applies here: every icefall Convolution feeds an
activation; the module raises if a net would need it.

The tool rewrites the whole .param through ncnn's ModelWriter, and so does this module where it
can matter to a loader: layer and name columns padded to 24, params equal to the layer's default
left out (e.g. BinaryOp ``0=0``, Convolution ``2=1 12=1``), Softmax's ``1=1`` only with axis != 0,
quantized layers in ModelWriter's key order. A layer type unknown to ncnn (SherpaMetaData) is
written by its generic writer, which puts an empty shape hint ``-23330=0`` first; the released
files had that removed by hand (their "Update ...int8.param" commits), so it is written only
with ``meta_shape_hint=True``.

The table is ncnn2table's text format: ``<layer>_param_0 s s ...`` weight rows and ``<layer> s``
input rows, values printed with %f (ncasr's ``table_for_net(...).to_string()`` writes the input
rows). Missing weight rows are made as sherpa-ncnn's generate-int8-scale-table makes them:
127 / row absmax, 31 / absmax for a 3x3 stride-1 Convolution (its winograd 6-bit rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

FP16_TAG = 0x01306B47
INT8_TAG = 0x000D4B38
FP32_TAG = 0
TOOLS = ("2023", "2025")
TABLE_TYPES = ("Convolution", "ConvolutionDepthWise", "InnerProduct")  # quantized from the table

# ModelWriter leaves out a param equal to the default of a layer made from an empty ParamDict.
DEFAULTS = {
    "BinaryOp": {"0": 0, "1": 0, "2": 0.0},
    "Concat": {"0": 0},
    "Convolution1D": {"2": 1, "3": 1, "4": 0, "18": 0.0, "5": 0, "9": 0, "19": 0},
    "ConvolutionDepthWise1D": {"2": 1, "3": 1, "4": 0, "18": 0.0, "5": 0, "7": 1, "9": 0, "19": 0},
    "Embed": {"2": 0, "18": 0},
    "GLU": {"0": 0},
    "Gemm": {"0": 1.0, "1": 1.0, **{str(k): 0 for k in range(2, 15)}, "18": 0, "20": 0, "21": 0, "22": 0},
    "InnerProduct": {"1": 0, "8": 0, "9": 0},
    "Input": {"0": 0, "1": 0, "2": 0},
    "LSTM": {"2": 0, "8": 0},
    "MatMul": {"0": 0},
    "MemoryData": {"0": 0, "1": 0, "2": 0, "11": 0},
    "Permute": {"0": 0},
    "Reduction": {"0": 0, "1": 1, "2": 1.0, "4": 0, "5": 0},
    "ReLU": {"0": 0.0},
    "Reshape": {"0": -233, "1": -233, "11": -233, "2": -233, "3": 0},
    "Slice": {"1": 0},
    "Stack": {"0": 0},
    "TensorAsStrided": {"2": 0},
    "UnaryOp": {"0": 0},
}
# ModelWriter's key order for the layers this module quantizes.
KEY_ORDER = {
    "InnerProduct": ["0", "1", "2", "8", "9", "-23310"],
    "Convolution": [
        "0",
        "1",
        "11",
        "2",
        "12",
        "3",
        "13",
        "4",
        "14",
        "15",
        "16",
        "18",
        "5",
        "6",
        "8",
        "9",
        "-23310",
        "19",
    ],
    "ConvolutionDepthWise": [
        "0",
        "1",
        "11",
        "2",
        "12",
        "3",
        "13",
        "4",
        "14",
        "15",
        "16",
        "18",
        "5",
        "6",
        "7",
        "8",
        "9",
        "-23310",
        "19",
    ],
    "LSTM": ["0", "1", "2", "3", "8"],
    "Gemm": ["0", "1"] + [str(k) for k in range(2, 15)] + ["18", "20", "21", "22"],
    "Embed": ["0", "1", "2", "3", "18"],
}
NCNN_TYPES = set(DEFAULTS) | set(KEY_ORDER) | {"Split", "Sigmoid", "TanH", "Softmax", "Crop", "ExpandDims"}
# Built into the ncnn fork (csukuangfj/ncnn) the 2023 tool was built from; custom layers to upstream ncnn.
FORK_TYPES = {"PoolingModuleNoProj", "SimpleUpsample", "Stack", "TensorAsStrided"}


@dataclass
class Layer:
    type: str
    name: str
    bottoms: List[str]
    tops: List[str]
    params: Dict[str, str]  # key -> value text, in file order
    blobs: List[Tuple[str, np.ndarray]] = field(default_factory=list)  # (storage, values) as read


def _num(text: str):
    return float(text) if any(c in text for c in ".eEn") else int(text)


def read_param(path: Path) -> List[Layer]:
    lines = Path(path).read_text().split("\n")
    assert lines[0].strip() == "7767517", f"{path}: not an ncnn param file"
    layers = []
    for line in lines[2:]:
        t = line.split()
        if not t:
            continue
        nb, nt = int(t[2]), int(t[3])
        params = dict(p.split("=", 1) for p in t[4 + nb + nt :])
        layers.append(Layer(t[0], t[1], t[4 : 4 + nb], t[4 + nb : 4 + nb + nt], params))
    return layers


def read_weights(param: Path, bin_: Path, layers: List[Layer]) -> None:
    """Fill each layer's blobs from the .bin, located by ncasr's weight map."""
    from ncasr import _core

    data = Path(bin_).read_bytes()
    for entry in _core.weight_map(str(param), str(bin_))["layers"]:
        layer = layers[entry["index"]]
        assert layer.name == entry["name"], (layer.name, entry["name"])
        for b in entry["blobs"]:
            raw, n, storage = data[b["offset"] : b["offset"] + b["bytes"]], b["elements"], b["storage"]
            if storage == "raw":
                values = np.frombuffer(raw, "<f4", n)
            elif storage == "fp32":
                values = np.frombuffer(raw, "<f4", n, 4)
            elif storage == "fp16":
                values = np.frombuffer(raw, "<f2", n, 4).astype(np.float32)
            else:
                raise ValueError(f"{layer.name}: input weights stored as {storage}; give a float net")
            layer.blobs.append((storage, values.astype(np.float32)))


def read_table(text: str) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    """(input scales, weight scales) as ncnn2int8 reads the table: a key and floats per line,
    ``_param_`` in the key marks a weight row; an empty line ends the table."""
    blob, weight = {}, {}
    for line in text.replace("\r", "").split("\n"):
        t = line.split(" ")
        if not t[0]:
            break
        values = np.array([np.float32(float(v)) for v in t[1:] if v], np.float32)
        (weight if "_param_" in t[0] else blob)[t[0]] = values
    return blob, weight


def _pct_f(x: np.ndarray) -> np.ndarray:
    """Through a table's %f text, as the tools print and read it back."""
    return np.array([np.float32(float("%f" % v)) for v in x], np.float32)


def table_weight_row(layer: Layer) -> np.ndarray:
    """The ``<layer>_param_0`` row sherpa-ncnn's generate-int8-scale-table writes."""
    w = layer.blobs[0][1]
    p = {k: _num(v) for k, v in layer.params.items() if not k.startswith("-")}
    if layer.type == "ConvolutionDepthWise":
        rows, qmax = p.get("7", 1), 127
    else:
        rows = p["0"]
        qmax = 127
        if layer.type == "Convolution":
            kw, dw, sw = p.get("1", 0), p.get("2", 1), p.get("3", 1)
            if (
                kw == 3
                and p.get("11", kw) == 3
                and dw == 1
                and p.get("12", dw) == 1
                and sw == 1
                and p.get("13", sw) == 1
            ):
                qmax = 31
    absmax = np.abs(w.reshape(rows, -1)).max(axis=1)
    return _pct_f(np.float32(qmax) / absmax)


def quantize_rows(w: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """ncnn's quantize_to_int8 (x86 SIMD path): trunc(w * s +- 0.5) in float32, clamped to +-127."""
    x = w.astype(np.float32) * scales.astype(np.float32)[:, None]
    q = np.trunc(x + np.copysign(np.float32(0.5), x))
    return np.clip(q, -127, 127).astype(np.int8)


def absmax_scales(rows: np.ndarray, zero_is_one: bool) -> np.ndarray:
    absmax = np.abs(rows).max(axis=1).astype(np.float32)
    if (absmax == 0).any():
        if not zero_is_one:
            raise ValueError("an all-zero row: ncnn2int8 would write an infinite scale")
        absmax = np.where(absmax == 0, np.float32(127), absmax)
    return (np.float32(127) / absmax).astype(np.float32)


class _Bin:
    def __init__(self, tool: str):
        self.out = bytearray()
        self.fp16 = tool == "2025"

    def _pad(self):
        self.out += b"\0" * (-len(self.out) % 4)

    def tagged(self, values: np.ndarray):  # fwrite_weight_tag_data of a float Mat
        if self.fp16:
            self.out += FP16_TAG.to_bytes(4, "little") + values.astype("<f2").tobytes()
        else:
            v = values.astype("<f4")
            v = np.where(np.abs(v) < 1e-30, np.float32(0), v).astype("<f4")  # its denormal flush
            self.out += FP32_TAG.to_bytes(4, "little") + v.tobytes()
        self._pad()

    def int8(self, q: np.ndarray):  # fwrite_weight_tag_data of an int8 Mat
        self.out += INT8_TAG.to_bytes(4, "little") + q.astype(np.int8).tobytes()
        self._pad()

    def raw(self, values: np.ndarray):  # fwrite_weight_data
        v = values.astype("<f4")
        self.out += np.where(np.abs(v) < 1e-30, np.float32(0), v).astype("<f4").tobytes()

    def as_written(self, storage: str, values: np.ndarray):
        (self.raw if storage == "raw" else self.tagged)(values)


def _set(layer: Layer, key: str, value) -> None:
    layer.params[key] = str(value)


def _quantize_table_layer(layer: Layer, blob_scales, weight_scales, out: _Bin) -> bool:
    if layer.name not in blob_scales:
        return False
    key = layer.name + "_param_0"
    if key not in weight_scales:  # the tool prints an error and stops quantizing this type
        raise ValueError(f"{layer.name}: input scale but no {key} row in the table")
    ws = weight_scales[key]
    w = layer.blobs[0][1]
    rows = len(ws)
    if layer.type == "ConvolutionDepthWise":
        assert rows == int(layer.params.get("7", 1)), layer.name
        _set(layer, "8", 1)
    else:
        assert rows == int(layer.params["0"]), layer.name
        _set(layer, "8", 2)
    out.int8(quantize_rows(w.reshape(rows, -1), ws).reshape(-1))
    for storage, values in layer.blobs[1:]:  # the bias, fp32 raw
        out.as_written(storage, values)
    out.raw(ws)
    out.raw(blob_scales[layer.name])
    return True


def _quantize_lstm(layer: Layer, out: _Bin) -> None:
    p = {k: int(v) for k, v in layer.params.items()}
    num_output, dirs = p["0"], 2 if p.get("2", 0) == 2 else 1
    hidden = p.get("3", num_output)
    size = p["1"] // dirs // hidden // 4
    xc, bias, hc = (b[1] for b in layer.blobs[:3])
    xc_rows = xc.reshape(dirs * 4 * hidden, size)
    xc_s = absmax_scales(xc_rows, zero_is_one=False)
    # The tool's W_hc absmax loop reads `size` (the input width) values from each row start:
    # the same as the row when size == num_output (every icefall LSTM), not otherwise.
    if size != num_output:
        raise NotImplementedError("LSTM with input width != num_output: ncnn2int8 reads past its rows")
    hc_rows = hc.reshape(dirs * 4 * hidden, num_output)
    hc_s = absmax_scales(hc_rows, zero_is_one=False)
    out.int8(quantize_rows(xc_rows, xc_s).reshape(-1))
    out.tagged(bias)
    out.int8(quantize_rows(hc_rows, hc_s).reshape(-1))
    if num_output != hidden:
        out.tagged(layer.blobs[3][1])
    out.raw(xc_s)
    out.raw(hc_s)
    _set(layer, "8", 2)


def _quantize_gemm(layer: Layer, out: _Bin) -> None:
    p = {k: _num(v) for k, v in layer.params.items()}
    M, N, K = int(p.get("7", 0)), int(p.get("8", 0)), int(p.get("9", 0))
    blobs = list(layer.blobs)
    a_scales = b_scale = None
    if p.get("4", 0) == 1:  # constant A, made M rows of K
        _, a = blobs.pop(0)
        a = a.reshape(K, M).T if p.get("2", 0) == 1 else a.reshape(M, K)
        a_scales = absmax_scales(a, zero_is_one=True)
        out.int8(quantize_rows(a, a_scales).reshape(-1))
        _set(layer, "2", 0)
    if p.get("5", 0) == 1:  # constant B, made N rows of K, one scale for all
        _, b = blobs.pop(0)
        b = b.reshape(N, K) if p.get("3", 0) == 1 else b.reshape(K, N).T
        b_scale = absmax_scales(b.reshape(1, -1), zero_is_one=True)
        out.int8(quantize_rows(b.reshape(1, -1), b_scale).reshape(-1))
        _set(layer, "3", 1)
    for storage, values in blobs:  # C
        out.as_written(storage, values)
    if a_scales is not None:
        out.raw(a_scales)
    if b_scale is not None:
        out.raw(b_scale)
    _set(layer, "18", 2)


def _quantize_embed(layer: Layer, out: _Bin) -> None:
    w = layer.blobs[0][1]
    s = absmax_scales(w.reshape(1, -1), zero_is_one=True)
    out.int8(quantize_rows(w.reshape(1, -1), s).reshape(-1))
    for storage, values in layer.blobs[1:]:
        out.as_written(storage, values)
    out.raw(s)
    _set(layer, "18", 2)


def _param_id(key: str) -> int:
    k = int(key)
    return -k - 23300 if k <= -23300 else k


def _param_text(layer: Layer, tool: str, meta_shape_hint: bool) -> str:
    head = f"{layer.type:<24} {layer.name:<24} {len(layer.bottoms)} {len(layer.tops)}"
    blobs = "".join(" " + b for b in layer.bottoms + layer.tops)
    params = dict(layer.params)
    if layer.type not in NCNN_TYPES and not (tool == "2023" and layer.type in FORK_TYPES):
        # ModelWriter's CustomLayer: every param, by id; an empty shape hint when no tops
        items = ["-23330=0"] if meta_shape_hint and not layer.tops else []
        items += [f"{k}={v}" for k, v in sorted(params.items(), key=lambda kv: _param_id(kv[0]))]
        return head + blobs + "".join(" " + i for i in items)
    defaults = dict(DEFAULTS.get(layer.type, {}))
    if layer.type in ("Convolution", "ConvolutionDepthWise"):  # h follows w, right/bottom follow left/top
        for h, w, d in (
            ("11", "1", 0),
            ("12", "2", 1),
            ("13", "3", 1),
            ("14", "4", 0),
            ("15", "4", 0),
            ("16", "14", 0),
        ):
            defaults[h] = _num(params.get(w, str(defaults.get(w, d))))
        defaults.update({"2": 1, "3": 1, "4": 0, "18": 0.0, "5": 0, "8": 0, "9": 0, "19": 0})
        if layer.type == "ConvolutionDepthWise":
            defaults["7"] = 1
    if layer.type in ("Convolution1D", "ConvolutionDepthWise1D"):
        defaults["15"] = _num(params.get("4", "0"))
    if layer.type == "Softmax":  # ModelWriter writes 1=1 exactly when axis != 0
        params.pop("1", None)
        if _num(params.get("0", "0")) != 0:
            params["1"] = "1"
    kept = {k: v for k, v in params.items() if k not in defaults or _num(v) != defaults[k]}
    if layer.type in KEY_ORDER:
        order = KEY_ORDER[layer.type]
        kept = dict(sorted(kept.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    return head + blobs + "".join(f" {k}={v}" for k, v in kept.items())


def write_int8_net(
    param_in: Path,
    bin_in: Path,
    table_text: str,
    param_out: Path,
    bin_out: Path,
    tool: str = "2023",
    meta_shape_hint: bool = False,
) -> List[str]:
    """Write ``param_out``/``bin_out`` as ``ncnn2int8 param_in bin_in param_out bin_out table``
    of ``tool`` would. Returns the names of the layers it quantized."""
    if tool not in TOOLS:
        raise ValueError(f"tool must be one of {TOOLS}")
    layers = read_param(param_in)
    read_weights(param_in, bin_in, layers)
    blob_scales, weight_scales = read_table(table_text)
    for layer in layers:  # rows the table lacks, made as the table generator makes them
        if layer.type in TABLE_TYPES and layer.name in blob_scales and layer.blobs:
            weight_scales.setdefault(layer.name + "_param_0", table_weight_row(layer))

    out, quantized = _Bin(tool), []
    for layer in layers:
        if layer.type in ("MultiHeadAttention", "RNN", "GRU") and tool == "2025":
            raise NotImplementedError(f"{layer.type} {layer.name}: not written by this module")
        if tool == "2025" and layer.type in FORK_TYPES and layer.blobs:
            raise NotImplementedError(
                f"{layer.type} {layer.name}: a custom layer to upstream ncnn2int8, "
                "which loads none of its weights and so misreads every later layer's"
            )
        if layer.type in TABLE_TYPES and _quantize_table_layer(layer, blob_scales, weight_scales, out):
            quantized.append(layer.name)
        elif tool == "2025" and layer.type == "LSTM":
            _quantize_lstm(layer, out)
            quantized.append(layer.name)
        elif tool == "2025" and layer.type == "Gemm":
            _quantize_gemm(layer, out)
            quantized.append(layer.name)
        elif tool == "2025" and layer.type == "Embed":
            _quantize_embed(layer, out)
            quantized.append(layer.name)
        else:
            for storage, values in layer.blobs:
                out.as_written(storage, values)

    _check_no_requantize_chain(layers, set(quantized))
    blob_names = {b for l in layers for b in l.bottoms + l.tops}
    text = ["7767517", f"{len(layers)} {len(blob_names)}"]
    text += [_param_text(l, tool, meta_shape_hint) for l in layers]
    Path(param_out).write_text("\n".join(text) + "\n")
    Path(bin_out).write_bytes(bytes(out.out))
    return quantized


def _check_no_requantize_chain(layers: List[Layer], quantized: set) -> None:
    """ncnn2int8 fuses a requantize into an int8 conv whose output feeds int8 convs only
    (directly, or through one Split); raise if that would happen."""

    def int8_conv(l: Layer) -> bool:
        return l.type in ("Convolution", "ConvolutionDepthWise") and l.name in quantized and len(l.bottoms) == 1

    readers: Dict[str, List[Layer]] = {}
    for l in layers:
        for b in l.bottoms:
            readers.setdefault(b, []).append(l)
    for l in filter(int8_conv, layers):
        for r in readers.get(l.tops[0], []):
            nexts = [r] if r.type != "Split" else [x for t in r.tops for x in readers.get(t, [])]
            if nexts and all(map(int8_conv, nexts)):
                raise NotImplementedError(f"{l.name} -> {r.name}: ncnn2int8 would fuse a requantize")
