"""Full-size icefall graphs with random weights, made once and cached outside the repo.

The fixture folders hold only the .param files of the full-size models (the real .bin
files are 140-330 MB each); ncasr.write_random_weights lays out a matching fp32 .bin.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ncasr import _core

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("NCASR_FIXTURES", REPO / "tests" / "data")) / "icefall-arch"
CACHE = Path(os.environ.get("NCASR_CACHE_DIR", Path.home() / ".cache" / "ncasr")) / "bench-models"
ARCHS = {"zipformer": 20260101, "lstm": 20260102, "conv-emformer": 20260103}
NETS = ("encoder", "decoder", "joiner")


def full_size_model(arch: str) -> Path:
    """Folder with the full-size param files, random fp32 bins and the fixture tokens."""
    out = CACHE / f"{arch}-full"
    done = out / ".complete"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    src = FIXTURES / f"{arch}-full-params"
    for i, net in enumerate(NETS):
        param = out / f"{net}_jit_trace-pnnx.ncnn.param"
        shutil.copyfile(src / param.name, param)
        _core.write_random_weights(str(param), str(param.with_suffix(".bin")), ARCHS[arch] + i)
    shutil.copyfile(FIXTURES / f"{arch}-small" / "tokens.txt", out / "tokens.txt")
    done.touch()
    return out
