"""One way to quantize: ncasr.quantize / ncasr.calibrate, typed options and reports, and
the CLI as a thin layer that writes the same bytes."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import pytest

import ncasr
from conftest import fixture_dir, fp32_dir
from ncasr import LayerOutcome, QuantizeOptions, QuantizeReport, _core
from ncasr.cli import main


def folder_bytes(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(Path(d).iterdir())}


@pytest.fixture(scope="module")
def zipformer(tmp_path_factory):
    """The small Zipformer with fp32 weights and its tokens."""
    d = tmp_path_factory.mktemp("zipformer")
    for f in fp32_dir("zipformer-small").glob("*.ncnn.*"):
        shutil.copyfile(f, d / f.name)
    shutil.copyfile(fixture_dir("zipformer-small") / "tokens.txt", d / "tokens.txt")
    return d


@pytest.fixture(scope="module")
def api_report(zipformer, tmp_path_factory, test_wavs):
    out = tmp_path_factory.mktemp("api") / "int8"
    return ncasr.quantize(
        zipformer,
        out,
        calibration=[str(w) for w in test_wavs[:2]],
        progress=False,
        options=QuantizeOptions(auto_exclude=0.9999),
    )


def test_api_cli_and_two_step_routes_write_the_same_bytes(zipformer, api_report, tmp_path, test_wavs):
    wavs = [str(w) for w in test_wavs[:2]]
    assert (
        main(
            [
                "quantize",
                str(zipformer),
                str(tmp_path / "cli"),
                "--calibration",
                *wavs,
                "--auto-exclude",
                "0.9999",
                "--json",
            ]
        )
        == 0
    )
    api = folder_bytes(Path(api_report.out_dir))
    assert folder_bytes(tmp_path / "cli") == api
    assert "calibration.table" in api and any(".int8." in name for name in api)

    cal = ncasr.calibrate(zipformer, wavs, progress=False)
    two_step = ncasr.quantize(
        zipformer, tmp_path / "two", calibration=cal, progress=False, options=QuantizeOptions(auto_exclude=0.9999)
    )
    assert folder_bytes(tmp_path / "two") == api
    assert two_step.auto_exclude.excluded == api_report.auto_exclude.excluded

    # A table file (kept float: the same layers, by name) writes the same files too.
    table = tmp_path / "scales.table"
    cal.table.save(str(table))
    excluded = QuantizeOptions(exclude_layers=api_report.auto_exclude.excluded)
    from_table = ncasr.quantize(zipformer, tmp_path / "table", calibration=table, options=excluded)
    assert folder_bytes(tmp_path / "table") == api
    assert from_table.encoder_cosine is None and from_table.cosine_utterances == 0
    assert {l.key for l in from_table.layers_with(LayerOutcome.EXCLUDED)} == set(excluded.exclude_layers)


def test_report_is_typed_and_round_trips_through_json(api_report):
    r = api_report
    assert set(r.nets) == {"encoder", "decoder", "joiner"}
    assert all(isinstance(l.outcome, LayerOutcome) for l in r.layers)
    assert r.nets["encoder"].quantized == len([l for l in r.layers_with(LayerOutcome.INT8) if l.net == "encoder"])
    assert sum(l.bytes_out for l in r.layers if l.net == "encoder") == r.nets["encoder"].bytes_out
    assert all(l.reason for l in r.layers if l.outcome is not LayerOutcome.INT8)
    assert all(not l.reason and l.int8_type for l in r.layers_with(LayerOutcome.INT8))
    assert r.calibration.utterances == 2 and r.calibration.method == "kl"
    assert r.table == str(Path(r.out_dir) / "calibration.table")
    assert r.cosine_utterances == 2 and 0.9999 <= r.encoder_cosine <= 1.0
    assert r.auto_exclude.reached == r.encoder_cosine
    sensitive = [l.key for l in r.layers_with(LayerOutcome.SENSITIVE)]
    assert sensitive == list(r.auto_exclude.excluded)

    again = QuantizeReport.from_json(r.to_json())
    assert again == r
    assert json.loads(again.to_json()) == json.loads(r.to_json())


def test_report_prints_the_cli_table(api_report):
    text = str(api_report)
    for net, size in api_report.nets.items():
        assert f"{size.bytes_in:,}" in text and net in text
    assert "encoder cosine" in text and f"{api_report.encoder_cosine:.5f}" in text
    table = api_report.layer_table()
    assert len(table.splitlines()) == len(api_report.layers) + 1
    assert all(l.key in table for l in api_report.layers)


def test_layer_outcomes_match_the_core():
    assert set(_core.LAYER_OUTCOMES) <= {o.value for o in LayerOutcome}
    assert {o.value for o in LayerOutcome} - set(_core.LAYER_OUTCOMES) == {"sensitive"}  # Python's own


def test_options_validate_and_round_trip():
    opts = QuantizeOptions(
        exclude_layers=["encoder/conv_1", "joiner/x"],
        exclude_types=["Gemm"],
        fp16_storage=True,
        calibration_method="aciq",
        auto_exclude=0.99,
    )
    assert opts.exclude_layers == ("encoder/conv_1", "joiner/x")
    assert QuantizeOptions.from_dict(json.loads(json.dumps(opts.to_dict()))) == opts
    assert opts.with_excluded(["encoder/conv_1", "decoder/y"]).exclude_layers == (
        "encoder/conv_1",
        "joiner/x",
        "decoder/y",
    )
    core = opts.to_core()
    assert core.exclude_layers == {"encoder/conv_1", "joiner/x"} and core.fp16_storage
    for bad, match in [
        (dict(exclude_layers=["conv_1"]), "<net>/<layer>"),
        (dict(exclude_layers=["predictor/conv_1"]), "<net>/<layer>"),
        (dict(exclude_layers="encoder/conv_1"), "list of names"),
        (dict(calibration_method="entropy"), "calibration_method"),
        (dict(auto_exclude=1.5), r"\(0, 1\]"),
        (dict(auto_exclude=True), r"\(0, 1\]"),
        (dict(probe_utterances=0), "probe_utterances"),
    ]:
        with pytest.raises(ncasr.ConfigError, match=match):
            QuantizeOptions(**bad)
    with pytest.raises(ncasr.ConfigError, match="unknown QuantizeOptions field"):
        QuantizeOptions.from_dict({"method": "kl"})


def test_keywords_do_not_collide_with_the_recognizers():
    quantize = inspect.signature(ncasr.quantize).parameters
    assert [n for n, p in quantize.items() if p.kind is not p.KEYWORD_ONLY] == ["model_dir", "out_dir"]
    assert "method" not in quantize and "method" in inspect.signature(ncasr.calibrate).parameters
    assert "calibration_method" in {f for f in QuantizeOptions.__dataclass_fields__}
    assert (
        "decoding_method" in ncasr.DecodingConfig.__dataclass_fields__
        or "method" in ncasr.DecodingConfig.__dataclass_fields__
    )


def test_calibration_forms_are_refused_clearly(zipformer, tmp_path):
    with pytest.raises(ncasr.ConfigError, match="options must be a QuantizeOptions"):
        ncasr.quantize(zipformer, tmp_path / "a", options={"fp16_storage": True})
    with pytest.raises(ncasr.ModelError, match="missing.table"):
        ncasr.quantize(zipformer, tmp_path / "b", calibration=tmp_path / "missing.table")
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        ncasr.quantize(zipformer, tmp_path / "c", calibration=tmp_path / "missing.wav", progress=False)
    assert not any((tmp_path / n).exists() for n in "abc")


@pytest.mark.parametrize("argv", [["info"], ["calibrate", "-o", "{tmp}/t.table", "{wav}"], ["quantize", "{tmp}/q"]])
def test_json_means_json_on_stdout_in_every_subcommand(argv, zipformer, tmp_path, test_wavs, capsys):
    """`--json`: the subcommand's result as one JSON document on stdout, nothing else there."""
    args = [a.format(tmp=tmp_path, wav=test_wavs[0]) for a in argv]
    if argv[0] != "info":
        args.insert(1, str(zipformer))
    assert main(args + ["--json"]) == 0
    json.loads(capsys.readouterr().out)


def test_the_default_calibration_method_depends_on_the_model_type():
    from ncasr.quantization import DEFAULT_CALIBRATION_METHODS, default_calibration_method
    from ncasr.quantization.options import CALIBRATION_METHODS

    assert QuantizeOptions().calibration_method is None
    assert default_calibration_method("zipformer2") == "percentile"
    assert default_calibration_method("lstm") == default_calibration_method("zipformer") == "kl"
    assert set(DEFAULT_CALIBRATION_METHODS.values()) <= set(CALIBRATION_METHODS)
