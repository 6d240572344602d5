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
import warnings
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import soundfile as sf

TAIL_PADDING_S = 0.5


class Backend:
    """What every backend does with a stream: append samples and decode what is ready; at
    the end, append the tail silence, end the input and decode the rest. A backend supplies
    ``new``, ``text`` and the three steps ``_accept``, ``_end`` and ``_decode``.

    Example::

        backend = BACKENDS["ncasr"](job)
        s = backend.new()
        backend.feed(s, 16000, samples)
        backend.finish(s, 16000)
    """

    def feed(self, s: Any, rate: int, x: np.ndarray) -> None:
        """Append samples ``x`` to stream ``s`` and decode every ready chunk.

        Example::

            backend.feed(s, 16000, samples[:1600])
        """
        self._accept(s, rate, x)
        self._decode(s)

    def finish(self, s: Any, rate: int) -> None:
        """Append the tail silence, end the input and decode the rest.

        Example::

            backend.finish(s, 16000)
        """
        self._accept(s, rate, np.zeros(int(TAIL_PADDING_S * rate), np.float32))
        self._end(s)
        self._decode(s)

    def _accept(self, s: Any, rate: int, x: np.ndarray) -> None:
        s.accept_waveform(rate, x)

    def _end(self, s: Any) -> None:
        s.input_finished()

    def _decode(self, s: Any) -> None:
        raise NotImplementedError


class NcasrBackend(Backend):
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
        chunks = {"max_chunks_per_call": job["max_chunks_per_call"]} if job.get("max_chunks_per_call") else {}
        self.rec = ncasr.Recognizer.from_dir(
            job["model_dir"],
            variant=job["variant"],
            method=job["method"],
            num_active_paths=job["num_active_paths"],
            runtime=ncasr.RuntimeOptions.fastest(),
            num_threads=job["threads"],
            use_fp16_storage=job["fp16_storage"],
            **chunks,
        )

    def new(self) -> Any:
        """A fresh stream.

        Example::

            s = backend.new()
        """
        return self.rec.create_stream()

    def _decode(self, s: Any) -> None:
        self.rec.decode(s)

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return self.rec.result(s).text


class SherpaNcnnBackend(Backend):
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

    def _decode(self, s: Any) -> None:
        pass  # sherpa-ncnn decodes inside accept_waveform and input_finished

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return s.text


class SherpaOnnxBackend(Backend):
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

    def _decode(self, s: Any) -> None:
        while self.rec.is_ready(s):
            self.rec.decode_stream(s)

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return self.rec.get_result(s)


class _TorchStream:
    """One stream of :class:`TorchBackend`: fbank, frames processed, LSTM states, tokens."""

    def __init__(self, fbank: Any, h: Any, c: Any, decoder_out: Any) -> None:
        self.fbank = fbank
        self.processed = 0  # fbank frames consumed (chunk starts advance by decode_chunk_len)
        self.h, self.c = h, c
        self.tokens: List[int] = []
        self.decoder_out = decoder_out


