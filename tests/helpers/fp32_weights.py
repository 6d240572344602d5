"""Widen an fp16-weight ncnn .bin to fp32 storage, blob by blob, from ncasr's weight map.

The test fixtures store fp16 weights only; tests that need the fp32 layout (what pnnx
writes with fp16=0) get it from here. fp16 -> fp32 is exact, so both files hold the same
numbers in two storages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FP16_TAG = 0x01306B47
FP32_TAG = 0


def widen_bin(param: Path, bin_in: Path, bin_out: Path) -> None:
    from ncasr import _core

    data = Path(bin_in).read_bytes()
    out = bytearray()
    for layer in _core.weight_map(str(param), str(bin_in))["layers"]:
        for blob in layer["blobs"]:
            raw = data[blob["offset"] : blob["offset"] + blob["bytes"]]
            if blob["storage"] != "fp16":
                out += raw
                continue
            tag = int.from_bytes(raw[:4], "little")
            assert tag == FP16_TAG, (layer["name"], hex(tag))
            values = np.frombuffer(raw, "<f2", count=blob["elements"], offset=4)
            out += FP32_TAG.to_bytes(4, "little") + values.astype("<f4").tobytes()
    Path(bin_out).write_bytes(bytes(out))


def widen_model(src: Path, dst: Path) -> Path:
    """dst gets src's three nets with fp32 weights (same .param files, no tokens.txt)."""
    dst.mkdir(parents=True, exist_ok=True)
    for param in sorted(Path(src).glob("*.ncnn.param")):
        (dst / param.name).write_bytes(param.read_bytes())
        widen_bin(param, param.with_suffix(".bin"), dst / param.with_suffix(".bin").name)
    return dst
