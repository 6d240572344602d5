"""Reads an exported model folder (ncnn param/bin, e.g. the bundled default model) back into a
PyTorch checkpoint, so training can continue from a model whose checkpoints are gone.

  python -m recipes.reference_lstm.import_ncnn --ncnn python/ncasr/models/reference-lstm-en \
      --out EXP/imported.pt [--step 32903 --epoch 14]
  python -m recipes.reference_lstm.train --init-from EXP/imported.pt ...

The weights come back exactly as stored (fp16 files give fp16-rounded weights). What the
export changed is not undone: the input normalisation stays folded into the first conv
(config input_mean 0, input_std 1), and the LSTM's two biases come back as one (bias_ih =
the sum, bias_hh = 0), which computes the same function. The imported model is checked
against the ncnn files themselves, chunk by chunk with carried states (export.verify).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch

from .model import ModelConfig, Transducer, count_parameters

NETS = ("encoder", "decoder", "joiner")
# ncnn's LSTM keeps its gates as I, F, O, G; PyTorch's as I, F, G, O
_TORCH_GATES_FROM_NCNN = (0, 1, 3, 2)


def _param_fields(param_path):
    """{layer name: {key: value}} of the param file's layer lines (values as strings)."""
    out = {}
    for line in Path(param_path).read_text().splitlines()[2:]:
        parts = line.split()
        if len(parts) < 4:
            continue
        n_in, n_out = int(parts[2]), int(parts[3])
        kv = dict(p.split("=", 1) for p in parts[4 + n_in + n_out :] if "=" in p)
        out[parts[1]] = kv
    return out


def read_weights(param_path, bin_path):
    """[(layer type, layer name, params, [float32 arrays])] for every layer that holds weights,
    in file order. The byte layout comes from ncasr's own model loader (weight_map), so a
    truncated or mismatched .bin raises ncasr.ModelError naming the layer."""
    from ncasr import _core

    wm = _core.weight_map(str(param_path), str(bin_path))
    data = Path(bin_path).read_bytes()
    fields = _param_fields(param_path)
    layers = []
    for layer in wm["layers"]:
        arrays = []
        for b in layer["blobs"]:
            n, off, storage = b["elements"], b["offset"], b["storage"]
            if storage == "fp16":
                a = np.frombuffer(data, np.float16, n, off + 4).astype(np.float32)
            elif storage == "fp32":
                a = np.frombuffer(data, np.float32, n, off + 4).copy()
            elif storage == "raw":
                a = np.frombuffer(data, np.float32, n, off).copy()
            else:
                raise ValueError(
                    f"{bin_path}: layer {layer['name']} ({layer['type']}) stores "
                    f"{storage} weights; only float (fp32/fp16) models can be imported"
                )
            arrays.append(a)
        layers.append((layer["type"], layer["name"], fields.get(layer["name"], {}), arrays))
    return layers


def _expect(layers, types, what):
    got = [t for t, *_ in layers]
    if got != list(types):
        raise ValueError(
            f"{what}: weighted layers {got}, expected {list(types)} (not an LSTM transducer exported by this recipe?)"
        )


