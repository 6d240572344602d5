"""Decision margins of the bundled model on audio files, decoded as `ncasr transcribe` decodes
them (default settings), one JSON line per file: file, token_ids, timestamps, margins (per
encoder frame, the relative gap between the two best joiner scores).

A check that compares another build's tokens with these (same_transcripts.py --near-tie) can
then tell a near-tie decision that float rounding flips from a broken build.

    python scripts/wheels/decision_margins.py A.wav B.wav > margins.jsonl
"""

import json
import sys

import numpy as np

import ncasr
from ncasr import _core


def main(paths):
    config = ncasr.RecognizerConfig.from_dir(ncasr.default_model_dir())
    c = _core.RecognizerConfig()
    c.runtime = config.runtime.to_core()
    c.record_margins = True
    rec = _core.Recognizer(str(config.model_dir), c)
    for path in paths:
        samples, rate = ncasr.load_audio(path)
        s = rec.create_stream()
        s.accept_waveform(rate, samples)
        s.accept_waveform(rate, np.zeros(int(round(config.tail_padding * rate)), np.float32))
        s.input_finished()
        rec.decode(s)
        r = rec.result(s)
        row = {"file": path, "token_ids": r["token_ids"], "timestamps": r["timestamps"], "margins": rec.margins(s)}
        print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv[1:])
