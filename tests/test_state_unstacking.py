"""Per-layer encoder states: pnnx's Split -> Crop -> Reshape around every stacked Zipformer
state input and the Stack around every state output are removed at load, and ncasr carries
one tensor per layer instead.

Only data movement is removed, so encoder outputs and tokens are bit-identical with and
without the rewrite, over many chunks (states carried); a graph where any state deviates
from the pattern keeps all its states stacked and still decodes the same."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir

ZIPFORMER_STATE_GROUPS = 7  # cached_len, avg, key, val, val2, conv1, conv2


def random_features(frames=700, seed=3):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, 80)) * 2 - 8).astype(np.float32)


def layers_per_stack(model_dir):
    # SherpaMetaData key 16 (-23316=S,l1,...,lS): encoder layers per stack
    meta = next(
        l for l in next(model_dir.glob("encoder*.param")).read_text().splitlines() if l.startswith("SherpaMetaData")
    )
    values = next(t for t in meta.split() if t.startswith("-23316=")).split("=")[1].split(",")
    return [int(v) for v in values[1:]]


def encode_both(model_dir, feats, **kw):
    on = ncasr.Recognizer.from_dir(model_dir, unstack_states=True, **kw)
    off = ncasr.Recognizer.from_dir(model_dir, unstack_states=False, **kw)
    return on, off, on._r.encode(feats), off._r.encode(feats)


@pytest.mark.parametrize("fp16", [False, True])
def test_zipformer_states_per_layer_bit_identical(fp16):
    d = fixture_dir("zipformer-small")
    on, off, a, b = encode_both(d, random_features(), use_fp16_storage=fp16)
    assert on._r.encoder_states_per_layer and not off._r.encoder_states_per_layer
    # 35 stacked states (7 groups x 5 stacks) become 7 x (layers in all stacks) tensors
    assert off._r.encoder_state_count == 35
    assert on._r.encoder_state_count == ZIPFORMER_STATE_GROUPS * sum(layers_per_stack(d))
    assert len(a) == len(b) >= 15  # enough chunks for every left-context cache to fill
    for u, v in zip(a, b):
        assert u.tobytes() == v.tobytes()


def test_zipformer_tokens_identical(test_wavs):
    d = fixture_dir("zipformer-small")
    on = ncasr.Recognizer.from_dir(d, unstack_states=True)
    off = ncasr.Recognizer.from_dir(d, unstack_states=False)
    for wav in test_wavs[:4]:
        r1, r2 = on.transcribe(wav), off.transcribe(wav)
        assert r1.tokens == r2.tokens and r1.timestamps == r2.timestamps


@pytest.mark.parametrize("name", [n for n in SMALL_MODELS if not n.startswith("zipformer")])
def test_other_architectures_keep_their_states(name):
    # LSTM slices its states with Slice/Concat and Conv-Emformer has per-layer states already:
    # the rewrite must leave both alone (and they still decode the same).
    on, off, a, b = encode_both(fixture_dir(name), random_features(300))
    assert not on._r.encoder_states_per_layer
    assert on._r.encoder_state_count == off._r.encoder_state_count
    assert all(u.tobytes() == v.tobytes() for u, v in zip(a, b))


def test_one_deviating_state_keeps_the_graph_stacked(tmp_path):
    # A Noop between one state's Crop and its Reshape: that state no longer matches, so no
    # state is unstacked (all or nothing), and the model decodes exactly as before.
    src = fixture_dir("zipformer-small")
    d = tmp_path / "zipformer"
    shutil.copytree(src, d)
    param = next(d.glob("encoder*.param"))
    lines = param.read_text().splitlines()
    crop = next(
        i for i, l in enumerate(lines) if l.split()[0] == "Crop" and "-23309=1,0" in l and l.split()[4] != "in0"
    )
    top = lines[crop].split()[5]
    reshape = next(i for i, l in enumerate(lines) if l.split()[0] == "Reshape" and l.split()[4] == top)
    lines[reshape] = lines[reshape].replace(f" {top} ", f" {top}_noop ", 1)
    lines.insert(reshape, f"Noop noop_in_state 1 1 {top} {top}_noop")
    layers, blobs = map(int, lines[1].split())
    lines[1] = f"{layers + 1} {blobs + 1}"
    param.write_text("\n".join(lines) + "\n")

    feats = random_features(400)
    edited = ncasr.Recognizer.from_dir(d, unstack_states=True)
    original = ncasr.Recognizer.from_dir(src, unstack_states=False)
    assert not edited._r.encoder_states_per_layer
    assert edited._r.encoder_state_count == 35
    for u, v in zip(edited._r.encode(feats), original._r.encode(feats)):
        assert u.tobytes() == v.tobytes()
