"""One timed benchmark run in a fresh process: load one backend, decode a list of files.

Run by ``ncasr.bench`` as ``python worker.py`` (a file path, not ``-m``, so a sherpa-ncnn run
never imports ncasr and its peak RSS is its own). Reads a job as JSON on stdin, prints one
JSON result line on stdout. Kept free of ncasr imports on purpose.

Per run:
* load time: constructing the recognizer (reading and preparing the three nets);
* a warm-up decode of the first file, excluded from every number;
* RTF: each file decoded in one call (samples, 0.5 s of silence, input finished), the time
  summed over files and divided by the summed audio duration;
* latency (first ``latency_files`` files, fed in ``chunk_s`` chunks as if live):
  first partial = audio time from speech onset to the end of the chunk after which the text
  is first non-empty, plus that chunk's decode time; final = time from the last real chunk to
  the final result (tail silence, input finished, flush). Speech onset: the first 10 ms frame
  within 30 dB of the loudest frame.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import soundfile as sf

TAIL_PADDING_S = 0.5


class NcasrBackend:
    """ncasr's Recognizer behind the worker's backend interface (new, feed, finish, text).

    Example::

        backend = NcasrBackend(job)
        s = backend.new()
        backend.feed(s, 16000, samples)
        backend.finish(s, 16000)
    """

    def __init__(self, job: Dict[str, Any]) -> None:
        import ncasr

        self.ncasr = ncasr
        # The fastest settings; fp32 storage when the job measures fp32 weights.
        self.rec = ncasr.Recognizer.from_dir(
            job["model_dir"],
            variant=job["variant"],
            method=job["method"],
            num_active_paths=job["num_active_paths"],
            runtime=ncasr.RuntimeOptions.fastest(),
            num_threads=job["threads"],
            use_fp16_storage=job["fp16_storage"],
        )

    def new(self) -> Any:
        """A fresh stream.

        Example::

            s = backend.new()
        """
        return self.rec.create_stream()

    def feed(self, s: Any, rate: int, x: np.ndarray) -> None:
        """Append samples ``x`` to stream ``s`` and decode every ready chunk.

        Example::

            backend.feed(s, 16000, samples[:1600])
        """
        s.accept_waveform(rate, x)
        self.rec.decode(s)

    def finish(self, s: Any, rate: int) -> None:
        """Append the tail silence, end the input and decode the rest.

        Example::

            backend.finish(s, 16000)
        """
        s.accept_waveform(rate, np.zeros(int(TAIL_PADDING_S * rate), np.float32))
        s.input_finished()
        self.rec.decode(s)

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return self.rec.result(s).text


class SherpaNcnnBackend:
    """sherpa-ncnn's Recognizer behind the same interface as :class:`NcasrBackend`.

    Example::

        backend = SherpaNcnnBackend(job)
        s = backend.new()
        backend.feed(s, 16000, samples)
    """

    def __init__(self, job: Dict[str, Any]) -> None:
        import sherpa_ncnn

        files = job["files"]
        self.make = lambda: sherpa_ncnn.Recognizer(
            tokens=files["tokens"],
            encoder_param=files["encoder_param"],
            encoder_bin=files["encoder_bin"],
            decoder_param=files["decoder_param"],
            decoder_bin=files["decoder_bin"],
            joiner_param=files["joiner_param"],
            joiner_bin=files["joiner_bin"],
            num_threads=job["threads"],
            decoding_method=job["method"],
            num_active_paths=job["num_active_paths"],
        )
        self.rec = self.make()

    def new(self) -> Any:
        """A fresh stream (the recognizer wrapper, holding a new stream).

        Example::

            s = backend.new()
        """
        # The Recognizer wrapper owns one stream; its reset() only restarts a segment after
        # an endpoint (features and "input finished" stay), so each file gets a new stream.
        self.rec.stream = self.rec.recognizer.create_stream()
        return self.rec

    def feed(self, s: Any, rate: int, x: np.ndarray) -> None:
        """Append samples ``x`` to ``s`` (which decodes every ready chunk itself).

        Example::

            backend.feed(s, 16000, samples[:1600])
        """
        s.accept_waveform(rate, x)  # decodes every ready chunk inside

    def finish(self, s: Any, rate: int) -> None:
        """Append the tail silence and end the input (which decodes the rest).

        Example::

            backend.finish(s, 16000)
        """
        s.accept_waveform(rate, np.zeros(int(TAIL_PADDING_S * rate), np.float32))
        s.input_finished()

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return s.text


class SherpaOnnxBackend:
    """sherpa-onnx's OnlineRecognizer on an ONNX folder, behind the same interface.

    Example::

        backend = SherpaOnnxBackend(job)
        s = backend.new()
        backend.feed(s, 16000, samples)
    """

    def __init__(self, job: Dict[str, Any]) -> None:
        import sherpa_onnx

        files = job["files"]
        self.rec = sherpa_onnx.OnlineRecognizer.from_transducer(
            tokens=files["tokens"],
            encoder=files["encoder"],
            decoder=files["decoder"],
            joiner=files["joiner"],
            num_threads=job["threads"],
            sample_rate=16000,
            feature_dim=80,
            decoding_method=job["method"],
            max_active_paths=job["num_active_paths"],
        )

    def new(self) -> Any:
        """A fresh stream.

        Example::

            s = backend.new()
        """
        return self.rec.create_stream()

    def feed(self, s: Any, rate: int, x: np.ndarray) -> None:
        """Append samples ``x`` to stream ``s`` and decode every ready chunk.

        Example::

            backend.feed(s, 16000, samples[:1600])
        """
        s.accept_waveform(rate, x)
        while self.rec.is_ready(s):
            self.rec.decode_stream(s)

    def finish(self, s: Any, rate: int) -> None:
        """Append the tail silence, end the input and decode the rest.

        Example::

            backend.finish(s, 16000)
        """
        s.accept_waveform(rate, np.zeros(int(TAIL_PADDING_S * rate), np.float32))
        s.input_finished()
        while self.rec.is_ready(s):
            self.rec.decode_stream(s)

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return self.rec.get_result(s)


BACKENDS = {"ncasr": NcasrBackend, "sherpa-ncnn": SherpaNcnnBackend, "sherpa-onnx": SherpaOnnxBackend}


def speech_onset(x: np.ndarray, rate: int) -> float:
    """Seconds to the first 10 ms frame within 30 dB of the loudest frame (0.0 if none).

    Example::

        onset = speech_onset(samples, 16000)
    """
    hop = max(1, rate // 100)
    n = x.size // hop
    if n == 0:
        return 0.0
    energy = (x[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1)
    loud = energy >= energy.max() * 1e-3  # within 30 dB of the loudest frame
    return float(np.argmax(loud) * hop / rate)


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux; NaN where unknown).

    Example::

        print(f"{peak_rss_mb():.0f} MB")
    """
    # VmHWM is this process image's own peak (ru_maxrss is inherited across fork).
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run(job: Dict[str, Any]) -> Dict[str, Any]:
    """Load the job's backend, decode its files and return the measurements (see the module
    docstring): load time, hypotheses, per-file decode and audio seconds, latencies, peak RSS.

    Example::

        out = run({"backend": "ncasr", "files_to_decode": ["a.wav"], ...})
        print(out["hyps"], out["load_s"])
    """
    audio: List[Tuple[np.ndarray, int]] = []
    for path in job["files_to_decode"]:
        x, rate = sf.read(path, dtype="float32", always_2d=True)
        audio.append((np.ascontiguousarray(x[:, 0]), rate))
    t0 = time.perf_counter()
    backend = BACKENDS[job["backend"]](job)
    load_s = time.perf_counter() - t0

    def one_call(x: np.ndarray, rate: int) -> str:
        s = backend.new()
        backend.feed(s, rate, x)
        backend.finish(s, rate)
        return backend.text(s)

    one_call(*audio[0])  # warm-up
    hyps: List[str] = []
    decode_s: List[float] = []
    audio_s: List[float] = []
    for x, rate in audio:
        t = time.perf_counter()
        text = one_call(x, rate)
        decode_s.append(time.perf_counter() - t)
        hyps.append(text)
        audio_s.append(x.size / rate)

    first_partial: List[float] = []
    final: List[float] = []
    for x, rate in audio[: job["latency_files"]]:
        step = max(1, int(job["chunk_s"] * rate))
        onset = speech_onset(x, rate)
        s = backend.new()
        seen: Optional[float] = None
        for start in range(0, x.size, step):
            t = time.perf_counter()
            backend.feed(s, rate, x[start : start + step])
            spent = time.perf_counter() - t
            if seen is None and backend.text(s).strip():
                seen = max(0.0, min(x.size, start + step) / rate - onset) + spent
        t = time.perf_counter()
        backend.finish(s, rate)
        text = backend.text(s)
        final.append(time.perf_counter() - t)
        if seen is None and text.strip():
            seen = max(0.0, x.size / rate - onset) + final[-1]
        if seen is not None:
            first_partial.append(seen)
    return {
        "load_s": load_s,
        "hyps": hyps,
        "decode_s": decode_s,
        "audio_s": audio_s,
        "latency_first_partial_s": first_partial,
        "latency_final_s": final,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    """Read a job as JSON on stdin, run it, print one JSON result line; exit status 0 (a
    failure is reported in the result as ``{"error": ...}``).

    Example::

        proc = subprocess.run([sys.executable, "worker.py"], input=json.dumps(job),
                              capture_output=True, text=True)
        result = json.loads(proc.stdout)
    """
    job = json.loads(sys.stdin.read())
    try:
        out = run(job)
    except Exception as e:  # reported to the parent, which records it in the row
        out = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
