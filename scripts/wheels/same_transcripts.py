"""Exit non-zero unless two `ncasr transcribe --json` outputs agree file by file.

Files are matched by base name (the two runs see different folders); text and token ids must
be identical, since both builds run the same model with the same kernels' contract.
"""

import json
import os
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {os.path.basename(r["file"]): r for r in rows}


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: same_transcripts.py EXPECTED.jsonl ACTUAL.jsonl")
    expected, actual = load(argv[1]), load(argv[2])
    if not expected:
        sys.exit(f"{argv[1]} holds no transcripts")
    if sorted(expected) != sorted(actual):
        sys.exit(f"different files: {sorted(expected)} vs {sorted(actual)}")
    bad = 0
    for name, want in sorted(expected.items()):
        got = actual[name]
        same = want["text"] == got["text"] and want["token_ids"] == got["token_ids"]
        print(f"{'same' if same else 'DIFFERENT'}  {name}: {got['text'].strip()!r} ({len(got['token_ids'])} tokens)")
        if not same:
            print(f"  expected {want['text'].strip()!r} {want['token_ids']}\n  got      {got['token_ids']}")
            bad += 1
    if bad:
        sys.exit(f"{bad} of {len(expected)} transcripts differ")


if __name__ == "__main__":
    main(sys.argv)
