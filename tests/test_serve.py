"""ncasr serve: results equal offline decoding, the protocol's options and errors, limits,
faults while other clients stream, graceful shutdown. Loopback only; texts and close codes
are asserted, never timings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import ncasr
from helpers.serve_thread import running_server
from ncasr.serve import CloseCode, ServeOptions
from ncasr.serve.client import stream_audio

WAVS = sorted((Path(__file__).parent / "data" / "reference-lstm-en" / "wav").glob("*.wav"))
NO_ENDPOINT = {"endpoint": {"enabled": False}}


@pytest.fixture(scope="module")
def rec():
    return ncasr.Recognizer.from_dir(ncasr.default_model_dir())


@pytest.fixture(scope="module")
def audio():
    return [ncasr.load_audio(w) for w in WAVS[:6]]


@pytest.fixture(scope="module")
def offline(rec, audio):
    return [rec.transcribe(x, r).text.strip() for x, r in audio]


@pytest.fixture(scope="module")
def server(rec):
    with running_server(rec, ServeOptions(port=0, workers=2, max_connections=64, idle_timeout=5.0)) as s:
        yield s


def url(server) -> str:
    return f"ws://127.0.0.1:{server.port}"


def run(coro):
    return asyncio.run(coro)


def test_final_text_equals_offline_decoding(server, audio, offline):
    x, r = audio[0]
    reply = run(stream_audio(url(server), x, r, options=NO_ENDPOINT, chunk_ms=100))
    assert reply.ok, (reply.close_code, reply.error)
    assert [m["text"].strip() for m in reply.finals] == [offline[0]]
    assert reply.messages[-1] == {"type": "done"}
    partials = [m for m in reply.messages if m["type"] == "partial"]
    assert partials and all(not m["is_final"] for m in partials)
    assert all(a["text"] != b["text"] for a, b in zip(partials, partials[1:]))  # only as it changes
    received = [m["received_seconds"] for m in reply.messages if "received_seconds" in m]
    assert received == sorted(received) and received[-1] == pytest.approx(x.size / r, abs=1e-3)


def test_many_clients_at_once_all_equal_offline(server, audio, offline):
    async def all_clients():
        return await asyncio.gather(
            *[
                stream_audio(url(server), x, r, options=NO_ENDPOINT, chunk_ms=60 + 20 * i)
                for i, (x, r) in enumerate(audio)
            ]
        )

    replies = run(all_clients())
    assert [r.ok for r in replies] == [True] * len(audio)
    assert [r.text for r in replies] == offline


def test_a_sherpa_onnx_style_client_works_unchanged(server, audio, offline):
    """No options message, 16 kHz float32 in 0.5 s messages, 'Done', read until 'Done!'."""
    from websockets.sync.client import connect

    x, r = audio[1]
    assert r == 16000
    with connect(url(server)) as ws:
        for i in range(0, x.size, 8000):
            ws.send(x[i : i + 8000].tobytes())
        ws.send("Done")
        messages = []
        while (m := ws.recv()) != "Done!":
            messages.append(json.loads(m))
    last = messages[-1]
    assert last["is_final"] and set(last) >= {"text", "segment"}
    assert " ".join(
        m["text"].strip() for m in messages if m["type"] == "final" and m["text"].strip()
    ) == rec_text_with_endpoints(r, x)


def rec_text_with_endpoints(rate, samples):
    """Offline decoding with the server's default endpointing: the finals' texts, joined."""
    rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())
    stream, texts = rec.create_stream(), []
    stream.accept_waveform(rate, samples)
    while rec.is_ready(stream):
        rec.decode(stream)
        if rec.is_endpoint(stream):
            texts.append(rec.result(stream).text.strip())
            rec.reset(stream)
    stream.accept_waveform(rate, np.zeros(int(round(rec.config.tail_padding * rate)), np.float32))
    stream.input_finished()
    rec.decode(stream)
    texts.append(rec.result(stream).text.strip())
    return " ".join(t for t in texts if t)


def test_options_set_rate_method_and_endpointing(server, rec, audio):
    x, r = audio[2]
    x8k = ncasr._core.LinearResampler(r, 8000).resample(x, True)
    reply = run(stream_audio(url(server), x8k, 8000, options=NO_ENDPOINT))
    assert reply.ok and reply.text == rec.transcribe(x8k, 8000).text.strip()
    beam = ncasr.Recognizer.from_dir(ncasr.default_model_dir(), method="modified_beam_search")
    reply = run(stream_audio(url(server), x, r, options={"decoding_method": "modified_beam_search", **NO_ENDPOINT}))
    assert reply.ok and reply.text == beam.transcribe(x, r).text.strip()
    quiet = run(stream_audio(url(server), x, r, options={"partials": False, **NO_ENDPOINT}))
    assert quiet.ok and not [m for m in quiet.messages if m["type"] == "partial"]


@pytest.mark.parametrize(
    "first, payload, code, words",
    [
        ("{not json", None, CloseCode.INVALID_DATA, "not JSON"),
        ('{"language": "en"}', None, CloseCode.POLICY_VIOLATION, "unknown option"),
        ('{"sample_rate": -5}', None, CloseCode.POLICY_VIOLATION, "sample_rate"),
        ('{"hotwords": ["HELLO"]}', None, CloseCode.POLICY_VIOLATION, "modified_beam_search"),
        ('{"endpoint": {"rule9": 1}}', None, CloseCode.POLICY_VIOLATION, "endpoint"),
        (None, b"\x00" * 7, CloseCode.INVALID_DATA, "4 bytes"),
        (None, np.array([0.1, np.nan], np.float32).tobytes(), CloseCode.INVALID_DATA, "NaN"),
        (None, b"\x00" * (2 << 20), CloseCode.MESSAGE_TOO_BIG, "limit"),
        (None, "hello", CloseCode.UNSUPPORTED_DATA, "Done"),
    ],
)
def test_every_error_is_a_json_message_and_a_close_code(server, first, payload, code, words):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(url(server), max_size=None) as ws:
        try:
            if first is not None:
                ws.send(first)
            if payload is not None:
                ws.send(payload)
            ws.send(np.zeros(1600, np.float32).tobytes())
        except ConnectionClosed:
            pass
        error = json.loads(ws.recv(timeout=10))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    assert error["type"] == "error" and error["code"] == code and words in error["error"], error
    assert ws.close_code == code


def test_limits_token_connections_idle_and_length(rec, audio):
    from websockets.sync.client import connect

    x, r = audio[0]
    options = ServeOptions(
        port=0, workers=1, max_connections=2, idle_timeout=0.5, token="s3cret", max_stream_seconds=1.0
    )
    with running_server(rec, options) as s:
        denied = run(stream_audio(url(s), x, r))
        assert denied.close_code == CloseCode.POLICY_VIOLATION and "token" in denied.error["error"]
        with connect(url(s), additional_headers={"Authorization": "Bearer s3cret"}), connect(url(s) + "/?token=s3cret"):
            time.sleep(0.1)
            third = run(stream_audio(url(s), x, r, token="s3cret"))
            assert third.close_code == CloseCode.TRY_AGAIN_LATER
        time.sleep(0.7)  # those two were closed for idling; room again
        too_long = run(stream_audio(url(s), x, r, token="s3cret"))
        assert too_long.close_code == CloseCode.POLICY_VIOLATION and "longer than 1 s" in too_long.error["error"]
        short = run(stream_audio(url(s), x[: r // 2], r, token="s3cret"))
        assert short.ok


def test_faults_while_others_stream(server, audio, offline):
    """Clients that vanish mid-utterance, send garbage or huge messages, never read, or only
    open and close, while others stream: the others' texts are unchanged."""
    from websockets.asyncio.client import connect

    async def vanish(x):
        async with connect(url(server)) as ws:
            await ws.send(x[: x.size // 2].tobytes())
        # closed without Done

    async def garbage():
        async with connect(url(server)) as ws:
            await ws.send(b"\x01\x02\x03")
            await ws.wait_closed()

    async def huge():
        # The server refuses the frame from its header and closes while the client is still
        # sending it; the client library may fail in its own way then: that is the client's.
        with contextlib.suppress(Exception):
            async with connect(url(server), max_size=None) as ws:
                await ws.send(b"\x00" * (4 << 20))
                await ws.wait_closed()

    async def never_reads(x):
        ws = await connect(url(server))
        for i in range(0, x.size, 1600):
            await ws.send(x[i : i + 1600].tobytes())
        ws.transport.pause_reading()
        await asyncio.sleep(0.5)
        ws.transport.abort()

    async def churn(n):
        for _ in range(n):
            async with connect(url(server)):
                pass

    async def scenario():
        good = [stream_audio(url(server), x, r, options=NO_ENDPOINT, realtime=False, chunk_ms=50) for x, r in audio[:3]]
        faults = [vanish(audio[3][0]), garbage(), huge(), never_reads(audio[4][0]), churn(200)]
        results = await asyncio.gather(*good, *faults, return_exceptions=True)
        return results[: len(good)], results[len(good) :]

    good, faults = run(scenario())
    assert [r.text for r in good] == offline[:3]
    assert all(not isinstance(f, BaseException) for f in faults), faults
    time.sleep(0.3)
    assert server.active_connections == 0
    after = run(stream_audio(url(server), *audio[0], options=NO_ENDPOINT))  # still serving
    assert after.text == offline[0]


def test_page_is_served_at_root(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10) as r:
        page = r.read().decode()
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<html" in page.lower() and "worklet.js" in page
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/nope", timeout=10)
    assert e.value.code == 404
    e.value.close()


def test_cli_client_and_sigterm_finishes_open_streams(tmp_path):
    """`ncasr serve` in a process: `ncasr client` prints the final text and exits 0; a wrong
    token exits non-zero; SIGTERM while a stream is open lets it finish, then exits 0."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "ncasr", "serve", "--port", "0", "--workers", "1", "--token", "t0k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = server.stdout.readline()
        assert "ws://127.0.0.1:" in line, line + server.stderr.read()
        ws_url = line.split(" and ")[-1].strip()
        wav = str(WAVS[0])
        ok = subprocess.run(
            [
                sys.executable,
                "-m",
                "ncasr",
                "client",
                ws_url,
                wav,
                "--token",
                "t0k",
                "--json",
                "--options",
                json.dumps(NO_ENDPOINT),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ok.returncode == 0, ok.stderr
        expected = ncasr.Recognizer.from_dir(ncasr.default_model_dir()).transcribe(wav).text.strip()
        assert json.loads(ok.stdout)["text"] == expected
        bad = subprocess.run(
            [sys.executable, "-m", "ncasr", "client", ws_url, wav], capture_output=True, text=True, timeout=120
        )
        assert bad.returncode == 1 and "1008" in bad.stderr
        slow = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ncasr",
                "client",
                ws_url,
                wav,
                "--token",
                "t0k",
                "--realtime",
                "--json",
                "--options",
                json.dumps(NO_ENDPOINT),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)  # the stream is open
        server.send_signal(signal.SIGTERM)
        out, err = slow.communicate(timeout=120)
        assert slow.returncode == 0, err
        assert json.loads(out)["text"] == expected
        assert server.wait(timeout=60) == 0
        log = server.stderr.read()
        assert "close 1000" in log and "close 1008" in log
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()
