"""``ServeOptions``: how ``ncasr serve`` listens and what it allows, in one typed value."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from ..errors import ConfigError

__all__ = ["ServeOptions"]


@dataclass(frozen=True)
class ServeOptions:
    """Listening address, worker threads and the limits every connection is held to.

    Example::

        options = ServeOptions(port=6006, workers=2, max_connections=200, token="s3cret")
    """

    host: str = "127.0.0.1"  # loopback unless asked otherwise
    port: int = 6006  # 0: any free port (the server reports it)
    workers: int = 0  # decoding threads; 0: one per CPU
    max_connections: int = 256  # more are closed with 1013
    max_message_bytes: int = 1 << 20  # a larger message is closed with 1009
    max_stream_seconds: float = 3600.0  # audio per connection
    idle_timeout: float = 30.0  # seconds without a client message
    send_timeout: float = 10.0  # seconds a reply may wait for a client that does not read
    shutdown_grace: float = 10.0  # on SIGTERM, seconds open streams may take to finish
    token: Optional[str] = None  # clients must send "Authorization: Bearer <token>"
    certfile: Optional[str] = None  # TLS certificate (PEM); with keyfile, serves wss:// and https://
    keyfile: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be 0-65535, got {self.port!r}")
        for name in ("workers", "max_connections", "max_message_bytes"):
            value = getattr(self, name)
            minimum = 0 if name == "workers" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
        for name in ("max_stream_seconds", "idle_timeout", "send_timeout", "shutdown_grace"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f"{name} must be a number > 0, got {value!r}")
        if (self.certfile is None) != (self.keyfile is None):
            raise ConfigError("TLS needs both certfile and keyfile")
        for path in (self.certfile, self.keyfile):
            if path is not None and not os.path.isfile(path):
                raise ConfigError(f"{path}: file not found")
        if self.token is not None and not self.token.strip():
            raise ConfigError("token must not be empty")

    @property
    def num_workers(self) -> int:
        """The decoding threads to start.

        Example::

            ServeOptions(workers=0).num_workers   # os.cpu_count()
        """
        return self.workers or os.cpu_count() or 1
