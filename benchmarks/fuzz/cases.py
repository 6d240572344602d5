"""Building case INDEX of a seed: its folder, its command line and what it deserves. The
same seed and index always build the same case (random.Random(f"{seed}:{index}"))."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from .audio_cases import AUDIO_KINDS, SPECIAL_AUDIO_KINDS, AudioCtx
from .expectations import audio_expectation, model_expectation
from .model_folders import Source, file_role
from .mutations import MODEL_KINDS, ModelCtx
from .options import Options


@dataclass
class Case:
    """One run of the command: what was damaged, how, and what the outcome should be."""

    index: int
    target: str  # "model" or "audio"
    kind: str  # the mutation, e.g. "bit_flip"
    model: str  # which source model folder
    argv: List[str]  # after "ncasr"; paths relative to the case folder
    detail: str = ""  # where and what exactly, for the reader
    file: str = ""  # the damaged file, relative to the case folder
    expect: str = "error"  # "error" (success unexplained), "either" or "success"
    why: str = ""  # reason for `expect`
    solo: bool = False  # runs with no other case beside it (its time is measured alone)


def _link_folder(src: Source, dst: Path, skip: str) -> None:
    dst.mkdir(parents=True)
    for name in src.files:
        if name != skip:
            os.link(src.dir / name, dst / name)


def _pick_model_file(rng: random.Random, src: Source, roles: Tuple[str, ...]) -> Optional[str]:
    names = [n for n in src.files if file_role(n) in roles]
    if not names:
        return None
    weights = [{"param": 4, "bin": 3, "tokens": 3, "other": 1}[file_role(n)] for n in names]
    return rng.choices(names, weights)[0]


def _pick_variant(rng: random.Random, src: Source, name: str) -> str:
    """Mostly a variant that reads the damaged file; sometimes any, to test the others."""
    if len(src.variants) == 1 or rng.random() < 0.2:
        return rng.choice(src.variants)
    return "int8" if ".int8." in name else rng.choice(["", "float"])


def build_model_case(rng: random.Random, index: int, sources: List[Source], case_dir: Path, wav: Path) -> Case:
    src = rng.choice(sources)
    name = None
    while name is None:  # "other" files exist only in the bundled model
        kind = rng.choice(list(MODEL_KINDS))
        mutate, roles = MODEL_KINDS[kind]
        name = _pick_model_file(rng, src, roles)
    new, detail = mutate(rng, src.files[name], ModelCtx(sources, src, name))
    model = case_dir / "model"
    _link_folder(src, model, skip=name)
    if new is not None:
        (model / name).write_bytes(new)
    os.link(wav, case_dir / "audio.wav")
    command = "info" if rng.random() < 0.3 else "transcribe"
    variant = _pick_variant(rng, src, name)
    argv = [command, "model"] + (["audio.wav"] if command == "transcribe" else [])
    argv += ["--variant", variant] if variant else []
    if command == "transcribe" and rng.random() < 0.15:
        argv += ["--decoding-method", "modified_beam_search"]
    expect, why = model_expectation(src, name, new, variant, command)
    return Case(index, "model", kind, src.name, argv, detail, f"model/{name}", expect, why)


def build_audio_case(
    rng: random.Random, index: int, sources: List[Source], case_dir: Path, ctx: AudioCtx, kind: Optional[str] = None
) -> Case:
    kind = kind or rng.choice(list(AUDIO_KINDS))
    src = rng.choice(sources)
    case_dir.mkdir(parents=True, exist_ok=True)
    path = case_dir / "audio.wav"
    make = AUDIO_KINDS.get(kind) or SPECIAL_AUDIO_KINDS[kind]
    detail = make(rng, path, ctx)
    mix = kind == "channels" and rng.random() < 0.5
    variant = rng.choice(src.variants)
    argv = ["transcribe", str(src.origin), "audio.wav"] + (["--mix-to-mono"] if mix else [])
    argv += ["--variant", variant] if variant else []
    r = rng.random()
    argv += ["--json"] if r < 0.1 else ["--num-threads", "2"] if r < 0.13 else []
    expect, why = audio_expectation(path, kind, mix)
    return Case(index, "audio", kind, src.name, argv, detail, "audio.wav", expect, why)


def is_solo(opts: Options, index: int) -> bool:
    """Case 0 is the long silence: alone, so that the other job does not slow it down."""
    return index == 0 and opts.long_silence_seconds > 0


def build_case(opts: Options, index: int, sources: List[Source], case_dir: Path, wav: Path, actx: AudioCtx) -> Case:
    rng = random.Random(f"{opts.seed}:{index}")
    case_dir.mkdir(parents=True)
    if is_solo(opts, index):
        case = build_audio_case(rng, index, sources[:1], case_dir, actx, "long_silence")
        case.solo = True
        return case
    if rng.random() < opts.model_share:
        return build_model_case(rng, index, sources, case_dir, wav)
    return build_audio_case(rng, index, sources, case_dir, actx)
