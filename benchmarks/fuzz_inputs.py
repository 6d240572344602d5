"""Fuzz the `ncasr` command with damaged model folders and odd audio files.

The command line of the harness in benchmarks/fuzz/ (its __init__.py says what the cases
are, how outcomes are sorted and how to rebuild a failing case):

    python benchmarks/fuzz_inputs.py --cases 10000 --seed 1 --jobs 2 \\
        --time-limit 3600 --per-case-timeout 60 --keep-failures /tmp/fuzz-failures
"""

import sys
from pathlib import Path

# The package beside this file; python -P or PYTHONSAFEPATH would not put it on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz.cli import main

if __name__ == "__main__":
    sys.exit(main())
