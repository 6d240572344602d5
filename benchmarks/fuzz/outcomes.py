"""Sorting what a run of the command did (its outcome) and whether that is what the case
deserves (its verdict)."""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from .cases import Case

NOISY_CHARS = 4000  # an error message longer than this is not "one line"
# Frames of the harness itself (this package, the entry script) in a crash's stderr.
_HARNESS_PATHS = (str(Path(__file__).parent), "fuzz_inputs.py")


@dataclass
class Result:
    case: Case
    outcome: str  # clean_error, success, traceback, crash, hang, unclear_error, noisy_error
    verdict: str  # "ok", a failing outcome, "unexplained_success" or "rejected_valid"
    returncode: Optional[int]
    elapsed: float
    stderr_size: Tuple[int, int] = (0, 0)  # characters, lines
    stderr_tail: List[str] = field(default_factory=list)
    stdout_tail: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self.case)
        d.update(
            outcome=self.outcome,
            verdict=self.verdict,
            returncode=self.returncode,
            elapsed=round(self.elapsed, 3),
            stderr_size=self.stderr_size,
            stderr_tail=self.stderr_tail,
            stdout_tail=self.stdout_tail,
        )
        return d


def tail_lines(path: Path, n: int = 8) -> List[str]:
    """The last lines; for a crash, faulthandler's lines without the harness's own frames."""
    try:
        text = path.read_bytes()[-20000:].decode("utf-8", "backslashreplace")
    except OSError:
        return []
    lines = [line[:300] for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("Fatal Python error")]
    keep = [
        line
        for line in lines
        if not any(p in line for p in _HARNESS_PATHS)
        and not line.startswith(("Extension modules", "Fatal Python error"))
    ]
    return fatal[:1] + keep[-n:]


def classify(returncode: Optional[int], timed_out: bool, stderr: str) -> str:
    if timed_out:
        return "hang"
    if returncode is None or returncode < 0 or returncode >= 128:
        return "crash"
    if "Traceback (most recent call last)" in stderr:
        return "traceback"
    if returncode == 0:
        return "success"
    if not re.search(r"^ncasr(?: \w+)?: error: ", stderr, re.M):
        return "unclear_error"
    return "noisy_error" if len(stderr) > NOISY_CHARS else "clean_error"


def judge(case: Case, outcome: str) -> str:
    if outcome in ("traceback", "crash", "hang", "unclear_error", "noisy_error"):
        return outcome
    if outcome == "success" and case.expect == "error":
        return "unexplained_success"
    if outcome == "clean_error" and case.expect == "success":
        return "rejected_valid"
    return "ok"


def result_of(case: Case, case_dir: Path, start: float, returncode: Optional[int], timed_out: bool) -> Result:
    """The Result of a run started at `start` (monotonic) that wrote case_dir's stdout.txt
    and stderr.txt."""
    err_path = case_dir / "stderr.txt"
    try:
        stderr = err_path.read_bytes().decode("utf-8", "backslashreplace")
    except OSError:
        stderr = ""
    outcome = classify(returncode, timed_out, stderr)
    return Result(
        case,
        outcome,
        judge(case, outcome),
        returncode,
        time.monotonic() - start,
        (len(stderr), stderr.count("\n")),
        tail_lines(err_path),
        tail_lines(case_dir / "stdout.txt", 3),
    )
