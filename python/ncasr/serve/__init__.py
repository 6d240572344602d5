"""A streaming WebSocket server, its client and its browser page (``ncasr serve``,
``ncasr client``); needs the ``serve`` extra (``pip install 'ncasr[serve]'``).

- protocol.py: messages, stream options and close codes (docs/serve.md);
- options.py: ``ServeOptions``, the listening address and limits;
- connection.py: one connection's stream, run on the worker threads;
- server.py: the asyncio server, its HTTP page and graceful shutdown;
- client.py: ``stream_audio``, the client ``ncasr client`` and the tests use.

Example::

    from ncasr.serve import ServeOptions, serve
    serve(ncasr.default_model_dir(), ServeOptions(port=6006, workers=2))
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Callable, Optional, Union

from .options import ServeOptions
from .protocol import CloseCode, StreamOptions

__all__ = ["CloseCode", "ServeOptions", "StreamOptions", "serve"]


def serve(
    model_dir: Union[str, "os.PathLike[str]"],
    options: Optional[ServeOptions] = None,
    started: Optional[Callable[[Any], None]] = None,
    **recognizer_overrides: Any,
) -> None:
    """Load the model once and serve it until SIGTERM or SIGINT (then finish open streams
    for up to ``options.shutdown_grace`` seconds and return).

    Example::

        serve("model/", ServeOptions(host="0.0.0.0", token="s3cret"), variant="int8")
    """
    from ..recognizer import Recognizer
    from .server import run_server

    options = options or ServeOptions()
    recognizer = Recognizer.from_dir(model_dir, **recognizer_overrides)
    asyncio.run(run_server(recognizer, options, started))
