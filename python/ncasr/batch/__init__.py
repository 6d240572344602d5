"""Batch jobs over whole corpora: transcription of a manifest into JSON lines, the
benchmark and calibration, on local processes or on a Ray cluster (``ncasr[ray]``).

    from ncasr.batch import DecodeSettings, RayOptions, transcribe_manifest
    summary = transcribe_manifest("test.tsv", "out.jsonl", DecodeSettings(), engine="ray",
                                  ray=RayOptions(address="auto"))

Ray is imported only when a Ray job runs; ``import ncasr.batch`` works without it.
"""

from .output import OutputFileError, ResultsFile, read_results, sort_results
from .settings import ENGINES, DecodeSettings, RayOptions
from .summary import TranscribeSummary
from .transcribe import transcribe_manifest

__all__ = [
    "ENGINES",
    "DecodeSettings",
    "OutputFileError",
    "RayOptions",
    "ResultsFile",
    "TranscribeSummary",
    "read_results",
    "sort_results",
    "transcribe_manifest",
]
