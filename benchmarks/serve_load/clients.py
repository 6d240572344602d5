"""Good clients: real-time streams whose final texts must equal offline decoding, and the
load point that runs K of them against a server process while measuring it."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

from .process import MemorySampler, ServerProcess
from .stats import final_latency, percentile, result_latencies

NO_ENDPOINT = {"endpoint": {"enabled": False}}  # one final per stream: comparable with transcribe()
CHUNK_MS = 100.0


@dataclass
class Utterance:
    """A test wav, its samples and what offline decoding makes of it."""

    name: str
    samples: np.ndarray
    rate: int
    expected: str

    @property
    def seconds(self) -> float:
        return self.samples.size / self.rate


async def good_client(url: str, utt: Utterance, delay: float, timeout: float) -> Dict[str, Any]:
    """One real-time stream (100 ms chunks, endpointing off) after ``delay`` seconds."""
    from ncasr.serve.client import stream_audio

    await asyncio.sleep(delay)
    started = time.monotonic()
    record: Dict[str, Any] = {"wav": utt.name, "audio_seconds": round(utt.seconds, 4), "expected": utt.expected}
    try:
        reply = await asyncio.wait_for(
            stream_audio(
                url,
                utt.samples,
                utt.rate,
                realtime=True,
                chunk_ms=CHUNK_MS,
                options=NO_ENDPOINT,
                open_timeout=min(30.0, timeout),
            ),
            timeout,
        )
    except asyncio.TimeoutError:
        record.update(text=None, text_equal=False, error=f"no reply within {timeout:g} s", latencies=[])
        record.update(final_latency=None, close_code=None, messages=0, seconds=time.monotonic() - started)
        return record
    except Exception as e:  # a refused or broken connection: counted as an error
        record.update(text=None, text_equal=False, error=f"{type(e).__name__}: {e}", latencies=[])
        record.update(final_latency=None, close_code=None, messages=0, seconds=time.monotonic() - started)
        return record
    error = None
    if not reply.ok:
        error = f"close {reply.close_code} {reply.close_reason!r}" + (f": {reply.error}" if reply.error else "")
    record.update(
        text=reply.text,
        text_equal=reply.text == utt.expected,
        error=error,
        close_code=reply.close_code,
        latencies=[round(x, 6) for x in result_latencies(reply)],
        final_latency=final_latency(reply),
        messages=len(reply.messages),
        seconds=time.monotonic() - started,
    )
    return record


async def good_round(
    url: str, utts: List[Utterance], k: int, timeout: float, offset: int = 0, stagger: float = 1.0
) -> List[Dict[str, Any]]:
    """K concurrent streams of the wavs (cycled from ``offset``), started uniformly over
    the first ``stagger`` seconds."""
    tasks = [good_client(url, utts[(offset + i) % len(utts)], stagger * i / k, timeout) for i in range(k)]
    return list(await asyncio.gather(*tasks))


def summarize(clients: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Pooled latency percentiles (seconds), texts equal and errors of a round's clients."""
    lat = [x for c in clients for x in c["latencies"]]
    finals = [c["final_latency"] for c in clients if c["final_latency"] is not None]
    return {
        "clients": len(clients),
        "messages": len(lat),
        "partial_p50": percentile(lat, 50),
        "partial_p95": percentile(lat, 95),
        "partial_p99": percentile(lat, 99),
        "partial_max": max(lat) if lat else None,
        "final_p50": percentile(finals, 50),
        "final_p95": percentile(finals, 95),
        "final_max": max(finals) if finals else None,
        "texts_equal": sum(1 for c in clients if c["text_equal"]),
        "errors": sum(1 for c in clients if c["error"]),
    }


async def load_point(server: ServerProcess, utts: List[Utterance], k: int, timeout: float) -> Dict[str, Any]:
    """K clients against ``server``: their latencies and texts, the server's CPU (% of one
    core over the window) and RSS (at the start and the window's peak)."""
    reset = server.reset_peak()
    rss_start = server.rss_mb()
    load_before = os.getloadavg()
    own0 = sum(os.times()[:2])  # this process: the clients' share of the CPUs
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    with MemorySampler(server) as mem:
        clients = await good_round(server.url, utts, k, timeout)
    wall = time.monotonic() - t0
    own = sum(os.times()[:2]) - own0
    alive = server.alive()
    cpu = (server.cpu_seconds() - cpu0) if alive else float("nan")
    hwm = server.memory().get("VmHWM", 0.0) if alive else 0.0
    peak: Optional[float] = max(mem.peak, hwm if reset else 0.0, rss_start)
    return {
        "k": k,
        **summarize(clients),
        "window_seconds": wall,
        "server_cpu_seconds": cpu,
        "server_cpu_percent": 100.0 * cpu / wall if wall > 0 else None,
        "rss_start_mb": rss_start,
        "rss_peak_mb": peak,
        "peak_from_vmhwm": reset,
        "server_alive": alive,
        "clients_cpu_percent": 100.0 * own / wall if wall > 0 else None,
        "loadavg_before_after": [load_before[0], os.getloadavg()[0]],
        "per_client": clients,
    }
