"""Benchmark output: the environment header, a markdown table, JSON and a PNG plot."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from typing import Any, Dict, Optional, Sequence, Union

from ..model_info import build_info
from .runner import BenchRecord


def cpu_model() -> str:
    """The CPU's model name as /proc/cpuinfo gives it (else what ``platform`` knows).

    Example::

        print(cpu_model())  # e.g. "AMD EPYC 7B13"
    """
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(peers: Sequence[str] = ()) -> Dict[str, Any]:
    """What a reader needs to judge the numbers: CPU, versions, SIMD paths, and the
    installed version of each peer in ``peers`` (None when not installed).

    Example::

        env = environment(peers=["sherpa-ncnn"])
        print(header_text(env))
    """
    from importlib import metadata

    from .. import _core

    info = build_info()
    env = {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "ncasr": info.ncasr_version,
        "ncnn": info.ncnn_version,
        "simd": list(info.simd_active),
        "kernel_path": _core.kernel_path(),
        "peers": {},
    }
    for p in peers:
        try:
            env["peers"][p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            env["peers"][p] = None
    return env


def header_text(env: Dict[str, Any]) -> str:
    """One line describing the machine and versions of ``env`` (from :func:`environment`).

    Example::

        print(header_text(environment()))
    """
    peers = ", ".join(f"{k} {v}" if v else f"{k} (not installed)" for k, v in env["peers"].items())
    return (
        f"CPU: {env['cpu']} ({env['cpu_count']} cores, {env['machine']}); "
        f"ncasr {env['ncasr']}, ncnn {env['ncnn']}, Python {env['python']}; "
        f"SIMD: {', '.join(env['simd'])} (kernels: {env['kernel_path']})" + (f"; peers: {peers}" if peers else "")
    )


def _f(v: Optional[float], fmt: str) -> str:
    return "" if v is None else format(v, fmt)


def markdown(records: Sequence[BenchRecord]) -> str:
    """A markdown table, one row per record (WER, CER, RTF, size, load time, memory,
    latency); failed runs show their error.

    Example::

        records = run_bench(["model/"], "test.tsv")
        print(markdown(records))
    """
    cols = (
        "model",
        "precision",
        "backend",
        "threads",
        "WER % (S/D/I)",
        "CER %",
        "RTF median (min-max)",
        "ncasr/peer RTF",
        "size MB",
        "load s",
        "peak RSS MB",
        "final latency ms",
        "first partial ms",
    )
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in records:
        backend = r.backend_label
        if r.error:
            cells = [r.model, r.precision, backend, str(r.threads), f"error: {r.error}"] + [""] * 8
        else:
            cells = [
                r.model,
                r.precision,
                backend,
                str(r.threads),
                f"{100 * r.wer:.2f} ({r.substitutions}/{r.deletions}/{r.insertions})"
                + ("" if r.stable else " unstable"),
                f"{100 * r.cer:.2f}",
                f"{r.rtf_median:.4f} ({r.rtf_min:.4f}-{r.rtf_max:.4f})",
                _f(r.rtf_ratio_vs_peer, ".2f"),
                f"{r.size_bytes['total'] / 1e6:.2f}",
                _f(r.load_s, ".2f"),
                _f(r.peak_rss_mb, ".0f"),
                _f(None if r.latency_final_s is None else 1000 * r.latency_final_s, ".0f"),
                _f(None if r.latency_first_partial_s is None else 1000 * r.latency_first_partial_s, ".0f"),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_json(records: Sequence[BenchRecord], env: Dict[str, Any], settings: Dict[str, Any]) -> str:
    """The records, environment and run settings as one indented JSON document.

    Example::

        text = to_json(records, environment(), {"threads": [1, 2], "repeat": 3})
        Path("bench.json").write_text(text)
    """
    return json.dumps({"environment": env, "settings": settings, "records": [asdict(r) for r in records]}, indent=1)


def plot(records: Sequence[BenchRecord], path: Union[str, "os.PathLike[str]"]) -> None:
    """WER vs RTF scatter and model size bars, written headless to ``path`` (PNG).

    Needs matplotlib (``pip install 'ncasr[plot]'``).

    Example::

        plot(run_bench(["model/", "model/:int8"], "test.tsv"), "bench.png")
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'ncasr[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in records if not r.error]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in ok:
        ax1.scatter(r.rtf_median, 100 * r.wer, marker="o" if r.backend == "ncasr" else "s")
        ax1.annotate(
            f"{r.model} {r.precision}\n{r.backend_label} ×{r.threads}",
            (r.rtf_median, 100 * r.wer),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax1.set_xlabel("real-time factor (lower is faster)")
    ax1.set_ylabel("WER %")
    ax1.set_title("accuracy vs speed")
    ax1.grid(alpha=0.3)
    sizes: Dict[str, Dict[str, int]] = {}
    for r in ok:
        sizes[f"{r.model} {r.precision}"] = r.size_bytes
    names = list(sizes)
    bottom = [0.0] * len(names)
    for net in ("encoder", "decoder", "joiner"):
        vals = [sizes[n].get(net, 0) / 1e6 for n in names]
        ax2.bar(names, vals, bottom=bottom, label=net)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax2.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax2.set_ylabel("MB on disk")
    ax2.set_title("model size")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
