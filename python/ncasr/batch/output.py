"""OUT.jsonl: one JSON object per utterance, appended as results arrive, resumable, sorted by
id at the end.

Resuming reads the ids already in the file (a line with ``error`` does not count, so that
utterance is tried again). A last line cut off by a crash is dropped; any other line that is
not a JSON object with an ``id`` is an OutputFileError naming the file and line.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, Dict, Iterator, List, Optional, Set, Tuple, Union

from ..errors import NcasrError

__all__ = ["OutputFileError", "ResultsFile", "read_results", "sort_results"]

log = logging.getLogger("ncasr")
PathLike = Union[str, "os.PathLike[str]"]


class OutputFileError(NcasrError, ValueError):
    """An existing results file that cannot be resumed; the message names the file and line.

    Example::

        try:
            ResultsFile("out.jsonl")
        except OutputFileError as e:
            print(e.path, e.line, e.reason)
    """

    def __init__(self, path: PathLike, line: int, reason: str) -> None:
        self.path, self.line, self.reason = os.fspath(path), line, reason
        super().__init__(f"{self.path}:{line}: {reason}")

    def __reduce__(self) -> Tuple[type, Tuple[str, int, str]]:
        return (type(self), (self.path, self.line, self.reason))


def _parse(raw: bytes) -> Optional[Dict[str, Any]]:
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        return None
    return record


def _rank(record: Dict[str, Any]) -> Tuple[str, int]:
    """Sort key: by id, a result before an error line for the same id."""
    return (record["id"], 1 if "error" in record else 0)


def read_results(path: PathLike) -> Iterator[Dict[str, Any]]:
    """The records of a results file, in file order.

    Example::

        texts = {r["id"]: r["text"] for r in read_results("out.jsonl") if "error" not in r}
    """
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            record = _parse(raw)
            if record is None:
                raise OutputFileError(path, number, "not a JSON object with a string 'id'")
            yield record


class ResultsFile:
    """A results file opened for appending; ``done`` holds the ids it already has.

    Example::

        out = ResultsFile("out.jsonl")
        pending = [u for u in utterances if u.id not in out.done]
        out.write(outcome.id, outcome.line, failed=outcome.failed)
        out.close(); sort_results("out.jsonl")
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.done: Set[str] = set()
        self.written = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._scan()
        self._file: IO[str] = open(self.path, "a", encoding="utf-8")

    def _scan(self) -> None:
        good_end = 0
        with open(self.path, "rb") as f:
            number = 0
            while True:
                raw = f.readline()
                if not raw:
                    break
                number += 1
                record = _parse(raw) if raw.endswith(b"\n") else None
                if record is None:
                    if f.read(1) == b"":  # the last line, cut off by an interrupted run
                        log.warning("%s:%d: dropping an incomplete last line", self.path, number)
                        break
                    raise OutputFileError(self.path, number, "not a JSON object with a string 'id'")
                good_end = f.tell()
                if "error" not in record:
                    self.done.add(record["id"])
        if good_end != self.path.stat().st_size:
            os.truncate(self.path, good_end)

    def write(self, uid: str, line: str, *, failed: bool = False) -> bool:
        """Append ``line`` unless ``uid`` already has a result; returns whether it was written.

        Example::

            out.write("utt1", '{"id": "utt1", "text": "hello"}')
        """
        if uid in self.done:
            return False
        self._file.write(line + "\n")
        self._file.flush()
        self.written += 1
        if not failed:
            self.done.add(uid)
        return True

    def close(self) -> None:
        """Close the file (results written so far stay).

        Example::

            out.close()
        """
        self._file.close()


def _sorted_runs(path: Path, lines_per_run: int, stack: ExitStack) -> List[IO[bytes]]:
    """Sorted temporary files of at most ``lines_per_run`` lines each, rewound."""
    runs: List[IO[bytes]] = []
    number = 0
    with open(path, "rb") as f:
        while True:
            chunk: List[Tuple[Tuple[str, int], bytes]] = []
            for raw in f:
                number += 1
                record = _parse(raw)
                if record is None:
                    raise OutputFileError(path, number, "not a JSON object with a string 'id'")
                chunk.append((_rank(record), raw if raw.endswith(b"\n") else raw + b"\n"))
                if len(chunk) >= lines_per_run:
                    break
            if not chunk:
                break
            chunk.sort(key=lambda item: item[0])
            run = stack.enter_context(tempfile.TemporaryFile(dir=path.parent))
            run.writelines(raw for _, raw in chunk)
            run.seek(0)
            runs.append(run)
    return runs


def sort_results(path: PathLike, *, lines_per_run: int = 100_000) -> int:
    """Rewrite the results file sorted by id, one line per id (a result wins over an error
    line), atomically; memory stays at ``lines_per_run`` lines whatever the file's size.
    Returns the number of lines kept.

    Example::

        sort_results("out.jsonl")
    """
    path = Path(path)
    kept = 0
    with ExitStack() as stack:
        runs = _sorted_runs(path, lines_per_run, stack)
        tmp = path.with_name(path.name + ".sorting")
        with open(tmp, "wb") as out:
            last: Optional[str] = None
            for raw in heapq.merge(*runs, key=lambda raw: _rank(json.loads(raw))):
                uid = json.loads(raw)["id"]
                if uid == last:
                    continue
                out.write(raw)
                last = uid
                kept += 1
        os.replace(tmp, path)
    return kept
