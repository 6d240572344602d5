"""The `ncasr` command. Each subcommand is a thin call into the Python API."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import List, Optional

from . import model_info
from .errors import ConfigError, NcasrError
from .quantization.calibration import COLLECT_MODES
from .quantization.options import CALIBRATION_METHODS

log = logging.getLogger("ncasr")


def _cmd_info(args: argparse.Namespace) -> int:
    build = model_info.build_info()
    model = model_info.inspect_model(args.model_dir, args.variant) if args.model_dir else None
    if args.json:
        out = {"build": build.to_dict()}
        if model is not None:
            out["model"] = model.to_dict()
        print(json.dumps(out, indent=2))
    else:
        print(build)
        if model is not None:
            print()
            print(model)
    return 0


def _model_and_audio(args: argparse.Namespace):
    """`transcribe [MODEL_DIR] AUDIO...`: a leading folder is the model, else the default one."""
    from .default_model import default_model_dir

    paths = list(args.paths)
    if args.model:
        return args.model, paths
    if os.path.isdir(paths[0]):
        if len(paths) == 1:
            raise ConfigError(f"{paths[0]}: a model folder was given but no audio files")
        return paths[0], paths[1:]
    return default_model_dir(), paths


def _transcribe_file(rec, path: str, samples, rate: int):
    """rec.transcribe on one file's samples; audio it rejects (empty, NaN, a sample rate
    the core does not take) is reported with the file's name, as several may be given."""
    from .errors import AudioError

    try:
        return rec.transcribe(samples, rate)
    except AudioError as e:
        raise AudioError(f"{path}: {e}") from None


def _ray_options(args: argparse.Namespace):
    from .batch import RayOptions

    return RayOptions(
        address=args.address,
        num_actors=args.num_actors,
        threads_per_actor=args.threads_per_actor,
        batch_size=args.batch_size,
    )


def _cmd_transcribe_manifest(args: argparse.Namespace) -> int:
    from .batch import DecodeSettings, transcribe_manifest

    if not args.output:
        raise ConfigError("--manifest needs --output OUT.jsonl")
    if len(args.paths) > 1 or (args.paths and args.model):
        raise ConfigError("with --manifest the audio comes from the manifest; give at most a model folder")
    settings = DecodeSettings(
        model_dir=args.model or (args.paths[0] if args.paths else None),
        variant=args.variant,
        method=args.decoding_method,
        num_active_paths=args.num_active_paths,
        num_threads=args.num_threads,
        hotwords_file=args.hotwords,
        hotwords_score=args.hotwords_score,
        sherpa_ncnn=args.sherpa_ncnn,
        mix_to_mono=args.mix_to_mono,
    )
    summary = transcribe_manifest(
        args.manifest,
        args.output,
        settings,
        engine=args.engine,
        processes=args.num_workers,
        ray=_ray_options(args) if args.engine == "ray" else None,
        progress=not (args.quiet or args.json),
    )
    print(json.dumps(summary.to_dict(), indent=2) if args.json else summary)
    return 1 if summary.failed else 0


