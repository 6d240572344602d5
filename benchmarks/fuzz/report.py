"""A run's results: counts per outcome and per kind as text tables, failing cases with
their command, and everything as JSON."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

from .outcomes import Result
from .subprocess_check import Check


@dataclass
class Report:
    results: List[Result]
    wall_s: float
    completed: bool  # False when --time-limit stopped it early
    checks: List[Check] = field(default_factory=list)
    damaged_pristine: List[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.results)

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)

    def failures(self) -> List[Result]:
        return [r for r in self.results if r.verdict != "ok"]

    def check_mismatches(self) -> List[Check]:
        return [c for c in self.checks if c[0].outcome != c[1]]

    def kinds(self, target: str) -> Counter:
        return Counter(r.case.kind for r in self.results if r.case.target == target)

    @property
    def ok(self) -> bool:
        return not self.failures() and not self.check_mismatches() and not self.damaged_pristine

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "wall_s": round(self.wall_s, 1),
            "completed": self.completed,
            "outcomes": Counter(r.outcome for r in self.results),
            "verdicts": Counter(r.verdict for r in self.results),
            "checks": [
                {"index": r.case.index, "fork": r.outcome, "subprocess": o, "subprocess_stderr": t}
                for r, o, t in self.checks
            ],
            "damaged_pristine": self.damaged_pristine,
            "cases": [r.to_dict() for r in self.results],
        }


def shell_quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w./=:+-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def _table(rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows
    )


def format_report(rep: Report, max_listed: int = 40) -> str:
    outcomes = ["success", "clean_error", "traceback", "crash", "hang", "unclear_error", "noisy_error"]
    out = [f"{rep.total} cases in {rep.wall_s:.1f} s" + ("" if rep.completed else " (stopped by --time-limit)"), ""]
    rows = [["outcome", "cases"]] + [[o, str(sum(r.outcome == o for r in rep.results))] for o in outcomes]
    rows += [[f"  {v}", str(rep.count(v))] for v in ("unexplained_success", "rejected_valid")]
    out += [_table(rows), ""]
    by_kind: Dict[Tuple[str, str], Counter] = defaultdict(Counter)
    for r in rep.results:
        by_kind[(r.case.target, r.case.kind)][r.outcome] += 1
        if r.verdict in ("unexplained_success", "rejected_valid"):
            by_kind[(r.case.target, r.case.kind)][r.verdict] += 1
    cols = outcomes + ["unexplained_success", "rejected_valid"]
    short = {
        "clean_error": "error",
        "unclear_error": "unclear",
        "noisy_error": "noisy",
        "unexplained_success": "unexpl",
        "rejected_valid": "rejected",
    }
    rows = [["target/kind"] + [short.get(c, c) for c in cols]]
    rows += [[f"{t}/{k}"] + [str(c[o]) for o in cols] for (t, k), c in sorted(by_kind.items())]
    out += [_table(rows), ""]
    fails = rep.failures()
    if fails:
        out.append(f"{len(fails)} failing cases (first {max_listed} listed; rebuild one with --seed and --only INDEX):")
    for r in fails[:max_listed]:
        c = r.case
        out.append(f"- #{c.index} {r.verdict} [{c.target}/{c.kind} on {c.model}] {c.file}: {c.detail}")
        out.append(
            f"    ncasr {' '.join(shell_quote(a) for a in c.argv)}   (rc {r.returncode}, "
            f"{r.elapsed:.2f} s; expected {c.expect}: {c.why})"
        )
        out += [f"    | {line}" for line in (r.stderr_tail[-4:] or r.stdout_tail)]
    for r, sub, tail in rep.checks:
        mark = "same" if r.outcome == sub else "MISMATCH"
        out.append(f"check #{r.case.index} {r.case.kind}: fork {r.outcome}, subprocess {sub}: {mark}")
        if mark != "same":
            out += [f"    | {line}" for line in tail[-4:]]
    if rep.damaged_pristine:
        out.append("pristine files changed by a case: " + ", ".join(rep.damaged_pristine))
    out.append("PASS" if rep.ok else "FAIL")
    return "\n".join(out)
