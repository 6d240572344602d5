"""Percentiles, the latencies of one stream's replies, and markdown tables."""

from __future__ import annotations

import bisect
import math
from typing import Any, List, Optional, Sequence

# received_seconds is rounded to 4 decimals by the server: match the chunk within this
RECEIVED_TOLERANCE = 1e-4


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile (0-100), linear between closest ranks; None when empty."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def result_latencies(reply: Any) -> List[float]:
    """Seconds from sending the chunk that brought the audio sent to >= a message's
    ``received_seconds`` to that message's arrival, for every partial and final."""
    sent_audio = [a for a, _ in reply.sent]
    out = []
    for message, arrival in zip(reply.messages, reply.arrivals):
        if message.get("type") not in ("partial", "final") or "received_seconds" not in message:
            continue
        i = bisect.bisect_left(sent_audio, float(message["received_seconds"]) - RECEIVED_TOLERANCE)
        if i < len(reply.sent):
            out.append(arrival - reply.sent[i][1])
    return out


def final_latency(reply: Any) -> Optional[float]:
    """Seconds from sending ``Done`` to the arrival of the last final result."""
    if reply.done_at is None:
        return None
    finals = [t for m, t in zip(reply.messages, reply.arrivals) if m.get("type") == "final"]
    return finals[-1] - reply.done_at if finals else None


def ms(value: Optional[float]) -> str:
    return "" if value is None else f"{value * 1000:.0f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table; numbers right-aligned."""
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(_numberish(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(r, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2)) for w, n in zip(widths, numeric)) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def _numberish(text: str) -> bool:
    t = text.replace(" / ", "").replace("/", "").replace(".", "").replace("-", "").replace("%", "").strip()
    return t.isdigit() or text == ""
