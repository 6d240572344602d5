"""Load and fault tests of `ncasr serve`, on loopback only, bounded in count and time.

The server runs as its own process (`python -m ncasr serve MODEL --port 0 --workers N
[--variant int8] --max-connections 1000`); the clients run here, on one asyncio loop.

Load: for each model and each K, K concurrent clients each stream one of the bundled test
wavs (tests/data/reference-lstm-en/wav, cycled) at real-time pace in 100 ms chunks with
endpointing off, their starts spread uniformly over the first second. Measured:
- partial-result latency: for every partial and final message, its arrival minus the time
  the client sent the chunk that brought the audio sent to >= the message's
  received_seconds; p50/p95/p99 over all messages of all clients;
- final latency: arrival of the last final minus the time 'Done' was sent;
- the server's CPU time (/proc/PID/stat utime+stime) as % of one core over the window, and
  its RSS (VmRSS) at the start and the window's peak (VmHWM, reset per window where the
  kernel allows, and VmRSS sampled every 0.1 s); in the JSON (and on stderr) also this
  process's CPU (the clients' share of the machine) and the load average, to judge noise;
- correctness: every client's text must equal offline `Recognizer.transcribe` of its wav
  (same model and variant); mismatches and errors must be 0;
- the real-time ceiling implied by the single-stream RTF (transcribe time / audio, best of
  3, 1 thread, measured here offline): cores / RTF concurrent streams.

Faults (against the bundled int8 model, on a server of its own): while G=10 good clients
stream at real-time pace (rounds repeated until the fault is over), each fault in turn:
(a) 20 clients disconnect mid-utterance (half with a close handshake, half by TCP abort),
(b) 20 send garbage or odd-length binary (1007), (c) 5 send a 4 MiB message (1009),
(d) 10 never read their replies (reading paused, socket held 4 s, then aborted),
(e) --churn connections opened and closed by up to 50 concurrent loops. After each: a 1 s
settle and one more good round; verdict PASS when every good text equals offline, every
faulty client ended as the protocol says (a vanished client has no close code), the server
is alive, and its RSS is within --rss-tolerance (10 %) of its RSS before that fault; a
last row ("all faults") holds the RSS after every fault to the same of the RSS before the
first. A fault that fails on RSS alone runs twice more: growing each time means a leak,
levelling off means the heap kept its new high-water mark (glibc keeps freed memory;
MALLOC_MMAP_THRESHOLD_=131072 in the environment, which the server inherits, shows which).

    python benchmarks/bench_serve.py [--models bundled-float,bundled-int8,zipformer-int8]
        [--clients 1,10,50,100,150] [--zipformer-clients 1,2,4,8,16] [--workers 0]
        [--faults | --no-faults] [--good 10] [--churn 10000] [--timeout 900]
        [--client-timeout 120] [--rss-tolerance 0.10] [--json OUT]

Quick run while developing:

    python benchmarks/bench_serve.py --models bundled-int8 --clients 1,5 --churn 500

Models: bundled-float / bundled-int8 (ncasr.default_model_dir()), zipformer-float /
zipformer-int8 (the full-size Zipformer with random weights, made once and cached by
full_size_models.py; its int8 copy from ncasr.quantize, cached beside it as bench_int8.py
does; random weights make its texts gibberish, which streaming must still reproduce).
Exits 1 if any text differs, any client errs, a fault's verdict fails or the server dies
or logs a traceback; 2 when --timeout runs out (the server is killed either way).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from serve_load import faults as F  # noqa: E402
from serve_load.clients import Utterance, good_round, load_point, summarize  # noqa: E402
from serve_load.process import ServerProcess, kill_all  # noqa: E402
from serve_load.stats import markdown_table, ms  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WAV_DIR = REPO / "tests" / "data" / "reference-lstm-en" / "wav"
SETTLE_SECONDS = 2.0


# --- models and their offline reference ---------------------------------------------------


def check_model_name(name: str) -> None:
    from full_size_models import ARCHS

    base, _, variant = name.rpartition("-")
    if variant not in ("float", "int8") or base not in ("bundled", *ARCHS):
        raise SystemExit(f"--models: {name!r} is not <bundled|{'|'.join(ARCHS)}>-<float|int8>")


def model_folder(name: str) -> Tuple[str, str]:
    """(folder, variant) of a --models entry."""
    import ncasr

    check_model_name(name)
    base, _, variant = name.rpartition("-")
    if base == "bundled":
        return str(ncasr.default_model_dir()), variant
    from full_size_models import CACHE, full_size_model

    model = full_size_model(base)
    if variant == "float":
        return str(model), "float"
    q = CACHE / f"{base}-full-int8"
    if not (q / "tokens.txt").exists():
        print(ncasr.quantize(model, q, force=True), file=sys.stderr)
    return str(q), "int8"


def offline_reference(folder: str, variant: str, wavs: List[Path]) -> Tuple[List[Utterance], Dict[str, Any]]:
    """The wavs with their offline texts, and the single-stream RTF (1 thread, best of 3
    over the first 3 wavs)."""
    import ncasr

    rec = ncasr.Recognizer.from_dir(folder, variant=variant, num_threads=1)
    utts = []
    for w in wavs:
        x, rate = ncasr.load_audio(w)
        utts.append(Utterance(w.name, x, rate, rec.transcribe(x, rate).text.strip()))
    timed = utts[:3]
    audio = sum(u.seconds for u in timed)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for u in timed:
            rec.transcribe(u.samples, u.rate)
        best = min(best, time.perf_counter() - t0)
    rtf = best / audio
    cores = os.cpu_count() or 1
    return utts, {"rtf": rtf, "audio_seconds": audio, "cores": cores, "ceiling_streams": cores / rtf}


# --- load -------------------------------------------------------------------------------


async def warm_up(url: str, utt: Utterance, timeout: float) -> None:
    """One fast stream so the first measured connection pays no first-use costs."""
    from ncasr.serve.client import stream_audio

    await asyncio.wait_for(stream_audio(url, utt.samples, utt.rate, options={"endpoint": {"enabled": False}}), timeout)


def run_load(name: str, ks: List[int], args: argparse.Namespace, wavs: List[Path], out: Dict[str, Any]) -> None:
    folder, variant = model_folder(name)
    utts, rtf = offline_reference(folder, variant, wavs[: max(1, min(len(wavs), max(ks)))])
    out["rtf"].append({"model": name, "folder": folder, "variant": variant, **rtf})
    print(f"{name}: single-stream RTF {rtf['rtf']:.4f}, ceiling {rtf['ceiling_streams']:.0f} streams", file=sys.stderr)
    server = ServerProcess(folder, variant=variant, workers=args.workers)
    try:
        asyncio.run(warm_up(server.url, utts[0], args.client_timeout))
        for k in ks:
            time.sleep(0.5)
            point = asyncio.run(load_point(server, utts, k, args.client_timeout))
            point["model"] = name
            out["load"].append(point)
            print(f"{name} K={k}: {one_line(point)}", file=sys.stderr)
            if not point["server_alive"]:
                break
    finally:
        code = server.stop()
        out["servers"].append({"model": name, "cmd": server.cmd, "exit_code": code, **server.log_summary()})
        server.cleanup()


def one_line(p: Dict[str, Any]) -> str:
    return (
        f"partial p50/p95/p99 {ms(p['partial_p50'])}/{ms(p['partial_p95'])}/{ms(p['partial_p99'])} ms, "
        f"final p50 {ms(p['final_p50'])} ms, CPU server {p['server_cpu_percent']:.0f} % "
        f"clients {p['clients_cpu_percent']:.0f} %, load average {p['loadavg_before_after'][1]:.2f}, "
        f"texts {p['texts_equal']}/{p['k']}, errors {p['errors']}"
    )


# --- faults -----------------------------------------------------------------------------


async def during_fault(url: str, utts: List[Utterance], fault: Any, args: argparse.Namespace) -> Dict[str, Any]:
    """Good rounds, repeated until the fault (started 0.5 s into the first) is over."""
    task = asyncio.ensure_future(fault)
    rounds: List[List[Dict[str, Any]]] = []
    offset = 0
    t0 = time.monotonic()
    while True:
        rounds.append(await good_round(url, utts, args.good, args.client_timeout, offset=offset))
        offset += args.good
        if task.done():
            break
    outcomes = await task
    return {"rounds": rounds, "outcomes": outcomes, "seconds": time.monotonic() - t0}


async def delayed(coro: Any, seconds: float) -> Any:
    await asyncio.sleep(seconds)
    return await coro


def fault_coro(server: ServerProcess, fault: str, client: Any, count: int, utts: List[Utterance], seed: int) -> Any:
    if fault == "connection churn":
        return F.churn(server.url, count, F.churn_loops(count))
    return F.run_fault_clients(server.url, client, count, utts, seed=seed)


def fault_pass(
    server: ServerProcess, fault: str, client: Any, count: int, utts: List[Utterance], seed: int, args: Any
) -> Dict[str, Any]:
    """The fault while good rounds stream; a settle; one more good round; the server's state."""
    rss_pre = server.rss_mb()
    coro = fault_coro(server, fault, client, count, utts, seed)
    result = asyncio.run(during_fault(server.url, utts, delayed(coro, 0.5), args))
    time.sleep(SETTLE_SECONDS)
    after_round = asyncio.run(good_round(server.url, utts, args.good, args.client_timeout)) if server.alive() else []
    time.sleep(SETTLE_SECONDS)  # "afterwards": once the server is idle again (it trims its heap when idle)
    alive = server.alive()
    return {
        **result,
        "good": [c for r in result["rounds"] for c in r] + after_round,
        "alive": alive,
        "rss_pre_mb": rss_pre,
        "rss_after_mb": server.rss_mb() if alive else float("nan"),
    }


