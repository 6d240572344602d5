"""`ncasr serve` as a child process: started on a free loopback port, measured through
/proc (CPU time, RSS), always killed at the end."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

_LIVE: List["ServerProcess"] = []  # every started server, for kill_all (the watchdog)
_LIVE_LOCK = threading.Lock()


def kill_all() -> None:
    """Kill every server this process started and has not stopped yet (watchdog, atexit)."""
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for s in servers:
        s.kill()


class ServerProcess:
    """``python -m ncasr serve MODEL --port 0 ...`` with stdout and stderr in files (the
    per-connection log lines never fill a pipe); ``url`` once its first line says where it
    listens."""

    def __init__(
        self,
        model: str,
        *,
        variant: str = "",
        workers: int = 0,
        max_connections: int = 1000,
        extra: Optional[List[str]] = None,
        start_timeout: float = 120.0,
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-serve-"))
        self.stdout_path, self.stderr_path = self.dir / "stdout.txt", self.dir / "stderr.txt"
        cmd = [sys.executable, "-m", "ncasr", "serve", str(model), "--host", "127.0.0.1", "--port", "0"]
        cmd += ["--workers", str(workers), "--max-connections", str(max_connections)]
        if variant:
            cmd += ["--variant", variant]
        cmd += list(extra or [])
        self.cmd = cmd
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        with _LIVE_LOCK:
            _LIVE.append(self)
        self.pid = self.proc.pid
        self.url = self._wait_listening(start_timeout)
        self.started_at = time.monotonic()

    def _wait_listening(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text(encoding="utf-8", errors="replace")
            if "\n" in text:  # the first line is whole
                m = re.search(r"ws://\S+", text.split("\n", 1)[0])
                if m is None:
                    self.kill()
                    raise RuntimeError(f"ncasr serve's first line names no ws:// URL: {text[:300]!r}")
                return m.group(0).rstrip("/")
            if self.proc.poll() is not None:
                self.kill()
                raise RuntimeError(f"ncasr serve exited with {self.proc.returncode}: {self.stderr_tail()}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"ncasr serve did not say it listens within {timeout:g} s: {self.stderr_tail()}")

    # --- measurements -----------------------------------------------------------------

    def alive(self) -> bool:
        return self.proc.poll() is None

    def cpu_seconds(self) -> float:
        """utime + stime of the whole process (every thread), in seconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3); utime, stime are fields 14 and 15
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory(self) -> Dict[str, float]:
        """VmRSS and VmHWM in MB (MiB)."""
        out = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) / 1024.0
        return out

    def rss_mb(self) -> float:
        return self.memory().get("VmRSS", float("nan"))

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stderr_tail(self, n: int = 2000) -> str:
        return self.stderr_text()[-n:]

    def log_summary(self) -> Dict[str, object]:
        """What the server's log says: connections per close code, tracebacks, 1011s."""
        text = self.stderr_text()
        codes: Dict[str, int] = {}
        for m in re.finditer(r"^connection \d+ from .*, close (\S+)$", text, re.M):
            codes[m.group(1)] = codes.get(m.group(1), 0) + 1
        problems = [
            line
            for line in text.splitlines()
            if "Traceback" in line or "connection failed" in line or "Task exception" in line or "Error" in line
        ]
        return {"connections_by_close": codes, "problem_lines": problems[:50], "problem_count": len(problems)}

    # --- ending -----------------------------------------------------------------------

    def stop(self, grace: float = 15.0) -> Optional[int]:
        """SIGTERM (graceful: open streams finish), then SIGKILL after ``grace`` seconds."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.proc.returncode

    def cleanup(self) -> None:
        """Remove the folder of its stdout and stderr (after log_summary)."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass
        with _LIVE_LOCK:
            if self in _LIVE:
                _LIVE.remove(self)


class MemorySampler:
    """Samples the server's VmRSS every ``interval`` seconds in a thread (the peak of a
    window where VmHWM cannot be reset)."""

    def __init__(self, server: ServerProcess, interval: float = 0.1) -> None:
        self.server, self.interval = server, interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.server.rss_mb())
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
