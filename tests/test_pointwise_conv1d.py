"""Pointwise Convolution1D run as a Gemm (NcasrPointwiseConv1D, the default): same encoder
outputs as ncnn's Convolution1D up to float rounding, on every architecture."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.knf import knf_fbank


def encode(name, feats, as_gemm):
    rec = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False, pointwise_conv1d_as_gemm=as_gemm)
    return rec._r.encode(feats)


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_gemm_path_matches_convolution1d(name, test_wavs):
    x, rate = ncasr.load_audio(test_wavs[2])
    feats = knf_fbank(x, rate)
    conv = encode(name, feats, False)
    gemm = encode(name, feats, True)
    assert len(conv) == len(gemm) > 0
    worst = max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(conv, gemm))
    assert worst < 1e-5, worst
    if name == "lstm-small":
        assert worst == 0.0  # no Convolution1D in an LSTM encoder: nothing changes
    else:
        assert worst > 0.0  # another summation order: proof the Gemm path ran
