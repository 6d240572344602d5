"""The kernel test and benchmark hooks live in the submodule ncasr._core._testing, not at the
top level of ncasr._core (cpp/bindings/testing.cc)."""

import types

from ncasr import _core

HOOKS = [
    "depthwise_conv1d",
    "depthwise_conv1d_packed",
    "int8_depthwise_conv1d",
    "depthwise_conv1d_seconds",
    "glu",
    "f16_gemv",
    "f32_gemv",
    "int8_peak_gops",
    "int8_gemm",
    "lstm_cell",
    "quantize_int8_rows",
    "int8_gemm_avx2_vnni256_variants",
    "set_int8_gemm_avx2_vnni256",
    "PackedInt8Gemm",
]


def test_testing_is_a_submodule():
    assert isinstance(_core._testing, types.ModuleType)
    assert "not a public API" in _core._testing.__doc__


def test_hooks_moved_to_testing():
    for name in HOOKS:
        assert hasattr(_core._testing, name), name
        assert not hasattr(_core, name), name


def test_package_kernel_controls_stay_top_level():
    # ncasr.quantization.statistics and ncasr.bench use these, so they stay on _core itself.
    for name in ["kernel_paths", "kernel_path", "set_kernel_path", "abs_max", "abs_histogram"]:
        assert hasattr(_core, name), name
