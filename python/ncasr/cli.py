"""The `ncasr` command. Each subcommand is a thin call into the Python API."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import List, Optional

from . import model_info
from .errors import NcasrError

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
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NcasrError as e:
        print(f"ncasr: error: {e}", file=sys.stderr)
        return 2