def _cmd_transcribe(args: argparse.Namespace) -> int:
    import time

    if args.manifest:
        return _cmd_transcribe_manifest(args)
    if not args.paths:
        raise ConfigError("give audio files, or --manifest IN.tsv --output OUT.jsonl")
    if args.engine != "local" or args.output:
        raise ConfigError("--engine and --output apply to --manifest runs")

    from .audio import load_audio
    from .config import RuntimeOptions
    from .recognizer import Recognizer

    preset = RuntimeOptions.sherpa_ncnn() if args.sherpa_ncnn else RuntimeOptions.fastest()
    overrides = dict(
        runtime=preset,
        method=args.decoding_method,
        num_active_paths=args.num_active_paths,
        num_threads=args.num_threads,
        hotwords_file=args.hotwords,
        hotwords_score=args.hotwords_score,
        variant=args.variant,
    )
    model_dir, audio = _model_and_audio(args)
    rec = Recognizer.from_dir(model_dir, **overrides)
    total_audio = total_time = 0.0
    for path in audio:
        samples, rate = load_audio(path, mix_to_mono=args.mix_to_mono)
        start = time.perf_counter()
        result = _transcribe_file(rec, path, samples, rate)
        elapsed = time.perf_counter() - start
        duration = samples.size / rate
        total_audio += duration
        total_time += elapsed
        rtf = elapsed / duration if duration else float("nan")
        if args.json:
            print(
                json.dumps(
                    {
                        "file": path,
                        "text": result.text,
                        "tokens": result.tokens,
                        "token_ids": result.token_ids,
                        "timestamps": result.timestamps,
                        "duration": duration,
                        "elapsed": elapsed,
                        "rtf": rtf,
                    }
                )
            )
        else:
            print(f"{path}: {result.text.strip()}")
            print(
                f"  duration {duration:.3f} s, elapsed {elapsed:.3f} s, RTF = {elapsed:.3f}/{duration:.3f} = {rtf:.3f}"
            )
    if not args.json and len(audio) > 1 and total_audio:
        print(f"total: {total_audio:.3f} s of audio in {total_time:.3f} s, RTF {total_time / total_audio:.3f}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if args.param == "zipformer2":
        return _cmd_export_zipformer2(args)
    if args.paths:
        raise ConfigError(f"unexpected arguments {args.paths}: give PARAM --model-type ... or zipformer2 WEIGHTS OUT")
    if args.model_type is None:
        raise ConfigError("--model-type is required when writing SherpaMetaData into PARAM")
    from .export import add_meta_data

    meta = {"model_type": args.model_type}
    for item in args.meta:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--meta expects NAME=VALUE, got {item!r}")
        meta[name] = [int(v) for v in value.split(",")] if "," in value else int(value)
    path = add_meta_data(args.param, meta, args.output)
    print(f"wrote SherpaMetaData ({args.model_type}) into {path}")
    return 0


def _cmd_export_zipformer2(args: argparse.Namespace) -> int:
    if len(args.paths) != 2:
        raise ConfigError("usage: ncasr export zipformer2 CHECKPOINT_OR_STATE_DICT OUT_DIR [options]")
    import dataclasses

    try:
        from .export.zipformer2 import Zipformer2Config
        from .export.zipformer2.ncnn_export import export_ncnn
    except ImportError as e:
        raise ConfigError(f'ncasr export zipformer2 needs torch and pnnx: pip install "ncasr[export]" ({e})') from None
    weights, out_dir = args.paths
    try:
        base = Zipformer2Config.from_json(args.config) if args.config else Zipformer2Config()
        overrides = {"chunk_size": args.chunk_size, "left_context_frames": args.left_context_frames}
        cfg = dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})
        verify = not args.no_verify
        errors = export_ncnn(weights, out_dir, cfg, args.tokens, fp16_weights=args.fp16_weights, verify=verify)
    except ValueError as e:  # a config the weights do not fit, or an impossible chunk / left context
        raise ConfigError(str(e)) from None
    if errors:
        worst = max(errors, key=errors.get)
        print(f"ncnn vs PyTorch, worst relative error: {errors[worst]:.2e} ({worst})")
    print(f"wrote {out_dir} (zipformer2, chunk {cfg.chunk_size}, left context {cfg.left_context_frames})")
    return 0


