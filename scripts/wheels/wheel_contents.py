"""Exit non-zero unless a repaired ncasr wheel holds what an install needs and nothing else.

Needed: the extension, the vendored OpenMP runtime, py.typed, the _core stubs and the bundled
model. Not wanted: anything from tests/, bytecode, or build leftovers.
"""

import sys
import zipfile
from fnmatch import fnmatch

REQUIRED = [
    "ncasr/__init__.py",
    "ncasr/_core.cpython-*.so",
    "ncasr.libs/libgomp-*.so*",
    "ncasr/py.typed",
    "ncasr/_core/__init__.pyi",
    "ncasr/models/reference-lstm-en/tokens.txt",
    "ncasr/models/reference-lstm-en/encoder_jit_trace-pnnx.ncnn.bin",
]
FORBIDDEN = ["tests/*", "*/tests/*", "*.pyc", "*/__pycache__/*", "*.o", "*.a", "*CMakeCache.txt"]


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: wheel_contents.py WHEEL")
    with zipfile.ZipFile(argv[1]) as whl:
        infos = whl.infolist()
    names = [i.filename for i in infos]
    missing = [p for p in REQUIRED if not any(fnmatch(n, p) for n in names)]
    unwanted = [n for n in names if any(fnmatch(n, p) for p in FORBIDDEN)]
    if missing or unwanted:
        sys.exit(f"{argv[1]}: missing {missing}, unwanted {unwanted[:10]}")

    def mib(prefix):
        return sum(i.compress_size for i in infos if i.filename.startswith(prefix)) / 2**20

    print(
        f"contents ok: {len(names)} files; compressed MiB: model {mib('ncasr/models/'):.1f}, "
        f"extension {mib('ncasr/_core.'):.1f}, libgomp {mib('ncasr.libs/'):.1f}"
    )


if __name__ == "__main__":
    main(sys.argv)
