"""The model folders the cases damage: pristine copies, and which of their files a command
reads (mirrors the loader's rules in cpp/model/model_files.cc)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .options import Options

REPO = Path(__file__).resolve().parents[2]
SMALL_MODELS = ["lstm-small", "conv-emformer-small", "zipformer-small"]


@dataclass
class Source:
    name: str
    origin: Path  # where the folder came from (used as is by audio cases)
    dir: Path  # pristine copy in the work folder (cases hard-link its files)
    files: Dict[str, bytes]
    variants: Tuple[str, ...]


def load_sources(opts: Options, root: Path) -> List[Source]:
    import ncasr

    folders = [("reference-lstm-en", Path(ncasr.default_model_dir()))]
    small = opts.small_models
    if small is None:
        small = [REPO / "tests" / "data" / "icefall-arch" / n for n in SMALL_MODELS]
    folders += [(Path(p).name, Path(p)) for p in small if Path(p).is_dir()]
    sources = []
    for name, origin in folders:
        dst = root / "pristine" / name
        shutil.copytree(origin, dst)
        files = {p.name: p.read_bytes() for p in sorted(dst.iterdir()) if p.is_file()}
        has_int8 = any(".int8." in n for n in files)
        variants = ("", "float", "int8") if has_int8 else ("",)
        sources.append(Source(name, origin.resolve(), dst, files, variants))
    return sources


def file_role(name: str) -> str:
    if name.endswith(".param"):
        return "param"
    if name.endswith(".bin"):
        return "bin"
    if name == "tokens.txt":
        return "tokens"
    return "other"


NetFiles = Tuple[str, Optional[str]]  # param, bin (None when the folder has none)


def _find_net(names: Sequence[str], part: str, variant: str) -> Union[NetFiles, str]:
    params = sorted(n for n in names if n.startswith(part) and n.endswith(".param"))
    int8s = [n for n in params if ".int8." in n]
    floats = [n for n in params if ".int8." not in n]
    chosen = int8s if variant == "int8" else floats if variant == "float" else (floats or int8s)
    if not chosen:
        return f"no {variant + ' ' if variant else ''}{part} param file"
    if len(chosen) > 1:
        return f"several {part} param files"
    bin_name = chosen[0][: -len(".param")] + ".bin"
    return chosen[0], bin_name if bin_name in names else None


def resolve_files(names: Sequence[str], variant: str) -> Union[Dict[str, NetFiles], str]:
    """{net: (param, bin or None)} the loader picks in a folder holding `names`, or why none."""
    nets = {}
    for part in ("encoder", "decoder", "joiner"):
        found = _find_net(names, part, variant)
        if isinstance(found, str) and variant == "int8" and part != "encoder":
            found = _find_net(names, part, "float")  # int8 folders may keep these float
        if isinstance(found, str):
            return found
        nets[part] = found
    return nets


def files_read(names: Sequence[str], variant: str, command: str) -> Union[List[str], str]:
    nets = resolve_files(names, variant)
    if isinstance(nets, str):
        return nets
    used = []
    for part, (param, bin_name) in nets.items():
        if bin_name is None and command == "transcribe":
            return f"{part} has no .bin"
        used += [param] + ([bin_name] if bin_name else [])
    if "tokens.txt" in names:
        used.append("tokens.txt")
    elif command == "transcribe":
        return "no tokens.txt"
    return used
