"""ncasr.batch on a Ray cluster started here: a head and one more worker node on 127.0.0.1,
one CPU each. The Ray engine must give the local engine's texts, resume, lose nothing when
an actor is killed mid-run, and calibrate to the local run's table."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from ncasr import calibrate, default_model_dir
from ncasr.batch import RayOptions, read_results, transcribe_manifest
from ncasr.batch.bench_ray import bench_on_ray
from ncasr.batch.calibrate_ray import calibrate_on_ray
from ncasr.cli import main
from ncasr.data import read_manifest
from ncasr.metrics import word_error_rate

# Ray's own modules warn about their deprecated settings when Ray Data starts.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DATA = Path(__file__).resolve().parent / "data" / "reference-lstm-en"
ENTRIES = read_manifest(DATA / "test.tsv")
TWO_ACTORS = RayOptions(num_actors=2, batch_size=2)


@pytest.fixture(scope="module")
def cluster():
    """A two-node Ray cluster on this machine, this process connected as its driver; gone
    before the next test module runs (later tests fork, which Ray's client threads dislike)."""
    import ray
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    ray.init(address=nodes.address, logging_level="WARNING", log_to_driver=False)
    try:
        yield nodes
    finally:
        # ray.shutdown() can block for good closing its GCS subscriber; bound it, then stop
        # the cluster's processes, which releases it.
        disconnect = threading.Thread(target=ray.shutdown, name="ray-shutdown", daemon=True)
        disconnect.start()
        disconnect.join(timeout=30)
        nodes.shutdown()
        disconnect.join(timeout=30)


def write_manifest(path: Path, copies: int = 1, count: int = len(ENTRIES)) -> Path:
    """``count`` clips of the test split, ``copies`` times, ids c<copy>-<clip>."""
    rows = [f"c{c}-{i:02d}\t{e.path}\t{e.text}\n" for c in range(copies) for i, e in enumerate(ENTRIES[:count])]
    path.write_text("id\tpath\ttext\n" + "".join(rows), encoding="utf-8")
    return path


def texts(path: Path) -> Dict[str, str]:
    records = list(read_results(path))
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) and ids == sorted(ids), "ids repeat or are out of order"
    assert all("error" not in r for r in records)
    return {r["id"]: r["text"] for r in records}


@pytest.fixture(scope="module")
def local_texts(tmp_path_factory) -> Dict[str, str]:
    """The local engine's text of each clip (id c0-<clip>)."""
    folder = tmp_path_factory.mktemp("local")
    transcribe_manifest(write_manifest(folder / "m.tsv"), folder / "out.jsonl", processes=1, progress=False)
    return texts(folder / "out.jsonl")


def expected(copies: int, local: Dict[str, str], count: int = len(ENTRIES)) -> Dict[str, str]:
    return {f"c{c}-{i:02d}": local[f"c0-{i:02d}"] for c in range(copies) for i in range(count)}


def test_ray_texts_equal_local_engine(cluster, tmp_path, local_texts):
    out = tmp_path / "out.jsonl"
    summary = transcribe_manifest(write_manifest(tmp_path / "m.tsv"), out, engine="ray", ray=TWO_ACTORS, progress=False)
    assert texts(out) == local_texts
    assert (summary.engine, summary.workers, summary.transcribed) == ("ray", 2, len(ENTRIES))
    assert summary.wer == pytest.approx(word_error_rate([e.text for e in ENTRIES], list(local_texts.values())).wer)


