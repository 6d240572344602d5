"""One worker's job: a Recognizer turning utterances into result lines (local processes and
Ray actors both run this)."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, NamedTuple

from ..audio import load_audio
from ..errors import NcasrError
from .settings import DecodeSettings

__all__ = ["Outcome", "UtteranceTranscriber"]


class Outcome(NamedTuple):
    """One utterance's result: its id, its JSON line, its audio length, and whether it failed.

    Example::

        out = UtteranceTranscriber(DecodeSettings())({"id": "u1", "path": "a.wav", "text": ""})
        print(out.id, out.failed, out.line)
    """

    id: str
    line: str  # one JSON object, no newline
    duration: float  # seconds of audio (0 when it could not be read)
    failed: bool


class UtteranceTranscriber:
    """Holds one Recognizer; called with ``{"id", "path", "text"}`` it returns an Outcome.

    The line has ``id``, ``path``, ``text``, ``token_ids``, ``timestamps``, ``duration`` and
    ``decode_s`` (recognition time, audio reading excluded), plus ``ref`` (the manifest's
    text) when the manifest gives one. Audio that cannot be read or recognised gives a line
    with ``error`` instead, so one bad file does not stop a corpus.

    Example::

        transcribe = UtteranceTranscriber(DecodeSettings())
        print(transcribe({"id": "u1", "path": "a.wav", "text": "hello"}).line)
    """

    def __init__(self, settings: DecodeSettings) -> None:
        self.settings = settings
        self.recognizer = settings.recognizer()

    def __call__(self, item: Dict[str, Any]) -> Outcome:
        uid, path, ref = str(item["id"]), str(item["path"]), str(item.get("text") or "")
        record: Dict[str, Any] = {"id": uid, "path": path}
        try:
            samples, rate = load_audio(path, mix_to_mono=self.settings.mix_to_mono)
            start = time.perf_counter()
            result = self.recognizer.transcribe(samples, rate)
            decode_s = time.perf_counter() - start
        except (NcasrError, OSError) as e:
            record["error"] = str(e)
            return Outcome(uid, json.dumps(record, ensure_ascii=False), 0.0, True)
        duration = samples.size / rate
        record.update(
            text=result.text,
            token_ids=list(result.token_ids),
            timestamps=list(result.timestamps),
            duration=round(duration, 4),
            decode_s=round(decode_s, 5),
        )
        if ref:
            record["ref"] = ref
        return Outcome(uid, json.dumps(record, ensure_ascii=False), duration, False)
