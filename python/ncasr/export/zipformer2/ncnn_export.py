"""Zipformer2 to an ncnn model folder: trace, convert with pnnx, check the ncnn nets against
PyTorch chunk by chunk, write SherpaMetaData and tokens.txt.

The folder has sherpa-ncnn's file names. Encoder inputs ``in0`` (frames_per_call, feature_dim)
fbank, ``in1`` the key mask (``states.key_mask``), ``in2``... the states in ``state_names``
order; outputs ``out0`` (chunk_size // 2, max(encoder_dim)) unprojected, then the new states
in the same order. Decoder: ``in0`` int32 (context_size,) token ids, ``vocab_size`` standing
for "no token yet"; joiner: ``in0`` encoder frame, ``in1`` decoder output."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..metadata import add_meta_data
from ._ncnn_modules import NcnnDecoder, NcnnJoiner
from ._tracing import trace
from .config import Zipformer2Config
from .model import Zipformer2Transducer
from .state_dict import fit_config, load_zipformer2, read_state_dict
from .states import MASK_VALUE, key_mask, state_names, state_shapes

__all__ = ["export_ncnn", "verify_ncnn", "meta_data", "NET_NAMES"]

PathLike = Union[str, "os.PathLike[str]"]

# sherpa-ncnn's file names (plus .ncnn.param / .ncnn.bin)
NET_NAMES = {net: f"{net}_jit_trace-pnnx" for net in ("encoder", "decoder", "joiner")}


def meta_data(cfg: Zipformer2Config) -> Dict[str, object]:
    """The SherpaMetaData values of a Zipformer2 encoder (keys: docs/zipformer2.md).

    Example::

        add_meta_data("encoder_jit_trace-pnnx.ncnn.param", meta_data(cfg))
    """
    embed = state_shapes(cfg)["embed_states"]
    return {
        "model_type": "zipformer2",
        "decode_chunk_len": cfg.decode_chunk_len,
        "chunk_size": cfg.chunk_size,
        "pad_length": cfg.pad_length,
        "left_context_frames": cfg.left_context_frames,
        "feature_dim": cfg.feature_dim,
        "encoder_out_dim": max(cfg.encoder_dim),
        "embed_channels": embed[0],
        "embed_left_pad": embed[1],
        "embed_freq": embed[2],
        "model_version": 1,
        "num_encoder_layers": list(cfg.num_encoder_layers),
        "encoder_dims": list(cfg.encoder_dim),
        "num_heads": list(cfg.num_heads),
        "downsampling_factors": list(cfg.downsampling_factor),
        "cnn_module_kernels": list(cfg.cnn_module_kernel),
        "query_head_dims": list(cfg.query_head_dim),
        "value_head_dims": list(cfg.value_head_dim),
        "left_context_len": [cfg.left_context(s) for s in range(cfg.num_stacks)],
        "mask_value": MASK_VALUE,
    }


def _pnnx(traced: torch.jit.ScriptModule, inputs: Sequence[torch.Tensor], name: str, out_dir: Path, work: Path,
          fp16_weights: bool) -> None:  # fmt: skip
    import pnnx

    pt = work / f"{name}.pt"
    traced.save(str(pt))
    kinds = {torch.float32: "f32", torch.int64: "i64", torch.int32: "i32"}
    shapes = ",".join("[" + ",".join(str(d) for d in t.shape) + "]" + kinds[t.dtype] for t in inputs)
    args = [pnnx.EXEC_PATH, str(pt), f"inputshape={shapes}", f"fp16={int(fp16_weights)}",
            f"ncnnparam={out_dir / (name + '.ncnn.param')}", f"ncnnbin={out_dir / (name + '.ncnn.bin')}",
            f"ncnnpy={work / (name + '_ncnn.py')}", f"pnnxparam={work / (name + '.pnnx.param')}",
            f"pnnxbin={work / (name + '.pnnx.bin')}", f"pnnxpy={work / (name + '_pnnx.py')}",
            f"pnnxonnx={work / (name + '.pnnx.onnx')}"]  # fmt: skip
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0 or not (out_dir / f"{name}.ncnn.param").exists():
        raise RuntimeError(f"pnnx failed on {name} (exit {run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    _unique_layer_names(out_dir / f"{name}.ncnn.param")


def _unique_layer_names(param: Path) -> None:
    """pnnx can give two Split layers the same name (splitncnn_0 for an input and for a constant);
    ncnn ignores layer names but ncasr's param reader rejects duplicates. Blobs keep their names."""
    lines = param.read_text(encoding="utf-8").splitlines()
    seen: Dict[str, int] = {}
    for i, line in enumerate(lines[2:], start=2):
        fields = line.split()
        if len(fields) < 2:
            continue
        name = fields[1]
        if name in seen:
            while f"{name}_{seen[name]}" in seen:
                seen[name] += 1
            new = f"{name}_{seen[name]}"
            seen[new] = 1
            lines[i] = f"{fields[0]:<24} {new:<24} " + " ".join(fields[2:])
        else:
            seen[name] = 1
    param.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _declare_input_shapes(param: Path, shapes: Dict[str, Tuple[int, ...]]) -> None:
    """Write each named Input layer's shape as ncnn's ``0=w 1=h 2=c`` (innermost axis first).
    The runtime checks them against the metadata: without them, metadata made for another
    graph would run on wrong-sized states, which ncnn's layers do not check."""
    lines = param.read_text(encoding="utf-8").splitlines()
    done = set()
    for i, line in enumerate(lines[2:], start=2):
        fields = line.split()
        if len(fields) == 5 and fields[0] == "Input" and fields[4] in shapes:
            dims = tuple(reversed(shapes[fields[4]]))
            lines[i] = line.rstrip() + " " + " ".join(f"{k}={d}" for k, d in enumerate(dims))
            done.add(fields[4])
    missing = sorted(set(shapes) - done)
    if missing:
        raise RuntimeError(f"{param}: no Input layer for {missing}")
    param.write_text("\n".join(lines) + "\n", encoding="utf-8")


