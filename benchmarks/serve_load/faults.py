"""Faulty clients, run while good clients stream: each returns what happened to it (the
close code the server sent, or that it vanished on purpose) and whether that is what the
protocol promises (docs/serve.md, ncasr.serve.protocol.CloseCode)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

import numpy as np

from .clients import NO_ENDPOINT, Utterance

READ_TIMEOUT = 20.0  # seconds a faulty client waits for the server's error and close


def _connect(url: str, **kw: Any) -> Any:
    from websockets.asyncio.client import connect

    # max_queue=None: a client that reads nothing (vanish) must not stop taking frames
    # from the socket, or the server's close frame waits behind its unread partials
    return connect(url, open_timeout=30, compression=None, max_size=None, max_queue=None, **kw)


async def _read_until_closed(ws: Any) -> List[Dict[str, Any]]:
    """Every server message until the close (bounded by READ_TIMEOUT)."""
    from websockets.exceptions import ConnectionClosed

    messages: List[Dict[str, Any]] = []

    async def read() -> None:
        try:
            async for m in ws:
                messages.append(json.loads(m) if isinstance(m, str) and m.startswith("{") else {"raw": str(m)[:80]})
        except ConnectionClosed:
            pass

    try:
        await asyncio.wait_for(read(), READ_TIMEOUT)
    except asyncio.TimeoutError:
        messages.append({"bench": f"no close within {READ_TIMEOUT:g} s"})
    return messages


def _outcome(kind: str, expected: Any, ws: Any, messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    code = ws.close_code
    error = next((m for m in messages if m.get("type") == "error"), None)
    ok = code in expected
    if ok and code != 1000:  # every error close comes after a JSON error message with the same code
        ok = error is not None and error.get("code") == code
    return {
        "kind": kind,
        "close_code": code,
        "expected": sorted(expected),
        "error": error,
        "ok": ok,
    }


def _exception(kind: str, e: BaseException) -> Dict[str, Any]:
    return {"kind": kind, "close_code": None, "expected": "?", "error": f"{type(e).__name__}: {e}", "ok": False}


# --- (a) disconnect mid-utterance ------------------------------------------------------


async def vanish(url: str, utt: Utterance, i: int, rng: random.Random) -> Dict[str, Any]:
    """Stream a random 20-80 % of a wav at real-time pace, then leave without 'Done':
    even i with a close handshake, odd i by dropping the TCP connection."""
    kind = "close without Done" if i % 2 == 0 else "TCP abort"
    try:
        async with _connect(url) as ws:
            await ws.send(json.dumps(NO_ENDPOINT))
            step = int(utt.rate * 0.1)
            stop = int(utt.samples.size * rng.uniform(0.2, 0.8))
            start = time.monotonic()
            for j in range(0, stop, step):
                await asyncio.sleep(max(0.0, start + j / utt.rate - time.monotonic()))
                await ws.send(utt.samples[j : min(j + step, stop)].tobytes())
            if i % 2:
                ws.transport.abort()
        return {"kind": kind, "close_code": None, "expected": "none (vanished)", "error": None, "ok": True}
    except Exception as e:
        return _exception(kind, e)


# --- (b) garbage / odd-length binary ---------------------------------------------------

GARBAGE_KINDS = ("odd-length bytes", "audio, then odd-length bytes", "NaN/inf samples", "huge finite floats + Done")


async def garbage(url: str, utt: Utterance, i: int, rng: random.Random) -> Dict[str, Any]:
    """Binary the server must refuse with 1007 (a byte count not a multiple of 4, NaN or
    inf), or, for finite but absurd floats, either decode (then 1000 after Done) or 1007."""
    kind = GARBAGE_KINDS[i % len(GARBAGE_KINDS)]
    expected = {1007}
    try:
        async with _connect(url) as ws:
            await ws.send(json.dumps(NO_ENDPOINT))
            odd = rng.randrange(0, 4000) * 4 + rng.choice((1, 2, 3))
            if kind == "odd-length bytes":
                await ws.send(rng.randbytes(odd))
            elif kind == "audio, then odd-length bytes":
                await ws.send(utt.samples[: utt.rate // 2].tobytes())
                await ws.send(rng.randbytes(odd))
            elif kind == "NaN/inf samples":
                x = utt.samples[:1600].copy()
                x[rng.randrange(x.size)] = rng.choice((np.nan, np.inf, -np.inf))
                await ws.send(x.tobytes())
            else:
                x = np.frombuffer(rng.randbytes(4 * 16000), dtype="<f4").copy()
                x[~np.isfinite(x)] = 3.0e38
                await ws.send(x.tobytes())
                await ws.send("Done")
                expected = {1000, 1007}
            messages = await _read_until_closed(ws)
        return _outcome(kind, expected, ws, messages)
    except Exception as e:
        return _exception(kind, e)


# --- (c) a 4 MiB message ---------------------------------------------------------------


def _huge_sync(url: str) -> Tuple[Any, List[Dict[str, Any]]]:
    # The synchronous client: websockets' asyncio client fails inside its own code
    # ("'NoneType' object has no attribute 'call_soon'") when the server refuses a frame and
    # drops the connection while a large send is still being written.
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    messages: List[Dict[str, Any]] = []
    with connect(url, max_size=None, open_timeout=READ_TIMEOUT) as ws:
        ws.send(json.dumps(NO_ENDPOINT))
        with contextlib.suppress(ConnectionClosed):
            ws.send(np.zeros(1 << 20, np.float32).tobytes())
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                m = ws.recv(timeout=READ_TIMEOUT)
                messages.append(json.loads(m) if isinstance(m, str) and m.startswith("{") else {"raw": str(m)[:80]})
    return ws, messages


async def huge(url: str, utt: Utterance, i: int, rng: random.Random) -> Dict[str, Any]:
    """One 4 MiB binary message (the default limit is 1 MiB): 1009 after a JSON error."""
    kind = "4 MiB message"
    try:
        ws, messages = await asyncio.to_thread(_huge_sync, url)
        return _outcome(kind, {1009}, ws, messages)
    except Exception as e:
        return _exception(kind, e)


# --- (d) never reads its replies -------------------------------------------------------

NEVER_READS_HOLD = 4.0  # seconds the socket stays open without being read


async def never_reads(url: str, utt: Utterance, i: int, rng: random.Random) -> Dict[str, Any]:
    """Stop reading, stream the wav at real-time pace with partials on, keep the socket
    open for NEVER_READS_HOLD seconds in all, then drop it."""
    kind = "never reads, then TCP abort"
    try:
        ws = await _connect(url)
        try:
            ws.transport.pause_reading()
            start = time.monotonic()
            await ws.send(json.dumps(NO_ENDPOINT))
            step = int(utt.rate * 0.1)
            for j in range(0, utt.samples.size, step):
                if time.monotonic() - start > NEVER_READS_HOLD:
                    break
                await asyncio.sleep(max(0.0, start + j / utt.rate - time.monotonic()))
                await ws.send(utt.samples[j : j + step].tobytes())
            await asyncio.sleep(max(0.0, start + NEVER_READS_HOLD - time.monotonic()))
        finally:
            ws.transport.abort()
        return {"kind": kind, "close_code": None, "expected": "none (vanished)", "error": None, "ok": True}
    except Exception as e:
        return _exception(kind, e)


# --- (e) churn: connections opened and closed ------------------------------------------


async def churn(url: str, total: int, loops: int) -> List[Dict[str, Any]]:
    """``total`` connections opened and closed at once (client close, 1000), by ``loops``
    concurrent loops; one summary outcome per loop."""
    counter = {"left": total}

    async def loop(n: int) -> Dict[str, Any]:
        done, codes, failures = 0, {}, []
        while counter["left"] > 0:
            counter["left"] -= 1
            try:
                async with _connect(url) as ws:
                    pass
                codes[ws.close_code] = codes.get(ws.close_code, 0) + 1
            except Exception as e:
                failures.append(f"{type(e).__name__}: {e}")
            done += 1
        bad = sum(v for c, v in codes.items() if c != 1000) + len(failures)
        return {
            "kind": f"churn loop {n}",
            "connections": done,
            "close_codes": {str(c): v for c, v in codes.items()},
            "failures": failures[:5],
            "failure_count": len(failures),
            "ok_count": done - bad,
            "ok": bad == 0,
        }

    return list(await asyncio.gather(*[loop(n) for n in range(loops)]))


FaultClient = Callable[[str, Utterance, int, random.Random], Awaitable[Dict[str, Any]]]

FAULTS: Dict[str, Any] = {
    "disconnect mid-utterance": (vanish, 20),
    "garbage / odd-length binary": (garbage, 20),
    "4 MiB message": (huge, 5),
    "never reads replies": (never_reads, 10),
    "connection churn": (None, 10000),  # count from --churn
}


async def run_fault_clients(
    url: str, client: FaultClient, count: int, utts: List[Utterance], seed: int, spread: float = 1.0
) -> List[Dict[str, Any]]:
    """``count`` faulty clients, started uniformly over ``spread`` seconds."""
    rng = random.Random(seed)
    seeds = [rng.randrange(1 << 32) for _ in range(count)]

    async def one(i: int) -> Dict[str, Any]:
        await asyncio.sleep(spread * i / max(1, count))
        t0 = time.monotonic()
        outcome = await client(url, utts[i % len(utts)], i, random.Random(seeds[i]))
        outcome["seconds"] = round(time.monotonic() - t0, 3)
        return outcome

    return list(await asyncio.gather(*[one(i) for i in range(count)]))


def churn_loops(total: int) -> int:
    """Concurrent loops for ``total`` churn connections (well under max_connections)."""
    return max(1, min(50, total // 50))


def verdict_codes(outcomes: List[Dict[str, Any]]) -> Dict[str, Any]:
    """How many faulty clients ended as expected; the close codes seen."""
    codes: Dict[str, int] = {}
    for o in outcomes:
        if "close_codes" in o:
            for c, v in o["close_codes"].items():
                codes[c] = codes.get(c, 0) + v
        else:
            key = str(o["close_code"]) if o["close_code"] is not None else "none"
            codes[key] = codes.get(key, 0) + 1
    # a churn loop counts its connections, any other outcome one client
    ok = sum(o["ok_count"] if "ok_count" in o else int(o["ok"]) for o in outcomes)
    of = sum(o.get("connections", 1) for o in outcomes)
    return {"ok": ok, "of": of, "codes": codes}


def describe_codes(codes: Dict[str, int]) -> str:
    return ", ".join(f"{c}: {n}" for c, n in sorted(codes.items()))


def first_bad(outcomes: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    return next((o for o in outcomes if not o["ok"]), None)
