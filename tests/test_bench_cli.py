"""`ncasr bench` end to end on the bundled model: every JSON field present, WER consistent
with `ncasr transcribe`."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

import ncasr
from conftest import fixture_dir
from ncasr import bench
from ncasr.bench import BenchRecord, Target
from ncasr.cli import main
from ncasr.data import read_manifest
from ncasr.metrics import char_error_rate, word_error_rate

BUNDLED_TESTSET = Path(__file__).resolve().parent / "data" / "reference-lstm-en"

REFERENCES = ["the quick brown fox", "hello world", "numbers one two three"]


@pytest.fixture
def manifest(tmp_path, test_wavs):
    path = tmp_path / "three.tsv"
    rows = "".join(f"{w}\t{t}\n" for w, t in zip(test_wavs[:3], REFERENCES))
    path.write_text("path\ttext\n" + rows, encoding="utf-8")
    return path


@pytest.fixture
def bundled_three(tmp_path):
    """The first three utterances of the bundled model's test set (held-out voices)."""
    rows = read_manifest(BUNDLED_TESTSET / "test.tsv")[:3]
    path = tmp_path / "bundled-three.tsv"
    path.write_text("path\ttext\n" + "".join(f"{e.path}\t{e.text}\n" for e in rows), encoding="utf-8")
    return path, [e.path for e in rows], [e.text for e in rows]


def test_bench_json_and_wer_match_transcribe(tmp_path, bundled_three, capsys):
    manifest, wavs, references = bundled_three
    model = ncasr.default_model_dir()
    rc = main(
        ["bench", str(model), "--manifest", str(manifest), "--repeat", "2", "--latency-files", "1", "--json", "--quiet"]
    )
    printed = capsys.readouterr().out
    assert rc == 0, printed
    data = json.loads(printed)  # with --json, stdout is the JSON document alone
    assert {"cpu", "ncasr", "ncnn", "simd"} <= set(data["environment"])
    records = data["records"]
    assert {r["backend"] for r in records} == {"ncasr", "sherpa-ncnn"}
    names = {f.name for f in fields(BenchRecord)}
    for r in records:
        assert set(r) == names
        assert r["error"] is None, r["error"]
        assert r["utterances"] == 3 and len(r["rtf_runs"]) == 2
        assert r["rtf_min"] <= r["rtf_median"] <= r["rtf_max"]
        assert r["size_bytes"]["total"] == sum(r["size_bytes"][n] for n in ("encoder", "decoder", "joiner"))
        assert r["peak_rss_mb"] > 0 and r["load_s"] > 0
        assert r["latency_final_s"] is not None and r["latency_final_s"] >= 0
    ours = next(r for r in records if r["backend"] == "ncasr")
    peer = next(r for r in records if r["backend"] == "sherpa-ncnn")
    assert ours["rtf_ratio_vs_peer"] == pytest.approx(ours["rtf_median"] / peer["rtf_median"])
    assert ours["hypotheses"] == peer["hypotheses"]  # same model, same tokens

    # Score `ncasr transcribe --json` separately: the same WER.
    assert main(["transcribe", *wavs, "--json"]) == 0  # the default model
    lines = [json.loads(l) for l in capsys.readouterr().out.splitlines() if l.startswith("{")]
    separate = word_error_rate(references, [l["text"] for l in lines])
    assert ours["wer"] == pytest.approx(separate.wer)
    assert (ours["substitutions"], ours["deletions"], ours["insertions"]) == (
        separate.substitutions,
        separate.deletions,
        separate.insertions,
    )
    edits, chars = char_error_rate(references, [l["text"] for l in lines])
    assert ours["cer"] == pytest.approx(edits / chars)
    table = bench.markdown([BenchRecord(**r) for r in records])
    assert "| model | precision | backend |" in table and f"| {100 * ours['cer']:.2f} |" in table


def test_bench_reports_a_bad_manifest_with_its_line(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("path\ttext\nmissing.wav\thello\n")
    assert main(["bench", str(fixture_dir("lstm-small")), "--manifest", str(bad)]) == 2
    assert f"{bad}:2: audio file not found" in capsys.readouterr().err


def test_bench_fp32_storage_rows_have_no_peer(manifest):
    from ncasr.bench import run_bench

    records = run_bench([str(fixture_dir("lstm-small"))], manifest, storages=["fp32"], latency_files=0)
    assert [(r.backend, r.precision) for r in records] == [("ncasr", "fp32")]
    assert records[0].latency_final_s is None and records[0].wer is not None


def test_bench_rows_per_chunks_per_call(manifest):
    from ncasr.bench import run_bench

    records = run_bench([str(fixture_dir("lstm-small"))], manifest, peers=[], chunks_per_call=[1, 16], latency_files=0)
    assert [(r.backend, r.chunks_per_call) for r in records] == [("ncasr", 1), ("ncasr", 16)]
    assert records[0].hypotheses == records[1].hypotheses and records[0].error is None
    table = bench.markdown(records)
    assert "| ncasr, 1 chunk/call |" in table and "| ncasr, 16 chunks/call |" in table
    with pytest.raises(ncasr.ConfigError, match="chunks per call"):
        run_bench([str(fixture_dir("lstm-small"))], manifest, peers=[], chunks_per_call=[0])


def test_bench_plot_is_a_png(tmp_path, manifest):
    png = tmp_path / "bench.png"
    assert (
        main(
            [
                "bench",
                str(fixture_dir("lstm-small")),
                "--manifest",
                str(manifest),
                "--repeat",
                "1",
                "--latency-files",
                "0",
                "--peer",
                "none",
                "--quiet",
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_target_spec():
    assert Target.parse("/m/dir:int8") == Target("/m/dir", "int8")
    assert Target.parse("/m/dir") == Target("/m/dir", "")
    assert Target.parse("c:/x") == Target("c:/x", "")
