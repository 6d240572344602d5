"""A fuzz run: a work folder with pristine model copies, cases built and run up to --jobs
at a time in forked children, failing case folders kept, and the report."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Tuple

from .audio_cases import RATE, AudioCtx, tone, write_audio
from .cases import Case, build_case, is_solo
from .fork_server import Running, open_pidfd, reap, spawn, wait_ready
from .model_folders import Source, load_sources
from .options import Options
from .outcomes import Result, result_of
from .report import Report, shell_quote
from .subprocess_check import Check, pick_for_check, run_subprocess


@dataclass
class Harness:
    opts: Options
    root: Path
    sources: List[Source]
    wav: Path
    actx: AudioCtx
    kept: Counter = field(default_factory=Counter)

    def case_dir(self, index: int) -> Path:
        return self.root / "cases" / f"{index:06d}"

    def build(self, index: int, case_dir: Optional[Path] = None) -> Tuple[Case, Path]:
        d = case_dir or self.case_dir(index)
        return build_case(self.opts, index, self.sources, d, self.wav, self.actx), d

    def keep(self, res: Result, case_dir: Path) -> None:
        opts = self.opts
        key = (res.verdict, res.case.kind)
        if opts.keep_failures is None or self.kept[key] >= opts.keep_max:
            return
        self.kept[key] += 1
        dst = Path(opts.keep_failures) / res.verdict / f"{res.case.index:06d}-{res.case.kind}"
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(case_dir, dst)
        cmd = " ".join(shell_quote(a) for a in res.case.argv)
        (dst / "repro.sh").write_text(f'#!/bin/sh\n# {res.case.detail}\ncd "$(dirname "$0")" && exec ncasr {cmd}\n')
        (dst / "case.json").write_text(json.dumps(res.to_dict(), indent=2) + "\n")


def setup(opts: Options) -> Harness:
    # Imported once here, so that every forked child starts with them loaded.
    import soundfile  # noqa: F401 (preloaded for the forked children)

    import ncasr
    import ncasr.audio
    import ncasr.cli
    import ncasr.recognizer  # noqa: F401 (preloaded)

    root = Path(tempfile.mkdtemp(prefix="ncasr-fuzz-", dir=opts.work_dir))
    sources = load_sources(opts, root)
    wav = root / "pristine" / "tone.wav"
    write_audio(wav, tone(1.0), RATE)
    param = next(b for s in sources for n, b in s.files.items() if n.endswith(".param"))
    return Harness(opts, root, sources, wav, AudioCtx(opts.long_silence_seconds, param))


def run_cases(h: Harness, indices: Iterable[int], deadline: float, on_result: Callable[[Result], None]) -> bool:
    """Runs the cases, up to opts.jobs at a time. False when the time limit cut it short."""
    opts = h.opts
    pending = list(indices)[::-1]
    running: List[Running] = []
    while True:
        while (
            pending
            and len(running) < opts.jobs
            and time.monotonic() < deadline
            and not any(r.case.solo for r in running)
        ):
            if is_solo(opts, pending[-1]) and running:
                break  # wait until the others have ended
            case, d = h.build(pending.pop())
            pid = spawn(case.argv, d, opts.memory_limit_mb)
            running.append(Running(case, d, pid, time.monotonic(), open_pidfd(pid)))
        if not running:
            return not pending
        wait_ready(running, min(0.5, opts.per_case_timeout))
        for r in list(running):
            ended = reap(r, opts.per_case_timeout)
            if ended is None:
                continue
            running.remove(r)
            if r.fd is not None:
                os.close(r.fd)
            res = result_of(r.case, r.case_dir, r.start, *ended)
            if res.verdict != "ok":
                h.keep(res, r.case_dir)
            shutil.rmtree(r.case_dir, ignore_errors=True)
            on_result(res)


def pristine_intact(h: Harness) -> List[str]:
    """Names of pristine files a case changed (hard links share their bytes)."""
    return [f"{s.name}/{n}" for s in h.sources for n, b in s.files.items() if (s.dir / n).read_bytes() != b]


def check_subprocess(h: Harness, results: List[Result], n: int) -> List[Check]:
    checked = []
    for res in pick_for_check(results, n):
        d = h.root / "check" / f"{res.case.index:06d}"
        case, _ = h.build(res.case.index, d)
        outcome, tail = run_subprocess(case, d, h.opts)
        checked.append((res, outcome, tail))
        shutil.rmtree(d, ignore_errors=True)
    return checked


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        import tqdm
    except ImportError:
        return None
    tqdm.tqdm.monitor_interval = 0  # no monitor thread: children are forked
    return tqdm.tqdm(total=total, unit="case", file=sys.stderr)


def run(opts: Options) -> Report:
    """Runs the cases of opts and returns the report (the harness's work folder is removed)."""
    start = time.monotonic()
    h = setup(opts)
    try:
        indices = list(opts.only) if opts.only is not None else list(range(opts.cases))
        results: List[Result] = []
        bar = _progress(len(indices), opts.progress)

        def on_result(res: Result) -> None:
            results.append(res)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"fail {sum(r.verdict != 'ok' for r in results)}", refresh=False)

        completed = run_cases(h, indices, start + opts.time_limit, on_result)
        if bar is not None:
            bar.close()
        results.sort(key=lambda r: r.case.index)
        rep = Report(results, time.monotonic() - start, completed)
        rep.damaged_pristine = pristine_intact(h)
        if opts.check_subprocess:
            rep.checks = check_subprocess(h, results, opts.check_subprocess)
        rep.wall_s = time.monotonic() - start
        return rep
    finally:
        shutil.rmtree(h.root, ignore_errors=True)
