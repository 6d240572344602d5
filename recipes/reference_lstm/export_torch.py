"""TorchScript export of the streaming transducer, fp32 and dynamic int8 (PyTorch PTQ peer).

  python -m recipes.reference_lstm.export_torch --ncnn python/ncasr/models/reference-lstm-en --out DIR [--int8]
  python -m recipes.reference_lstm.export_torch --checkpoint EXP/averaged.pt --out DIR [--int8]

Writes a self-contained folder that ``ncasr bench DIR:torch`` / ``DIR:torch-int8`` (the
bench worker's TorchBackend) runs with torch and kaldi_native_fbank only, no recipe code:

  encoder.pt, decoder.pt, joiner.pt            fp32 (always written; the int8 check's reference)
  encoder.int8.pt, decoder.int8.pt, joiner.int8.pt   with --int8: torch.ao.quantization.quantize_dynamic
                                               ({nn.Linear, nn.LSTM}, qint8) applied before tracing
  tokens.txt, meta.json

The contract (torch.jit.load; batch 1; L layers, D = encoder dim, H = LSTM hidden, J = joiner dim):

  encoder  (x (1, T, 80) float32 raw fbank, h (L, 1, D), c (L, 1, H)) -> (encoder_out (1, T', J), h, c)
           T = decode_chunk_len + 5, T' = decode_chunk_len / 4 (T 9 -> 1 frame with the default 4)
  decoder  y (1, context_size) int64 -> decoder_out (1, J); an id < 0 reads a zero embedding
  joiner   (encoder_out (1, J), decoder_out (1, J)) -> logit (1, vocab_size)

As in export_onnx.py, the joiner's encoder_proj ends the encoder and its decoder_proj ends the
decoder, so the joiner is output_linear(tanh(encoder_out + decoder_out)); the input
normalisation is folded into the first convolution. meta.json holds T, decode_chunk_len,
context_size, blank_id, unk_id, state shapes and the fbank options (80 bins, dither 0,
snip_edges false, low_freq 20, high_freq -400: what ncasr and sherpa compute).

Streaming loop (what the worker does, as ncasr/sherpa-ncnn): decode a chunk while
num_frames_ready > processed + T (frames [processed, processed + T)), then processed +=
decode_chunk_len; greedy search with at most one symbol per encoder frame, blank and <unk>
not emitted, the decoder context the last context_size tokens padded with blank.

int8: PyTorch's dynamically quantized nn.LSTM cannot run an LSTM with proj_size (torch 2.13:
"The number of rows in the packB should be equal to K: 512": quantized_lstm ignores weight_hr).
So the int8 encoder writes each LSTM as three nn.Linear (input->gates with the summed bias,
hidden->gates, projection), one time step per output frame (the same math), and
quantize_dynamic quantizes those with every other nn.Linear: all matmuls of the LSTMs, the
feed-forwards, the subsampling's output linear, encoder_proj, decoder_proj and output_linear.
Not quantized (dynamic quantization has no kernel for them): the three Conv2d of the
subsampling, the decoder's embedding and depthwise Conv1d. meta.json lists the quantized modules.
The fp32 encoder keeps nn.LSTM.

Verification (printed and stored in meta.json): the traced fp32 encoder run chunk by chunk with
carried states against the eager chunk wrapper and against the eager full-utterance forward
(max rel err <= 1e-5), decoder/joiner against eager on random inputs; the int8 nets' errors
against fp32 are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import time
import warnings
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
import torch.nn as nn

from .export_onnx import OnnxDecoder, OnnxJoiner, chunk_sizes, load_model
from .model import Transducer

FBANK = {
    "sample_rate": 16000,
    "num_bins": 80,
    "frame_length_ms": 25.0,
    "frame_shift_ms": 10.0,
    "dither": 0.0,
    "snip_edges": False,
    "low_freq": 20.0,
    "high_freq": -400.0,
    "window_type": "povey",
    "preemph_coeff": 0.97,
    "remove_dc_offset": True,
}
NETS = ("encoder", "decoder", "joiner")


@contextlib.contextmanager
def quiet_torch():
    """torch 2.13 deprecates TorchScript (torch.jit.trace/save/load) and torch.ao.quantization
    (and warns on creating qint8 tensors), though all of them work; this is what the issue
    measures, so their warnings are silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantized tensor creation functions", category=UserWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # shape checks read as constants
        yield


