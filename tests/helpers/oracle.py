"""sherpa-ncnn 2.1.15 (PyPI) as the decoding oracle, fed exactly like ncasr."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import numpy as np

TAIL_PADDING = 0.5  # seconds of zeros both runtimes get before input_finished()


def sherpa_decode(model_dir: Path, samples: np.ndarray, rate: int, method: str,
                  num_active_paths: int = 4, num_threads: int = 1) -> Tuple[List[int], List[float]]:
    import sherpa_ncnn

    d = Path(model_dir)
    f = {f"{n}_{e}": str(d / f"{n}_jit_trace-pnnx.ncnn.{e}")
         for n in ("encoder", "decoder", "joiner") for e in ("param", "bin")}
    rec = sherpa_ncnn.Recognizer(tokens=str(d / "tokens.txt"), num_threads=num_threads,
                                 decoding_method=method, num_active_paths=num_active_paths, **f)
    rec.accept_waveform(rate, samples)
    rec.accept_waveform(rate, np.zeros(int(TAIL_PADDING * rate), np.float32))
    rec.input_finished()
    return list(rec.tokens), [round(t, 4) for t in rec.timestamps]


def ncasr_decode(model_dir: Path, samples: np.ndarray, rate: int, method: str,
                 num_active_paths: int = 4):
    """ncasr's core, with per-frame decision margins recorded. Returns (ids, stamps, margins)."""
    from ncasr import _core

    c = _core.RecognizerConfig()
    c.method = method
    c.num_active_paths = num_active_paths
    c.record_margins = True
    c.zipformer_encoder_fp16_weights = False  # the precision sherpa-ncnn runs Zipformer at
    c.pointwise_conv1d_as_gemm = False  # ncnn's Convolution1D, as sherpa-ncnn
    c.depthwise_conv1d_simd = False  # ncnn's ConvolutionDepthWise1D, as sherpa-ncnn
    c.int8_gemm_ncasr = False  # ncnn's int8 Gemm, as sherpa-ncnn
    c.lstm_int8_ncasr = False  # ncnn's int8 LSTM, as sherpa-ncnn
    c.lstm_fp16_weights = False  # ncnn's float LSTM, as sherpa-ncnn
    c.lstm_fp32_panels = False  # ncnn's float LSTM, as sherpa-ncnn
    c.inner_product_panels = False  # ncnn's InnerProduct, as sherpa-ncnn
    c.glu_simd = False  # ncnn's GLU, as sherpa-ncnn
    c.fuse_double_swish = False  # ncnn's four DoubleSwish layers, as sherpa-ncnn
    c.fuse_basic_norm = False  # ncnn's six BasicNorm layers, as sherpa-ncnn
    rec = _core.Recognizer(str(model_dir), c)
    s = rec.create_stream()
    s.accept_waveform(rate, np.ascontiguousarray(samples, np.float32))
    s.accept_waveform(rate, np.zeros(int(TAIL_PADDING * rate), np.float32))
    s.input_finished()
    rec.decode(s)
    r = rec.result(s)
    return r["token_ids"], [round(t, 4) for t in r["timestamps"]], rec.margins(s)