def _cmd_quantize(args: argparse.Namespace) -> int:
    from .quantization import QuantizeOptions, ScaleTable, quantize

    if args.table and args.calibration:
        raise ConfigError("give --table or --calibration, not both")
    if args.calibrated_only and args.auto_exclude is None:
        raise ConfigError("--calibrated-only only applies with --auto-exclude")
    options = QuantizeOptions(
        exclude_layers=args.exclude,
        exclude_types=args.exclude_type,
        fp16_storage=args.fp16_storage,
        ncasr_int8_gemm=args.ncasr_int8_gemm,
        ncasr_int8_depthwise=args.ncasr_int8_depthwise,
        calibration_method=args.calibration_method,
        auto_exclude=args.auto_exclude,
        auto_exclude_dynamic=not args.calibrated_only,
    )
    calibration = ScaleTable.load(args.table) if args.table else args.calibration
    report = quantize(
        args.model_dir, args.out_dir, calibration=calibration, options=options, force=args.force, progress=not args.json
    )
    if args.json:
        print(report.to_json())
    else:
        print(report)
        if args.layers:
            print()
            print(report.layer_table())
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from . import _core
    from .quantization import calibrate, default_calibration_method

    if args.method is None:
        args.method = default_calibration_method(_core.inspect_model(args.model_dir, "float")["model_type"])
    if args.engine == "ray":
        from .batch.calibrate_ray import calibrate_on_ray

        result = calibrate_on_ray(
            args.model_dir,
            args.audio,
            _ray_options(args),
            method=args.method,
            collect=args.collect,
            percent=args.percent,
            mix_to_mono=args.mix_to_mono,
            progress=not (args.quiet or args.json),
        )
    else:
        result = calibrate(
            args.model_dir,
            args.audio,
            method=args.method,
            collect=args.collect,
            percent=args.percent,
            num_workers=args.num_workers,
            mix_to_mono=args.mix_to_mono,
            progress=not (args.quiet or args.json),
        )
    result.table.save(args.output)
    if args.json:
        print(json.dumps(dict(result.to_dict(), table=args.output), indent=2))
    else:
        print(result)
        print(f"wrote {args.output}")
    return 0


