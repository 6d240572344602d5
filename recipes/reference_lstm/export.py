"""Stage 6: torch.jit.trace encoder / decoder / joiner -> pnnx -> ncnn, metadata, verification.

  python -m recipes.reference_lstm.export [--checkpoint EXP/averaged.pt] [--out EXP/ncnn] [--fp16]

Writes encoder_jit_trace-pnnx.ncnn.{param,bin}, decoder_jit_trace-pnnx.ncnn.{param,bin},
joiner_jit_trace-pnnx.ncnn.{param,bin}, tokens.txt, bpe.model, export_report.json.

The encoder is traced with a 9-frame segment and converted with inputshape (T=9) and
inputshape2 (T=13) so pnnx keeps the time axis dynamic. Verification (PyPI `ncnn`): the
ncnn encoder is run 9-frame segment by segment (offset 4) with carried states on real
dev features and compared with PyTorch's full-utterance forward; decoder and joiner are
compared too. The SherpaMetaData line (0=3 1=layers 2=encoder_dim 3=rnn_hidden) is added
afterwards by ncasr.export.add_meta_data when available, else by the local fallback.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .common import exp_dir, feats_dir, lang_dir
from .model import ModelConfig, Transducer, fold_input_norm

SEGMENT, OFFSET = 9, 4


class EncoderExport(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, x, x_lens, h, c):
        return self.enc(x, x_lens, h, c)


class DecoderExport(nn.Module):
    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, y):
        return self.dec(y, need_pad=False)


class JoinerExport(nn.Module):
    def __init__(self, j):
        super().__init__()
        self.j = j

    def forward(self, enc, dec):
        return self.j(enc, dec)


def load_model(ckpt):
    st = torch.load(ckpt, map_location="cpu", weights_only=False)
    cfg = ModelConfig(**st["config"])
    m = Transducer(cfg)
    m.load_state_dict(st["model"])
    return m.eval()


# ------------------------------------------------------------------ metadata


def add_meta_data_fallback(param_path, meta: dict):
    """FALLBACK, used only when ncasr.export.add_meta_data is not importable.
    Inserts (or replaces) `SherpaMetaData sherpa_meta_data1 0 0 k=v...` as line 3 and
    fixes the layer count on line 2."""
    lines = Path(param_path).read_text().splitlines()
    if len(lines) < 2 or lines[0].strip() != "7767517":
        raise ValueError(f"{param_path}: not an ncnn param file (bad magic)")
    head = lines[1].split()
    if len(head) != 2 or not all(h.isdigit() for h in head):
        raise ValueError(f"{param_path}: bad layer/blob count line {lines[1]!r}")
    body = [l for l in lines[2:] if l.strip() and l.split()[0] != "SherpaMetaData"]
    nblobs = int(head[1])
    kv = " ".join(f"{k}={v}" for k, v in sorted(meta.items()))
    meta_line = f"{'SherpaMetaData':<24} {'sherpa_meta_data1':<24} 0 0 {kv}"
    out = [lines[0], f"{len(body) + 1} {nblobs}", meta_line] + body
    Path(param_path).write_text("\n".join(out) + "\n")


def add_meta_data(param_path, meta: dict) -> str:
    try:
        from ncasr.export import add_meta_data as f  # the package's own implementation
    except Exception:
        add_meta_data_fallback(param_path, meta)
        return "local fallback"
    f(param_path, meta)
    return "ncasr.export.add_meta_data"


# ------------------------------------------------------------------ pnnx


def run_pnnx(pt, inputshape, inputshape2=None, fp16=False):
    """Converts pt (e.g. .../encoder_jit_trace-pnnx.pt) to <same base>.ncnn.{param,bin}."""
    d = os.path.dirname(pt)
    base = pt[:-3]
    name = os.path.basename(base)
    tmp = {
        k: f"_tmp_{name}{ext}"
        for k, ext in (
            ("pnnxparam", ".pnnx.param"),
            ("pnnxbin", ".pnnx.bin"),
            ("pnnxpy", "_pnnx.py"),
            ("pnnxonnx", ".pnnx.onnx"),
            ("ncnnpy", "_ncnn.py"),
        )
    }
    cmd = ["pnnx", os.path.basename(pt), f"ncnnparam={name}.ncnn.param", f"ncnnbin={name}.ncnn.bin"]
    cmd += [f"{k}={v}" for k, v in tmp.items()]
    cmd.append(f"inputshape={inputshape}")
    if inputshape2:
        cmd.append(f"inputshape2={inputshape2}")
    cmd.append(f"fp16={1 if fp16 else 0}")
    r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
    for v in tmp.values():
        if os.path.exists(os.path.join(d, v)):
            os.remove(os.path.join(d, v))
    if r.returncode != 0 or not os.path.exists(base + ".ncnn.param"):
        raise RuntimeError(f"pnnx failed: {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return base + ".ncnn.param", base + ".ncnn.bin"


# ------------------------------------------------------------------ plain reshape

_EXPR_RESHAPE = re.compile(r'^(Reshape\s+\S+\s+1\s+1\s+\S+\s+\S+\s+)6="(\d+),0c"\s*$')


def plain_reshapes(param_path) -> int:
    """PyPI pnnx writes the front-end flatten (N, C, T', F') -> (N, T', C*F') as an ncnn Reshape
    with a shape *expression*, `6="2304,0c"` (w = 2304, h = the input's c = T'), which only
    recent ncnn versions parse. The same reshape in the classic numeric form is
    `0=2304 1=-1` (w = 2304, h inferred = T'), which every ncnn (e.g. the one inside
    sherpa-ncnn 2.1.15) understands. Rewrites such lines in place; returns how many.
    The numerical verification below runs on the rewritten file."""
    lines = Path(param_path).read_text().splitlines()
    n = 0
    for i, line in enumerate(lines):
        m = _EXPR_RESHAPE.match(line)
        if m:
            lines[i] = f"{m.group(1)}0={m.group(2)} 1=-1"
            n += 1
    left = [l for l in lines if l.startswith("Reshape") and '6="' in l]
    if left:
        raise RuntimeError(f"{param_path}: Reshape with an unhandled shape expression: {left}")
    Path(param_path).write_text("\n".join(lines) + "\n")
    return n


# ------------------------------------------------------------------ verification


def ncnn_net(param, bin_):
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = 1
    net.opt.use_fp16_storage = False
    net.opt.use_fp16_arithmetic = False
    net.opt.use_fp16_packed = False
    net.opt.use_bf16_storage = False
    assert net.load_param(param) == 0, param
    assert net.load_model(bin_) == 0, bin_
    return net


def ncnn_run(net, inputs: dict, outputs):
    import ncnn

    ex = net.create_extractor()
    keep = []  # ncnn.Mat(ndarray) does not own the data: keep arrays alive and clone
    for k, v in inputs.items():
        a = np.ascontiguousarray(v)
        keep.append(a)
        ex.input(k, ncnn.Mat(a).clone())
    res = []
    for o in outputs:
        ret, m = ex.extract(o)
        assert ret == 0, (o, ret)
        res.append(np.array(m).copy())
    return res


def verify(model: Transducer, paths: dict, feats_list):
    cfg = model.cfg
    enc = ncnn_net(*paths["encoder"])
    dec = ncnn_net(*paths["decoder"])
    joi = ncnn_net(*paths["joiner"])
    rep = {"encoder_max_abs_err": 0.0, "encoder_max_rel_err": 0.0, "encoder_chunks": 0, "states_max_abs_err": 0.0}
    with torch.no_grad():
        for f in feats_list:
            T = len(f)
            full, _ = model.forward_encoder(torch.from_numpy(f)[None], torch.tensor([T]))
            full = full[0].numpy()
            hn = np.zeros((cfg.num_layers, cfg.encoder_dim), np.float32)
            cn = np.zeros((cfg.num_layers, cfg.rnn_hidden_size), np.float32)
            ht, ct = model.encoder.zero_states(1)
            s, j = 0, 0
            while s + SEGMENT <= T:
                seg = f[s : s + SEGMENT]
                o, ol, hn, cn = ncnn_run(
                    enc,
                    {"in0": seg, "in1": np.array([SEGMENT], np.float32), "in2": hn, "in3": cn},
                    ["out0", "out1", "out2", "out3"],
                )
                ot, _, ht, ct = model.encoder(torch.from_numpy(seg)[None], torch.tensor([SEGMENT]), ht, ct)
                o = o.reshape(-1, cfg.encoder_dim)
                assert o.shape[0] == 1, o.shape
                for ref in (ot[0].numpy(), full[j : j + 1]):
                    err = float(np.abs(o - ref).max())
                    rep["encoder_max_abs_err"] = max(rep["encoder_max_abs_err"], err)
                    rep["encoder_max_rel_err"] = max(rep["encoder_max_rel_err"], err / float(np.abs(ref).max()))
                for a, b in ((hn, ht), (cn, ct)):
                    ref = b[:, 0].numpy()
                    err = float(np.abs(a.reshape(ref.shape) - ref).max())
                    rep["states_max_abs_err"] = max(rep["states_max_abs_err"], err)
                    rep["states_max_rel_err"] = max(
                        rep.get("states_max_rel_err", 0.0), err / (float(np.abs(ref).max()) + 1e-9)
                    )
                hn = hn.reshape(cfg.num_layers, cfg.encoder_dim)
                cn = cn.reshape(cfg.num_layers, cfg.rnn_hidden_size)
                s += OFFSET
                j += 1
                rep["encoder_chunks"] += 1
        # decoder + joiner on a few contexts
        dmax = jmax = 0.0
        g = torch.Generator().manual_seed(0)
        for _ in range(20):
            y = torch.randint(0, cfg.vocab_size, (1, cfg.context_size), generator=g)
            dt = model.decoder(y, need_pad=False)[0, -1].numpy()
            (dn,) = ncnn_run(dec, {"in0": y[0].numpy().astype(np.int32)}, ["out0"])
            dn = dn.reshape(-1)
            dmax = max(dmax, float(np.abs(dn - dt).max()) / (float(np.abs(dt).max()) + 1e-9))
            e = torch.randn(1, cfg.encoder_dim, generator=g)
            jt = model.joiner(e, torch.from_numpy(dt)[None])[0].numpy()
            (jn,) = ncnn_run(joi, {"in0": e.numpy(), "in1": dt[None]}, ["out0"])
            jmax = max(jmax, float(np.abs(jn.reshape(-1) - jt).max()) / float(np.abs(jt).max()))
        rep["decoder_max_rel_err"] = dmax
        rep["joiner_max_rel_err"] = jmax
    return rep


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=str(exp_dir() / "averaged.pt"))
    ap.add_argument("--out", default=str(exp_dir() / "ncnn"))
    ap.add_argument("--lang", default=str(lang_dir()))
    ap.add_argument("--fp16", action="store_true", help="fp16 weights in the .bin (verification still fp32 compute)")
    ap.add_argument("--verify-utts", type=int, default=5)
    ap.add_argument("--max-rel-err", type=float, default=1e-3)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    model = load_model(args.checkpoint)
    input_norm = {"mean": model.cfg.input_mean, "std": model.cfg.input_std}
    # the fixed input normalisation goes into the first conv: the graph takes raw fbank
    fold_input_norm(model)
    cfg = model.cfg
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    L, D, H = cfg.num_layers, cfg.encoder_dim, cfg.rnn_hidden_size

    x = torch.zeros(1, SEGMENT, 80)
    xl = torch.tensor([SEGMENT], dtype=torch.float32)  # runtime passes T as float
    h, c = model.encoder.zero_states(1)
    with torch.no_grad():
        te = torch.jit.trace(EncoderExport(model.encoder), (x, xl, h, c))
        te.save(str(out / "encoder_jit_trace-pnnx.pt"))
        y = torch.zeros(1, cfg.context_size, dtype=torch.int64)
        td = torch.jit.trace(DecoderExport(model.decoder), (y,))
        td.save(str(out / "decoder_jit_trace-pnnx.pt"))
        tj = torch.jit.trace(JoinerExport(model.joiner), (torch.zeros(1, D), torch.zeros(1, cfg.decoder_dim)))
        tj.save(str(out / "joiner_jit_trace-pnnx.pt"))
    paths = {
        "encoder": run_pnnx(
            str(out / "encoder_jit_trace-pnnx.pt"),
            f"[1,{SEGMENT},80]f32,[1]f32,[{L},1,{D}]f32,[{L},1,{H}]f32",
            f"[1,{SEGMENT + 4},80]f32,[1]f32,[{L},1,{D}]f32,[{L},1,{H}]f32",
            args.fp16,
        ),
        "decoder": run_pnnx(str(out / "decoder_jit_trace-pnnx.pt"), f"[1,{cfg.context_size}]i64", None, args.fp16),
        "joiner": run_pnnx(
            str(out / "joiner_jit_trace-pnnx.pt"), f"[1,{D}]f32,[1,{cfg.decoder_dim}]f32", None, args.fp16
        ),
    }
    for p in glob.glob(str(out / "*.pt")):
        os.remove(p)
    n_reshape = sum(plain_reshapes(paths[k][0]) for k in paths)
    # verification on real dev features (before the metadata line, which stock ncnn does not know)
    feats = []
    try:
        from .compute_features import load_split

        arr, items = load_split("dev", str(feats_dir()))
        for o, n, _ in items[: args.verify_utts]:
            feats.append(np.asarray(arr[o : o + n], dtype=np.float32))
    except FileNotFoundError:
        pass
    if not feats:
        feats = [np.random.default_rng(0).standard_normal((9 + 4 * 40, 80)).astype(np.float32) * 3]
    rep = verify(model, paths, feats)
    rep["fp16_weights"] = bool(args.fp16)
    rep["expression_reshapes_rewritten"] = n_reshape
    meta = {0: 3, 1: L, 2: D, 3: H}
    rep["metadata_by"] = add_meta_data(paths["encoder"][0], meta)
    for f in ("tokens.txt", "bpe.model"):
        shutil.copy(os.path.join(args.lang, f), out / f)
    rep["config"] = cfg.to_dict()
    rep["input_norm_folded_into_conv1"] = input_norm
    rep["checkpoint"] = str(args.checkpoint)
    rep["sizes_bytes"] = {os.path.basename(p): os.path.getsize(p) for k in paths for p in paths[k]}
    (out / "export_report.json").write_text(json.dumps(rep, indent=1))
    print(json.dumps(rep, indent=1))
    if (
        rep["encoder_max_rel_err"] > args.max_rel_err
        or rep["joiner_max_rel_err"] > args.max_rel_err
        or rep["decoder_max_rel_err"] > args.max_rel_err
    ):
        if not args.fp16:
            raise SystemExit(f"verification FAILED (max rel err > {args.max_rel_err})")
        print("note: fp16 weights; errors reflect weight rounding")


if __name__ == "__main__":
    main()
