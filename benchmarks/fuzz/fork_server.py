"""One case in a forked child that runs the CLI as the console script does: this process
has imported ncasr once, so a child starts in milliseconds. Then waiting for the child,
and killing it (its whole process group) past its time."""

from __future__ import annotations

import io
import os
import select
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from .cases import Case


def limit_memory(mb: int) -> None:
    import resource

    if mb > 0:
        limit = mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _reset_interpreter_state() -> None:
    """What a fresh `ncasr` process would have: default warnings, no logging handlers."""
    import logging
    import warnings

    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for cat in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=cat, append=True)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.setLevel(logging.WARNING)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _redirect(out_path: Path, err_path: Path) -> None:
    for fd, path in ((1, out_path), (2, err_path)):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, fd)
        os.close(f)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    enc = getattr(sys.__stdout__, "encoding", None) or "utf-8"
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=enc)
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding=enc, errors="backslashreplace", line_buffering=True
    )
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=enc)


def _exit_status(code: object) -> int:
    """sys.exit(code) semantics: None is 0, an int is itself, anything else prints and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _child_main(argv: List[str], case_dir: Path, mem_mb: int) -> int:
    import faulthandler

    from ncasr.cli import main

    os.chdir(case_dir)
    _redirect(case_dir / "stdout.txt", case_dir / "stderr.txt")
    _reset_interpreter_state()
    faulthandler.enable(file=sys.stderr)  # a crash shows where, as `python -X faulthandler`
    limit_memory(mem_mb)
    sys.argv = ["ncasr"] + argv
    try:
        code: object = main(argv)
    except SystemExit as e:
        code = e.code
    except BaseException:
        sys.excepthook(*sys.exc_info())  # the traceback the real command would print
        code = 1
    status = _exit_status(code)
    sys.stdout.flush()
    sys.stderr.flush()
    return status


def spawn(argv: List[str], case_dir: Path, mem_mb: int) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child never returns into the harness
        status = 70
        try:
            os.setpgid(0, 0)
            status = _child_main(argv, case_dir, mem_mb)
        finally:
            os._exit(status)
    try:
        os.setpgid(pid, pid)  # both sides set it: no race with a kill below
    except OSError:
        pass
    return pid


@dataclass
class Running:
    case: Case
    case_dir: Path
    pid: int
    start: float
    fd: Optional[int]  # a pidfd to select on, where the kernel has them


def open_pidfd(pid: int) -> Optional[int]:
    try:
        return os.pidfd_open(pid)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None


def wait_ready(running: List[Running], timeout: float) -> None:
    fds = [r.fd for r in running if r.fd is not None]
    if fds and len(fds) == len(running):
        select.select(fds, [], [], max(0.0, timeout))
    else:
        time.sleep(min(0.005, max(0.0, timeout)))


def reap(r: Running, timeout_s: float) -> Optional[Tuple[Optional[int], bool]]:
    """(returncode, timed_out) once the child has ended, else None. Kills it past its time."""
    pid, status = os.waitpid(r.pid, os.WNOHANG)
    if pid == 0:
        if time.monotonic() - r.start < timeout_s:
            return None
        try:
            os.killpg(r.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(r.pid, 0)
        return None, True
    return os.waitstatus_to_exitcode(status), False
