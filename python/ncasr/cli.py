"""The `ncasr` command. Each subcommand is a thin call into the Python API."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import List, Optional

from . import model_info
from .errors import ConfigError, NcasrError

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


def _cmd_transcribe(args: argparse.Namespace) -> int:
    import time

    from .audio import load_audio
    from .recognizer import Recognizer

    overrides = dict(method=args.decoding_method, num_active_paths=args.num_active_paths,
                     num_threads=args.num_threads, hotwords_file=args.hotwords,
                     hotwords_score=args.hotwords_score, variant=args.variant)
    rec = Recognizer.from_dir(args.model_dir, **overrides)
    total_audio = total_time = 0.0
    for path in args.audio:
        samples, rate = load_audio(path, mix_to_mono=args.mix_to_mono)
        start = time.perf_counter()
        result = rec.transcribe(samples, rate)
        elapsed = time.perf_counter() - start
        duration = samples.size / rate
        total_audio += duration
        total_time += elapsed
        rtf = elapsed / duration if duration else float("nan")
        if args.json:
            print(json.dumps({"file": path, "text": result.text, "tokens": result.tokens,
                              "token_ids": result.token_ids, "timestamps": result.timestamps,
                              "duration": duration, "elapsed": elapsed, "rtf": rtf}))
        else:
            print(f"{path}: {result.text.strip()}")
            print(f"  duration {duration:.3f} s, elapsed {elapsed:.3f} s, "
                  f"RTF = {elapsed:.3f}/{duration:.3f} = {rtf:.3f}")
    if not args.json and len(args.audio) > 1 and total_audio:
        print(f"total: {total_audio:.3f} s of audio in {total_time:.3f} s, "
              f"RTF {total_time / total_audio:.3f}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
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


def _cmd_quantize(args: argparse.Namespace) -> int:
    from .int8_model import quantize

    report = quantize(args.model_dir, args.out_dir, exclude_layers=args.exclude,
                      exclude_types=args.exclude_type, force=args.force)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ncasr", description=__doc__)
    parser.add_argument("--version", action="version",
                        version=f"ncasr {model_info.build_info().ncasr_version}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="versions, SIMD paths, and what a model folder holds")
    p.add_argument("model_dir", nargs="?", help="model folder (encoder/decoder/joiner files)")
    p.add_argument("--variant", default="", choices=["", "float", "int8"],
                   help="which files to read when the folder holds several")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("transcribe", help="recognize audio files")
    p.add_argument("model_dir", help="model folder (encoder/decoder/joiner files, tokens.txt)")
    p.add_argument("audio", nargs="+", help="audio files (any rate soundfile reads)")
    p.add_argument("--decoding-method", default="greedy_search",
                   choices=["greedy_search", "modified_beam_search"])
    p.add_argument("--num-active-paths", type=int, default=4)
    p.add_argument("--num-threads", type=int, default=1)
    p.add_argument("--hotwords", metavar="FILE", help="hotwords file (modified_beam_search)")
    p.add_argument("--hotwords-score", type=float, default=1.5)
    p.add_argument("--variant", default="", choices=["", "float", "int8"])
    p.add_argument("--mix-to-mono", action="store_true", help="average multi-channel audio")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.set_defaults(func=_cmd_transcribe)

    p = sub.add_parser("export", help="write SherpaMetaData into an encoder .param from pnnx")
    p.add_argument("param", help="encoder .ncnn.param")
    p.add_argument("--model-type", required=True, choices=["lstm", "conv_emformer", "zipformer"])
    p.add_argument("--meta", action="append", default=[], metavar="NAME=VALUE",
                   help="e.g. num_encoder_layers=12 or encoder_dims=384,384,384,384,384")
    p.add_argument("-o", "--output", help="write here instead of rewriting PARAM in place")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("quantize", help="write an int8 copy of a model folder")
    p.add_argument("model_dir")
    p.add_argument("out_dir")
    p.add_argument("--exclude", action="append", default=[], metavar="LAYER",
                   help="keep this layer float (by name; repeatable)")
    p.add_argument("--exclude-type", action="append", default=[], metavar="TYPE",
                   help="keep every layer of this type float, e.g. Gemm")
    p.add_argument("--force", action="store_true", help="replace a non-empty OUT_DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_quantize)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (NcasrError, FileNotFoundError) as e:
        print(f"ncasr: error: {e}", file=sys.stderr)
        return 2
