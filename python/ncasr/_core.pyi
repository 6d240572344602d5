"""Type stub for the compiled core (cpp/bindings). Keep in step with the bindings."""

from typing import Any, Dict, List

__version__: str

def build_info() -> Dict[str, Any]:
    """ncnn_version, ncnn_origin, compiler, arch, cpu_count, simd_active, cpu_features."""

def read_meta_data(encoder_param: str) -> Dict[str, Any]:
    """{"model_type": str, "raw": {id: value}, "named": {name: str}} of an encoder param."""

def inspect_model(model_dir: str, variant: str = "") -> Dict[str, Any]:
    """dir, model_type, meta_data, encoder/decoder/joiner stats, tokens, vocab_size."""
