"""inspect_model on every fixture returns the type and metadata written in its README."""

from __future__ import annotations

import pytest

import ncasr
from conftest import FULL_PARAMS, SMALL_MODELS, fixture_dir, fp32_dir

# Facts from tests/data/icefall-arch/README.md (the SherpaMetaData lines).
EXPECTED_RAW = {
    "zipformer-full-params": {
        0: 2,
        1: 32,
        2: 4,
        3: 7,
        15: 1,
        16: [2, 4, 3, 2, 4],
        17: [384] * 5,
        18: [192] * 5,
        19: [1, 2, 4, 8, 2],
        20: [31] * 5,
    },
    "zipformer-small": {
        0: 2,
        1: 32,
        2: 4,
        3: 7,
        15: 1,
        16: [2] * 5,
        17: [128] * 5,
        18: [64] * 5,
        19: [1, 2, 4, 8, 2],
        20: [31] * 5,
    },
    "lstm-full-params": {0: 3, 1: 12, 2: 512, 3: 1024},
    "lstm-small": {0: 3, 1: 2, 2: 128, 3: 256},
    "conv-emformer-full-params": {0: 1, 1: 12, 2: 32, 3: 31, 4: 8, 5: 32, 6: 8, 7: 512},
    "conv-emformer-small": {0: 1, 1: 2, 2: 32, 3: 31, 4: 8, 5: 32, 6: 8, 7: 128},
}
TYPES = {"zipformer": "zipformer", "lstm": "lstm", "conv-emformer": "conv_emformer"}

# Encoder layer/blob counts from the README table (before the metadata line) + 1 layer.
ENCODER_COUNTS = {
    "zipformer-full-params": (2014 + 1, 2517),
    "lstm-full-params": (243 + 1, 354),
    "conv-emformer-full-params": (1048 + 1, 1329),
    "zipformer-small": (1404 + 1, 1732),
    "lstm-small": (73 + 1, 94),
    "conv-emformer-small": (198 + 1, 249),
}

# Full-size encoder layer types from the README.
FULL_LAYER_TYPES = {
    "lstm-full-params": {
        "BinaryOp": 110,
        "Split": 52,
        "InnerProduct": 24,
        "Sigmoid": 15,
        "Reduction": 13,
        "LSTM": 12,
        "Input": 4,
        "Convolution": 3,
        "UnaryOp": 2,
        "Slice": 2,
        "Concat": 2,
        "SherpaMetaData": 1,
        "Reshape": 1,
        "Permute": 1,
        "Gemm": 1,
        "ExpandDims": 1,
    },
    "zipformer-full-params": {
        "BinaryOp": 416,
        "Split": 347,
        "Reshape": 217,
        "Crop": 180,
        "Permute": 166,
        "InnerProduct": 165,
        "Sigmoid": 78,
        "Concat": 75,
        "MatMul": 60,
        "Convolution1D": 60,
        "Input": 36,
        "Stack": 35,
        "GLU": 30,
        "ConvolutionDepthWise1D": 30,
        "Reduction": 25,
        "Softmax": 20,
        "MemoryData": 20,
        "TensorAsStrided": 15,
        "Slice": 15,
        "PoolingModuleNoProj": 15,
        "SimpleUpsample": 4,
        "Convolution": 3,
        "SherpaMetaData": 1,
        "Gemm": 1,
        "ExpandDims": 1,
    },
    "conv-emformer-full-params": {
        "BinaryOp": 190,
        "Split": 172,
        "Concat": 108,
        "Permute": 85,
        "Slice": 84,
        "InnerProduct": 84,
        "Crop": 74,
        "Reshape": 49,
        "Input": 49,
        "Sigmoid": 39,
        "Reduction": 25,
        "MatMul": 24,
        "Convolution1D": 24,
        "Softmax": 12,
        "GLU": 12,
        "ConvolutionDepthWise1D": 12,
        "Convolution": 3,
        "SherpaMetaData": 1,
        "Gemm": 1,
        "ExpandDims": 1,
    },
}


def _arch(name: str) -> str:
    return TYPES[name.rsplit("-", 1)[0] if name.endswith("small") else name[: -len("-full-params")]]


@pytest.mark.parametrize("name", SMALL_MODELS + FULL_PARAMS)
def test_type_and_metadata(name):
    info = ncasr.inspect_model(fixture_dir(name))
    assert info.model_type == _arch(name)
    assert info.raw_meta_data == EXPECTED_RAW[name]
    assert info.meta_data["model_type"] == info.model_type


@pytest.mark.parametrize("name", SMALL_MODELS + FULL_PARAMS)
def test_encoder_counts(name):
    info = ncasr.inspect_model(fixture_dir(name))
    assert (info.encoder.layer_count, info.encoder.blob_count) == ENCODER_COUNTS[name]
    assert sum(info.encoder.layer_types.values()) == info.encoder.layer_count
    for net in (info.decoder, info.joiner):
        assert net.layer_types.get("Input", 0) >= 1


@pytest.mark.parametrize("name", list(FULL_LAYER_TYPES))
def test_full_encoder_layer_types(name):
    assert ncasr.inspect_model(fixture_dir(name)).encoder.layer_types == FULL_LAYER_TYPES[name]


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_weight_bytes_cover_every_bin(name):
    info = ncasr.inspect_model(fixture_dir(name))
    for net in (info.encoder, info.decoder, info.joiner):
        assert net.bin is not None
        with open(net.bin, "rb") as f:
            assert net.weight_bytes == len(f.read())
    assert info.vocab_size == 500


@pytest.mark.parametrize("name", FULL_PARAMS)
def test_param_only_folder_has_no_weights(name):
    info = ncasr.inspect_model(fixture_dir(name))
    assert info.encoder.bin is None and info.encoder.weight_bytes is None
    assert info.tokens is None and info.vocab_size is None


def test_fp32_variant_reads_four_bytes_per_weight():
    fp16 = ncasr.inspect_model(fixture_dir("lstm-small"))
    fp32 = ncasr.inspect_model(fp32_dir("lstm-small"))
    # Same graph, float32 weights: about twice the bytes (raw fp32 biases are equal).
    assert fp32.encoder.layer_types == fp16.encoder.layer_types
    assert 1.8 < fp32.encoder.weight_bytes / fp16.encoder.weight_bytes < 2.05


def test_str_is_readable():
    text = str(ncasr.inspect_model(fixture_dir("zipformer-small")))
    assert "model type:   zipformer" in text
    assert "encoder_dims: 128,128,128,128,128" in text
    assert "weight bytes" in text