def run_faults(args: argparse.Namespace, wavs: List[Path], out: Dict[str, Any]) -> None:
    folder, variant = model_folder("bundled-int8")
    utts, _ = offline_reference(folder, variant, wavs)
    server = ServerProcess(folder, variant=variant, workers=args.workers)
    try:
        warm = asyncio.run(good_round(server.url, utts, args.good, args.client_timeout))
        time.sleep(SETTLE_SECONDS)
        baseline = server.rss_mb()
        out["fault_baseline"] = {"rss_mb": baseline, "warm_round": summarize(warm)}
        print(f"faults: server RSS {baseline:.1f} MB before the faults", file=sys.stderr)
        for i, (fault, (client, count)) in enumerate(F.FAULTS.items()):
            if fault == "connection churn":
                count = args.churn
                if count <= 0:
                    continue
            run = fault_pass(server, fault, client, count, utts, args.seed + i, args)
            good, alive, rss_after = run["good"], run["alive"], run["rss_after_mb"]
            codes = F.verdict_codes(run["outcomes"])
            equal = sum(1 for c in good if c["text_equal"])
            pre = run["rss_pre_mb"]
            growth = (rss_after - pre) / pre if alive else float("nan")
            rss_ok = alive and abs(growth) <= args.rss_tolerance
            others_ok = equal == len(good) and len(good) > 0 and codes["ok"] == codes["of"] and alive
            row: Dict[str, Any] = {
                "fault": fault,
                "count": count,
                "good_clients": len(good),
                "good_texts_equal": equal,
                "good_errors": sum(1 for c in good if c["error"]),
                "faulty_as_expected": codes["ok"],
                "faulty_total": codes["of"],
                "close_codes": codes["codes"],
                "server_alive": alive,
                "rss_baseline_mb": baseline,
                "rss_pre_mb": run["rss_pre_mb"],
                "rss_after_mb": rss_after,
                "rss_growth": growth,
                "seconds": run["seconds"],
                "first_unexpected": F.first_bad(run["outcomes"]),
                "good_mismatches": [c for c in good if not c["text_equal"]][:5],
                "good_latency": summarize(good),
                "outcomes": run["outcomes"],
            }
            verdict = "PASS" if others_ok and rss_ok else "FAIL"
            if others_ok and not rss_ok:
                # only memory failed: the same fault twice more tells a leak (grows each
                # time) from a heap kept at its new high-water mark (levels off)
                steps, last, row["repeats"] = [], rss_after, []
                for rep in (1, 2):
                    again = fault_pass(server, fault, client, count, utts, args.seed + 100 * rep + i, args)
                    equal_again = sum(1 for c in again["good"] if c["text_equal"])
                    row["repeats"].append(
                        {
                            "rss_after_mb": again["rss_after_mb"],
                            "good_texts_equal": equal_again,
                            "good_clients": len(again["good"]),
                            "faulty": F.verdict_codes(again["outcomes"]),
                        }
                    )
                    steps.append((again["rss_after_mb"] - last) / pre)
                    last = again["rss_after_mb"]
                verdict += f" (RSS {growth:+.0%}; run again: {', '.join(f'{x:+.1%}' for x in steps)})"
            elif not rss_ok and alive:
                verdict += f" (RSS {growth:+.0%})"
            row["verdict"] = verdict
            out["faults"].append(row)
            print(
                f"fault {fault} x{count}: good {equal}/{len(good)}, faulty as expected {codes['ok']}/{codes['of']} "
                f"({F.describe_codes(codes['codes'])}), alive {alive}, RSS {run['rss_pre_mb']:.1f} -> "
                f"{rss_after:.1f} MB, {run['seconds']:.1f} s: {verdict}",
                file=sys.stderr,
            )
            if not alive:
                break
        if out["faults"]:
            final = server.rss_mb() if server.alive() else float("nan")
            growth = (final - baseline) / baseline
            ok = server.alive() and abs(growth) <= args.rss_tolerance
            out["faults_overall"] = {
                "rss_baseline_mb": baseline,
                "rss_final_mb": final,
                "rss_growth": growth,
                "server_alive": server.alive(),
                "verdict": "PASS" if ok else f"FAIL (RSS {growth:+.0%})",
            }
    finally:
        code = server.stop()
        summary = {"model": "faults: bundled-int8", "cmd": server.cmd, "exit_code": code, **server.log_summary()}
        out["servers"].append(summary)
        server.cleanup()