def _front_end_feature_dim(flat_in: int, c3: int) -> int:
    """The fbank dimension whose conv front-end gives flat_in = c3 * F' inputs to its linear:
    80 (the contract's) when it fits; the strided convs map several dimensions to one F'."""
    for fd in [80] + list(range(8, 1024)):
        f = ((fd - 2 - 3) // 2 + 1 - 3) // 2 + 1
        if c3 * f == flat_in:
            return fd
    raise ValueError(f"no feature dimension gives {flat_in} = {c3} x F' front-end outputs")


def import_model(folder, dropout: float = 0.1, variant: str = ""):
    """Transducer (eval mode) with the weights of folder's *_jit_trace-pnnx.ncnn{variant}.param/bin."""
    folder = Path(folder)
    files = {}
    for net in NETS:
        stem = folder / f"{net}_jit_trace-pnnx.ncnn{variant}"
        param, bin_ = Path(f"{stem}.param"), Path(f"{stem}.bin")
        for p in (param, bin_):
            if not p.is_file():
                raise FileNotFoundError(f"{p}: missing")
        files[net] = (param, bin_)
    enc = read_weights(*files["encoder"])
    dec = read_weights(*files["decoder"])
    joi = read_weights(*files["joiner"])
    n_lstm = sum(t == "LSTM" for t, *_ in enc)
    _expect(enc, ["Convolution"] * 3 + ["Gemm"] + ["LSTM", "Gemm", "Gemm"] * n_lstm, files["encoder"][0])
    _expect(dec, ["Embed", "ConvolutionDepthWise1D"], files["decoder"][0])
    _expect(joi, ["InnerProduct"] * 3, files["joiner"][0])

    convs = [enc[k][2] for k in range(3)]
    lstm0 = enc[4][2]
    c3 = int(convs[2]["0"])
    cfg = ModelConfig(
        vocab_size=int(dec[0][2]["1"]),
        feature_dim=_front_end_feature_dim(int(enc[3][2]["9"]), c3),
        num_layers=n_lstm,
        encoder_dim=int(lstm0["0"]),
        rnn_hidden_size=int(lstm0["3"]),
        dim_feedforward=int(enc[5][2]["8"]),
        decoder_dim=int(dec[0][2]["0"]),
        joiner_dim=int(joi[0][2]["0"]),
        context_size=int(dec[1][2]["1"]),
        dropout=dropout,
        layer1_channels=int(convs[0]["0"]),
        layer2_channels=int(convs[1]["0"]),
        layer3_channels=c3,
        input_mean=0.0,
        input_std=1.0,
    )
    model = Transducer(cfg).eval()
    sd = model.state_dict()
    new = {}

    def put(name, arr):
        want = sd[name].shape
        if arr.size != sd[name].numel():
            raise ValueError(f"{name}: {arr.size} values in the ncnn files, the model needs {tuple(want)}")
        new[name] = torch.from_numpy(np.ascontiguousarray(arr)).reshape(want)

    pre = "encoder.encoder_embed."
    for k, (_, _, _, (w, b)) in zip((0, 2, 4), enc[:3]):
        put(f"{pre}conv.{k}.weight", w)
        put(f"{pre}conv.{k}.bias", b)
    put(f"{pre}out.weight", enc[3][3][0])
    put(f"{pre}out.bias", enc[3][3][1])
    H = cfg.rnn_hidden_size
    for i in range(n_lstm):
        (_, _, _, (wxc, bc, whc, whr)), ff1, ff2 = enc[4 + 3 * i : 7 + 3 * i]

        def gates(a):
            return np.concatenate([a.reshape(4, H, -1)[g] for g in _TORCH_GATES_FROM_NCNN])

        p = f"encoder.layers.{i}."
        put(p + "lstm.weight_ih_l0", gates(wxc))
        put(p + "lstm.weight_hh_l0", gates(whc))
        put(p + "lstm.bias_ih_l0", gates(bc).reshape(-1))
        put(p + "lstm.bias_hh_l0", np.zeros(4 * H, np.float32))
        put(p + "lstm.weight_hr_l0", whr)
        for k, gemm in ((0, ff1), (3, ff2)):
            put(f"{p}feed_forward.{k}.weight", gemm[3][0])
            put(f"{p}feed_forward.{k}.bias", gemm[3][1])
    put("decoder.embedding.weight", dec[0][3][0])
    put("decoder.conv.weight", dec[1][3][0])
    for name, (_, _, _, (w, b)) in zip(("encoder_proj", "decoder_proj", "output_linear"), joi):
        put(f"joiner.{name}.weight", w)
        put(f"joiner.{name}.bias", b)
    missing = sorted(set(sd) - set(new))
    if missing:
        raise ValueError(f"{folder}: no ncnn weights for {missing}")
    model.load_state_dict(new)
    return model, files


def verify_against_ncnn(model, files, feats_list):
    """export.verify against the ncnn files (on copies without the SherpaMetaData line)."""
    from .evaluate import strip_meta_data
    from .export import verify

    paths = {net: (strip_meta_data(param), str(bin_)) for net, (param, bin_) in files.items()}
    try:
        return verify(model, paths, feats_list)
    finally:
        for param, _ in paths.values():
            os.remove(param)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--ncnn", required=True, help="folder with {encoder,decoder,joiner}_jit_trace-pnnx.ncnn.*")
    ap.add_argument("--out", required=True, help="checkpoint to write (train.py --init-from reads it)")
    ap.add_argument(
        "--step",
        type=int,
        default=0,
        help="training step the weights reached: train --init-from continues the lr schedule there",
    )
    ap.add_argument("--epoch", type=int, default=0, help="epoch the weights reached (lr schedule)")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--max-rel-err", type=float, default=1e-4)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    model, files = import_model(args.ncnn, args.dropout)
    rng = np.random.default_rng(0)
    feats = [rng.standard_normal((9 + 4 * 30, model.cfg.feature_dim)).astype(np.float32) * 3 - 7]
    rep = verify_against_ncnn(model, files, feats)
    worst = max(rep["encoder_max_rel_err"], rep["decoder_max_rel_err"], rep["joiner_max_rel_err"])
    print(json.dumps({"config": model.cfg.to_dict(), "check": rep}, indent=1))
    if worst > args.max_rel_err:
        raise SystemExit(f"imported model differs from the ncnn files: max rel err {worst:.2e}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "model": model.state_dict(),
            "config": model.cfg.to_dict(),
            "step": args.step,
            "epoch": args.epoch,
            "imported_from": str(Path(args.ncnn).resolve()),
        },
        args.out,
    )
    print(f"wrote {args.out}: {count_parameters(model):,} parameters, max rel err vs ncnn {worst:.2e}")


if __name__ == "__main__":
    main()
