"""int8 versions of an export_onnx.py folder for sherpa-onnx (onnxruntime quantization).

  python -m recipes.reference_lstm.quantize_onnx --onnx DIR [--static] [--compare TSV]

Dynamic (always): onnxruntime.quantization.quantize_dynamic, weights QInt8 (as sherpa-onnx's
own *.int8.onnx releases), per-tensor, MatMul and Gemm only (every Linear / LSTM matrix; the
three front-end convolutions and the decoder's depthwise conv stay float). Activations are
quantized on the fly (DynamicQuantizeLinear + MatMulInteger). Writes into DIR:

  encoder.int8.onnx  decoder.int8.onnx  joiner.int8.onnx

(sherpa-onnx's release naming is encoder-epoch-99-avg-1.int8.onnx; here the float files are
encoder.onnx etc., so the int8 ones are encoder.int8.onnx etc.; tokens.txt is shared.)

Static (--static): onnxruntime.quantization.quantize_static, QDQ format, int8 activations and
int8 per-channel weights, MinMax calibration on inputs recorded while the float model decodes
the calibration clips (default: test clips 10-19 of tests/data/reference-lstm-en): every encoder
chunk (x, h, c with the carried float states), every decoder context the greedy search asks for
(including sherpa-onnx's start context [-1, blank]) and every joiner (encoder_out, decoder_out)
pair. Writes encoder.static-int8.onnx etc. (all ops the quantizer supports) and, with
--static-ops matmul, only MatMul/Gemm/Conv quantized.

The metadata sherpa-onnx needs is copied from the float files. --compare TSV decodes the clips
with sherpa-onnx (float and each int8 set) and reports identical texts and WER.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .export_onnx import (
    add_metadata,
    ort_session,
    read_metadata,
    read_test_set,
    sherpa_recognizer,
    sherpa_transcribe,
)

NETS = ("encoder", "decoder", "joiner")
DEFAULT_TSV = Path(__file__).resolve().parents[2] / "tests/data/reference-lstm-en/test.tsv"


def _copy_metadata(src, dst):
    add_metadata(dst, read_metadata(src))


def quantize_dynamic_folder(folder, suffix: str = ".int8") -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    sizes = {}
    for net in NETS:
        src, dst = folder / f"{net}.onnx", folder / f"{net}{suffix}.onnx"
        quantize_dynamic(
            model_input=str(src),
            model_output=str(dst),
            op_types_to_quantize=["MatMul", "Gemm"],
            weight_type=QuantType.QInt8,
        )
        _copy_metadata(src, dst)
        sizes[dst.name] = dst.stat().st_size
    return sizes


# ------------------------------------------------------------------ calibration


def calibration_inputs(folder, wavs, tail_padding: float = 0.5) -> dict:
    """{net: [input dict]} recorded while the float ONNX model (onnxruntime) greedy-decodes wavs
    chunk by chunk exactly as sherpa-onnx does (T-frame chunks advanced by decode_chunk_len,
    start context [-1, blank], blank and <unk> do not emit)."""
    from ncasr.audio import load_audio

    from .features import compute_fbank

    folder = Path(folder)
    meta = read_metadata(folder / "encoder.onnx")
    T, shift = int(meta["T"]), int(meta["decode_chunk_len"])
    L, D, H = int(meta["num_encoder_layers"]), int(meta["d_model"]), int(meta["rnn_hidden_size"])
    cs = int(read_metadata(folder / "decoder.onnx")["context_size"])
    tokens = dict(l.rsplit(maxsplit=1) for l in (folder / "tokens.txt").read_text().splitlines() if l.strip())
    unk = int(tokens.get("<unk>", -2))
    enc, dec = ort_session(folder / "encoder.onnx"), ort_session(folder / "decoder.onnx")
    joi = ort_session(folder / "joiner.onnx")
    data = {"encoder": [], "decoder": [], "joiner": []}
    seen_ctx = set()
    for wav in wavs:
        samples, rate = load_audio(wav)
        assert rate == 16000, (wav, rate)
        samples = np.concatenate([samples, np.zeros(int(round(tail_padding * rate)), np.float32)])
        f = compute_fbank(samples, rate)
        h = np.zeros((L, 1, D), np.float32)
        c = np.zeros((L, 1, H), np.float32)
        ctx = [-1] * (cs - 1) + [0]

        def run_dec(ctx):
            y = np.array([ctx[-cs:]], np.int64)
            if tuple(ctx[-cs:]) not in seen_ctx:
                seen_ctx.add(tuple(ctx[-cs:]))
                data["decoder"].append({"y": y})
            return dec.run(None, {"y": y})[0]

        d = run_dec(ctx)
        s = 0
        while s + T < len(f):  # sherpa-onnx's readiness test
            x = np.ascontiguousarray(f[None, s : s + T])
            data["encoder"].append({"x": x, "h": h, "c": c})
            o, h, c = enc.run(None, {"x": x, "h": h, "c": c})
            for t in range(o.shape[1]):
                e = np.ascontiguousarray(o[:, t])
                data["joiner"].append({"encoder_out": e, "decoder_out": d})
                y = int(joi.run(None, {"encoder_out": e, "decoder_out": d})[0][0].argmax())
                if y not in (0, unk):
                    ctx.append(y)
                    d = run_dec(ctx)
            s += shift
    return data


class _Reader:
    def __init__(self, items):
        self.items = items
        self.i = 0

    def get_next(self):
        if self.i >= len(self.items):
            return None
        self.i += 1
        return self.items[self.i - 1]

    def rewind(self):
        self.i = 0


def quantize_static_folder(folder, calib: dict, suffix: str = ".static-int8", op_types=None) -> dict:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(_Reader, CalibrationDataReader):
        pass

    folder = Path(folder)
    out = {}
    for net in NETS:
        src, dst = folder / f"{net}.onnx", folder / f"{net}{suffix}.onnx"
        try:
            quantize_static(
                model_input=str(src),
                model_output=str(dst),
                calibration_data_reader=Reader(calib[net]),
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=op_types,
                per_channel=True,
                activation_type=QuantType.QInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.MinMax,
            )
            _copy_metadata(src, dst)
            out[dst.name] = dst.stat().st_size
        except Exception as ex:  # report which net failed and why, keep going
            out[dst.name] = f"FAILED: {type(ex).__name__}: {str(ex)[:300]}"
    return out


# ------------------------------------------------------------------ comparison


def decode_all(folder, suffix, wavs, tail_padding: float = 0.5):
    from ncasr.audio import load_audio

    rec = sherpa_recognizer(folder, suffix)
    texts, t0 = [], time.perf_counter()
    for w in wavs:
        s, r = load_audio(w)
        texts.append(sherpa_transcribe(rec, s, r, tail_padding))
    return texts, time.perf_counter() - t0


def compare_variants(folder, tsv, suffixes) -> dict:
    from ncasr.metrics import word_error_rate

    rows = read_test_set(tsv)
    wavs, refs = [w for w, _ in rows], [r for _, r in rows]
    base, base_s = decode_all(folder, "", wavs)
    rep = {"float": {"wer": word_error_rate(refs, base).wer, "seconds": round(base_s, 2)}}
    for suf in suffixes:
        try:
            texts, secs = decode_all(folder, suf, wavs)
        except Exception as ex:
            rep[suf] = {"error": f"{type(ex).__name__}: {str(ex)[:300]}"}
            continue
        same = sum(a == b for a, b in zip(base, texts))
        rep[suf] = {
            "identical_to_float": f"{same}/{len(wavs)}",
            "wer": word_error_rate(refs, texts).wer,
            "seconds": round(secs, 2),
            "diffs": [(Path(w).name, a, b) for w, a, b in zip(wavs, base, texts) if a != b],
        }
    return rep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", required=True, help="folder written by export_onnx.py")
    ap.add_argument("--static", action="store_true", help="also static (calibrated) QDQ quantization")
    ap.add_argument("--static-ops", choices=("all", "matmul", "both"), default="both")
    ap.add_argument("--calib-tsv", default=str(DEFAULT_TSV))
    ap.add_argument("--calib-clips", default="10:20", help="slice of the calib tsv's rows (default 10:20)")
    ap.add_argument("--compare", default=None, metavar="TSV", help="decode TSV's clips with sherpa-onnx, float vs int8")
    args = ap.parse_args(argv)
    folder = Path(args.onnx)
    rep = {}
    t0 = time.time()
    rep["dynamic_sizes_bytes"] = quantize_dynamic_folder(folder)
    rep["dynamic_seconds"] = round(time.time() - t0, 2)
    rep["float_sizes_bytes"] = {f"{n}.onnx": (folder / f"{n}.onnx").stat().st_size for n in NETS}
    suffixes = [".int8"]
    if args.static:
        a, b = (int(v) for v in args.calib_clips.split(":"))
        wavs = [w for w, _ in read_test_set(args.calib_tsv)[a:b]]
        t0 = time.time()
        calib = calibration_inputs(folder, wavs)
        rep["calibration"] = {"clips": len(wavs), **{k: len(v) for k, v in calib.items()}}
        rep["calibration_seconds"] = round(time.time() - t0, 2)
        variants = {"all": (".static-int8", None), "matmul": (".static-mm-int8", ["MatMul", "Gemm", "Conv"])}
        for key in ("all", "matmul") if args.static_ops == "both" else (args.static_ops,):
            suf, ops = variants[key]
            t0 = time.time()
            rep[f"static{suf}_sizes_bytes"] = quantize_static_folder(folder, calib, suf, ops)
            rep[f"static{suf}_seconds"] = round(time.time() - t0, 2)
            suffixes.append(suf)
    if args.compare:
        rep["compare"] = compare_variants(folder, args.compare, suffixes)
    (folder / "quantize_onnx_report.json").write_text(json.dumps(rep, indent=1))
    print(json.dumps(rep, indent=1))


if __name__ == "__main__":
    main()
