"""One client's stream: audio in, result messages out. Runs on the server's worker threads,
one call at a time per connection; the core releases the GIL while it decodes."""

from __future__ import annotations

import time
from typing import List

import numpy as np

from ..errors import AudioError
from ..recognizer import Recognizer
from .protocol import CloseCode, ProtocolError, StreamOptions, result_message

__all__ = ["ConnectionStream"]


class ConnectionStream:
    """Feeds a connection's samples to its own stream and says what to send back.

    Example::

        state = ConnectionStream(rec, StreamOptions(), max_seconds=3600.0)
        for message in state.feed(samples):
            await ws.send(message)
    """

    def __init__(self, recognizer: Recognizer, options: StreamOptions, max_seconds: float) -> None:
        self.recognizer = recognizer
        self.options = options
        self.max_seconds = max_seconds
        self.stream = recognizer.create_stream()
        self.samples = 0
        self.decode_seconds = 0.0
        self.finals = 0
        self._last_text = ""

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio received so far.

        Example::

            print(f"{state.audio_seconds:.1f} s received")
        """
        return self.samples / self.options.sample_rate

    def feed(self, samples: np.ndarray) -> List[str]:
        """Accept samples, decode what is ready; the messages to send (partials as the text
        changes, a final at each endpoint).

        Example::

            messages = state.feed(np.zeros(1600, np.float32))
        """
        if self.audio_seconds + samples.size / self.options.sample_rate > self.max_seconds:
            raise ProtocolError(CloseCode.POLICY_VIOLATION, f"the stream is longer than {self.max_seconds:g} s")
        try:
            self.stream.accept_waveform(self.options.sample_rate, samples)
        except AudioError as e:
            raise ProtocolError(CloseCode.INVALID_DATA, f"audio: {e}") from None
        self.samples += samples.size
        return self._decode()

    def finish(self) -> List[str]:
        """End of audio: pad the tail as ``transcribe`` does, decode everything, and return
        the last messages (the final result).

        Example::

            for message in state.finish():
                await ws.send(message)
        """
        rate = self.options.sample_rate
        pad = int(round(self.recognizer.config.tail_padding * rate))
        if pad:
            self.stream.accept_waveform(rate, np.zeros(pad, dtype=np.float32))
        self.stream.input_finished()
        start = time.perf_counter()
        self.recognizer.decode(self.stream)
        self.decode_seconds += time.perf_counter() - start
        result = self.recognizer.result(self.stream)
        self.finals += 1
        return [result_message(result, final=True, received_seconds=self.audio_seconds)]

    def _decode(self) -> List[str]:
        rec, out = self.recognizer, []
        if not rec.is_ready(self.stream):
            return out
        start = time.perf_counter()
        rec.decode(self.stream)
        self.decode_seconds += time.perf_counter() - start
        result = rec.result(self.stream)
        if rec.is_endpoint(self.stream):
            if result.text.strip():
                out.append(result_message(result, final=True, received_seconds=self.audio_seconds))
                self.finals += 1
            rec.reset(self.stream)
            self._last_text = ""
        elif self.options.partials and result.text != self._last_text:
            out.append(result_message(result, final=False, received_seconds=self.audio_seconds))
            self._last_text = result.text
        return out
