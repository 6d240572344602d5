"""Plan, run and aggregate benchmark runs: every model variant × backend × thread count,
interleaved (A B A B …) so drift on a shared machine hits every row alike."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ..data import ManifestEntry, read_manifest
from ..errors import ConfigError
from ..metrics import char_error_rate, word_error_rate
from ..model_info import inspect_model

WORKER = Path(__file__).with_name("worker.py")
PEERS = ("sherpa-ncnn", "sherpa-onnx", "torch")
STORAGES = ("fp16", "fp32")
# Target variants that name a peer's own model format (the folder holds its files), and the
# backends that run each format.
FORMAT_OF_VARIANT = {
    "": "ncnn",
    "float": "ncnn",
    "int8": "ncnn",
    "onnx": "onnx",
    "onnx-int8": "onnx",
    "torch": "torch",
    "torch-int8": "torch",
}
BACKENDS_OF_FORMAT = {"ncnn": ("ncasr", "sherpa-ncnn"), "onnx": ("sherpa-onnx",), "torch": ("torch",)}
# Modules a peer needs besides its own package (the torch peer computes fbank with kaldi-native-fbank).
PEER_MODULES = {"torch": ("torch", "kaldi_native_fbank")}


@dataclass(frozen=True)
class Target:
    """One model folder, one file variant ("" = whatever the folder holds, "float", "int8").

    Example::

        Target.parse("model/:int8")  # Target(model_dir="model/", variant="int8")
    """

    model_dir: str
    variant: str = ""

    @classmethod
    def parse(cls, spec: str) -> "Target":
        """A target from ``DIR``, ``DIR:int8`` / ``DIR:float`` (ncnn files), or
        ``DIR:onnx`` / ``DIR:onnx-int8`` (an ONNX folder for sherpa-onnx), or ``DIR:torch`` /
        ``DIR:torch-int8`` (a TorchScript folder from recipes/reference_lstm/export_torch.py).

        Example::

            target = Target.parse("model/:float")
            print(target.model_dir, target.variant)
        """
        head, sep, tail = spec.rpartition(":")
        if sep and tail in FORMAT_OF_VARIANT and tail:
            return cls(os.fspath(head), tail)
        return cls(os.fspath(spec), "")

    @property
    def format(self) -> str:
        """The model format: "ncnn", "onnx" or "torch".

        Example::

            Target.parse("m/:onnx-int8").format   # "onnx"
        """
        return FORMAT_OF_VARIANT[self.variant]


@dataclass
class BenchRecord:
    """Aggregated numbers for one model variant × backend × thread count.

    Example::

        for r in run_bench(["model/"], "test.tsv", threads=[1, 4]):
            print(r.backend, r.threads, r.wer, r.rtf_median)
    """

    model: str
    model_dir: str
    variant: str
    precision: str  # fp32 / fp16 (weight storage), int8 (int8 files), int8+fp32 (their float parts fp32)
    backend: str
    threads: int
    method: str
    utterances: int = 0
    audio_s: float = 0.0
    ref_words: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    wer: Optional[float] = None
    cer: Optional[float] = None  # character edits / reference characters, spaces included
    rtf_median: Optional[float] = None
    rtf_min: Optional[float] = None
    rtf_max: Optional[float] = None
    rtf_runs: List[float] = field(default_factory=list)
    rtf_ratio_vs_peer: Optional[float] = None  # ncasr rows: this RTF / the peer's, same model
    load_s: Optional[float] = None
    peak_rss_mb: Optional[float] = None
    latency_final_s: Optional[float] = None  # median over files and runs
    latency_first_partial_s: Optional[float] = None
    size_bytes: Dict[str, int] = field(default_factory=dict)  # encoder/decoder/joiner/total
    hypotheses: List[str] = field(default_factory=list)
    chunks_per_call: Optional[int] = None  # ncasr rows: max_chunks_per_call when not the default
    stable: bool = True  # every run gave the same hypotheses
    error: Optional[str] = None

    @property
    def backend_label(self) -> str:
        """The backend, with its chunks per call where a row sets them.

        Example::

            BenchRecord("m", "m/", "int8", "int8", "ncasr", 1, "greedy_search", chunks_per_call=1).backend_label
            # 'ncasr, 1 chunk/call'
        """
        n = self.chunks_per_call
        return self.backend if n is None else f"{self.backend}, {n} chunk{'s' if n > 1 else ''}/call"


def _onnx_files(target: Target) -> Dict[str, Any]:
    """encoder/decoder/joiner *.onnx (``*.int8.onnx`` for onnx-int8) and tokens.txt."""
    folder = Path(target.model_dir)
    int8 = target.variant == "onnx-int8"
    files: Dict[str, Any] = {"tokens": str(folder / "tokens.txt")}
    sizes: Dict[str, int] = {}
    for name in ("encoder", "decoder", "joiner"):
        found = sorted(p for p in folder.glob(f"{name}*.onnx") if p.name.endswith(".int8.onnx") == int8)
        if len(found) != 1:
            kind = "*.int8.onnx" if int8 else "*.onnx (not *.int8.onnx)"
            raise ConfigError(f"{folder}: expected one {name}{kind}, found {len(found)}")
        files[name] = str(found[0])
        sizes[name] = found[0].stat().st_size
    if not Path(files["tokens"]).is_file():
        raise ConfigError(f"{folder}: no tokens.txt")
    sizes["total"] = sum(sizes.values())
    return {"files": files, "sizes": sizes, "int8": int8}


def _torch_files(target: Target) -> Dict[str, Any]:
    """encoder/decoder/joiner *.pt (``*.int8.pt`` for torch-int8), tokens.txt and meta.json
    (the folder recipes/reference_lstm/export_torch.py writes)."""
    folder = Path(target.model_dir)
    int8 = target.variant == "torch-int8"
    files: Dict[str, Any] = {"tokens": str(folder / "tokens.txt"), "meta": str(folder / "meta.json")}
    sizes: Dict[str, int] = {}
    for name in ("encoder", "decoder", "joiner"):
        path = folder / (f"{name}.int8.pt" if int8 else f"{name}.pt")
        if not path.is_file():
            raise ConfigError(f"{folder}: no {path.name} (export it with recipes/reference_lstm/export_torch.py)")
        files[name] = str(path)
        sizes[name] = path.stat().st_size
    for key in ("tokens", "meta"):
        if not Path(files[key]).is_file():
            raise ConfigError(f"{folder}: no {Path(files[key]).name}")
    sizes["total"] = sum(sizes.values())
    return {"files": files, "sizes": sizes, "int8": int8}


def _net_files(target: Target) -> Dict[str, Any]:
    if target.format == "onnx":
        return _onnx_files(target)
    if target.format == "torch":
        return _torch_files(target)
    info = inspect_model(target.model_dir, target.variant)
    files = {"tokens": info.tokens}
    sizes: Dict[str, int] = {}
    for name in ("encoder", "decoder", "joiner"):
        net = getattr(info, name)
        files[f"{name}_param"], files[f"{name}_bin"] = net.param, net.bin
        sizes[name] = os.path.getsize(net.param) + (os.path.getsize(net.bin) if net.bin else 0)
    sizes["total"] = sum(sizes.values())
    return {"files": files, "sizes": sizes, "int8": ".int8." in os.path.basename(info.encoder.param)}


def peer_available(name: str) -> bool:
    """Whether the peer package ``name`` (one of ``PEERS``) is importable here.

    Example::

        peers = [p for p in PEERS if peer_available(p)]
    """
    if name not in PEERS:
        raise ConfigError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")
    import importlib.util

    modules = PEER_MODULES.get(name, (name.replace("-", "_"),))
    return all(importlib.util.find_spec(m) is not None for m in modules)


def run_worker(job: Dict[str, Any]) -> Dict[str, Any]:
    """Run ``job`` (see worker.py) in one fresh process, one backend, every file; returns the
    worker's JSON result, or ``{"error": ...}`` when the process fails.

    Example::

        out = run_worker(job)
        print(out.get("error") or sum(out["decode_s"]))
    """
    env = dict(os.environ)
    # The worker is run by file path; make sure it finds the same ncasr as this process.
    pkg_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run([sys.executable, str(WORKER)], input=json.dumps(job), capture_output=True, text=True, env=env)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        return {"error": f"worker exited with status {proc.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1])


def run_bench(
    models: Sequence[str],
    manifest: Union[str, "os.PathLike[str]", Sequence[ManifestEntry]],
    *,
    threads: Sequence[int] = (1,),
    method: str = "greedy_search",
    num_active_paths: int = 4,
    peers: Sequence[str] = PEERS,
    storages: Sequence[str] = ("fp16",),
    repeat: int = 1,
    latency_files: int = 3,
    chunk_s: float = 0.1,
    chunks_per_call: Sequence[int] = (),
    progress: Optional[Callable[[str], None]] = None,
) -> List[BenchRecord]:
    """Benchmark ``models`` (folder paths, optionally ``:int8``/``:float``) on the
    utterances of ``manifest`` (a path or a list of ManifestEntry). See ``ncasr bench -h``.

    Example::

        records = run_bench(["model/", "model/:int8"], "test.tsv", threads=[1, 2], repeat=3)
        print(markdown(records))
    """
    entries: List[ManifestEntry] = (
        read_manifest(manifest) if isinstance(manifest, (str, os.PathLike)) else list(manifest)
    )
    if not entries:
        raise ConfigError("the manifest has no utterances")
    if repeat < 1:
        raise ConfigError(f"repeat must be >= 1, got {repeat}")
    if not threads or any(int(t) < 1 for t in threads):
        raise ConfigError(f"thread counts must be >= 1, got {list(threads)}")
    for s in storages:
        if s not in STORAGES:
            raise ConfigError(f"storage must be one of {STORAGES}, got {s!r}")
    if any(int(n) < 1 for n in chunks_per_call):
        raise ConfigError(f"chunks per call must be >= 1, got {list(chunks_per_call)}")
    active_peers = [p for p in peers if peer_available(p)]

    plans = []  # (record, job)
    for spec in models:
        target = Target.parse(spec)
        found = _net_files(target)
        if target.format != "ncnn":  # a peer's own files: that peer only, as they are
            backends_here = [b for b in BACKENDS_OF_FORMAT[target.format] if b in active_peers]
            if not backends_here and progress:
                progress(f"skipped {spec}: {', '.join(BACKENDS_OF_FORMAT[target.format])} is not installed")
            storage_plan = [("int8" if found["int8"] else "fp32", backends_here)]
        else:
            ncnn_peers = [p for p in active_peers if p in BACKENDS_OF_FORMAT["ncnn"]]
            # int8 files with their float parts stored as fp32 are a row of their own (no peer)
            storage_plan = [
                (
                    storage if not found["int8"] else "int8" if storage == "fp16" else "int8+fp32",
                    ["ncasr"] + (ncnn_peers if storage == "fp16" else []),
                )
                for storage in storages
            ]
        for precision, backends in storage_plan:
            storage = "fp32" if precision in ("fp32", "int8+fp32") else "fp16"
            for t in threads:
                # ncasr once per --chunks-per-call value (the runtime's default when none)
                rows = [
                    (b, n) for b in backends for n in ((list(chunks_per_call) or [None]) if b == "ncasr" else [None])
                ]
                for backend, chunks in rows:
                    rec = BenchRecord(
                        model=Path(target.model_dir).name or target.model_dir,
                        model_dir=target.model_dir,
                        variant=target.variant,
                        precision=precision,
                        backend=backend,
                        threads=int(t),
                        method=method,
                        size_bytes=found["sizes"],
                        chunks_per_call=chunks,
                    )
                    job = {
                        "backend": backend,
                        "model_dir": target.model_dir,
                        "variant": target.variant,
                        "files": found["files"],
                        "threads": int(t),
                        "method": method,
                        "num_active_paths": num_active_paths,
                        "fp16_storage": storage == "fp16",
                        "files_to_decode": [e.path for e in entries],
                        "latency_files": latency_files,
                        "chunk_s": chunk_s,
                        "max_chunks_per_call": chunks,
                    }
                    plans.append((rec, job))

    runs: Dict[int, List[Dict[str, Any]]] = {i: [] for i in range(len(plans))}
    for r in range(repeat):
        for i, (rec, job) in enumerate(plans):
            if progress:
                progress(
                    f"run {r + 1}/{repeat}: {rec.model} {rec.precision} {rec.backend_label} {rec.threads} thread(s)"
                )
            runs[i].append(run_worker(job))

    refs = [e.text for e in entries]
    records = []
    for i, (rec, _) in enumerate(plans):
        _aggregate(rec, runs[i], refs)
        records.append(rec)
    _peer_ratios(records)
    return records


def _aggregate(rec: BenchRecord, runs: List[Dict[str, Any]], refs: List[str]) -> None:
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        rec.error = errors[0]
        return
    first = runs[0]
    rec.hypotheses = first["hyps"]
    rec.stable = all(r["hyps"] == first["hyps"] for r in runs)
    counts = word_error_rate(refs, rec.hypotheses)
    rec.utterances = len(refs)
    rec.audio_s = sum(first["audio_s"])
    rec.ref_words, rec.wer = counts.ref_words, counts.wer
    edits, chars = char_error_rate(refs, rec.hypotheses)
    rec.cer = edits / max(chars, 1)
    rec.substitutions, rec.deletions, rec.insertions = (counts.substitutions, counts.deletions, counts.insertions)
    rec.rtf_runs = [sum(r["decode_s"]) / sum(r["audio_s"]) for r in runs]
    rec.rtf_median = statistics.median(rec.rtf_runs)
    rec.rtf_min, rec.rtf_max = min(rec.rtf_runs), max(rec.rtf_runs)
    rec.load_s = statistics.median(r["load_s"] for r in runs)
    rec.peak_rss_mb = max(r["peak_rss_mb"] for r in runs)
    finals = [v for r in runs for v in r["latency_final_s"]]
    partials = [v for r in runs for v in r["latency_first_partial_s"]]
    rec.latency_final_s = statistics.median(finals) if finals else None
    rec.latency_first_partial_s = statistics.median(partials) if partials else None


def _peer_ratios(records: List[BenchRecord]) -> None:
    peer = {
        (r.model_dir, r.variant, r.precision, r.threads): r.rtf_median
        for r in records
        if r.backend != "ncasr" and r.rtf_median
    }
    for r in records:
        if r.backend == "ncasr" and r.rtf_median is not None:
            p = peer.get((r.model_dir, r.variant, r.precision, r.threads))
            if p:
                r.rtf_ratio_vs_peer = r.rtf_median / p
