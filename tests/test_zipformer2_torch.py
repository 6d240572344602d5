"""ncasr.export.zipformer2 against the golden fixture made with icefall's own code
(tests/data/zipformer2/README.md): every encoder output and state of every streaming chunk, the
decoder, the joiner and greedy search; and the traced graph is free of ops ncnn cannot run."""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import torch  # the test extra installs torch, pnnx and ncnn: missing, they fail, not skip

from ncasr.export.zipformer2 import (
    Zipformer2Config,
    Zipformer2Transducer,
    fit_config,
    key_mask,
    load_zipformer2,
    read_state_dict,
    state_names,
)
from ncasr.export.zipformer2.states import from_icefall_layout, icefall_state_shapes, to_icefall_layout

DATA = Path(__file__).parent / "data" / "zipformer2"
TOL = 1e-4  # max |ours - golden| / max |golden|, per tensor


def rel_err(ours: np.ndarray, golden: np.ndarray) -> float:
    scale = float(np.abs(golden).max())
    return float(np.abs(ours - golden).max()) / (scale if scale > 0 else 1.0)


@pytest.fixture(scope="module")
def cfg() -> Zipformer2Config:
    return Zipformer2Config.from_json(DATA / "config.json")


@pytest.fixture(scope="module")
def model(cfg: Zipformer2Config) -> Zipformer2Transducer:
    # one thread: this small model runs 10x slower when torch's threads fight a busy machine
    torch.set_num_threads(1)
    return load_zipformer2(DATA / "state_dict.npz", cfg)


@pytest.fixture(scope="module")
def traced(model: Zipformer2Transducer):
    return model.streaming_encoder().trace()