def export_ncnn(
    weights: PathLike,
    out_dir: PathLike,
    cfg: Zipformer2Config,
    tokens: Optional[PathLike] = None,
    *,
    fp16_weights: bool = False,
    verify: bool = True,
) -> Dict[str, float]:
    """Write the ncnn folder for icefall ``weights`` (checkpoint, state_dict .pt or .npz) and
    return the worst relative errors of the ncnn nets against PyTorch (empty without
    ``verify`` or without the ``ncnn`` package). ``fp16_weights`` stores weights as pnnx does by
    default (smaller; the check then allows 1e-2 instead of 1e-4).

    Example::

        export_ncnn("epoch-30.pt", "zipformer2-ncnn", Zipformer2Config(), "tokens.txt")
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    loaded = read_state_dict(weights)
    model = load_zipformer2(loaded, fit_config(loaded, cfg))
    cfg = model.cfg
    enc = model.streaming_encoder(project=False)
    dec = NcnnDecoder(model.decoder).eval()
    join = NcnnJoiner(model.joiner).eval()
    enc_in = enc.example_inputs()
    dec_in = (torch.zeros(1, cfg.context_size, dtype=torch.int64),)
    join_in = (torch.zeros(1, max(cfg.encoder_dim)), torch.zeros(1, cfg.decoder_dim))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for key, module, inputs in (("encoder", enc, enc_in), ("decoder", dec, dec_in), ("joiner", join, join_in)):
            _pnnx(trace(module, inputs), inputs, NET_NAMES[key], out, work, fp16_weights)
    enc_param = out / f"{NET_NAMES['encoder']}.ncnn.param"
    _declare_input_shapes(enc_param, {f"in{i}": tuple(a.shape) for i, a in enumerate(enc_in) if i > 0})
    errors: Dict[str, float] = {}
    if verify:
        try:
            import ncnn  # noqa: F401
        except ImportError:
            verify = False
    if verify:
        errors = verify_ncnn(out, model)
        limit = 1e-2 if fp16_weights else 1e-4
        bad = {k: v for k, v in errors.items() if not v <= limit}
        if bad:
            raise RuntimeError(f"the ncnn nets differ from PyTorch by more than {limit}: {bad}")
    add_meta_data(out / f"{NET_NAMES['encoder']}.ncnn.param", meta_data(cfg))
    if tokens is not None:
        shutil.copyfile(tokens, out / "tokens.txt")
    return errors


def _ncnn_net(param: Path):
    import ncnn

    lines = param.read_text(encoding="utf-8").splitlines()
    # plain ncnn does not know ncasr's SherpaMetaData layer: load without it
    layers = [line for line in lines[2:] if line.strip() and not line.startswith("SherpaMetaData")]
    text = "\n".join([lines[0], f"{len(layers)} {lines[1].split()[1]}"] + layers) + "\n"
    net = ncnn.Net()
    opt = ncnn.Option()
    opt.num_threads = 1
    opt.use_vulkan_compute = False
    for name in ("use_fp16_packed", "use_fp16_storage", "use_fp16_arithmetic"):
        setattr(opt, name, False)
    net.opt = opt
    if net.load_param_mem(text) != 0 or net.load_model(str(param.with_suffix(".bin"))) != 0:
        raise RuntimeError(f"ncnn cannot load {param}")
    return net


def _run(net, inputs: Sequence[np.ndarray], n_out: int) -> List[np.ndarray]:
    import ncnn

    ex = net.create_extractor()
    for i, a in enumerate(inputs):
        ex.input(f"in{i}", ncnn.Mat(np.ascontiguousarray(a)).clone())
    outs = []
    for i in range(n_out):
        ret, mat = ex.extract(f"out{i}")
        if ret != 0:
            raise RuntimeError(f"ncnn could not compute out{i}")
        outs.append(np.array(mat))
    return outs


def _rel(ours: np.ndarray, ref: np.ndarray) -> float:
    scale = float(np.abs(ref).max())
    return float(np.abs(ours.reshape(ref.shape) - ref).max()) / (scale if scale > 0 else 1.0)


def verify_ncnn(out_dir: PathLike, model: Zipformer2Transducer, features: Optional[np.ndarray] = None,
                num_chunks: int = 6) -> Dict[str, float]:  # fmt: skip
    """Worst relative error (max |ncnn - torch| / max |torch|) per output: the encoder over
    ``num_chunks`` chained calls (each side on its own states) on ``features`` (default: a fixed
    pseudo-random fbank-like input), the decoder on a few contexts, the joiner on a few pairs.

    Example::

        verify_ncnn("zipformer2-ncnn", model)  # {"encoder_out": 2e-06, "cached_key_0": ...}
    """
    cfg = model.cfg
    out = Path(out_dir)
    if features is None:
        frames = cfg.frames_per_call + (num_chunks - 1) * cfg.decode_chunk_len
        features = np.random.default_rng(0).normal(-6.0, 3.0, (frames, cfg.feature_dim)).astype(np.float32)
    num_chunks = min(num_chunks, (len(features) - cfg.frames_per_call) // cfg.decode_chunk_len + 1)
    enc = model.streaming_encoder(project=False)
    net = _ncnn_net(out / f"{NET_NAMES['encoder']}.ncnn.param")
    names = ["encoder_out"] + state_names(cfg)
    worst: Dict[str, float] = {n: 0.0 for n in names}
    torch_states = enc.init_states()
    ncnn_states = [s.numpy() for s in torch_states]
    enc_frames = []
    for c in range(num_chunks):
        x = np.ascontiguousarray(features[c * cfg.decode_chunk_len :][: cfg.frames_per_call], dtype=np.float32)
        mask = key_mask(cfg, c * cfg.chunk_size)
        with torch.no_grad():
            ref = [t.numpy() for t in enc(torch.from_numpy(x), torch.from_numpy(mask), *torch_states)]
        got = _run(net, [x, mask] + ncnn_states, len(names))
        for name, a, b in zip(names, got, ref):
            worst[name] = max(worst[name], _rel(a, b))
        torch_states = [torch.from_numpy(r) for r in ref[1:]]
        ncnn_states = [g.reshape(r.shape) for g, r in zip(got[1:], ref[1:])]
        enc_frames.append(ref[0])

    dec_net = _ncnn_net(out / f"{NET_NAMES['decoder']}.ncnn.param")
    dec = NcnnDecoder(model.decoder).eval()
    contexts = [[cfg.vocab_size, 0], [0, 0], [5, 17], [cfg.vocab_size - 1, 3]]
    dec_outs = []
    worst["decoder_out"] = 0.0
    for ctx in contexts:
        ctx = ([cfg.vocab_size] * cfg.context_size + ctx)[-cfg.context_size :]
        with torch.no_grad():
            ref = dec(torch.tensor([ctx])).reshape(1, -1).numpy()
        # ncnn's Embed reads int32 ids from the Mat's raw bytes
        got = _run(dec_net, [np.array(ctx, dtype=np.int32).view(np.float32)], 1)[0]
        worst["decoder_out"] = max(worst["decoder_out"], _rel(got, ref))
        dec_outs.append(ref)

    join_net = _ncnn_net(out / f"{NET_NAMES['joiner']}.ncnn.param")
    join = NcnnJoiner(model.joiner).eval()
    frames = np.concatenate(enc_frames)
    worst["logit"] = 0.0
    for i, d in enumerate(dec_outs):
        e = frames[(i * 5) % len(frames)][None]
        with torch.no_grad():
            ref = join(torch.from_numpy(e), torch.from_numpy(d)).numpy()
        got = _run(join_net, [e, d], 1)[0]
        worst["logit"] = max(worst["logit"], _rel(got, ref))
    return worst
