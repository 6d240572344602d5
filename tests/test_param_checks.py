"""Damage that ncnn would act on blindly is refused before ncnn sees it: absurd sizes (an
allocation of gigabytes), codes and axes out of range (an empty blob the next layer divides
by), an input nothing reads, control characters. Each is a ModelError naming the file, the
line and the layer, in a message short enough to read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ncasr

ENC, DEC, JOIN = (f"{n}_jit_trace-pnnx.ncnn.param" for n in ("encoder", "decoder", "joiner"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CASES = {
    # (model, file, old, new, message)
    "embed weight size 2^31-1": (
        "lstm-small",
        DEC,
        "3=64000",
        "3=2147483647",
        r"line 4: layer 'embed_1' \(Embed\) parameter 3=2147483647 is implausibly large",
    ),
    "negative embed weight size": (
        "lstm-small",
        DEC,
        "3=64000",
        "3=-2147483648",
        r"3=-2147483648 is implausibly large",
    ),
    "permute order as a float": (
        "lstm-small",
        DEC,
        "0=1\n",
        "0=1e9\n",
        r"layer 'permute_2' \(Permute\) parameter 0=1e9 must be an integer",
    ),
    "permute order out of range": ("lstm-small", DEC, "0=1\n", "0=24\n", r"0=24 is outside 0..23"),
    "conv pad 2^31-1": ("lstm-small", ENC, "4=0 5=1 6=72", "4=2147483647 5=1 6=72", r"conv_7.*implausibly large"),
    "binary op code": (
        "lstm-small",
        JOIN,
        "add_0                    2 1 2 3 4 0=0",
        "add_0                    2 1 2 3 4 0=12",
        r"add_0' \(BinaryOp\) parameter 0=12 is outside 0..11",
    ),
    "concat axis": (
        "zipformer-small",
        ENC,
        "cat_0                    2 1 137 165 168 0=0",
        "cat_0                    2 1 137 165 168 0=1000000000",
        r"cat_0.*implausibly large",
    ),
    "stack axis (a sherpa-ncnn layer)": (
        "zipformer-small",
        ENC,
        "stack_0                  2 1 157 307 out1 0=0",
        "stack_0                  2 1 157 307 out1 0=1e9",
        r"stack_0' \(Stack\) parameter 0=1e9 must be an integer",
    ),
    "bias flag": ("lstm-small", JOIN, "0=128 1=1 2=16384", "0=128 1=7 2=16384", r"parameter 1=7 is outside 0..1"),
    "not finite": (
        "lstm-small",
        JOIN,
        "0=128 1=1 2=16384",
        "0=128 1=1 2=16384 5=1.0e999",
        r"'1.0e999' is not a finite number",
    ),
    "unused input": (
        "lstm-small",
        JOIN,
        "linear_1                 1 1 in0",
        "linear_1                 1 1 in1",
        r"input blob 'in0' is never read by any layer",
    ),
    "encoder output renamed": (
        "lstm-small",
        ENC,
        "2 1 86 90 out0 0=2",
        "2 1 86 90 ou 0=2",
        r"has no output blob 'out0' \(expected \d+ outputs\)",
    ),
    "absurd blob count": ("lstm-small", DEC, "\n", "\n", None),  # line 2 set below
    "NUL in a layer type": (
        "lstm-small",
        DEC,
        "Permute ",
        "Permute\0",
        r"control character 0x00 at offset \d+ \(line 5\)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_with_a_model_error(case, model_copy):
    name, file, old, new, message = CASES[case]
    d = model_copy(name)
    path = d / file
    if case == "absurd blob count":
        lines = path.read_text().split("\n")
        layers, _ = lines[1].split()
        lines[1] = f"{layers} 1000000000"
        path.write_text("\n".join(lines))
        message = r"line 2 declares 1000000000 blobs but the layers produce only \d+"
    else:
        edit(path, old, new)
    for load in (ncasr.inspect_model, ncasr.Recognizer.from_dir):
        with pytest.raises(ncasr.ModelError, match=message) as e:
            load(d)
        assert e.value.path == str(path)


def test_garbage_line_gives_a_short_message(model_copy):
    d = model_copy()
    path = d / DEC
    edit(path, "Permute ", "x" * 100_000 + "\nPermute ")
    r = subprocess.run([sys.executable, "-m", "ncasr", "info", str(d)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "found 'xxxx" in r.stderr and "(100000 bytes)" in r.stderr
    assert len(r.stderr) < 600, len(r.stderr)


def test_tokens_with_a_nul(model_copy):
    d = model_copy()
    tokens = d / "tokens.txt"
    data = tokens.read_bytes()
    at = data.index(b"A 3") + 1
    tokens.write_bytes(data[:at] + b"\0" + data[at:])
    with pytest.raises(ncasr.ModelError, match=rf"not text: control character 0x00 at offset {at} \(line 4\)"):
        ncasr.Recognizer.from_dir(d)


def test_huge_token_id_is_a_gap_not_an_allocation(model_copy):
    d = model_copy()
    tokens = d / "tokens.txt"
    tokens.write_text(tokens.read_text(encoding="utf-8") + "#0 2000000000\n", encoding="utf-8")
    with pytest.raises(ncasr.ModelError, match=r"token id 500 is missing"):
        ncasr.inspect_model(d)
