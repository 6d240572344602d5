"""A real browser for the tests: ``ncasr serve`` in a background thread and headless
Chromium (Debian's ``chromium`` and ``chromium-driver``) driven through selenium, its
microphone a WAV file."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path
from typing import Any, List, Optional

CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser"]
CHROMEDRIVER_CANDIDATES = ["/usr/bin/chromedriver", "chromedriver"]


def _find(candidates: List[str]) -> Optional[str]:
    for name in candidates:
        path = name if Path(name).is_file() else shutil.which(name)
        if path:
            return str(path)
    return None


def browser_paths() -> "tuple[str, str]":
    """(chromium, chromedriver); AssertionError naming what to install when either is missing
    (a test that needs them fails rather than skips: CI installs them)."""
    chromium, driver = _find(CHROMIUM_CANDIDATES), _find(CHROMEDRIVER_CANDIDATES)
    missing = [pkg for pkg, path in (("chromium", chromium), ("chromium-driver", driver)) if path is None]
    if missing:
        raise AssertionError(
            f"the browser test needs {' and '.join(missing)} "
            f"(apt-get install chromium chromium-driver); not found on PATH or in /usr/bin"
        )
    return chromium, driver  # type: ignore[return-value]


class ServerThread:
    """An ``ncasr.serve.server.Server`` on its own asyncio loop in a daemon thread.

    Example::

        with ServerThread(rec, ServeOptions(port=0, workers=2)) as server:
            print(server.port)
    """

    def __init__(self, recognizer: Any, options: Any) -> None:
        from ncasr.serve.server import Server

        self.server = Server(recognizer, options)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ncasr-serve-test", daemon=True)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(timeout=30)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


def headless_chromium(fake_audio: Path, *, noloop: bool = True, log_path: Optional[Path] = None) -> Any:
    """A selenium Chrome driver for headless Chromium whose microphone plays ``fake_audio``
    (a WAV file) once (``noloop``), with getUserMedia allowed without a prompt."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={fake_audio}{'%noloop' if noloop else ''}",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=900,700",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-extensions",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver, log_output=str(log_path) if log_path else None)
    return webdriver.Chrome(service=service, options=options)
