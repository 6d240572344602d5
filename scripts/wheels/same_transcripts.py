"""Exit non-zero unless two `ncasr transcribe --json` outputs agree file by file.

Files are matched by base name (the two runs see different folders); text and token ids must
be identical, since both builds run the same model with the same kernels' contract.

    same_transcripts.py EXPECTED.jsonl ACTUAL.jsonl [--near-tie MARGINS.jsonl]

--near-tie (another architecture: ARM's float runs fp16 arithmetic, x86's fp32) accepts one
differing file when the two parted at a near-tie: at the encoder frame where they first differ,
the expected build's two best scores were within NEAR_TIE of each other (MARGINS.jsonl from
decision_margins.py, same files, same settings).
"""

import json
import os
import sys

NEAR_TIE = 1e-3  # relative gap between the two best scores that float rounding may flip
FRAME_SECONDS = 0.04  # one encoder frame of the bundled model (4 x 10 ms)


def load(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {os.path.basename(r["file"]): r for r in rows}


def first_divergent_frame(want, got):
    """Encoder frame where two decodes' tokens (or their times) first part ways."""
    a, b = want["token_ids"], got["token_ids"]
    ta, tb = want["timestamps"], got["timestamps"]
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y or abs(ta[i] - tb[i]) > 1e-3:
            return int(round(min(ta[i], tb[i]) / FRAME_SECONDS))
    i = min(len(a), len(b))
    return int(round(min((ta[i:] or [1e9])[0], (tb[i:] or [1e9])[0]) / FRAME_SECONDS))


def near_tie(name, want, got, margins):
    """The margin at the frame where the two decodes part, if that frame was a near-tie."""
    row = margins.get(name)
    if row is None or row["token_ids"] != want["token_ids"]:
        sys.exit(f"{name}: the margins file does not hold this decode")
    frame = first_divergent_frame(want, got)
    m = row["margins"][frame] if frame < len(row["margins"]) else float("inf")
    print(f"  parted at encoder frame {frame}, where the expected build's margin was {m:.2e}")
    return m <= NEAR_TIE


def main(argv):
    margins = None
    if len(argv) == 5 and argv[3] == "--near-tie":
        margins, argv = load(argv[4]), argv[:3]
    if len(argv) != 3:
        sys.exit("usage: same_transcripts.py EXPECTED.jsonl ACTUAL.jsonl [--near-tie MARGINS.jsonl]")
    expected, actual = load(argv[1]), load(argv[2])
    if not expected:
        sys.exit(f"{argv[1]} holds no transcripts")
    if sorted(expected) != sorted(actual):
        sys.exit(f"different files: {sorted(expected)} vs {sorted(actual)}")
    bad, ties = 0, 0
    for name, want in sorted(expected.items()):
        got = actual[name]
        same = want["text"] == got["text"] and want["token_ids"] == got["token_ids"]
        print(f"{'same' if same else 'DIFFERENT'}  {name}: {got['text'].strip()!r} ({len(got['token_ids'])} tokens)")
        if not same:
            print(f"  expected {want['text'].strip()!r} {want['token_ids']}\n  got      {got['token_ids']}")
            if margins is not None and near_tie(name, want, got, margins):
                ties += 1
            else:
                bad += 1
    if bad or ties > 1:
        sys.exit(f"{bad + ties} of {len(expected)} transcripts differ ({ties} at a near-tie; at most 1 may)")
    if ties:
        print(f"{ties} of {len(expected)} parted at a near-tie (margin <= {NEAR_TIE}): float rounding, accepted")


if __name__ == "__main__":
    main(sys.argv)
