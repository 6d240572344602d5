"""Batch transcription throughput: hours of audio per hour of wall time on the local engine
(1 and 2 processes) and the Ray engine (1 and 2 actors on a two-node Ray cluster on this
machine: a head and a worker node of one CPU each, both on 127.0.0.1), Ray's overhead per
utterance, and the driver's peak RSS as the corpus grows.

The corpus is the bundled model's test split (tests/data/reference-lstm-en: 20 clips,
71.7 s) repeated to at least --hours of audio, each copy under its own ids. Every run is
`ncasr.batch.transcribe_manifest` in a fresh driver process (this script with --driver),
writing a fresh OUT.jsonl; wall time runs from the call to the sorted, summarised file, so
process or actor start-up and model loading are included. Ray runs join the cluster with
--address, as a user of a running cluster would. The four configurations run --repeat times,
interleaved, and each keeps its fastest run (the one least disturbed by other load on a
shared machine); the load average is printed with every run.

    python benchmarks/bench_scale.py                 # 1 h corpus; RSS at 0.25, 1 and 2 h
    python benchmarks/bench_scale.py --hours 0.1 --rss-hours 0.05,0.1   # a quick look

Target: Ray with 2 actors at least 90 % of the local 2-process throughput.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
TEST_SPLIT = REPO / "tests" / "data" / "reference-lstm-en" / "test.tsv"


@dataclass
class Run:
    """One driver run: which engine and width, and what it measured."""

    engine: str
    workers: int
    utterances: int
    audio_hours: float
    wall_s: float
    startup_s: float  # from the call to the first result: processes or actors started, model loaded
    driver_peak_rss_mb: float

    @property
    def hours_per_hour(self) -> float:
        return self.audio_hours * 3600 / self.wall_s

    @property
    def steady_hours_per_hour(self) -> float:
        """Throughput once the first result is in (start-up left out)."""
        return self.audio_hours * 3600 / (self.wall_s - self.startup_s)


def make_corpus(folder: Path, hours: float) -> Path:
    """The test split repeated to at least ``hours`` of audio, ids c<copy>-<clip>."""
    from ncasr.data import read_manifest

    entries = read_manifest(TEST_SPLIT)
    clip_s = sum(e.duration or 0.0 for e in entries)
    copies = max(1, math.ceil(hours * 3600 / clip_s))
    path = folder / f"corpus-{hours:g}h.tsv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("id\tpath\tduration\ttext\n")
        for c in range(copies):
            for i, e in enumerate(entries):
                f.write(f"c{c:04d}-{i:02d}\t{e.path}\t{e.duration:.3f}\t{e.text}\n")
    return path


def drive(job: Dict[str, object]) -> Dict[str, object]:
    """The --driver side: one transcription, then its figures and this process's peak RSS."""
    from ncasr.batch import RayOptions, transcribe_manifest

    ray = None
    if job["engine"] == "ray":
        ray = RayOptions(address=job["address"], num_actors=job["workers"], batch_size=job["batch_size"])
    start = time.perf_counter()
    summary = transcribe_manifest(
        job["manifest"], job["output"], engine=job["engine"], processes=job["workers"], ray=ray, progress=False
    )
    wall = time.perf_counter() - start
    return {
        "utterances": summary.transcribed,
        "audio_s": summary.run_audio_seconds,
        "wall_s": wall,
        "startup_s": summary.startup_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(engine: str, workers: int, manifest: Path, folder: Path, address: Optional[str], batch_size: int) -> Run:
    output = folder / f"out-{engine}-{workers}.jsonl"
    output.unlink(missing_ok=True)
    job = {
        "engine": engine,
        "workers": workers,
        "manifest": str(manifest),
        "output": str(output),
        "address": address,
        "batch_size": batch_size,
    }
    proc = subprocess.run(
        [sys.executable, __file__, "--driver", json.dumps(job)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"{engine} x{workers} failed:\n{proc.stderr[-3000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    return Run(
        engine, workers, got["utterances"], got["audio_s"] / 3600, got["wall_s"], got["startup_s"], got["peak_rss_mb"]
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=1.0, help="corpus size of the throughput runs")
    parser.add_argument("--rss-hours", default="0.25,1,2", help="corpus sizes of the driver-RSS runs (Ray, 2 actors)")
    parser.add_argument("--batch-size", type=int, default=8, help="utterances per Ray task")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved runs per configuration; the fastest counts")
    parser.add_argument("--json", metavar="FILE", help="also write every run as JSON here")
    parser.add_argument("--driver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        print(json.dumps(drive(json.loads(args.driver))))
        return

    from ray.cluster_utils import Cluster

    print(f"load average at start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ncasr-scale-") as tmp:
        folder = Path(tmp)
        corpus = make_corpus(folder, args.hours)
        nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
        try:
            nodes.add_node(num_cpus=1)
            nodes.wait_for_nodes()
            best: Dict[Tuple[str, int], Run] = {}
            for repeat in range(args.repeat):
                for engine, workers in (("local", 1), ("local", 2), ("ray", 1), ("ray", 2)):
                    r = run(engine, workers, corpus, folder, nodes.address, args.batch_size)
                    print(
                        f"  run {repeat + 1}: {engine} x{workers}: {r.wall_s:.1f} s, {r.hours_per_hour:.1f} h/h "
                        f"(load {load()})",
                        flush=True,
                    )
                    if (engine, workers) not in best or r.wall_s < best[(engine, workers)].wall_s:
                        best[(engine, workers)] = r
            runs = list(best.values())
            rss_runs = []
            for hours in [float(h) for h in args.rss_hours.split(",") if h.strip()]:
                rss_runs.append(run("ray", 2, make_corpus(folder, hours), folder, nodes.address, args.batch_size))
                print(f"  driver RSS at {hours:g} h: {rss_runs[-1].driver_peak_rss_mb:.0f} MB", flush=True)
        finally:
            nodes.shutdown()

    by = best
    print()
    print(
        "| engine | workers | utterances | audio h | wall s | start-up s | audio h per wall h | vs local | "
        "after start-up: audio h per h | vs local |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        local = by[("local", r.workers)]
        print(
            f"| {r.engine} | {r.workers} | {r.utterances} | {r.audio_hours:.3f} | {r.wall_s:.1f} | {r.startup_s:.1f} | "
            f"{r.hours_per_hour:.1f} | {r.hours_per_hour / local.hours_per_hour:.2f} | "
            f"{r.steady_hours_per_hour:.1f} | {r.steady_hours_per_hour / local.steady_hours_per_hour:.2f} |"
        )
    print()
    for w in (1, 2):
        ray, local = by[("ray", w)], by[("local", w)]
        overhead_ms = 1000 * (ray.wall_s - local.wall_s) / ray.utterances
        steady_ms = 1000 * ((ray.wall_s - ray.startup_s) - (local.wall_s - local.startup_s)) / ray.utterances
        print(
            f"Ray overhead with {w} worker(s): {overhead_ms:+.2f} ms per utterance (wall difference / utterances), "
            f"{steady_ms:+.2f} ms after start-up; start-up {ray.startup_s - local.startup_s:+.1f} s"
        )
    print(f"  (one utterance takes {1000 * by[('local', 1)].wall_s / by[('local', 1)].utterances:.1f} ms on 1 process)")
    ratio = by[("ray", 2)].hours_per_hour / by[("local", 2)].hours_per_hour
    steady = by[("ray", 2)].steady_hours_per_hour / by[("local", 2)].steady_hours_per_hour
    print(f"Ray 2 actors / local 2 processes: {ratio:.2f} (target >= 0.90: {'met' if ratio >= 0.9 else 'NOT met'})")
    print(f"  after start-up: {steady:.2f}")
    print()
    print("| corpus audio h | utterances | driver peak RSS MB |")
    print("|---|---|---|")
    for r in rss_runs:
        print(f"| {r.audio_hours:.2f} | {r.utterances} | {r.driver_peak_rss_mb:.0f} |")
    print(f"\nload average at end: {load()}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"runs": [asdict(r) for r in runs], "rss": [asdict(r) for r in rss_runs]}, indent=2)
        )


if __name__ == "__main__":
    main()