# --- report -----------------------------------------------------------------------------


def tables(out: Dict[str, Any]) -> str:
    parts = []
    if out["load"]:
        rows = [
            [
                p["model"],
                p["k"],
                ms(p["partial_p50"]),
                ms(p["partial_p95"]),
                ms(p["partial_p99"]),
                ms(p["final_p50"]),
                ms(p["final_p95"]),
                f"{p['server_cpu_percent']:.0f}" if p["server_alive"] else "died",
                f"{p['rss_start_mb']:.0f} / {p['rss_peak_mb']:.0f}",
                f"{p['texts_equal']}/{p['k']}",
                p["errors"],
            ]
            for p in out["load"]
        ]
        header = [
            "model",
            "K",
            "partial p50 ms",
            "p95 ms",
            "p99 ms",
            "final p50 ms",
            "final p95 ms",
            "server CPU %",
            "server RSS MB (start / peak)",
            "texts equal",
            "errors",
        ]
        parts.append("## Load: K concurrent real-time streams\n\n" + markdown_table(header, rows))
    if out["rtf"]:
        rows = [[r["model"], f"{r['rtf']:.4f}", r["cores"], f"{r['ceiling_streams']:.0f}"] for r in out["rtf"]]
        parts.append(
            "## Real-time ceiling from the single-stream RTF (offline, 1 thread, best of 3)\n\n"
            + markdown_table(["model", "RTF", "cores", "ceiling: cores / RTF streams"], rows)
        )
    if out["faults"]:
        rows = [
            [
                f["fault"],
                f["count"],
                f"{f['good_texts_equal']}/{f['good_clients']}",
                f"{f['faulty_as_expected']}/{f['faulty_total']} ({F.describe_codes(f['close_codes'])})",
                "yes" if f["server_alive"] else "NO",
                f"{f['rss_pre_mb']:.1f} / {f['rss_after_mb']:.1f}",
                f"{f['seconds']:.1f}",
                f["verdict"],
            ]
            for f in out["faults"]
        ]
        overall = out.get("faults_overall")
        if overall:
            good = sum(f["good_clients"] for f in out["faults"])
            equal = sum(f["good_texts_equal"] for f in out["faults"])
            faulty = sum(f["faulty_total"] for f in out["faults"])
            expected = sum(f["faulty_as_expected"] for f in out["faults"])
            rows.append(
                [
                    "all faults (RSS: before the first / after the last)",
                    "",
                    f"{equal}/{good}",
                    f"{expected}/{faulty}",
                    "yes" if overall["server_alive"] else "NO",
                    f"{overall['rss_baseline_mb']:.1f} / {overall['rss_final_mb']:.1f}",
                    f"{sum(f['seconds'] for f in out['faults']):.1f}",
                    overall["verdict"],
                ]
            )
        header = [
            "fault",
            "count",
            "good texts equal",
            "faulty as expected (close codes)",
            "server alive",
            "RSS before / after MB",
            "s",
            "verdict",
        ]
        parts.append(
            f"## Faults (bundled-int8, {out['args']['good']} good clients streaming)\n\n" + markdown_table(header, rows)
        )
    return "\n\n".join(parts)