REPO = Path(__file__).resolve().parents[2]
TEST_TSV = REPO / "tests" / "data" / "reference-lstm-en" / "test.tsv"


# ------------------------------------------------------------------ wrappers


class LinearLSTM(nn.Module):
    """nn.LSTM (1 layer, batch_first, proj_size > 0) as three nn.Linear, so that dynamic
    quantization (which quantizes nn.Linear) covers every matmul of the LSTM. Same math."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        assert lstm.num_layers == 1 and lstm.batch_first and lstm.proj_size > 0 and not lstm.bidirectional
        H, D = lstm.hidden_size, lstm.proj_size
        self.hidden_size = H
        self.ih = nn.Linear(lstm.input_size, 4 * H)
        self.hh = nn.Linear(D, 4 * H, bias=False)
        self.hr = nn.Linear(H, D, bias=False)
        with torch.no_grad():
            self.ih.weight.copy_(lstm.weight_ih_l0)
            self.ih.bias.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)
            self.hh.weight.copy_(lstm.weight_hh_l0)
            self.hr.weight.copy_(lstm.weight_hr_l0)

    def forward(self, x, h, c):
        """x (N, T', D), h (N, D), c (N, H) -> y (N, T', D), h, c. The time loop is unrolled
        by tracing (T' is fixed by the chunk size)."""
        H = self.hidden_size
        gx = self.ih(x)
        ys = []
        for t in range(x.size(1)):
            g = gx[:, t] + self.hh(h)
            i = torch.sigmoid(g[:, :H])
            f = torch.sigmoid(g[:, H : 2 * H])
            gg = torch.tanh(g[:, 2 * H : 3 * H])
            o = torch.sigmoid(g[:, 3 * H :])
            c = f * c + i * gg
            h = self.hr(o * torch.tanh(c))
            ys.append(h)
        return torch.stack(ys, dim=1), h, c


class TorchEncoder(nn.Module):
    """Streaming chunk encoder: (x (N, T, 80), h (L, N, D), c (L, N, H)) -> (encoder_out (N, T', J), h, c).
    linear_lstm=False keeps nn.LSTM (fp32); True writes each LSTM as LinearLSTM (for int8)."""

    def __init__(self, model: Transducer, linear_lstm: bool = False):
        super().__init__()
        self.embed = model.encoder.encoder_embed
        self.lstms = nn.ModuleList(
            [LinearLSTM(layer.lstm) if linear_lstm else layer.lstm for layer in model.encoder.layers]
        )
        self.feed_forwards = nn.ModuleList([layer.feed_forward for layer in model.encoder.layers])
        self.norms = nn.ModuleList([layer.norm_final for layer in model.encoder.layers])
        self.linear_lstm = linear_lstm
        self.encoder_proj = model.joiner.encoder_proj

    def forward(self, x, h, c):
        e = self.embed(x)
        hs, cs = [], []
        for i, (lstm, ff, norm) in enumerate(zip(self.lstms, self.feed_forwards, self.norms)):
            if self.linear_lstm:
                y, hi, ci = lstm(e, h[i], c[i])
            else:
                y, (hi, ci) = lstm(e, (h[i : i + 1], c[i : i + 1]))
                hi, ci = hi[0], ci[0]
            e = e + y
            e = e + ff(e)
            e = norm(e)
            hs.append(hi)
            cs.append(ci)
        return self.encoder_proj(e), torch.stack(hs, dim=0), torch.stack(cs, dim=0)


def wrappers(model: Transducer, int8: bool = False) -> Dict[str, nn.Module]:
    """The three eager nets of the contract; with int8, dynamically quantized (qint8)."""
    nets = {
        "encoder": TorchEncoder(model, linear_lstm=int8).eval(),
        "decoder": OnnxDecoder(model).eval(),
        "joiner": OnnxJoiner(model).eval(),
    }
    if int8:
        with quiet_torch():
            nets = {
                k: torch.ao.quantization.quantize_dynamic(v, {nn.Linear, nn.LSTM}, dtype=torch.qint8)
                for k, v in nets.items()
            }
    return nets


def quantized_modules(net: nn.Module) -> List[str]:
    """Names of the dynamically quantized submodules ("name: Type")."""
    return [
        f"{n}: {type(m).__name__}"
        for n, m in net.named_modules()
        if type(m).__module__.startswith("torch.ao.nn.quantized.dynamic")
    ]


def example_inputs(model: Transducer, decode_chunk_len: int = 4):
    cfg = model.cfg
    T, _ = chunk_sizes(decode_chunk_len)
    L, D, H, J = cfg.num_layers, cfg.encoder_dim, cfg.rnn_hidden_size, cfg.joiner_dim
    return {
        "encoder": (torch.zeros(1, T, cfg.feature_dim), torch.zeros(L, 1, D), torch.zeros(L, 1, H)),
        "decoder": (torch.zeros(1, cfg.context_size, dtype=torch.int64),),
        "joiner": (torch.zeros(1, J), torch.zeros(1, J)),
    }


def trace(nets: Dict[str, nn.Module], inputs) -> Dict[str, torch.jit.ScriptModule]:
    with torch.no_grad(), quiet_torch():
        return {k: torch.jit.trace(nets[k], inputs[k], check_trace=False) for k in NETS}


def save_and_load(traced: Dict[str, torch.jit.ScriptModule], out: Path, suffix: str = ""):
    """Saves out/{net}{suffix}.pt and loads them back (what the bench worker will run)."""
    with quiet_torch():
        for k in NETS:
            traced[k].save(str(out / f"{k}{suffix}.pt"))
        return {k: torch.jit.load(str(out / f"{k}{suffix}.pt")).eval() for k in NETS}


# ------------------------------------------------------------------ features / verification


def fbank_options():
    import kaldi_native_fbank as knf

    o = knf.FbankOptions()
    o.frame_opts.samp_freq = FBANK["sample_rate"]
    o.frame_opts.frame_length_ms = FBANK["frame_length_ms"]
    o.frame_opts.frame_shift_ms = FBANK["frame_shift_ms"]
    o.frame_opts.dither = FBANK["dither"]
    o.frame_opts.snip_edges = FBANK["snip_edges"]
    o.frame_opts.window_type = FBANK["window_type"]
    o.frame_opts.preemph_coeff = FBANK["preemph_coeff"]
    o.frame_opts.remove_dc_offset = FBANK["remove_dc_offset"]
    o.mel_opts.num_bins = FBANK["num_bins"]
    o.mel_opts.low_freq = FBANK["low_freq"]
    o.mel_opts.high_freq = FBANK["high_freq"]
    return o


def clip_features(n_clips: int = 3, tsv=TEST_TSV) -> List[np.ndarray]:
    """fbank of the first n_clips clips of tsv (0.5 s tail padding), or export_onnx's
    verification features (dev features, else random) when the clips are not there."""
    feats = []
    try:
        import kaldi_native_fbank as knf
        import soundfile as sf

        rows = [line.split("\t") for line in Path(tsv).read_text().splitlines()[1:] if line.strip()]
        for r in rows[:n_clips]:
            x, rate = sf.read(str(Path(tsv).parent / r[0]), dtype="float32", always_2d=True)
            f = knf.OnlineFbank(fbank_options())
            f.accept_waveform(rate, np.concatenate([x[:, 0], np.zeros(rate // 2, np.float32)]))
            f.input_finished()
            feats.append(np.stack([f.get_frame(i) for i in range(f.num_frames_ready)]).astype(np.float32))
    except Exception:
        feats = []
    if not feats:
        from .export_onnx import verification_features

        feats = verification_features(n_clips)
    return feats


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max()) / max(float(b.abs().max()), 1e-12)


@torch.no_grad()
def run_chunks(encoder, feats: np.ndarray, cfg, decode_chunk_len: int = 4) -> torch.Tensor:
    """encoder over feats chunk by chunk (T frames, advanced by decode_chunk_len) with carried
    states, as the streaming loop does; (frames, J)."""
    T, shift = chunk_sizes(decode_chunk_len)
    h = torch.zeros(cfg.num_layers, 1, cfg.encoder_dim)
    c = torch.zeros(cfg.num_layers, 1, cfg.rnn_hidden_size)
    x = torch.from_numpy(feats)
    outs, s = [], 0
    while s + T <= len(feats):
        o, h, c = encoder(x[None, s : s + T], h, c)
        outs.append(o[0])
        s += shift
    return torch.cat(outs, dim=0)


@torch.no_grad()
def verify(model: Transducer, eager, traced, feats_list, decode_chunk_len: int = 4, full: bool = True) -> dict:
    """Max relative errors: traced encoder (chunked) vs the eager chunk wrapper and (full=True)
    vs the eager full-utterance forward; traced decoder/joiner vs eager on random inputs."""
    cfg = model.cfg
    rep = {"encoder_vs_eager_chunks_max_rel_err": 0.0, "encoder_chunks": 0}
    if full:
        rep["encoder_vs_full_utterance_max_rel_err"] = 0.0
    for f in feats_list:
        got = run_chunks(traced["encoder"], f, cfg, decode_chunk_len)
        ref = run_chunks(eager["encoder"], f, cfg, decode_chunk_len)
        rep["encoder_chunks"] += len(got) * 4 // decode_chunk_len
        rep["encoder_vs_eager_chunks_max_rel_err"] = max(rep["encoder_vs_eager_chunks_max_rel_err"], _rel(got, ref))
        if full:
            enc, _ = model.forward_encoder(torch.from_numpy(f)[None], torch.tensor([len(f)]))
            enc = model.joiner.encoder_proj(enc)[0, : len(got)]
            k = "encoder_vs_full_utterance_max_rel_err"
            rep[k] = max(rep[k], _rel(got, enc))
    g = torch.Generator().manual_seed(0)
    dmax = jmax = 0.0
    for _ in range(20):
        y = torch.randint(0, cfg.vocab_size, (1, cfg.context_size), generator=g)
        dmax = max(dmax, _rel(traced["decoder"](y), eager["decoder"](y)))
        e, d = torch.randn(1, cfg.joiner_dim, generator=g), torch.randn(1, cfg.joiner_dim, generator=g)
        jmax = max(jmax, _rel(traced["joiner"](e, d), eager["joiner"](e, d)))
    rep["decoder_max_rel_err"], rep["joiner_max_rel_err"] = dmax, jmax
    return rep


# ------------------------------------------------------------------ export


def meta_for(model: Transducer, tokens_txt: Path, decode_chunk_len: int = 4) -> dict:
    cfg = model.cfg
    T, shift = chunk_sizes(decode_chunk_len)
    ids = {}
    for line in tokens_txt.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            ids[parts[0]] = int(parts[1])
    return {
        "format": "ncasr-torchscript-transducer",
        "version": 1,
        "model_type": "lstm",
        "T": T,
        "decode_chunk_len": shift,
        "subsampling_factor": 4,
        "context_size": cfg.context_size,
        "blank_id": cfg.blank_id,
        "unk_id": ids.get("<unk>", -1),
        "vocab_size": cfg.vocab_size,
        "joiner_dim": cfg.joiner_dim,
        "num_encoder_layers": cfg.num_layers,
        "state_shapes": {
            "h": [cfg.num_layers, 1, cfg.encoder_dim],
            "c": [cfg.num_layers, 1, cfg.rnn_hidden_size],
        },
        "feature": dict(FBANK),
        "io": {
            "encoder": "(x (1, T, 80) float32 raw fbank, h, c) -> (encoder_out (1, T', joiner_dim), h, c)",
            "decoder": "y (1, context_size) int64 -> decoder_out (1, joiner_dim); id < 0 reads a zero embedding",
            "joiner": "(encoder_out (1, joiner_dim), decoder_out (1, joiner_dim)) -> logit (1, vocab_size)",
        },
        "decoding": "greedy_search: at most one symbol per frame; blank and <unk> not emitted; "
        "decoder context = last context_size tokens, padded with blank",
        "torch_version": torch.__version__,
        "variants": {},
    }


def export_torch(
    model: Transducer,
    out,
    tokens_txt,
    int8: bool = False,
    decode_chunk_len: int = 4,
    feats_list=None,
    max_rel_err: float = 1e-5,
) -> dict:
    """Writes the fp32 TorchScript nets (and the int8 ones with int8=True), tokens.txt and
    meta.json into out; verifies them. Returns meta. Raises AssertionError when the fp32
    encoder/decoder/joiner differ from eager by more than max_rel_err."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokens_txt = Path(tokens_txt)
    if tokens_txt.resolve() != (out / "tokens.txt").resolve():
        shutil.copy(tokens_txt, out / "tokens.txt")
    meta = meta_for(model, out / "tokens.txt", decode_chunk_len)
    if feats_list is None:
        feats_list = clip_features()
    inputs = example_inputs(model, decode_chunk_len)
    eager32 = wrappers(model, int8=False)
    t0 = time.time()
    loaded32 = save_and_load(trace(eager32, inputs), out)
    check = verify(model, eager32, loaded32, feats_list, decode_chunk_len)
    meta["variants"]["torch"] = {
        "files": {k: f"{k}.pt" for k in NETS},
        "precision": "fp32",
        "lstm": "nn.LSTM (proj_size)",
        "quantized": [],
        "check": check,
        "seconds": round(time.time() - t0, 2),
    }
    worst = max(check[k] for k in check if k.endswith("max_rel_err"))
    assert worst <= max_rel_err, f"fp32 TorchScript differs from eager: {check}"
    if int8:
        t0 = time.time()
        eager8 = wrappers(model, int8=True)
        loaded8 = save_and_load(trace(eager8, inputs), out, ".int8")
        check8 = verify(model, eager8, loaded8, feats_list, decode_chunk_len, full=False)
        # the quantization error itself: int8 against fp32 (chunked encoder, random decoder/joiner)
        q = verify(model, eager32, loaded8, feats_list, decode_chunk_len)
        check8["int8_vs_fp32"] = {k: v for k, v in q.items() if k.endswith("max_rel_err")}
        meta["variants"]["torch-int8"] = {
            "files": {k: f"{k}.int8.pt" for k in NETS},
            "precision": "int8 (dynamic: int8 weights, activations quantized per call)",
            "lstm": "3 x nn.Linear per layer (ih, hh, hr), quantized; nn.LSTM with proj_size has no "
            "dynamic int8 kernel in torch",
            "quantized": {k: quantized_modules(eager8[k]) for k in NETS},
            "not_quantized": [
                "encoder.embed.conv (3 x Conv2d)",
                "decoder.decoder.embedding",
                "decoder.decoder.conv (depthwise Conv1d)",
            ],
            "check": check8,
            "seconds": round(time.time() - t0, 2),
        }
    meta["sizes_bytes"] = {p.name: p.stat().st_size for p in sorted(out.glob("*.pt"))}
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="PyTorch checkpoint (train.py / average.py / import_ncnn.py)")
    src.add_argument("--ncnn", help="ncnn model folder (e.g. the bundled model): imported first")
    ap.add_argument("--out", required=True)
    ap.add_argument("--int8", action="store_true", help="also write dynamic int8 *.int8.pt (quantize_dynamic)")
    ap.add_argument("--lang", default=None, help="folder with tokens.txt (default: --ncnn folder, else lang dir)")
    ap.add_argument("--decode-chunk-len", type=int, default=4, help="frames per chunk shift (multiple of 4)")
    ap.add_argument("--verify-clips", type=int, default=3)
    ap.add_argument("--max-rel-err", type=float, default=1e-5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_model(args.checkpoint, args.ncnn)
    if args.lang:
        lang = Path(args.lang)
    elif args.ncnn:
        lang = Path(args.ncnn)
    else:
        from .common import lang_dir

        lang = lang_dir()
    meta = export_torch(
        model,
        args.out,
        lang / "tokens.txt",
        int8=args.int8,
        decode_chunk_len=args.decode_chunk_len,
        feats_list=clip_features(args.verify_clips),
        max_rel_err=args.max_rel_err,
    )
    meta["source"] = str(Path(args.checkpoint or args.ncnn).resolve())
    (Path(args.out) / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps({k: meta[k] for k in ("variants", "sizes_bytes")}, indent=1))


if __name__ == "__main__":
    main()
