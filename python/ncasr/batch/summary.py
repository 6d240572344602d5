"""The figures of a batch transcription: counts, audio, time, and WER/CER when there are
references (computed with ncasr.metrics, as ``ncasr bench`` does)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional, Union

from ..metrics import EditCounts, char_error_rate, word_error_rate
from .output import read_results

__all__ = ["TranscribeSummary", "summarize"]


@dataclass
class TranscribeSummary:
    """What a batch transcription produced; this run's part and the whole file's.

    ``audio_hours_per_hour`` is this run's audio divided by its wall time (0 when it
    transcribed nothing). ``wer``/``cer`` cover the lines that carry a reference.

    Example::

        summary = transcribe_manifest("test.tsv", "out.jsonl")
        print(summary.utterances, summary.wer, summary.audio_hours_per_hour)
    """

    output: str
    engine: str
    workers: int
    utterances: int = 0  # in the output file, errors excluded
    failed: int = 0  # lines with "error"
    skipped: int = 0  # already in the output when this run started
    transcribed: int = 0  # by this run
    audio_seconds: float = 0.0  # whole file
    decode_seconds: float = 0.0  # whole file, summed over workers
    run_audio_seconds: float = 0.0
    wall_seconds: float = 0.0  # this run
    startup_seconds: Optional[float] = None  # this run, from the call to its first result
    ref_words: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    wer: Optional[float] = None
    cer: Optional[float] = None

    @property
    def audio_hours_per_hour(self) -> float:
        """Audio transcribed per wall time in this run (hours per hour).

        Example::

            print(f"{summary.audio_hours_per_hour:.0f} h of audio per hour")
        """
        return self.run_audio_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def decode_rtf(self) -> float:
        """Recognition time over audio, summed over workers (per-worker speed).

        Example::

            print(f"RTF {summary.decode_rtf:.3f}")
        """
        return self.decode_seconds / self.audio_seconds if self.audio_seconds > 0 else 0.0

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready values, the derived rates included.

        Example::

            json.dumps(summary.to_dict())
        """
        d = asdict(self)
        d["audio_hours_per_hour"] = self.audio_hours_per_hour
        d["decode_rtf"] = self.decode_rtf
        return d

    def __str__(self) -> str:
        lines = [
            f"{self.output}: {self.utterances} utterances ({self.audio_seconds / 3600:.3f} h of audio)"
            + (f", {self.failed} failed" if self.failed else ""),
            f"this run: {self.transcribed} transcribed, {self.skipped} already done, {self.engine} engine with "
            f"{self.workers} worker(s), {self.wall_seconds:.1f} s wall, "
            f"{self.audio_hours_per_hour:.1f} h of audio per hour; decode RTF {self.decode_rtf:.3f}",
        ]
        if self.wer is not None:
            lines.append(
                f"WER {100 * self.wer:.2f} % ({self.substitutions} sub, {self.deletions} del, {self.insertions} ins "
                f"of {self.ref_words} words), CER {100 * (self.cer or 0.0):.2f} %"
            )
        return "\n".join(lines)


def summarize(output: Union[str, "os.PathLike[str]"], summary: TranscribeSummary) -> TranscribeSummary:
    """Fill ``summary``'s whole-file figures from the results file ``output`` (read once,
    line by line).

    Example::

        s = summarize("out.jsonl", TranscribeSummary("out.jsonl", "local", 2))
    """
    counts, edits, chars, scored = EditCounts(), 0, 0, 0
    for record in read_results(output):
        if "error" in record:
            summary.failed += 1
            continue
        summary.utterances += 1
        summary.audio_seconds += float(record.get("duration", 0.0))
        summary.decode_seconds += float(record.get("decode_s", 0.0))
        if record.get("ref"):
            scored += 1
            counts = counts + word_error_rate([record["ref"]], [record.get("text", "")])
            e, c = char_error_rate([record["ref"]], [record.get("text", "")])
            edits, chars = edits + e, chars + c
    if scored:
        summary.ref_words, summary.wer = counts.ref_words, counts.wer
        summary.substitutions, summary.deletions, summary.insertions = (
            counts.substitutions,
            counts.deletions,
            counts.insertions,
        )
        summary.cer = edits / max(chars, 1)
    return summary