def failures(out: Dict[str, Any]) -> List[str]:
    bad = []
    for p in out["load"]:
        if p["texts_equal"] != p["k"] or p["errors"] or not p["server_alive"]:
            first = next((c for c in p["per_client"] if c["error"] or not c["text_equal"]), None)
            bad.append(
                f"load {p['model']} K={p['k']}: {p['k'] - p['texts_equal']} text(s) differ, "
                f"{p['errors']} error(s), server alive {p['server_alive']}; first: {brief(first)}"
            )
    for f in out["faults"]:
        if f["verdict"] != "PASS":  # FAIL, with the RSS growth where that is why
            bad.append(
                f"fault {f['fault']}: good {f['good_texts_equal']}/{f['good_clients']}, faulty "
                f"{f['faulty_as_expected']}/{f['faulty_total']}, alive {f['server_alive']}, RSS "
                f"{f['rss_pre_mb']:.1f} -> {f['rss_after_mb']:.1f} MB; first unexpected: "
                f"{f['first_unexpected']}; first mismatch: {brief(next(iter(f['good_mismatches']), None))}"
            )
    overall = out.get("faults_overall")
    if overall and overall["verdict"] != "PASS":
        bad.append(
            f"all faults: RSS {overall['rss_baseline_mb']:.1f} MB before the first, "
            f"{overall['rss_final_mb']:.1f} MB after the last: {overall['verdict']}"
        )
    return bad


