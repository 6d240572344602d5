"""The real command in a fresh interpreter, to check that the fork server's outcomes are
the ones `ncasr` itself gives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Tuple

from .cases import Case
from .fork_server import limit_memory
from .options import Options
from .outcomes import Result, classify, tail_lines

Check = Tuple[Result, str, List[str]]  # the fork's result, the subprocess's outcome and stderr


def run_subprocess(case: Case, case_dir: Path, opts: Options) -> Tuple[str, List[str]]:
    cmd = [sys.executable, "-m", "ncasr", *case.argv]
    with open(case_dir / "stdout.txt", "wb") as out, open(case_dir / "stderr.txt", "wb") as err:
        p = subprocess.Popen(
            cmd,
            cwd=case_dir,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: limit_memory(opts.memory_limit_mb),
        )
        try:
            rc: Optional[int] = p.wait(timeout=opts.per_case_timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc, timed_out = None, True
    stderr = (case_dir / "stderr.txt").read_bytes().decode("utf-8", "backslashreplace")
    return classify(rc, timed_out, stderr), tail_lines(case_dir / "stderr.txt")


def pick_for_check(results: List[Result], n: int) -> List[Result]:
    """Up to n quick cases, one per (outcome, kind) first, failures before the rest."""
    quick = [r for r in results if r.elapsed < 5]
    quick.sort(key=lambda r: (r.verdict == "ok", r.case.index))
    picked, seen = [], set()
    for r in quick:
        key = (r.outcome, r.case.kind)
        if key not in seen:
            seen.add(key)
            picked.append(r)
    rest = [r for r in quick if r not in picked]
    return (picked + rest)[:n]
