"""build_info reports the versions and the SIMD paths of this CPU."""

from __future__ import annotations

import re
from pathlib import Path

import ncasr

REPO = Path(__file__).resolve().parents[1]


def test_versions():
    info = ncasr.build_info()
    version = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)
    assert info.ncasr_version == ncasr.__version__ == version.group(1)
    assert info.ncnn_version.endswith("20261020")
    assert info.cpu_count >= 1


def test_simd_paths_match_cpu_flags():
    info = ncasr.build_info()
    flags = set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith(("flags", "Features")):
                flags |= set(line.split(":", 1)[1].split())
    if info.arch == "x86_64":
        expect = {"avx2": "avx2", "avx512f": "avx512", "avx512_vnni": "avx512_vnni", "avx_vnni": "avx_vnni"}
        for flag, path in expect.items():
            assert (path in info.simd_active) == (flag in flags), (flag, info.simd_active)
    assert set(info.simd_active) <= set(info.cpu_features)
    assert "SIMD paths active" in str(info)
