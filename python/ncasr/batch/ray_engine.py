"""The Ray engine: Ray Data holds the pending utterances, an actor pool (one Recognizer per
actor) transcribes them in batches, and the results stream back to the driver as each batch
finishes. Ray is imported only here, and only when a Ray job runs (``pip install 'ncasr[ray]'``).

A batch whose actor dies is run again on a restarted actor: Ray Data creates its pool's
actors with ``max_restarts=-1`` and ``max_task_retries=-1`` (restart and retry without limit).
A batch's results reach the driver only once its task has finished, and the results file
drops an id it already has, so nothing is lost or written twice.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import socket
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Sequence

from ..errors import NcasrError
from .settings import DecodeSettings, RayOptions
from .worker import Outcome, UtteranceTranscriber

__all__ = [
    "RayUnavailableError",
    "RayConnectError",
    "require_ray",
    "ray_connection",
    "actor_count",
    "run_ray",
    "map_on_actors",
]


class RayUnavailableError(NcasrError, ImportError):
    """``--engine ray`` was asked for but Ray (with Ray Data) is not installed here.

    Example::

        try:
            require_ray()
        except RayUnavailableError as e:
            print(e)  # ... pip install 'ncasr[ray]'
    """


def require_ray() -> Any:
    """The ``ray`` module with ``ray.data`` loaded, or RayUnavailableError.

    Example::

        ray = require_ray()
    """
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data is a separate extra of ray
    except ImportError as e:
        raise RayUnavailableError(f"the ray engine needs Ray with Ray Data ({e}): pip install 'ncasr[ray]'") from None
    return ray


class RayConnectError(NcasrError, ConnectionError):
    """The Ray cluster named by ``--address`` could not be joined.

    Example::

        try:
            with ray_connection(RayOptions(address="10.0.0.5:6379")):
                pass
        except RayConnectError as e:
            print(e)
    """


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a HOST:PORT nobody listens at: ray.init would retry it for minutes."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto", ray:// client addresses and the like: Ray resolves them itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise RayConnectError(
            f"cannot join the Ray cluster at {address}: nothing answers there ({e}); "
            "start one with 'ray start --head' or pass its address"
        ) from None


@contextmanager
def ray_connection(options: RayOptions) -> Iterator[Any]:
    """Ray, connected: an existing connection of this process is used as it is; otherwise
    ``options.address`` is joined (None starts a local instance, shut down on exit).

    Example::

        with ray_connection(RayOptions(address="auto")) as ray:
            print(ray.cluster_resources())
    """
    ray = require_ray()
    started = False
    if not ray.is_initialized():
        if options.address:
            _probe(options.address)
        try:
            ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, ray.exceptions.RayError) as e:
            raise RayConnectError(
                f"cannot join the Ray cluster at {options.address or 'a new local instance'}: {e} (is it running? "
                "A cluster started with token authentication needs RAY_AUTH_MODE=token and its token, "
                "~/.ray/auth_token, on this machine)"
            ) from None
        started = True
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "progress bars disabled"
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def actor_count(ray: Any, options: RayOptions) -> int:
    """``options.num_actors``, or (0) as many actors as the cluster's CPUs hold.

    Example::

        with ray_connection(options) as ray:
            print(actor_count(ray, options))
    """
    if options.num_actors:
        return options.num_actors
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, cpus // options.threads_per_actor)


def map_on_actors(
    ray: Any,
    rows: List[Dict[str, Any]],
    actor_class: type,
    constructor_kwargs: Dict[str, Any],
    options: RayOptions,
) -> Iterator[Dict[str, Any]]:
    """Run ``actor_class`` (a callable class taking a batch dict of columns) over ``rows`` on
    an actor pool of ``actor_count`` actors, yielding output rows as batches finish.

    Example::

        for row in map_on_actors(ray, rows, RayTranscriber, {"settings": settings}, options):
            print(row["id"])
    """
    if not rows:
        return
    blocks = max(1, min(len(rows), math.ceil(len(rows) / options.batch_size)))
    dataset = ray.data.from_items(rows, override_num_blocks=blocks)
    dataset = dataset.map_batches(
        actor_class,
        fn_constructor_kwargs=constructor_kwargs,
        batch_size=options.batch_size,
        compute=ray.data.ActorPoolStrategy(size=actor_count(ray, options)),
        num_cpus=options.threads_per_actor,
    )
    yield from dataset.iter_rows()


class RayTranscriber:
    """A Ray Data actor: one Recognizer, called with a batch of ``id``/``path``/``text``
    columns, returning ``id``/``line``/``duration``/``failed`` columns.

    Example::

        dataset.map_batches(RayTranscriber, fn_constructor_kwargs={"settings": DecodeSettings()}, concurrency=2)
    """

    def __init__(self, settings: DecodeSettings) -> None:
        self.transcribe = UtteranceTranscriber(settings)

    def __call__(self, batch: Dict[str, Sequence[Any]]) -> Dict[str, List[Any]]:
        outcomes = [
            self.transcribe({"id": uid, "path": path, "text": text})
            for uid, path, text in zip(batch["id"], batch["path"], batch["text"])
        ]
        return {
            "id": [o.id for o in outcomes],
            "line": [o.line for o in outcomes],
            "duration": [o.duration for o in outcomes],
            "failed": [o.failed for o in outcomes],
        }


def run_ray(
    settings: DecodeSettings,
    items: List[Dict[str, Any]],
    on_result: Callable[[Outcome], None],
    options: RayOptions,
) -> int:
    """Transcribe ``items`` (``{"id", "path", "text"}``) on a Ray actor pool, calling
    ``on_result`` in the driver as each batch's results arrive. Returns the actor count.

    Example::

        run_ray(DecodeSettings(), items, print, RayOptions(num_actors=2))
    """
    settings_here = dataclasses.replace(settings, num_threads=options.threads_per_actor)
    with ray_connection(options) as ray:
        actors = actor_count(ray, options)
        for row in map_on_actors(ray, items, RayTranscriber, {"settings": settings_here}, options):
            on_result(Outcome(str(row["id"]), str(row["line"]), float(row["duration"]), bool(row["failed"])))
    return actors
