"""``ncasr serve``: one loaded model, a stream per WebSocket connection, decoding on a pool
of worker threads so the event loop never waits for the core; the browser page at ``/``."""

from __future__ import annotations

import asyncio
import ctypes
import hmac
import logging
import signal
import ssl
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from importlib import resources
from typing import Any, Dict, Hashable, List, Optional, Set
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ..errors import NcasrError
from ..recognizer import Recognizer
from .connection import ConnectionStream
from .options import ServeOptions
from .protocol import DONE, DONE_REPLY, CloseCode, ProtocolError, StreamOptions, error_message

__all__ = ["Server", "run_server"]

log = logging.getLogger("ncasr.serve")

MAX_RECOGNIZER_VARIANTS = 16  # distinct per-client settings kept loaded (they share the model)
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/worklet.js": ("worklet.js", "text/javascript; charset=utf-8"),
}


def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _close_reason(text: str) -> str:
    """RFC 6455 allows 123 bytes of reason."""
    raw = text.encode("utf-8")[:120]
    return raw.decode("utf-8", errors="ignore")


def _malloc_trim() -> None:
    """Hand freed heap back to the system (glibc): after a burst of connections the
    allocator would otherwise keep its high-water mark as resident memory."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to do


class _Deadline:
    """``with _Deadline(seconds):`` raises ``asyncio.TimeoutError`` when the block outlasts
    ``seconds``. A timer handle that cancels the running task: unlike ``asyncio.wait_for``,
    which wraps every call in a new task, it allocates next to nothing, and a connection
    waits in one of these for every message (the memory this saves: docs/performance.md,
    Serving)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False

    def __enter__(self) -> "_Deadline":
        self.task = asyncio.current_task()
        self.handle = asyncio.get_running_loop().call_later(self.seconds, self._expire)
        return self

    def _expire(self) -> None:
        self.expired = True
        self.task.cancel()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.handle.cancel()
        if self.expired and exc_type is asyncio.CancelledError:
            if hasattr(self.task, "uncancel"):  # Python 3.11+: this cancellation is handled here
                self.task.uncancel()
            raise asyncio.TimeoutError from None
        return False


def _json_error_before_failing(protocol: Any) -> None:
    """When websockets itself fails a connection (a message over max_size: it refuses the
    frame from its header, so the payload is never held), send our JSON error just before
    its close frame, so the client still learns why in the protocol's own terms."""
    from websockets.protocol import State

    fail = protocol.fail

    def fail_with_json(code: int, reason: str = "") -> None:
        if protocol.state is State.OPEN and code == CloseCode.MESSAGE_TOO_BIG:
            protocol.send_text(error_message(code, f"message too big: {reason}").encode("utf-8"))
        fail(code, reason)

    protocol.fail = fail_with_json