def brief(client: Any) -> str:
    if not client:
        return "-"
    return json.dumps({k: client.get(k) for k in ("wav", "error", "text", "expected", "close_code")})


def start_watchdog(seconds: float, out: Dict[str, Any], json_path: str) -> threading.Timer:
    def expire() -> None:
        print(f"bench_serve: --timeout {seconds:g} s ran out; killing the server", file=sys.stderr, flush=True)
        kill_all()
        out["timed_out"] = True
        if json_path:
            try:
                Path(json_path).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
            except Exception:
                pass
        os._exit(2)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def ints(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="bundled-float,bundled-int8,zipformer-int8")
    p.add_argument("--clients", default="1,10,50,100,150", help="K for the bundled model")
    p.add_argument("--zipformer-clients", default="1,2,4,8,16", help="K for the full-size models")
    p.add_argument("--workers", type=int, default=0, help="server decoding threads (0: one per CPU)")
    p.add_argument("--faults", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--good", type=int, default=10, help="good clients streaming during each fault")
    p.add_argument("--churn", type=int, default=10000, help="connections opened and closed in fault (e)")
    p.add_argument("--timeout", type=float, default=900.0, help="for the whole run, seconds")
    p.add_argument("--client-timeout", type=float, default=120.0, help="for one client's stream, seconds")
    p.add_argument("--rss-tolerance", type=float, default=0.10, help="allowed RSS change over a fault (fraction)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", default="", help="write every raw number here")
    args = p.parse_args()

    models = [m for m in args.models.split(",") if m]
    for name in models:
        check_model_name(name)

    import ncasr.bench as bench

    env = bench.environment([])
    out: Dict[str, Any] = {"env": env, "args": vars(args), "rtf": [], "load": [], "faults": [], "servers": []}
    out["aborted"] = []

    def attempt(what: str, fn: Any, *a: Any) -> None:
        """A part that raises (a server that will not start, dies in the warm-up) is a failure;
        the other parts still run."""
        try:
            fn(*a)
        except Exception as e:
            out["aborted"].append(f"{what}: {type(e).__name__}: {e}")
            print(f"bench_serve: {what} aborted: {type(e).__name__}: {e}", file=sys.stderr)

    atexit.register(kill_all)
    timer = start_watchdog(args.timeout, out, args.json)
    wavs = sorted(WAV_DIR.glob("*.wav"))
    if not wavs:
        raise SystemExit(f"no wavs in {WAV_DIR}")
    print(bench.header_text(env))
    print(
        f"server: python -m ncasr serve MODEL --workers {args.workers or os.cpu_count()} "
        "--max-connections 1000; clients: this process, 100 ms chunks at real-time pace, endpointing off\n",
        flush=True,
    )
    t0 = time.monotonic()
    try:
        for name in models:
            ks = ints(args.clients if name.startswith("bundled-") else args.zipformer_clients)
            attempt(f"load {name}", run_load, name, ks, args, wavs, out)
        if args.faults:
            attempt("faults", run_faults, args, wavs, out)
    finally:
        kill_all()
        timer.cancel()
        out["seconds"] = time.monotonic() - t0
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
    print(tables(out))
    problems = failures(out) + [f"aborted: {x}" for x in out["aborted"]]
    for s in out["servers"]:
        if s["problem_count"] or s["exit_code"] not in (0, None):
            problems.append(
                f"server ({s['model']}): exit code {s['exit_code']} after SIGTERM, "
                f"{s['problem_count']} problem line(s) in its log: {s['problem_lines'][:3]}"
            )
    print(f"\n{out['seconds']:.0f} s in all.")
    if problems:
        print("\nFAILED:\n" + "\n".join(f"- {x}" for x in problems))
        return 1
    print("All texts equal offline decoding; no errors" + ("; every fault PASS." if out["faults"] else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
