"""ncnn's param format and icefall's tokens.txt as small strict parsers: a damaged file
either still parses to a graph or table, or the parser says what is wrong with it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Tuple, Union

IMPLAUSIBLE = 10**8  # an integer layer parameter this large cannot be a real size
PARAM_MAGIC = 7767517
C_SPACE = "[ \t\n\v\f\r]+"  # what C++'s `>>` splits on; str.split() would also split on \x1c..
INT = re.compile(r"[-+]?\d+\Z")
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")


@dataclass(frozen=True)
class Layer:
    type: str
    name: str
    bottoms: Tuple[str, ...]
    tops: Tuple[str, ...]
    params: Tuple[Tuple[str, str], ...]

    def key(self) -> tuple:  # what the layer computes; the name is only a label
        return (self.type, self.bottoms, self.tops, self.params)


@dataclass(frozen=True)
class Graph:
    blob_count: int
    layers: Tuple[Layer, ...]


def _is_number(v: str) -> bool:
    return len(v) <= 15 and bool(INT.match(v) or _FLOAT.match(v))  # ncnn reads "%15s"


def _parse_layer(tok: List[str], line_no: int, produced: set) -> Union[Layer, str]:
    if len(tok) < 4 or not INT.match(tok[2]) or not INT.match(tok[3]):
        return f"line {line_no}: not '<type> <name> <bottoms> <tops> ...'"
    nb, nt = int(tok[2]), int(tok[3])
    if nb < 0 or nt < 0 or len(tok) < 4 + nb + nt:
        return f"line {line_no}: blob counts do not match the names listed"
    bottoms, tops = tuple(tok[4 : 4 + nb]), tuple(tok[4 + nb : 4 + nb + nt])
    params = []
    for p in tok[4 + nb + nt :]:
        key, eq, value = p.partition("=")
        if not eq or not INT.match(key) or not value:
            return f"line {line_no}: malformed parameter {p!r}"
        k = int(key)
        ident = -k - 23300 if k <= -23300 else k
        if not 0 <= ident <= 31:
            return f"line {line_no}: parameter id {ident} outside 0..31"
        values = value.split(",")
        if k <= -23300:
            if not INT.match(values[0]) or int(values[0]) != len(values) - 1:
                return f"line {line_no}: array parameter {p!r} has the wrong length"
            values = values[1:]
        if not all(_is_number(v) for v in values):
            return f"line {line_no}: parameter {p!r} is not a number"
        params.append((key, value))
    if len({k for k, _ in params}) != len(params):
        return f"line {line_no}: a parameter id is given twice"
    missing = [b for b in bottoms if b not in produced]
    if missing:
        return f"line {line_no}: reads blob {missing[0]!r} that no earlier layer produces"
    if any(t in produced for t in tops) or len(set(tops)) != len(tops):
        return f"line {line_no}: a blob is produced twice"
    produced.update(tops)
    return Layer(tok[0], tok[1], bottoms, tops, tuple(params))


def parse_param(text: str) -> Union[Graph, str]:
    """The graph a param file describes, or what is wrong with it."""
    header: List[int] = []
    layers: List[Layer] = []
    produced: set = set()
    for line_no, line in enumerate(text.split("\n"), 1):
        tok = [t for t in re.split(C_SPACE, line) if t]
        if not tok:
            continue
        if not header:
            if len(tok) != 1 or not INT.match(tok[0]) or int(tok[0]) != PARAM_MAGIC:
                return f"line {line_no}: not the param magic {PARAM_MAGIC}"
            header.append(PARAM_MAGIC)
        elif len(header) == 1:
            if len(tok) != 2 or not all(INT.match(t) and int(t) >= 0 for t in tok):
                return f"line {line_no}: not '<layer count> <blob count>'"
            header += [int(tok[0]), int(tok[1])]
        else:
            layer = _parse_layer(tok, line_no, produced)
            if isinstance(layer, str):
                return layer
            layers.append(layer)
    if len(header) < 3:
        return "no magic or counts line"
    if header[1] != len(layers):
        return f"declares {header[1]} layers but has {len(layers)}"
    if not len(produced) <= header[2] < IMPLAUSIBLE:
        return f"declares {header[2]} blobs for {len(produced)} produced"
    return Graph(header[2], tuple(layers))


def external_blobs(g: Graph) -> set:
    """Blobs ncasr feeds or extracts by name: Input tops and outputs nobody consumes."""
    consumed = {b for layer in g.layers for b in layer.bottoms}
    produced = {t for layer in g.layers for t in layer.tops}
    inputs = {t for layer in g.layers if layer.type == "Input" for t in layer.tops}
    return inputs | (produced - consumed)


def parse_tokens(text: str) -> Union[Dict[int, str], str]:
    """The id -> symbol table of a tokens.txt, or what is wrong with it."""
    table: Dict[int, str] = {}
    for line_no, line in enumerate(text.split("\n"), 1):
        line = line[:-1] if line.endswith("\r") else line
        if not line.strip(" \t"):
            continue
        tok = [t for t in re.split(C_SPACE, line) if t]
        if len(tok) != 2 or not INT.match(tok[1]) or int(tok[1]) < 0:
            return f"line {line_no}: not '<symbol> <id>'"
        ident = int(tok[1])
        if ident in table or ident > 10_000_000:
            return f"line {line_no}: id {ident} repeated or implausible"
        table[ident] = tok[0]
    if not table:
        return "no tokens"
    if sorted(table) != list(range(len(table))):
        return "ids are not 0..N-1"
    return table


def is_disambiguation(symbol: str) -> bool:
    """icefall's #0, #1, ... symbols, which may follow the joiner's outputs."""
    return len(symbol) >= 2 and symbol[0] == "#" and symbol[1:].isdigit() and symbol[1:].isascii()