class Server:
    """The WebSocket server around one ``Recognizer``.

    Example::

        server = Server(ncasr.Recognizer.from_dir("model/"), ServeOptions(port=0))
        await server.start(); print(server.port)
        ...
        await server.shutdown()
    """

    def __init__(self, recognizer: Recognizer, options: Optional[ServeOptions] = None) -> None:
        options = options if options is not None else ServeOptions()
        self.recognizer = recognizer
        self.options = options
        self.pool = ThreadPoolExecutor(options.num_workers, thread_name_prefix="ncasr-decode")
        self.port: Optional[int] = None
        self._variants: "OrderedDict[Hashable, Recognizer]" = OrderedDict()
        self._connections: Set[Any] = set()
        self._next_id = 0
        self._stopping = False
        self._server: Any = None
        self._trim: Optional[asyncio.TimerHandle] = None

    @property
    def active_connections(self) -> int:
        """Connections being served now.

        Example::

            print(server.active_connections)
        """
        return len(self._connections)

    async def start(self) -> None:
        """Listen on ``options.host``:``options.port`` (``port`` is set to the real one).

        Example::

            await server.start()
        """
        from websockets.asyncio.server import serve

        context = None
        if self.options.certfile:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.options.certfile, self.options.keyfile)
        self._server = await serve(
            self._handle,
            self.options.host,
            self.options.port,
            ssl=context,
            max_size=self.options.max_message_bytes,  # refused from the frame header, never buffered
            process_request=self._http,
            compression=None,
            server_header="ncasr",
            logger=logging.getLogger("ncasr.serve.websockets"),
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def shutdown(self) -> None:
        """Stop accepting; let open streams finish for up to ``shutdown_grace`` seconds, then
        close what is left with 1001.

        Example::

            await server.shutdown()
        """
        self._stopping = True
        if self._server is None:
            return
        self._server.close(close_connections=False)
        deadline = time.monotonic() + self.options.shutdown_grace
        while self._connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for conn in list(self._connections):
            await self._close(conn, CloseCode.GOING_AWAY, "the server is shutting down")
        await self._server.wait_closed()
        self.pool.shutdown(wait=True)

    # --- HTTP: the page ---------------------------------------------------------------

    def _http(self, connection: Any, request: Any) -> Any:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        path = urlsplit(request.path).path
        if path not in STATIC_FILES:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        name, content_type = STATIC_FILES[path]
        response = connection.respond(HTTPStatus.OK, _static(name))
        del response.headers["Content-Type"]  # websockets' Headers appends on assignment
        response.headers["Content-Type"] = content_type
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- WebSocket: a stream per connection -------------------------------------------

    def _authorized(self, conn: Any) -> bool:
        token = self.options.token
        if token is None:
            return True
        if hmac.compare_digest(conn.request.headers.get("Authorization", ""), f"Bearer {token}"):
            return True
        # browsers cannot set headers on a WebSocket: the page passes ?token=
        given = parse_qs(urlsplit(conn.request.path).query).get("token", [""])[0]
        return hmac.compare_digest(given, token)

    async def _handle(self, conn: Any) -> None:
        _json_error_before_failing(conn.protocol)
        cid, start = self._next_id, time.monotonic()
        self._next_id += 1
        state: Optional[ConnectionStream] = None
        if self._stopping:
            code = await self._fail(conn, CloseCode.GOING_AWAY, "the server is shutting down")
        elif len(self._connections) >= self.options.max_connections:
            code = await self._fail(
                conn,
                CloseCode.TRY_AGAIN_LATER,
                f"the server holds its maximum of {self.options.max_connections} connections",
            )
        elif not self._authorized(conn):
            code = await self._fail(conn, CloseCode.POLICY_VIOLATION, "missing or wrong token")
        else:
            self._connections.add(conn)
            holder: Dict[str, ConnectionStream] = {}
            try:
                code = await self._serve(conn, holder)
            finally:
                self._connections.discard(conn)
                self._schedule_trim()
            state = holder.get("state")
        audio = state.audio_seconds if state else 0.0
        rtf = state.decode_seconds / audio if state and audio else 0.0
        peer = conn.remote_address[0] if conn.remote_address else "?"
        log.info(
            "connection %d from %s: %.2f s, audio %.2f s, RTF %.3f, %d final(s), close %s",
            cid,
            peer,
            time.monotonic() - start,
            audio,
            rtf,
            state.finals if state else 0,
            code,
        )

    def _schedule_trim(self) -> None:
        """After connections close, return freed memory to the system at most every second."""
        if self._trim is not None:
            return
        loop = asyncio.get_running_loop()

        def trim() -> None:
            self._trim = None
            loop.run_in_executor(self.pool, _malloc_trim)

        self._trim = loop.call_later(1.0, trim)

    async def _serve(self, conn: Any, holder: Dict[str, ConnectionStream]) -> Optional[int]:
        from websockets.exceptions import ConnectionClosed

        loop = asyncio.get_running_loop()
        options, first = StreamOptions(), True
        try:
            while True:
                try:
                    with _Deadline(self.options.idle_timeout):
                        message = await conn.recv()
                except asyncio.TimeoutError:
                    raise ProtocolError(
                        CloseCode.POLICY_VIOLATION, f"no message for {self.options.idle_timeout:g} s"
                    ) from None
                if isinstance(message, str):
                    if message == DONE:
                        state = holder.get("state") or self._open_stream(options, holder)
                        for text in await loop.run_in_executor(self.pool, state.finish):
                            await self._send(conn, text)
                        await self._send(conn, DONE_REPLY)
                        await self._close(conn, CloseCode.NORMAL, "")
                        return int(CloseCode.NORMAL)
                    if first and message.lstrip().startswith("{"):
                        options, first = StreamOptions.from_json(message), False
                        self._open_stream(options, holder)  # refuse bad settings now, not at the first audio
                        continue
                    raise ProtocolError(
                        CloseCode.UNSUPPORTED_DATA,
                        "text messages are the options (first, as JSON) and 'Done'; audio is binary",
                    )
                first = False
                samples = self._samples(message)
                state = holder.get("state") or self._open_stream(options, holder)
                for text in await loop.run_in_executor(self.pool, state.feed, samples):
                    await self._send(conn, text)
        except ProtocolError as e:
            return await self._fail(conn, e.code, str(e))
        except ConnectionClosed:
            return conn.close_code  # the client left
        except Exception as e:  # a server fault: say so, never drop the connection silently
            log.exception("connection failed")
            return await self._fail(conn, CloseCode.INTERNAL_ERROR, f"internal error: {type(e).__name__}: {e}")

    def _samples(self, message: bytes) -> np.ndarray:
        if len(message) > self.options.max_message_bytes:
            raise ProtocolError(
                CloseCode.MESSAGE_TOO_BIG,
                f"a message of {len(message)} bytes; the limit is {self.options.max_message_bytes}",
            )
        if len(message) % 4:
            raise ProtocolError(
                CloseCode.INVALID_DATA,
                f"a binary message of {len(message)} bytes: audio is float32 samples (4 bytes each)",
            )
        samples = np.frombuffer(message, dtype="<f4")
        if not np.isfinite(samples).all():
            raise ProtocolError(CloseCode.INVALID_DATA, "samples hold NaN or infinity")
        return samples

    def _open_stream(self, options: StreamOptions, holder: Dict[str, ConnectionStream]) -> ConnectionStream:
        base = self.recognizer
        decoding, endpoint, hotwords = options.settings(base.config.decoding, base.config.endpoint)
        if decoding == base.config.decoding and endpoint == base.config.endpoint and not hotwords:
            rec = base
        else:
            key = (decoding, endpoint, hotwords)
            rec = self._variants.pop(key, None)
            if rec is None:
                try:
                    rec = base.with_settings(decoding, endpoint, hotwords=hotwords)
                except NcasrError as e:
                    raise ProtocolError(CloseCode.POLICY_VIOLATION, f"options: {e}") from None
            self._variants[key] = rec
            while len(self._variants) > MAX_RECOGNIZER_VARIANTS:
                self._variants.popitem(last=False)
        state = ConnectionStream(rec, options, self.options.max_stream_seconds)
        holder["state"] = state
        return state

    async def _send(self, conn: Any, text: str) -> None:
        try:
            with _Deadline(self.options.send_timeout):
                await conn.send(text)
        except asyncio.TimeoutError:
            raise ProtocolError(
                CloseCode.POLICY_VIOLATION, f"the client has not read its replies for {self.options.send_timeout:g} s"
            ) from None

    async def _fail(self, conn: Any, code: int, error: str) -> int:
        """An error message, then the close: the client always learns why."""
        try:
            with _Deadline(self.options.send_timeout):
                await conn.send(error_message(code, error))
        except Exception:
            pass
        await self._close(conn, code, error)
        return int(code)

    async def _close(self, conn: Any, code: int, reason: str) -> None:
        try:
            with _Deadline(self.options.send_timeout):
                await conn.close(int(code), _close_reason(reason))
        except Exception:
            if conn.transport is not None:
                conn.transport.abort()  # a client that reads nothing cannot take a close frame


async def run_server(recognizer: Recognizer, options: ServeOptions, started: Optional[Any] = None) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully; ``started(server)`` is
    called once listening.

    Example::

        asyncio.run(run_server(ncasr.Recognizer.from_dir("model/"), ServeOptions()))
    """
    server = Server(recognizer, options)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if started is not None:
        started(server)
    try:
        await stop.wait()
    finally:
        log.info("stopping: %d open connection(s)", server.active_connections)
        await server.shutdown()


def listening_urls(server: Server) -> List[str]:
    """The page and WebSocket URLs a server answers on.

    Example::

        print("\\n".join(listening_urls(server)))
    """
    secure = server.options.certfile is not None
    host = server.options.host if server.options.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return [
        f"{'https' if secure else 'http'}://{host}:{server.port}/",
        f"{'wss' if secure else 'ws'}://{host}:{server.port}/",
    ]