class TorchBackend(Backend):
    """A TorchScript folder (recipes/reference_lstm/export_torch.py: encoder/decoder/joiner
    ``.pt`` or ``.int8.pt``, tokens.txt, meta.json) run by PyTorch, behind the same interface.

    Streaming as ncasr and sherpa-ncnn do it: kaldi-native-fbank features (meta.json's
    options); a chunk of T frames is decoded while more than T frames past the processed ones
    are ready, then the start advances by decode_chunk_len; greedy search with at most one
    symbol per encoder frame, blank and <unk> not emitted, the decoder context the last
    context_size tokens padded with blank (cpp/decode/greedy_search.cc). Greedy search only.

    Example::

        backend = TorchBackend(job)
        s = backend.new()
        backend.feed(s, 16000, samples)
    """

    def __init__(self, job: Dict[str, Any]) -> None:
        import kaldi_native_fbank as knf
        import torch

        if job["method"] != "greedy_search":
            raise ValueError(f"the torch backend runs greedy_search only, not {job['method']}")
        torch.set_num_threads(job["threads"])
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set in this process
            pass
        self.torch = torch
        files = job["files"]
        with open(files["meta"], encoding="utf-8") as f:
            meta = json.load(f)
        with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript (it still runs)
            warnings.simplefilter("ignore", DeprecationWarning)
            self.encoder = torch.jit.load(files["encoder"]).eval()
            self.decoder = torch.jit.load(files["decoder"]).eval()
            self.joiner = torch.jit.load(files["joiner"]).eval()
        self.T, self.shift = int(meta["T"]), int(meta["decode_chunk_len"])
        self.context_size, self.blank = int(meta["context_size"]), int(meta["blank_id"])
        self.unk = int(meta.get("unk_id", -1))
        self.state_shapes = meta["state_shapes"]
        self.texts: Dict[int, str] = {}
        with open(files["tokens"], encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    sym = parts[0]
                    self.texts[int(parts[1])] = " " + sym[1:] if sym.startswith("\u2581") else sym
        fo = meta["feature"]
        self.sample_rate = int(fo["sample_rate"])
        o = knf.FbankOptions()
        o.frame_opts.samp_freq = fo["sample_rate"]
        o.frame_opts.frame_length_ms = fo["frame_length_ms"]
        o.frame_opts.frame_shift_ms = fo["frame_shift_ms"]
        o.frame_opts.dither = fo["dither"]
        o.frame_opts.snip_edges = fo["snip_edges"]
        o.frame_opts.window_type = fo["window_type"]
        o.frame_opts.preemph_coeff = fo["preemph_coeff"]
        o.frame_opts.remove_dc_offset = fo["remove_dc_offset"]
        o.mel_opts.num_bins = fo["num_bins"]
        o.mel_opts.low_freq = fo["low_freq"]
        o.mel_opts.high_freq = fo["high_freq"]
        self.fbank_options = o
        self.knf = knf

    def _decoder_out(self, tokens: List[int]) -> Any:
        n = self.context_size
        ctx = ([self.blank] * n + tokens)[-n:]
        return self.decoder(self.torch.tensor([ctx], dtype=self.torch.int64))

    def new(self) -> Any:
        """A fresh stream.

        Example::

            s = backend.new()
        """
        zeros = self.torch.zeros
        with self.torch.inference_mode():
            dec = self._decoder_out([])
        return _TorchStream(
            self.knf.OnlineFbank(self.fbank_options),
            zeros(*self.state_shapes["h"]),
            zeros(*self.state_shapes["c"]),
            dec,
        )

    def _decode(self, s: _TorchStream) -> None:
        torch = self.torch
        with torch.inference_mode():
            while s.fbank.num_frames_ready > s.processed + self.T:
                x = np.stack([s.fbank.get_frame(s.processed + i) for i in range(self.T)])
                enc, s.h, s.c = self.encoder(torch.from_numpy(x)[None], s.h, s.c)
                for t in range(enc.size(1)):
                    token = int(self.joiner(enc[:, t], s.decoder_out).argmax(dim=-1))
                    if token != self.blank and token != self.unk:
                        s.tokens.append(token)
                        s.decoder_out = self._decoder_out(s.tokens)
                s.processed += self.shift
                s.fbank.pop(self.shift)  # frames before the next chunk are never read again

    def _accept(self, s: Any, rate: int, x: np.ndarray) -> None:
        if rate != self.sample_rate:
            raise ValueError(f"the torch backend takes {self.sample_rate} Hz audio only, got {rate} Hz")
        s.fbank.accept_waveform(rate, x)

    def _end(self, s: Any) -> None:
        s.fbank.input_finished()

    def text(self, s: Any) -> str:
        """The text recognised so far.

        Example::

            hyp = backend.text(s)
        """
        return "".join(self.texts[t] for t in s.tokens)


BACKENDS = {
    "ncasr": NcasrBackend,
    "sherpa-ncnn": SherpaNcnnBackend,
    "sherpa-onnx": SherpaOnnxBackend,
    "torch": TorchBackend,
}


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
