"""The WebSocket protocol of ``ncasr serve``: what a client may send, what it gets back, and
the RFC 6455 close code of every way a connection can end (docs/serve.md).

Client -> server: an optional first text message with a JSON object of stream options;
binary messages of little-endian float32 mono samples (16 kHz unless the options say
otherwise); the text message ``Done`` when the audio ends. This is what sherpa-onnx's online
WebSocket server expects, so its clients work unchanged.

Server -> client: JSON text messages (``partial`` results as the text changes, a ``final``
result per endpointed segment and one after ``Done``, an ``error`` before a close), then the
text ``Done!`` before a normal close.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any, Dict, List, Optional, Tuple

from ..config import METHODS, DecodingConfig, EndpointConfig
from ..errors import ConfigError, NcasrError

__all__ = ["CloseCode", "DONE", "DONE_REPLY", "ProtocolError", "StreamOptions", "error_message", "result_message"]

DONE = "Done"  # the client's end-of-audio text message
DONE_REPLY = "Done!"  # the server's last message before a normal close


class CloseCode(IntEnum):
    """The RFC 6455 close codes the server uses, and when.

    Example::

        if ws.close_code == CloseCode.TRY_AGAIN_LATER:
            time.sleep(1.0)
    """

    NORMAL = 1000  # after Done: every result sent
    GOING_AWAY = 1001  # the server is shutting down
    UNSUPPORTED_DATA = 1003  # a text message that is neither the options nor Done
    INVALID_DATA = 1007  # bad JSON, a byte count not a multiple of 4, NaN or inf samples
    POLICY_VIOLATION = 1008  # bad token, unknown option, stream too long, idle, unread replies
    MESSAGE_TOO_BIG = 1009  # a message over the size limit
    INTERNAL_ERROR = 1011  # the server failed; the message says how
    TRY_AGAIN_LATER = 1013  # too many connections


class ProtocolError(NcasrError):
    """A client broke the protocol: the connection ends with ``code`` after an error message.

    Example::

        raise ProtocolError(CloseCode.INVALID_DATA, "binary message of 7 bytes: not float32 samples")
    """

    def __init__(self, code: CloseCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StreamOptions:
    """What a client may set in its first message; the server's settings fill the rest.

    Example::

        options = StreamOptions.from_json('{"sample_rate": 48000, "endpoint": {"enabled": false}}')
    """

    sample_rate: int = 16000  # of the samples the client sends; resampled in the server
    decoding_method: Optional[str] = None  # greedy_search or modified_beam_search
    num_active_paths: Optional[int] = None
    hotwords: Tuple[str, ...] = ()  # one hotword per entry, as tokens of tokens.txt
    hotwords_score: Optional[float] = None
    endpoint: Dict[str, Any] = field(default_factory=dict)  # EndpointConfig fields
    partials: bool = True  # send partial results as the text changes

    @classmethod
    def from_json(cls, text: str) -> "StreamOptions":
        """Parse and check a client's options message; ``ProtocolError`` names what is wrong.

        Example::

            StreamOptions.from_json('{"decoding_method": "modified_beam_search"}').decoding_method
        """
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as e:
            raise ProtocolError(CloseCode.INVALID_DATA, f"the options message is not JSON: {e}") from None
        if not isinstance(raw, dict):
            raise ProtocolError(CloseCode.INVALID_DATA, "the options message must be a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ProtocolError(
                CloseCode.POLICY_VIOLATION,
                f"unknown option(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}",
            )
        return cls._checked(raw)

    @classmethod
    def _checked(cls, raw: Dict[str, Any]) -> "StreamOptions":
        def bad(name: str, what: str) -> ProtocolError:
            return ProtocolError(CloseCode.POLICY_VIOLATION, f"option {name!r}: {what}, got {raw[name]!r}")

        rate = raw.get("sample_rate", 16000)
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1000 <= rate <= 384000:
            raise bad("sample_rate", "an integer from 1000 to 384000")
        method = raw.get("decoding_method")
        if method is not None and method not in METHODS:
            raise bad("decoding_method", f"one of {', '.join(METHODS)}")
        paths = raw.get("num_active_paths")
        if paths is not None and (isinstance(paths, bool) or not isinstance(paths, int) or not 1 <= paths <= 64):
            raise bad("num_active_paths", "an integer from 1 to 64")
        hotwords = raw.get("hotwords", [])
        if isinstance(hotwords, str):
            hotwords = [hotwords]
        if not isinstance(hotwords, list) or not all(isinstance(h, str) and "\n" not in h for h in hotwords):
            raise bad("hotwords", "a list of strings without newlines")
        if len(hotwords) > 1000:
            raise bad("hotwords", "at most 1000 entries")
        score = raw.get("hotwords_score")
        if score is not None and (
            isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score)
        ):
            raise bad("hotwords_score", "a finite number")
        endpoint = raw.get("endpoint", {})
        if not isinstance(endpoint, dict):
            raise bad("endpoint", "an object with EndpointConfig fields")
        unknown = sorted(set(endpoint) - set(EndpointConfig.__dataclass_fields__))
        if unknown:
            raise bad("endpoint", f"only {', '.join(sorted(EndpointConfig.__dataclass_fields__))}")
        partials = raw.get("partials", True)
        if not isinstance(partials, bool):
            raise bad("partials", "true or false")
        return cls(
            sample_rate=rate,
            decoding_method=method,
            num_active_paths=paths,
            hotwords=tuple(hotwords),
            hotwords_score=None if score is None else float(score),
            endpoint=dict(endpoint),
            partials=partials,
        )

    def settings(
        self, decoding: DecodingConfig, endpoint: EndpointConfig
    ) -> Tuple[DecodingConfig, EndpointConfig, str]:
        """The decoding and endpoint settings and hotwords text these options ask for, on
        top of the server's; ``ProtocolError`` when they do not fit together.

        Example::

            decoding, endpoint, hotwords = options.settings(rec.config.decoding, rec.config.endpoint)
        """
        method = self.decoding_method or decoding.method
        if self.hotwords and method != "modified_beam_search":
            raise ProtocolError(
                CloseCode.POLICY_VIOLATION, "option 'hotwords' needs decoding_method 'modified_beam_search'"
            )
        try:
            d = DecodingConfig(
                method=method,
                num_active_paths=self.num_active_paths or decoding.num_active_paths,
                hotwords_score=decoding.hotwords_score if self.hotwords_score is None else self.hotwords_score,
            )
            e = EndpointConfig(**{**asdict(endpoint), **self.endpoint})
        except (ConfigError, TypeError) as err:
            raise ProtocolError(CloseCode.POLICY_VIOLATION, f"options: {err}") from None
        return d, e, "\n".join(self.hotwords)


def result_message(result: Any, *, final: bool, received_seconds: float) -> str:
    """The JSON of a partial or final result; ``received_seconds`` is how much audio the
    server had received when it decoded it.

    Example::

        ws.send(result_message(rec.result(stream), final=False, received_seconds=1.5))
    """
    return json.dumps(
        {
            "type": "final" if final else "partial",
            "text": result.text,
            "tokens": list(result.tokens),
            "timestamps": [round(t, 3) for t in result.timestamps],
            "segment": result.segment,
            "is_final": final,
            "received_seconds": round(received_seconds, 4),
        },
        ensure_ascii=False,
    )


def error_message(code: int, error: str) -> str:
    """The JSON error message sent before a close with ``code``.

    Example::

        ws.send(error_message(1007, "the options message is not JSON"))
    """
    return json.dumps({"type": "error", "code": int(code), "error": error}, ensure_ascii=False)


def parse_server_message(text: str) -> Dict[str, Any]:
    """A server message as a dict (``Done!`` as ``{"type": "done"}``).

    Example::

        kind = parse_server_message(await ws.recv())["type"]
    """
    if text == DONE_REPLY:
        return {"type": "done"}
    return json.loads(text)


def final_texts(messages: List[Dict[str, Any]]) -> List[str]:
    """The texts of the final results among parsed server messages, in order.

    Example::

        " ".join(final_texts(messages))
    """
    return [m["text"] for m in messages if m.get("type") == "final"]
