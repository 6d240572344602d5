"""Measure recognizers: WER, RTF, size, load time, memory and latency, for every model
variant and thread count, side by side with sherpa-ncnn when it is installed.

    import ncasr.bench  # not imported by `import ncasr`
    records = ncasr.bench.run_bench(["model/", "model-int8/"], "test.tsv", threads=[1, 2])
    print(ncasr.bench.markdown(records))
"""

# Manifests and WER live in ncasr.data and ncasr.metrics (quantization uses them too);
# re-exported here so bench users keep one import.
from ..data import ManifestEntry, ManifestError, read_manifest, write_manifest
from ..metrics import EditCounts, align_words, char_error_rate, normalize_text, word_error_rate
from .report import environment, header_text, markdown, plot, to_json
from .runner import BenchRecord, Target, run_bench

__all__ = [
    "run_bench",
    "BenchRecord",
    "Target",
    "markdown",
    "to_json",
    "plot",
    "environment",
    "header_text",
    "read_manifest",
    "write_manifest",
    "ManifestEntry",
    "ManifestError",
    "normalize_text",
    "align_words",
    "word_error_rate",
    "char_error_rate",
    "EditCounts",
]
