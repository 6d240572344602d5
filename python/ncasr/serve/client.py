"""``ncasr client``: stream audio to an ``ncasr serve`` (or sherpa-onnx) WebSocket server."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from .protocol import DONE, parse_server_message

__all__ = ["StreamReply", "stream_audio"]


@dataclass
class StreamReply:
    """Everything a server sent for one stream, with when it arrived.

    Example::

        reply = asyncio.run(stream_audio("ws://127.0.0.1:6006", samples, 16000))
        print(reply.text, reply.close_code)
    """

    messages: List[Dict[str, Any]] = field(default_factory=list)  # parsed, in order
    arrivals: List[float] = field(default_factory=list)  # time.monotonic() of each message
    sent: List[Tuple[float, float]] = field(default_factory=list)  # (audio seconds sent so far, when)
    done_at: Optional[float] = None  # when 'Done' was sent
    close_code: Optional[int] = None
    close_reason: str = ""

    @property
    def finals(self) -> List[Dict[str, Any]]:
        """The final results, in order.

        Example::

            [m["text"] for m in reply.finals]
        """
        return [m for m in self.messages if m.get("type") == "final"]

    @property
    def text(self) -> str:
        """The final texts joined with spaces.

        Example::

            print(reply.text)
        """
        return " ".join(m["text"].strip() for m in self.finals if m["text"].strip())

    @property
    def error(self) -> Optional[Dict[str, Any]]:
        """The server's error message, if it sent one.

        Example::

            if reply.error: print(reply.error["code"], reply.error["error"])
        """
        return next((m for m in self.messages if m.get("type") == "error"), None)

    @property
    def ok(self) -> bool:
        """A normal close after the server's ``Done!``.

        Example::

            sys.exit(0 if reply.ok else 1)
        """
        return self.close_code == 1000 and self.error is None and any(m.get("type") == "done" for m in self.messages)


async def stream_audio(
    url: str,
    samples: np.ndarray,
    sample_rate: int,
    *,
    realtime: bool = False,
    chunk_ms: float = 100.0,
    token: Optional[str] = None,
    options: Optional[Dict[str, Any]] = None,
    on_message: Optional[Callable[[Dict[str, Any]], None]] = None,
    open_timeout: float = 10.0,
) -> StreamReply:
    """Send ``samples`` (float32 mono) in ``chunk_ms`` pieces, at real-time pace with
    ``realtime``, then ``Done``; collect every reply until the server closes.

    Example::

        reply = await stream_audio("ws://127.0.0.1:6006", samples, 16000, realtime=True)
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    reply = StreamReply()
    headers = {"Authorization": f"Bearer {token}"} if token else None
    first = dict(options or {})
    if sample_rate != 16000:
        first.setdefault("sample_rate", int(sample_rate))
    step = max(1, int(round(sample_rate * chunk_ms / 1000.0)))
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    async with connect(
        url, additional_headers=headers, max_size=None, open_timeout=open_timeout, compression=None
    ) as ws:

        async def receive() -> None:
            try:
                async for message in ws:
                    parsed = parse_server_message(message) if isinstance(message, str) else {"type": "binary"}
                    reply.messages.append(parsed)
                    reply.arrivals.append(time.monotonic())
                    if on_message is not None:
                        on_message(parsed)
            except ConnectionClosed:
                pass

        receiver = asyncio.create_task(receive())
        try:
            if first:
                await ws.send(json.dumps(first))
            start = time.monotonic()
            for i in range(0, samples.size, step):
                if realtime:
                    await asyncio.sleep(max(0.0, start + i / sample_rate - time.monotonic()))
                await ws.send(samples[i : i + step].tobytes())
                reply.sent.append(((i + min(step, samples.size - i)) / sample_rate, time.monotonic()))
            await ws.send(DONE)
            reply.done_at = time.monotonic()
        except ConnectionClosed:
            pass  # the server closed early: its error message says why
        await receiver
        reply.close_code, reply.close_reason = ws.close_code, ws.close_reason or ""
    return reply