def _int_list(text: str) -> List[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers >= 1, got {text!r}")
    return values


def _require_websockets() -> None:
    import importlib.util

    if importlib.util.find_spec("websockets") is None:
        raise ConfigError("ncasr serve and ncasr client need websockets: pip install 'ncasr[serve]'")


def _cmd_serve(args: argparse.Namespace) -> int:
    _require_websockets()
    from .config import RuntimeOptions
    from .default_model import default_model_dir
    from .serve import ServeOptions, serve
    from .serve.server import listening_urls

    options = ServeOptions(
        host=args.host,
        port=args.port,
        workers=args.workers,
        max_connections=args.max_connections,
        max_message_bytes=args.max_message_bytes,
        max_stream_seconds=args.max_stream_seconds,
        idle_timeout=args.idle_timeout,
        shutdown_grace=args.shutdown_grace,
        token=args.token,
        certfile=args.certfile,
        keyfile=args.keyfile,
    )

    def started(server) -> None:
        print(
            f"ncasr serve: {server.recognizer.model_type} model, {options.num_workers} worker(s); "
            + " and ".join(listening_urls(server)),
            flush=True,
        )

    serve(
        args.model_dir or default_model_dir(),
        options,
        started,
        variant=args.variant,
        method=args.decoding_method,
        num_active_paths=args.num_active_paths,
        runtime=RuntimeOptions.fastest(),
    )
    return 0


def _cmd_client(args: argparse.Namespace) -> int:
    _require_websockets()
    import asyncio

    from .audio import load_audio
    from .serve.client import stream_audio

    options = json.loads(args.options) if args.options else None
    if options is not None and not isinstance(options, dict):
        raise ConfigError("--options must be a JSON object")
    failed = False
    for path in args.audio:
        samples, rate = load_audio(path, mix_to_mono=True)

        def show(message, path=path) -> None:
            if args.json or message.get("type") == "done":
                return
            if message.get("type") == "partial":
                print(f"{path}: ... {message['text'].strip()}", file=sys.stderr, flush=True)
            elif message.get("type") == "final":
                print(f"{path}: {message['text'].strip()}", flush=True)
            elif message.get("type") == "error":
                print(f"{path}: server error {message['code']}: {message['error']}", file=sys.stderr)

        reply = asyncio.run(
            stream_audio(
                args.url,
                samples,
                rate,
                realtime=args.realtime,
                chunk_ms=args.chunk_ms,
                token=args.token,
                options=options,
                on_message=show,
            )
        )
        if args.json:
            print(
                json.dumps(
                    {
                        "file": path,
                        "text": reply.text,
                        "finals": reply.finals,
                        "close_code": reply.close_code,
                        "error": reply.error,
                    },
                    ensure_ascii=False,
                )
            )
        if not reply.ok:
            failed = True
            if reply.error is None:
                print(
                    f"{path}: connection closed with code {reply.close_code} {reply.close_reason}".rstrip(),
                    file=sys.stderr,
                )
    return 1 if failed else 0


def _bench_on_ray(args: argparse.Namespace, env, progress) -> int:
    from . import bench
    from .batch import DecodeSettings
    from .batch.bench_ray import bench_on_ray

    settings = DecodeSettings(method=args.decoding_method, num_active_paths=args.num_active_paths)
    results = bench_on_ray(
        args.model_dir, args.manifest, _ray_options(args), settings, repeat=args.repeat, progress=progress
    )
    records = [b.record for b in results]
    if args.json:
        settings_out = {"manifest": args.manifest, "method": args.decoding_method, "engine": "ray"}
        settings_out["repeat"], settings_out["threads_per_actor"] = args.repeat, args.threads_per_actor
        settings_out["audio_hours_per_hour"] = [b.audio_hours_per_hour for b in results]
        print(bench.to_json(records, env, settings_out))
    else:
        print()
        print(bench.markdown(records))
        for b in results:
            print(
                f"{b.record.model} {b.record.precision}: {b.audio_hours_per_hour:.1f} h of audio per hour "
                f"on {b.actors} actors (fastest of {len(b.wall_seconds)} runs)"
            )
    if args.plot:
        bench.plot(records, args.plot)
    return 1 if any(r.error for r in records) else 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    peers = [] if args.peer == "none" else [p.strip() for p in args.peer.split(",") if p.strip()]
    if args.engine == "ray" and peers:
        print("note: the ray engine runs ncasr only; --peer is ignored", file=sys.stderr)
        peers = []
    unknown = [p for p in peers if p not in bench.runner.PEERS]
    if unknown:
        raise ConfigError(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(bench.runner.PEERS)} or none")
    missing = [p for p in peers if not bench.runner.peer_available(p)]
    for p in missing:
        print(f"note: peer {p} is not installed; its rows are skipped", file=sys.stderr)
    if args.plot:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise ConfigError("--plot needs matplotlib: pip install 'ncasr[plot]'")
    env = bench.environment(peers)
    if not args.json:
        print(bench.header_text(env))
        print(
            f"method: {args.decoding_method}; threads: {args.num_threads}; repeat: {args.repeat}; "
            f"storage: {args.storage}",
            flush=True,
        )
    progress = None if args.quiet else (lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    if args.engine == "ray":
        return _bench_on_ray(args, env, progress)
    records = bench.run_bench(
        args.model_dir,
        args.manifest,
        threads=args.num_threads,
        method=args.decoding_method,
        num_active_paths=args.num_active_paths,
        peers=peers,
        storages=args.storage.split(","),
        repeat=args.repeat,
        latency_files=args.latency_files,
        chunks_per_call=args.chunks_per_call,
        progress=progress,
    )
    settings = {
        "manifest": args.manifest,
        "method": args.decoding_method,
        "threads": args.num_threads,
        "repeat": args.repeat,
        "storage": args.storage,
        "chunks_per_call": args.chunks_per_call,
    }
    if args.json:
        print(bench.to_json(records, env, settings))
    else:
        print()
        print(bench.markdown(records))
    if args.plot:
        bench.plot(records, args.plot)
    return 1 if any(r.error and r.backend == "ncasr" for r in records) else 0


def _add_engine_arguments(p: argparse.ArgumentParser, local_workers: str) -> None:
    """--engine and its options, shared by transcribe --manifest, bench and calibrate."""
    p.add_argument(
        "--engine",
        default="local",
        choices=["local", "ray"],
        help="local: this machine; ray: an actor pool on a Ray cluster, one model per actor (needs ncasr[ray])",
    )
    if local_workers == "processes":
        p.add_argument(
            "--num-workers", type=int, default=0, help="local engine: processes, each with a model (0: one per CPU)"
        )
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="ray engine: the cluster to join ('auto' or HOST:PORT of 'ray start --head'); default: start Ray here",
    )
    p.add_argument("--num-actors", type=int, default=0, help="ray engine: actors (0: one per free CPU of the cluster)")
    p.add_argument("--threads-per-actor", type=int, default=1, help="ray engine: CPUs and threads of each actor")
    p.add_argument("--batch-size", type=int, default=8, help="ray engine: utterances per task (the unit retried)")


def build_parser() -> argparse.ArgumentParser:
    """The ``ncasr`` argument parser: one subcommand per task, each bound to its handler.

    Example::

        args = build_parser().parse_args(["transcribe", "a.wav"])
    """
    parser = argparse.ArgumentParser(prog="ncasr", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ncasr {model_info.build_info().ncasr_version}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="versions, SIMD paths, and what a model folder holds")
    p.add_argument("model_dir", nargs="?", help="model folder (encoder/decoder/joiner files)")
    p.add_argument(
        "--variant", default="", choices=["", "float", "int8"], help="which files to read when the folder holds several"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("transcribe", help="recognize audio files, or a whole manifest into JSON lines")
    p.add_argument(
        "paths",
        nargs="*",
        metavar="[MODEL_DIR] AUDIO",
        help="audio files (any rate soundfile reads), optionally preceded by a model "
        "folder; without one the bundled default model is used",
    )
    p.add_argument(
        "--manifest",
        metavar="IN.tsv",
        help="transcribe every utterance of this manifest (path, text and optional duration/id/speaker "
        "columns) into --output; ids already there are skipped, so a rerun resumes",
    )
    p.add_argument(
        "--output", metavar="OUT.jsonl", help="with --manifest: one JSON object per utterance, sorted by id at the end"
    )
    _add_engine_arguments(p, "processes")
    p.add_argument(
        "-m", "--model", metavar="MODEL_DIR", help="model folder (alternative to the first positional argument)"
    )
    p.add_argument("--decoding-method", default="greedy_search", choices=["greedy_search", "modified_beam_search"])
    p.add_argument("--num-active-paths", type=int, default=4)
    p.add_argument("--num-threads", type=int, default=1)
    p.add_argument("--hotwords", metavar="FILE", help="hotwords file (modified_beam_search)")
    p.add_argument("--hotwords-score", type=float, default=1.5)
    p.add_argument("--variant", default="", choices=["", "float", "int8"])
    p.add_argument(
        "--sherpa-ncnn",
        action="store_true",
        help="run the model as sherpa-ncnn does (RuntimeOptions.sherpa_ncnn(): ncnn's "
        "own layers) instead of ncasr's faster ones",
    )
    p.add_argument("--mix-to-mono", action="store_true", help="average multi-channel audio")
    p.add_argument("--json", action="store_true", help="one JSON object per file (with --manifest: the summary)")
    p.add_argument("--quiet", action="store_true", help="with --manifest: no progress bar")
    p.set_defaults(func=_cmd_transcribe)

    p = sub.add_parser(
        "export",
        help="write SherpaMetaData into an encoder .param from pnnx; or `export zipformer2 WEIGHTS OUT_DIR`",
        description="ncasr export PARAM --model-type TYPE [--meta NAME=VALUE ...]: write SherpaMetaData. "
        "ncasr export zipformer2 CHECKPOINT_OR_STATE_DICT OUT_DIR: export an icefall streaming Zipformer2 "
        "to an ncnn folder (needs the export extra).",
    )
    p.add_argument("param", help="encoder .ncnn.param, or `zipformer2`")
    p.add_argument("paths", nargs="*", help="for zipformer2: CHECKPOINT_OR_STATE_DICT OUT_DIR")
    p.add_argument("--model-type", choices=["lstm", "conv_emformer", "zipformer", "zipformer2"])
    p.add_argument("--config", help="zipformer2: JSON of icefall train.py arguments (default: icefall's defaults)")
    p.add_argument("--chunk-size", type=int, help="zipformer2: encoder frames per call (default 16)")
    p.add_argument("--left-context-frames", type=int, help="zipformer2: left context frames (default 128)")
    p.add_argument("--tokens", help="zipformer2: tokens.txt to copy into OUT_DIR")
    p.add_argument("--fp16-weights", action="store_true", help="zipformer2: store weights as fp16 (pnnx's default)")
    p.add_argument("--no-verify", action="store_true", help="zipformer2: skip the ncnn vs PyTorch check")
    p.add_argument(
        "--meta",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="e.g. num_encoder_layers=12 or encoder_dims=384,384,384,384,384",
    )
    p.add_argument("-o", "--output", help="write here instead of rewriting PARAM in place")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("quantize", help="write an int8 copy of a model folder")
    p.add_argument("model_dir")
    p.add_argument("out_dir")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NET/LAYER",
        help="keep this layer float, named as in scale tables, e.g. encoder/conv_300 (repeatable)",
    )
    p.add_argument(
        "--exclude-type",
        action="append",
        default=[],
        metavar="TYPE",
        help="keep every layer of this type float, e.g. Gemm",
    )
    p.add_argument("--table", metavar="TABLE", help="calibration table from 'ncasr calibrate'")
    p.add_argument("--calibration", nargs="+", metavar="AUDIO", help="calibrate on these files/folders/manifests first")
    p.add_argument(
        "--calibration-method",
        default=None,
        choices=CALIBRATION_METHODS,
        help="threshold method for --calibration (default: the model type's, percentile for zipformer2, else kl)",
    )
    p.add_argument(
        "--auto-exclude",
        type=float,
        metavar="MIN_COSINE",
        help="keep the most sensitive layers float until the int8 encoder output's "
        "lowest per-chunk cosine to float is at least this (e.g. 0.999)",
    )
    p.add_argument(
        "--calibrated-only",
        action="store_true",
        help="with --auto-exclude: only calibrated layers (Convolution) may stay float; "
        "LSTM and Gemm stay int8 even if the budget is not met",
    )
    p.add_argument("--fp16-storage", action="store_true", help="store the weights that stay float as fp16")
    p.add_argument(
        "--ncasr-int8-gemm",
        action="store_true",
        help="Linear and pointwise-conv layers as ncasr's NcasrInt8Gemm (one scale per "
        "output channel): more accurate, loads in ncasr only",
    )
    p.add_argument(
        "--ncasr-int8-depthwise",
        action="store_true",
        help="depthwise Conv1D layers as ncasr's NcasrDepthwiseConv1DInt8 (ncnn has no int8 form): loads in ncasr only",
    )
    p.add_argument("--force", action="store_true", help="replace a non-empty OUT_DIR")
    p.add_argument("--layers", action="store_true", help="also list every layer with its outcome")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    p.set_defaults(func=_cmd_quantize)

    p = sub.add_parser("calibrate", help="int8 activation scales from audio (ncnn2table format)")
    p.add_argument("model_dir")
    p.add_argument("audio", nargs="+", help="audio files, folders or manifests (.tsv)")
    p.add_argument(
        "-o", "--output", required=True, metavar="TABLE", help="scale table to write; keys are <net>/<layer>"
    )
    p.add_argument(
        "--method", default=None, choices=CALIBRATION_METHODS, help="default: percentile for zipformer2, else kl"
    )
    p.add_argument("--percent", type=float, default=99.99, help="for --method percentile")
    p.add_argument(
        "--collect",
        default="two_pass",
        choices=COLLECT_MODES,
        help="two passes as ncnn2table (absmax, then histograms) or one online pass",
    )
    p.add_argument("--num-workers", type=int, default=0, help="utterances in parallel (0: one per CPU)")
    p.add_argument("--mix-to-mono", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of text")
    _add_engine_arguments(p, "threads")
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("bench", help="WER, RTF, size, memory and latency, side by side with sherpa-ncnn")
    p.add_argument(
        "model_dir",
        nargs="+",
        help="model folders; DIR:int8 or DIR:float picks the files of one variant; DIR:onnx or DIR:onnx-int8 "
        "is an ONNX folder for sherpa-onnx; DIR:torch or DIR:torch-int8 a TorchScript folder for PyTorch "
        "(recipes/reference_lstm/export_onnx.py and export_torch.py write them)",
    )
    p.add_argument("--manifest", required=True, help="TSV with a header: path, text and optional duration/id/speaker")
    p.add_argument("--num-threads", type=_int_list, default=[1], metavar="N[,N...]")
    p.add_argument("--decoding-method", default="greedy_search", choices=["greedy_search", "modified_beam_search"])
    p.add_argument("--num-active-paths", type=int, default=4)
    p.add_argument(
        "--peer",
        default="sherpa-ncnn",
        metavar="PEER[,PEER...]",
        help="other runtimes measured in the same run, each when installed: sherpa-ncnn (runs the ncnn "
        "folders), sherpa-onnx (DIR:onnx, DIR:onnx-int8), torch (DIR:torch, DIR:torch-int8), or none",
    )
    p.add_argument(
        "--storage",
        default="fp16",
        help="weight storage of float models: fp16 (ncnn's default), fp32, or both "
        "as fp16,fp32 (the peer runs fp16 only)",
    )
    p.add_argument(
        "--chunks-per-call",
        type=_int_list,
        default=[],
        metavar="N[,N...]",
        help="ncasr rows with max_chunks_per_call N (one row per value; default: the runtime's default). "
        "1 runs one encoder chunk per call, as the peers do",
    )
    p.add_argument("--repeat", type=int, default=3, help="runs per row, interleaved")
    p.add_argument(
        "--latency-files", type=int, default=3, help="files also fed live in 0.1 s chunks for the latency columns"
    )
    p.add_argument("--json", action="store_true", help="print every record as JSON instead of the table")
    p.add_argument("--plot", metavar="OUT.png", help="WER-vs-RTF and size plot (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    _add_engine_arguments(p, "")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("serve", help="a streaming WebSocket server with a browser page (needs ncasr[serve])")
    p.add_argument("model_dir", nargs="?", help="model folder; default: the bundled model")
    p.add_argument("--variant", default="", choices=["", "float", "int8"])
    p.add_argument("--host", default="127.0.0.1", help="address to bind; 0.0.0.0 for every interface")
    p.add_argument("--port", type=int, default=6006, help="0 picks a free port")
    p.add_argument("--workers", type=int, default=0, help="decoding threads (0: one per CPU)")
    p.add_argument("--decoding-method", default="greedy_search", choices=["greedy_search", "modified_beam_search"])
    p.add_argument("--num-active-paths", type=int, default=4)
    p.add_argument("--max-connections", type=int, default=256, help="more get close code 1013")
    p.add_argument("--max-message-bytes", type=int, default=1 << 20)
    p.add_argument("--max-stream-seconds", type=float, default=3600.0)
    p.add_argument("--idle-timeout", type=float, default=30.0, help="seconds without a client message")
    p.add_argument("--shutdown-grace", type=float, default=10.0, help="on SIGTERM, seconds open streams may take")
    p.add_argument("--token", help="clients must send 'Authorization: Bearer TOKEN' (the page: ?token=TOKEN)")
    p.add_argument("--certfile", help="TLS certificate (PEM), with --keyfile")
    p.add_argument("--keyfile")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("client", help="stream audio files to an ncasr serve WebSocket server")
    p.add_argument("url", help="e.g. ws://127.0.0.1:6006")
    p.add_argument("audio", nargs="+")
    p.add_argument("--realtime", action="store_true", help="send at real-time pace")
    p.add_argument("--chunk-ms", type=float, default=100.0)
    p.add_argument("--token")
    p.add_argument(
        "--options", metavar="JSON", help='state options, e.g. \'{"decoding_method": "modified_beam_search"}\''
    )
    p.add_argument("--json", action="store_true", help="one JSON object per file instead of text")
    p.set_defaults(func=_cmd_client)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the ``ncasr`` command line on ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    Example::

        main(["transcribe", "a.wav"])
    """
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (NcasrError, FileNotFoundError) as e:
        print(f"ncasr: error: {e}", file=sys.stderr)
        return 2