@pytest.fixture(scope="module")
def golden() -> Dict[str, np.ndarray]:
    with np.load(DATA / "encoder_golden.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def features() -> np.ndarray:
    return np.load(DATA / "features.npy")


def _chunk_inputs(cfg: Zipformer2Config, golden: Dict[str, np.ndarray], c: int) -> List[np.ndarray]:
    """The states going into chunk c: the golden states out of chunk c - 1, zeros for chunk 0."""
    if c == 0:
        shapes = icefall_state_shapes(cfg)
        return from_icefall_layout(cfg, {n: np.zeros(shapes[n], np.float32) for n in state_names(cfg)})
    return from_icefall_layout(cfg, {f"new_{n}": golden[f"new_{n}"][c - 1] for n in state_names(cfg)})


def test_every_chunk_matches_icefall_on_golden_states(cfg, model, golden, features):
    enc = model.streaming_encoder()
    num_chunks = golden["encoder_out"].shape[0]
    assert num_chunks == (len(features) - cfg.frames_per_call) // cfg.decode_chunk_len + 1 == 9
    worst: Dict[str, float] = collections.defaultdict(float)
    for c in range(num_chunks):
        x = torch.from_numpy(features[c * cfg.decode_chunk_len :][: cfg.frames_per_call].copy())
        states = [torch.from_numpy(s) for s in _chunk_inputs(cfg, golden, c)]
        with torch.no_grad():
            out, *new_states = enc(x, torch.from_numpy(key_mask(cfg, c * cfg.chunk_size)), *states)
        worst["encoder_out"] = max(worst["encoder_out"], rel_err(out.numpy(), golden["encoder_out"][c][0]))
        for name, value in to_icefall_layout(cfg, [s.numpy() for s in new_states]).items():
            worst[name] = max(worst[name], rel_err(value, golden[f"new_{name}"][c]))
    assert len(worst) == 1 + len(state_names(cfg)) == 38
    bad = {k: v for k, v in worst.items() if not v <= TOL}
    assert not bad, bad


def test_chained_on_its_own_states_all_frames_match(cfg, model, golden, features):
    out = model.streaming_encoder().run(features)
    assert out.shape == (72, cfg.joiner_dim)
    assert rel_err(out, golden["encoder_out"].reshape(-1, cfg.joiner_dim)) <= TOL


def test_decoder_and_joiner_match(model):
    d = np.load(DATA / "decoder.npz")
    with torch.no_grad():
        raw = model.decoder(torch.from_numpy(d["y"])).numpy()
        projected = model.decoder_with_projection()(torch.from_numpy(d["y"])).numpy()
    assert rel_err(raw, d["decoder_out_before_proj"][:, 0]) <= TOL
    assert rel_err(projected, d["decoder_out"]) <= TOL
    j = np.load(DATA / "joiner.npz")
    with torch.no_grad():
        logit = model.joiner(torch.from_numpy(j["encoder_out"]), torch.from_numpy(j["decoder_out"])).numpy()
    assert rel_err(logit, j["logit"]) <= TOL


def test_greedy_search_gives_the_golden_tokens(model, features):
    expected = json.loads((DATA / "greedy_tokens.json").read_text())
    encoder_out = torch.from_numpy(model.streaming_encoder().run(features))
    dec = model.decoder_with_projection()
    context = list(expected["initial_context"])
    tokens, frames = [], []
    with torch.no_grad():
        decoder_out = dec(torch.tensor([context]))
        for t in range(encoder_out.shape[0]):
            best = int(model.joiner(encoder_out[t : t + 1], decoder_out)[0].argmax())
            if best != 0:
                tokens.append(best)
                frames.append(t)
                context = context[1:] + [best]
                decoder_out = dec(torch.tensor([context]))
    assert tokens == expected["tokens"]
    assert frames == expected["token_frames"]


def test_traced_encoder_has_no_gather_where_or_masked_fill(traced):
    kinds = collections.Counter(n.kind() for n in traced.inlined_graph.nodes())
    forbidden = {k for k in kinds if k.split("::")[-1] in {"gather", "where", "masked_fill", "index", "as_strided",
                                                            "expand", "arange", "logaddexp", "select"}}  # fmt: skip
    assert not forbidden, forbidden
    assert kinds["aten::softplus"] > 0  # Swoosh
    # the only data-dependent input is the mask: no comparisons, no integer tensors
    assert not {k for k in kinds if k.split("::")[-1] in {"le", "lt", "ge", "gt", "eq", "ne", "floor_divide"}}


def test_traced_encoder_reproduces_eager(model, traced, features, cfg):
    enc = model.streaming_encoder()
    x = torch.from_numpy(features[: cfg.frames_per_call].copy())
    args = (x, torch.from_numpy(key_mask(cfg, 0)), *enc.init_states())
    with torch.no_grad():
        for a, b in zip(enc(*args), traced(*args)):
            assert torch.equal(a, b)


def test_loading_rejects_weights_of_another_config(cfg):
    weights = dict(np.load(DATA / "state_dict.npz"))
    wrong = Zipformer2Config.from_icefall_args({**_args(cfg), "num_encoder_layers": "2,1,1,1,1,1"})
    with pytest.raises(ValueError, match="missing"):
        load_zipformer2({k: torch.from_numpy(v) for k, v in weights.items()}, wrong)


def _args(cfg: Zipformer2Config) -> Dict[str, str]:
    return json.loads((DATA / "config.json").read_text())["model_args"]


def test_reads_a_training_checkpoint_and_fits_the_transducer_sizes(tmp_path, cfg):
    weights = {k: torch.from_numpy(v) for k, v in np.load(DATA / "state_dict.npz").items()}
    torch.save({"model": weights, "epoch": 3}, tmp_path / "epoch-3.pt")
    loaded = read_state_dict(tmp_path / "epoch-3.pt")
    assert loaded.keys() == weights.keys()
    fitted = fit_config(loaded, Zipformer2Config.from_icefall_args({**_args(cfg), "decoder_dim": "512"}))
    assert (fitted.vocab_size, fitted.decoder_dim, fitted.joiner_dim, fitted.context_size) == (500, 128, 128, 2)


@pytest.mark.parametrize("t, left", [(1, 8), (2, 8), (4, 16), (16, 64), (32, 128)])
def test_relative_shift_by_reshape_equals_indexing(t, left):
    from ncasr.export.zipformer2._attention import rel_to_abs

    n, k = left + 2 * t - 1, left + t
    scores = torch.randn(3, t, n)
    i = torch.arange(t).unsqueeze(1)
    j = torch.arange(k).unsqueeze(0)
    expected = scores[:, i, t - 1 - i + j]  # out[h, i, j] = scores[h, i, T - 1 - i + j]
    assert torch.equal(rel_to_abs(scores, 3, t, n, k), expected)


def test_a_fresh_model_equals_its_weights_reloaded(cfg, features):
    # The constants derived from weights (refresh()) are in step from construction on: a
    # randomly initialised model encodes as its own state_dict loaded into another does.
    torch.manual_seed(3)
    fresh = Zipformer2Transducer(cfg).eval()
    weights = {k: v.clone() for k, v in fresh.state_dict().items()}
    reloaded = load_zipformer2(weights, cfg)
    x = features[: cfg.frames_per_call + 3 * cfg.decode_chunk_len]
    with torch.no_grad():
        ours, ref = fresh.streaming_encoder().run(x), reloaded.streaming_encoder().run(x)
    assert float(np.abs(ref).max()) > 0
    assert rel_err(ours, ref) < 1e-6
