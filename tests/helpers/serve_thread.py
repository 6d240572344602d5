"""An ``ncasr serve`` Server running on its own event loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def running_server(recognizer, options) -> Iterator[object]:
    """Yields the started Server (``server.port`` is set); shuts it down on exit."""
    from ncasr.serve.server import Server

    loop = asyncio.new_event_loop()
    server = Server(recognizer, options)
    ready = threading.Event()
    failure = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as e:  # noqa: BLE001 - reported to the test thread
            failure.append(e)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    if failure:
        raise failure[0]
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.shutdown(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
