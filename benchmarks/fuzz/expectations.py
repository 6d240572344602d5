"""What a case deserves: "error" (a success would be unexplained), "either" (a success is
explained, the reason says why) or "success" (an error rejects valid input)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from .formats import IMPLAUSIBLE, INT, Graph, Layer, external_blobs, is_disambiguation, parse_param, parse_tokens
from .model_folders import Source, file_role, files_read


def _number(v: str) -> Optional[float]:
    try:
        return float(v)
    except ValueError:
        return None


def _param_change(old: Layer, new: Layer) -> Tuple[bool, str]:
    """(explainable, what changed) for the same layer before and after the mutation."""
    if old.type != new.type:
        return False, f"layer type {old.type} became {new.type}"
    if len(old.bottoms) != len(new.bottoms) or len(old.tops) != len(new.tops):
        return False, f"layer {old.name} has other blob counts"
    notes = []
    if old.bottoms != new.bottoms or old.tops != new.tops:
        notes.append(f"{old.type} {old.name} is wired to other existing blobs")
    before, after = dict(old.params), dict(new.params)
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        nb = _number(b) if b is not None and "," not in b else None
        if a is not None and INT.match(a) and nb is not None and abs(nb) >= IMPLAUSIBLE:
            return False, f"{old.type} {old.name}: {key}={b} is an implausible size"
        notes.append(f"{old.type} {old.name}: parameter {key} {a} -> {b}")
    if not notes and old.name != new.name:
        notes.append(f"layer name {old.name!r} -> {new.name!r} (names are labels)")
    return True, "; ".join(notes)


def param_expectation(orig: bytes, new: bytes) -> Tuple[str, str]:
    try:
        text = new.decode("utf-8")
    except UnicodeDecodeError as e:
        return "error", f"not UTF-8 (byte {e.start})"
    g_new, g_old = parse_param(text), parse_param(orig.decode("utf-8"))
    assert isinstance(g_old, Graph), g_old
    if isinstance(g_new, str):
        return "error", g_new
    if not external_blobs(g_old) <= {t for layer in g_new.layers for t in layer.tops}:
        return "error", "an input or output blob the recognizer uses is gone"
    if sorted(x.key() for x in g_old.layers) == sorted(x.key() for x in g_new.layers):
        slack = (
            ""
            if g_new.blob_count == g_old.blob_count
            else f"; blob count {g_old.blob_count} -> {g_new.blob_count} only sizes ncnn's table"
        )
        return "either", "the same graph (layer order, names, whitespace)" + slack
    if len(g_old.layers) != len(g_new.layers):
        return "error", "layers added or removed"
    notes = []
    for old, new_layer in zip(g_old.layers, g_new.layers):
        if old == new_layer:
            continue
        ok, note = _param_change(old, new_layer)
        if not ok:
            return "error", note
        notes.append(note)
    return "either", "a valid graph that computes something else: " + "; ".join(notes)


def tokens_expectation(orig: bytes, new: bytes, command: str) -> Tuple[str, str]:
    try:
        text = new.decode("utf-8")
    except UnicodeDecodeError as e:
        return "error", f"not UTF-8 (byte {e.start})"
    old_t, new_t = parse_tokens(orig.decode("utf-8")), parse_tokens(text)
    assert isinstance(old_t, dict), old_t
    if isinstance(new_t, str):
        return "error", new_t
    if command == "info":
        return "either", "a valid tokens.txt; info does not compare it with the joiner"
    vocab = len(old_t)  # the joiner's output size
    if len(new_t) < vocab:
        return "error", f"{len(new_t)} tokens for {vocab} joiner outputs"
    extra = [new_t[i] for i in range(vocab, len(new_t))]
    if not all(is_disambiguation(s) for s in extra):
        return "error", "tokens past the joiner's outputs that are not #N"
    changed = sum(old_t[i] != new_t[i] for i in range(vocab))
    if changed:
        return "either", f"{changed} token spelling(s) changed: the text differs"
    return "either", "the same id -> symbol table" + (" plus #N symbols" if extra else "")


def model_expectation(src: Source, name: str, new: Optional[bytes], variant: str, command: str) -> Tuple[str, str]:
    """("error" | "either", why) for `command` on src's folder with `name` now `new`."""
    orig = src.files[name]
    before = files_read(list(src.files), variant, command)
    after_names = [n for n in src.files if n != name or new is not None]
    after = files_read(after_names, variant, command)
    if isinstance(after, str):
        return "error", after
    if after != before and name not in after:
        return "either", "the loader picks another complete set: " + ", ".join(after)
    if name not in after:
        what = f"variant {variant!r}" if variant else "the default variant"
        return "either", f"{name} is not read by `{command}` with {what}"
    if new == orig:
        return "either", "content unchanged by this mutation"
    role = file_role(name)
    if role == "param" and command == "info":
        expect, why = param_expectation(orig, new)
        if expect == "error" and why.endswith("is an implausible size"):
            # info loads the graph without running it: only sizes of weights are checked.
            return "either", why.replace("is an implausible size", "is not used by info")
        return expect, why
    if role == "bin":
        if len(new) != len(orig):
            return "error", f"weight file size {len(orig)} -> {len(new)}"
        return "either", "weight bytes changed, same size: decodes to other numbers"
    if role == "param":
        return param_expectation(orig, new)
    if role == "tokens":
        return tokens_expectation(orig, new, command)
    return "either", f"{name} is not read by ncasr"


def audio_expectation(path: Path, kind: str, mix: bool) -> Tuple[str, str]:
    """What soundfile makes of the file decides: ncasr reads audio through it."""
    import soundfile as sf

    if kind == "long_silence":
        return "success", "silence: empty text, within the time limit"
    if not path.is_file():
        return "error", "not a file"
    try:
        x, rate = sf.read(str(path), dtype="float64", always_2d=True)
        info = sf.info(str(path))
    except Exception as e:  # soundfile's errors vary by version
        return "error", f"soundfile cannot read it ({type(e).__name__})"
    desc = f"soundfile reads {info.format}/{info.subtype}, {rate} Hz, {x.shape[1]} ch, {len(x)} frames"
    if len(x) == 0:
        return "error", desc + ": no samples"
    if x.shape[1] > 1 and not mix:
        return "error", desc + " without --mix-to-mono"
    if not np.isfinite(x).all():
        return "error", desc + ", some not finite"
    if kind in ("huge_float", "header_flip") or not 8000 <= rate <= 192000:
        return "either", desc + " (unusual: rejecting it is fine too)"
    return "success", desc
