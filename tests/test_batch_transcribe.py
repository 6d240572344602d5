"""ncasr.batch on the local engine: manifest in, JSON lines out, resumable; typed errors for
bad manifests and results files; Ray is optional and imported lazily."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

from ncasr import Recognizer, default_model_dir
from ncasr._core import HistogramCollector
from ncasr.batch import DecodeSettings, OutputFileError, read_results, sort_results, transcribe_manifest
from ncasr.batch.ray_engine import RayUnavailableError, require_ray
from ncasr.cli import main
from ncasr.data import ManifestError, read_manifest
from ncasr.metrics import word_error_rate

DATA = Path(__file__).resolve().parent / "data" / "reference-lstm-en"


def small_manifest(folder: Path, count: int = 6, ids: bool = True) -> Path:
    """The first ``count`` clips of the bundled model's test split, with ids u00, u01, ..."""
    entries = read_manifest(DATA / "test.tsv")[:count]
    path = folder / "small.tsv"
    header = "id\tpath\ttext\n" if ids else "path\ttext\n"
    rows = [(f"u{i:02d}\t" if ids else "") + f"{e.path}\t{e.text}\n" for i, e in enumerate(entries)]
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def results_by_id(path: Path) -> Dict[str, dict]:
    records = list(read_results(path))
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), f"duplicate ids in {path}"
    assert ids == sorted(ids), "results are not sorted by id"
    return {r["id"]: r for r in records}


@pytest.fixture(scope="module")
def reference_texts() -> List[str]:
    rec = Recognizer.from_dir(default_model_dir())
    return [rec.transcribe(e.path).text for e in read_manifest(DATA / "test.tsv")[:6]]


def test_local_engine_matches_recognizer(tmp_path, reference_texts):
    manifest = small_manifest(tmp_path)
    summary = transcribe_manifest(manifest, tmp_path / "out.jsonl", DecodeSettings(), processes=2, progress=False)
    got = results_by_id(tmp_path / "out.jsonl")
    assert [got[f"u{i:02d}"]["text"] for i in range(6)] == reference_texts
    assert summary.utterances == summary.transcribed == 6 and summary.workers == 2
    refs = [e.text for e in read_manifest(manifest)]
    assert summary.wer == pytest.approx(word_error_rate(refs, reference_texts).wer)
    assert summary.audio_seconds == pytest.approx(sum(r["duration"] for r in got.values()))
    first = got["u00"]
    assert set(first) >= {"id", "path", "text", "token_ids", "timestamps", "duration", "decode_s", "ref"}
    assert len(first["token_ids"]) == len(first["timestamps"]) > 0


def test_resume_after_a_crash(tmp_path, reference_texts):
    manifest = small_manifest(tmp_path)
    out = tmp_path / "out.jsonl"
    transcribe_manifest(manifest, out, processes=1, progress=False)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    # three whole lines and half of a fourth, as a killed run leaves them
    out.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2], encoding="utf-8")
    summary = transcribe_manifest(manifest, out, processes=2, progress=False)
    assert (summary.skipped, summary.transcribed, summary.utterances) == (3, 3, 6)
    got = results_by_id(out)
    assert [got[f"u{i:02d}"]["text"] for i in range(6)] == reference_texts
    again = transcribe_manifest(manifest, out, processes=2, progress=False)
    assert (again.skipped, again.transcribed) == (6, 0)
    timeless = [{k: v for k, v in json.loads(line).items() if k != "decode_s"} for line in lines]
    assert [{k: v for k, v in r.items() if k != "decode_s"} for r in read_results(out)] == timeless


def test_ids_default_to_audio_paths(tmp_path):
    manifest = small_manifest(tmp_path, count=2, ids=False)
    transcribe_manifest(manifest, tmp_path / "out.jsonl", processes=1, progress=False)
    assert sorted(results_by_id(tmp_path / "out.jsonl")) == sorted(e.path for e in read_manifest(manifest))