def test_ray_resume_and_cli(cluster, tmp_path, local_texts, capsys):
    manifest, out = write_manifest(tmp_path / "m.tsv", count=8), tmp_path / "out.jsonl"
    transcribe_manifest(manifest, out, processes=1, progress=False)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:3]) + lines[3][:40], encoding="utf-8")
    argv = ["transcribe", "--manifest", str(manifest), "--output", str(out), "--engine", "ray", "--json"]
    assert main(argv + ["--address", cluster.address, "--num-actors", "2", "--batch-size", "2"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["skipped"], summary["transcribed"], summary["utterances"]) == (3, 5, 8)
    assert texts(out) == expected(1, local_texts, count=8)


def _actor_pids(cluster) -> List[int]:
    """Processes of this cluster's transcription actors: children of its raylets (other Ray
    clusters may run on the machine) whose title names the actor class."""
    nodes = [cluster.head_node, *cluster.worker_nodes]
    raylets = {str(n.all_processes["raylet"][0].process.pid) for n in nodes}
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                parent = f.read().rsplit(b")", 1)[1].split()[1].decode()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read()
        except (OSError, IndexError):
            continue
        if parent in raylets and b"MapBatches(RayTranscriber)" in title:
            pids.append(int(entry))
    return pids


def test_killed_actor_loses_nothing(cluster, tmp_path, local_texts):
    copies = 4
    manifest, out = write_manifest(tmp_path / "m.tsv", copies=copies), tmp_path / "out.jsonl"
    killed: Dict[str, Optional[int]] = {"pid": None, "lines": None}

    def kill_one_actor() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = out.read_text(encoding="utf-8").count("\n") if out.exists() else 0
            pids = _actor_pids(cluster)
            if done >= 4 and pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.update(pid=pids[0], lines=done)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_actor)
    killer.start()
    summary = transcribe_manifest(manifest, out, engine="ray", ray=TWO_ACTORS, progress=False)
    killer.join()
    assert killed["pid"] is not None, "no actor was killed"
    assert killed["lines"] < copies * len(ENTRIES), "the actor was killed after the run had finished"
    assert texts(out) == expected(copies, local_texts)
    assert summary.transcribed == copies * len(ENTRIES)


def test_ray_bench_matches_local_texts(cluster, local_texts):
    (result,) = bench_on_ray([str(default_model_dir())], DATA / "test.tsv", TWO_ACTORS)
    assert result.record.error is None and result.actors == 2
    assert result.record.hypotheses == list(local_texts.values())
    assert result.record.wer == pytest.approx(word_error_rate([e.text for e in ENTRIES], result.record.hypotheses).wer)
    assert result.audio_hours_per_hour > 1


@pytest.mark.parametrize("collect, method", [("two_pass", "kl"), ("online", "percentile")])
def test_ray_calibration_table_equals_local(cluster, collect, method):
    audio = [e.path for e in ENTRIES[:10]]
    local = calibrate(default_model_dir(), audio, collect=collect, method=method, num_workers=1, progress=False)
    options = RayOptions(num_actors=2, batch_size=3)
    spread = calibrate_on_ray(default_model_dir(), audio, options, collect=collect, method=method, progress=False)
    assert len(local.table) > 0
    assert spread.table == local.table
    assert (spread.zero_inputs, spread.never_ran) == (local.zero_inputs, local.never_ran)
    assert spread.utterances == local.utterances and spread.audio_seconds == pytest.approx(local.audio_seconds)


def test_cli_bench_and_calibrate_on_ray(cluster, tmp_path, capsys):
    ray_args = ["--engine", "ray", "--address", cluster.address, "--num-actors", "2", "--batch-size", "2"]
    manifest = write_manifest(tmp_path / "m.tsv", count=4)
    model = str(default_model_dir())
    assert main(["bench", model, "--manifest", str(manifest), "--repeat", "1", "--json", "--quiet"] + ray_args) == 0
    report = json.loads(capsys.readouterr().out)
    (record,) = report["records"]
    assert record["utterances"] == 4 and record["backend"] == "ncasr (ray, 2 actors)" and record["error"] is None
    tables = {}
    for engine in ("local", "ray"):
        table = tmp_path / f"{engine}.table"
        extra = ray_args if engine == "ray" else ["--num-workers", "1"]
        assert main(["calibrate", model, str(manifest), "-o", str(table), "--quiet"] + extra) == 0
        tables[engine] = table.read_text(encoding="utf-8")
    assert tables["ray"] == tables["local"] and tables["local"].count("\n") > 0
