"""kaldi-native-fbank (PyPI), the features oracle, set up as sherpa-ncnn runs it."""

from __future__ import annotations

import numpy as np


def knf_fbank(samples: np.ndarray, rate: int = 16000) -> np.ndarray:
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0
    opts.frame_opts.snip_edges = False
    opts.frame_opts.samp_freq = rate
    opts.mel_opts.num_bins = 80
    opts.mel_opts.high_freq = -400
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(rate, samples.tolist())
    fb.input_finished()
    if fb.num_frames_ready == 0:
        return np.zeros((0, 80), np.float32)
    return np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)]).astype(np.float32)
