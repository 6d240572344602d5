"""torch stays inside ncasr.export.zipformer2: the package and ncasr.export import without it."""

from __future__ import annotations

import subprocess
import sys


def test_import_ncasr_and_ncasr_export_do_not_import_torch():
    code = (
        "import sys, ncasr, ncasr.export, ncasr.cli; "
        "bad = [m for m in ('torch', 'pnnx', 'onnx') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
