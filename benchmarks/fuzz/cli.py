"""The command line: flags to Options, the report on stdout, the exit status."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional

from . import __doc__ as PACKAGE_DOC
from .options import Options
from .report import format_report
from .runner import run


def parse_args(argv: Optional[List[str]] = None) -> Options:
    p = argparse.ArgumentParser(
        description=PACKAGE_DOC.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2, help="children at a time")
    p.add_argument("--time-limit", type=float, default=3600.0, help="seconds for the whole run")
    p.add_argument("--per-case-timeout", type=float, default=60.0)
    p.add_argument("--memory-limit-mb", type=int, default=4096, help="address space per child (0: none)")
    p.add_argument(
        "--long-silence-seconds",
        type=int,
        default=7200,
        help="length of the one long silent wav (case 0); 0 leaves it out",
    )
    p.add_argument("--only", type=int, nargs="+", metavar="INDEX", help="run only these cases")
    p.add_argument(
        "--check-subprocess",
        type=int,
        default=0,
        metavar="N",
        help="rerun N cases with the real command and compare the outcomes",
    )
    p.add_argument("--keep-failures", type=Path, metavar="DIR")
    p.add_argument("--keep-max", type=int, default=20, help="kept folders per verdict and kind")
    p.add_argument("--json", type=Path, metavar="OUT", help="every case as JSON")
    p.add_argument("--list", type=int, default=40, metavar="N", help="failing cases listed")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--work-dir", type=Path, help="where case folders are made (default: TMPDIR)")
    a = p.parse_args(argv)
    return Options(
        cases=a.cases,
        seed=a.seed,
        jobs=a.jobs,
        time_limit=a.time_limit,
        per_case_timeout=a.per_case_timeout,
        memory_limit_mb=a.memory_limit_mb,
        long_silence_seconds=a.long_silence_seconds,
        only=a.only,
        check_subprocess=a.check_subprocess,
        keep_failures=a.keep_failures,
        keep_max=a.keep_max,
        json_path=a.json,
        progress=not a.no_progress,
        max_listed=a.list,
        work_dir=a.work_dir,
    )


def main(argv: Optional[List[str]] = None) -> int:
    opts = parse_args(argv)
    rep = run(opts)
    print(format_report(rep, opts.max_listed))
    if opts.json_path:
        opts.json_path.write_text(json.dumps(rep.to_dict(), indent=1) + "\n")
    return 0 if rep.ok else 1
