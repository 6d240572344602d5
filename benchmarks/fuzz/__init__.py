"""Fuzz the `ncasr` command with damaged model folders and odd audio files.

Each case copies a model folder (the bundled one and the small test models, as hard links
except the one file it damages) or writes an audio file, runs `ncasr info` or
`ncasr transcribe` on it, and sorts the outcome:

    clean_error    non-zero exit with an "ncasr: error: ..." line and no traceback
    noisy_error    the same, but over NOISY_CHARS characters of stderr (not "one line")
    success        exit 0; every one must have a reason (a flipped bit in a weight blob
                   decodes to other numbers, a file this command does not read, ...)
    traceback      "Traceback (most recent call last)" on stderr
    crash          killed by a signal, or an exit status >= 128
    hang           still running after --per-case-timeout seconds (then killed)
    unclear_error  non-zero exit without an "ncasr: error:" line

A second check compares each outcome with what the input deserves: a success on input that
must be rejected is an `unexplained_success`, an error on input that must work (a 24-bit
wav, 8 kHz audio) is `rejected_valid`. The rules live in `expectations.py`: small parsers
of the param and tokens formats (`formats.py`) decide whether a damaged text file still
describes a sensible model.

Speed: the process imports ncasr once and forks a child per case that runs
`ncasr.cli.main(argv)` as the console script would (stdout/stderr to files, an uncaught
exception printed by sys.excepthook, exit status 1), up to --jobs children at a time.
--check-subprocess N reruns N cases with the real command in a fresh interpreter and
compares the outcomes. Children run with a memory limit (--memory-limit-mb, 4 GiB) so
that an absurd size in a param file fails as a MemoryError traceback instead of taking
the machine's memory (2 hours of audio need about 1.4 GB).

    python benchmarks/fuzz_inputs.py --cases 10000 --seed 1 --jobs 2 \\
        --time-limit 3600 --per-case-timeout 60 --keep-failures /tmp/fuzz-failures

Exits 1 if any case is a traceback, crash, hang, unclear or noisy error, unexplained
success or rejected valid input. A failing case is rebuilt exactly by --seed and
--only INDEX; with --keep-failures its folder is kept, with repro.sh (the command) and
case.json. Nothing here uses the network.

Modules: cli (arguments), runner (the run: cases in forked children), fork_server (one
child), cases (building case INDEX of a seed), mutations and audio_cases (the damage),
model_folders, formats and expectations (what the outcome should be), outcomes (sorting
what happened), subprocess_check (the real command), report (table and JSON).
"""

from .options import Options
from .report import Report, format_report
from .runner import run

__all__ = ["Options", "Report", "format_report", "run"]
