"""A progress bar for batch jobs: utterances, hours of audio done, and the wall-clock RTF
(tqdm, the optional ``progress`` extra; without it, no bar)."""

from __future__ import annotations

import time
from typing import Any, Optional

__all__ = ["ProgressBar"]


class ProgressBar:
    """Counts finished utterances and their audio; silent when disabled or without tqdm.

    Example::

        bar = ProgressBar(total=1000, enabled=True)
        bar.update(duration=3.2)
        bar.close()
    """

    def __init__(self, total: int, enabled: bool = True, desc: str = "transcribing") -> None:
        self.audio_seconds = 0.0
        self.start = time.perf_counter()
        self._bar: Optional[Any] = None
        if enabled and total:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=total, unit="utt", desc=desc, dynamic_ncols=True)

    def update(self, duration: float) -> None:
        """One more utterance of ``duration`` seconds is done.

        Example::

            bar.update(2.5)
        """
        self.audio_seconds += duration
        if self._bar is None:
            return
        wall = time.perf_counter() - self.start
        rtf = wall / self.audio_seconds if self.audio_seconds else 0.0
        self._bar.set_postfix_str(f"audio {self.audio_seconds / 3600:.3f} h, RTF {rtf:.4f}", refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        """Remove the bar.

        Example::

            bar.close()
        """
        if self._bar is not None:
            self._bar.close()
