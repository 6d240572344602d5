"""Streaming recognition: a Recognizer owns the model, each Stream owns its audio."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from . import _core
from .audio import as_samples, load_audio
from .config import DecodingConfig, EndpointConfig, RecognizerConfig
from .errors import AudioError, ConfigError
from .text_file import read_text

__all__ = ["Recognizer", "Stream", "Result"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Result:
    """Text so far, its tokens, and each token's time (seconds from stream start).

    Example::

        result = rec.transcribe("hello.wav")
        print(result.text, list(zip(result.tokens, result.timestamps)))
    """

    text: str
    tokens: List[str] = field(default_factory=list)
    token_ids: List[int] = field(default_factory=list)
    timestamps: List[float] = field(default_factory=list)
    segment: int = 0
    is_final: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """The result as a plain dict (JSON-serialisable).

        Example::

            json.dumps(rec.transcribe("hello.wav").to_dict())
        """
        return asdict(self)


class Stream:
    """One audio stream. Make it with :meth:`Recognizer.create_stream`.

    Example::

        stream = rec.create_stream()
        stream.accept_waveform(16000, samples)
        rec.decode(stream)
    """

    def __init__(self, core_stream: _core.Stream) -> None:
        self._s = core_stream

    def accept_waveform(self, sample_rate: int, samples: npt.ArrayLike) -> None:
        """Append mono samples (float32 in [-1, 1]; other float widths and integer PCM are
        converted).

        Example::

            stream.accept_waveform(16000, np.zeros(1600, dtype=np.float32))
        """
        if not isinstance(sample_rate, (int, np.integer)) or isinstance(sample_rate, bool):
            raise AudioError(f"sample_rate must be an int, got {sample_rate!r}")
        self._s.accept_waveform(int(sample_rate), as_samples(samples))

    def input_finished(self) -> None:
        """No more audio: lets the last frames be decoded.

        Example::

            stream.input_finished()
            rec.decode(stream)
        """
        self._s.input_finished()

    @property
    def is_input_finished(self) -> bool:
        """Whether :meth:`input_finished` has been called."""
        return self._s.is_input_finished

    @property
    def encoder_calls(self) -> int:
        """Encoder calls made for this stream so far. Fewer than its chunks where several
        ready chunks shared a call (``RuntimeOptions.max_chunks_per_call``).

        Example::

            rec.decode(stream)
            print(stream.encoder_calls)
        """
        return self._s.encoder_calls


class Recognizer:
    """A loaded transducer model; decodes any number of streams.

    Example::

        rec = ncasr.Recognizer(ncasr.RecognizerConfig("model/"))
        print(rec.transcribe("hello.wav").text)
    """

    def __init__(self, config: RecognizerConfig) -> None:
        self.config = config
        c = _core.RecognizerConfig()
        c.method = config.decoding.method
        c.num_active_paths = config.decoding.num_active_paths
        if config.decoding.hotwords_file:
            c.hotwords = read_text(config.decoding.hotwords_file)
        c.hotwords_score = config.decoding.hotwords_score
        e = config.endpoint
        c.set_endpoint(
            e.enabled, e.rule1_min_trailing_silence, e.rule2_min_trailing_silence, e.rule3_min_utterance_length
        )
        c.runtime = config.runtime.to_core()
        c.variant = config.variant
        c.features.sample_rate = float(config.features.sample_rate)
        c.features.num_bins = config.features.num_bins
        self._r = _core.Recognizer(config.model_dir, c)

    def with_settings(
        self,
        decoding: Optional[DecodingConfig] = None,
        endpoint: Optional[EndpointConfig] = None,
        hotwords: Optional[str] = None,
    ) -> "Recognizer":
        """A recognizer over this one's loaded model (no second copy in memory) with other
        decoding and endpoint settings; ``hotwords`` is a hotwords file's text (it replaces
        ``decoding.hotwords_file``). Streams belong to the recognizer that created them.

        Example::

            beam = rec.with_settings(DecodingConfig("modified_beam_search"), hotwords="▁HE LLO :2.0")
            stream = beam.create_stream()
        """
        decoding = decoding if decoding is not None else self.config.decoding
        endpoint = endpoint if endpoint is not None else self.config.endpoint
        if hotwords is None:
            hotwords = read_text(decoding.hotwords_file) if decoding.hotwords_file else ""
        elif hotwords and decoding.method != "modified_beam_search":
            raise ConfigError("hotwords need method='modified_beam_search'")
        derived = Recognizer.__new__(Recognizer)
        derived.config = dataclasses.replace(self.config, decoding=decoding, endpoint=endpoint)
        derived._r = self._r.with_settings(
            decoding.method,
            decoding.num_active_paths,
            hotwords,
            decoding.hotwords_score,
            endpoint.enabled,
            endpoint.rule1_min_trailing_silence,
            endpoint.rule2_min_trailing_silence,
            endpoint.rule3_min_utterance_length,
        )
        return derived

    @classmethod
    def from_dir(cls, model_dir: PathLike, **overrides: Any) -> "Recognizer":
        """Load the model in ``model_dir``; overrides as in RecognizerConfig.from_dir.

        Example::

            rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())
            rec = ncasr.Recognizer.from_dir("model/", method="modified_beam_search")
        """
        return cls(RecognizerConfig.from_dir(model_dir, **overrides))

    @property
    def model_type(self) -> str:
        """The architecture: "lstm", "conv_emformer", "zipformer" or "zipformer2"."""
        return self._r.model_type

    @property
    def sample_rate(self) -> int:
        """The sample rate the model's features are computed at (Hz)."""
        return int(self._r.sample_rate)

    def create_stream(self) -> Stream:
        """A new, empty stream for this recognizer.

        Example::

            stream = rec.create_stream()
            stream.accept_waveform(rec.sample_rate, samples)
        """
        return Stream(self._r.create_stream())

    def is_ready(self, stream: Stream) -> bool:
        """Whether ``stream`` holds enough audio for :meth:`decode` to decode a chunk.

        Example::

            while rec.is_ready(stream):
                rec.decode(stream)
        """
        return self._r.is_ready(stream._s)

    def decode(self, streams: Union[Stream, Sequence[Stream]], num_workers: int = 0) -> None:
        """Decode every ready chunk of one stream, or of many (in parallel threads:
        ``num_workers`` of them, default one per stream up to the CPU count).

        Example::

            rec.decode(stream)
            rec.decode([stream_a, stream_b], num_workers=2)
        """
        if isinstance(streams, Stream):
            self._r.decode(streams._s)
            return
        workers = num_workers or min(len(streams), os.cpu_count() or 1)
        self._r.decode_many([s._s for s in streams], max(1, workers))

    def result(self, stream: Stream) -> Result:
        """What ``stream`` has been recognised as so far (its current segment).

        Example::

            rec.decode(stream)
            print(rec.result(stream).text)
        """
        return Result(**self._r.result(stream._s))

    def is_endpoint(self, stream: Stream) -> bool:
        """Whether an endpoint rule (see EndpointConfig) fired: the segment has ended.

        Example::

            if rec.is_endpoint(stream):
                print(rec.result(stream).text)
                rec.reset(stream)
        """
        return self._r.is_endpoint(stream._s)

    def reset(self, stream: Stream) -> None:
        """Start a new segment on ``stream`` (typically after an endpoint).

        Example::

            if rec.is_endpoint(stream):
                rec.reset(stream)
        """
        self._r.reset(stream._s)

    def transcribe(self, audio: Union[PathLike, npt.ArrayLike], sample_rate: Optional[int] = None) -> Result:
        """Recognize a whole file or array in one call (pads the tail and flushes).

        An array needs ``sample_rate``; for a file it is read from the file.

        Example::

            rec.transcribe("hello.wav").text
            rec.transcribe(samples, sample_rate=16000).text
        """
        if isinstance(audio, (str, os.PathLike)):
            samples, rate = load_audio(audio)
            if sample_rate is not None and sample_rate != rate:
                raise AudioError(f"{os.fspath(audio)}: file is {rate} Hz but sample_rate={sample_rate} was given")
        else:
            if sample_rate is None:
                raise AudioError("sample_rate is required when audio is an array")
            samples, rate = audio, sample_rate
        samples = as_samples(samples, allow_empty=False)
        stream = self.create_stream()
        stream.accept_waveform(rate, samples)
        pad = int(round(self.config.tail_padding * rate))
        if pad:
            stream.accept_waveform(rate, np.zeros(pad, dtype=np.float32))
        stream.input_finished()
        self.decode(stream)
        return self.result(stream)