def test_bad_manifest_names_file_and_line(tmp_path):
    manifest = small_manifest(tmp_path, count=3)
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("\n".join(lines + [lines[2]]) + "\n", encoding="utf-8")  # u01 again on line 5
    with pytest.raises(ManifestError) as e:
        transcribe_manifest(manifest, tmp_path / "out.jsonl", progress=False)
    assert (e.value.path, e.value.line) == (str(manifest), 5) and "repeats line 3" in e.value.reason
    manifest.write_text("id\tpath\ttext\nu1\t\thello\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"small\.tsv:2: empty path"):
        transcribe_manifest(manifest, tmp_path / "out.jsonl", progress=False)
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_text()


def test_cli_reports_bad_manifest(tmp_path, capsys):
    manifest = tmp_path / "bad.tsv"
    manifest.write_text("path\tduration\ttext\nwav/a.wav\tlong\thi\n", encoding="utf-8")
    rc = main(["transcribe", "--manifest", str(manifest), "--output", str(tmp_path / "o.jsonl"), "--quiet"])
    assert rc == 2
    assert f"{manifest}:2: audio file not found" in capsys.readouterr().err


def test_cli_manifest_run_and_json_summary(tmp_path, capsys):
    manifest = small_manifest(tmp_path, count=2)
    out = tmp_path / "o.jsonl"
    argv = ["transcribe", "--manifest", str(manifest), "--output", str(out), "--num-workers", "1", "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["utterances"] == 2 and summary["engine"] == "local" and summary["wer"] is not None
    assert main(["transcribe", "--output", str(out)]) == 2  # neither audio nor --manifest
    assert "--manifest" in capsys.readouterr().err


def test_unreadable_audio_is_an_error_line_and_retried(tmp_path):
    manifest = small_manifest(tmp_path, count=2)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    with open(manifest, "a", encoding="utf-8") as f:
        f.write(f"u99\t{broken}\tnothing\n")
    summary = transcribe_manifest(manifest, tmp_path / "out.jsonl", processes=1, progress=False)
    assert (summary.utterances, summary.failed) == (2, 1)
    assert "cannot read audio" in results_by_id(tmp_path / "out.jsonl")["u99"]["error"]
    again = transcribe_manifest(manifest, tmp_path / "out.jsonl", processes=1, progress=False)
    assert (again.skipped, again.failed) == (2, 1)  # the failed one was tried again, not duplicated


def test_corrupt_results_line_is_named(tmp_path):
    manifest = small_manifest(tmp_path, count=2)
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "u00", "text": "x"}\nnot json\n{"id": "u01", "text": "y"}\n', encoding="utf-8")
    with pytest.raises(OutputFileError) as e:
        transcribe_manifest(manifest, out, progress=False)
    assert (e.value.path, e.value.line) == (str(out), 2)


def test_sort_merges_runs_and_keeps_one_line_per_id(tmp_path):
    out = tmp_path / "out.jsonl"
    rng = np.random.default_rng(0)
    ids = [f"id{int(i):03d}" for i in rng.permutation(50)]
    lines = [json.dumps({"id": i, "text": i}) for i in ids]
    lines += [json.dumps({"id": "id007", "error": "failed first"}), json.dumps({"id": "id011", "text": "again"})]
    out.write_text("\n".join(lines[::-1]) + "\n", encoding="utf-8")
    assert sort_results(out, lines_per_run=7) == 50
    records = list(read_results(out))
    assert [r["id"] for r in records] == sorted(ids)
    assert "error" not in records[7] and records[7]["text"] == "id007"


def test_collector_pickles_with_its_statistics():
    rng = np.random.default_rng(1)
    for mode in ("two_pass", "online"):
        c = HistogramCollector(mode, 256)
        c.observe("a", rng.standard_normal(1000).astype(np.float32))
        c.observe("b", np.zeros(10, np.float32))
        if mode == "two_pass":
            c.finish_absmax_pass()
            c.observe("a", rng.standard_normal(1000).astype(np.float32))
        copy = pickle.loads(pickle.dumps(c))
        assert (copy.mode, copy.bins, copy.pass_number, copy.keys()) == (c.mode, c.bins, c.pass_number, c.keys())
        for key in c.keys():
            a, b = c.stats(key), copy.stats(key)
            assert np.array_equal(a.pop("histogram"), b.pop("histogram")) and a == b
        assert copy.threshold("a", "kl") == c.threshold("a", "kl")


def test_ray_is_optional(monkeypatch):
    code = "import ncasr.batch, ncasr.cli, sys; assert 'ray' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    with pytest.raises(RayUnavailableError, match=r"ncasr\[ray\]"):
        require_ray()


def test_ray_address_nobody_listens_at_fails_fast(tmp_path):
    """A wrong --address is a typed error within seconds, not minutes of Ray's own retries
    (in a fresh process: this one may already hold a Ray connection from another test)."""
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manifest = small_manifest(tmp_path, count=1)
    argv = ["transcribe", "--manifest", str(manifest), "--output", str(tmp_path / "o.jsonl")]
    argv += ["--engine", "ray", "--address", f"127.0.0.1:{port}", "--quiet"]
    run = subprocess.run([sys.executable, "-m", "ncasr", *argv], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert f"cannot join the Ray cluster at 127.0.0.1:{port}: nothing answers there" in run.stderr
    assert "Traceback" not in run.stderr
