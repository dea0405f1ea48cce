"""The Dask client: on a running scheduler, or on a local cluster of worker processes.

Imports nothing of the package, so that any module may ask for a client without an import
cycle (the store's ingest, the engine, event grouping).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, Literal

Engine = Literal["local", "dask"]
ENGINES: tuple[Engine, ...] = ("local", "dask")


class EngineError(ValueError):
    """An engine option is wrong, or the scheduler cannot be reached; the message says which."""


def check_engine(engine: str) -> None:
    """Raise :class:`EngineError` naming the allowed engines unless ``engine`` is one of them."""
    if engine not in ENGINES:
        raise EngineError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None, memory_limit: str = "auto") -> Iterator[Any]:
    """A :class:`distributed.Client`: on ``scheduler`` when given, else on a local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). None starts a
        :class:`distributed.LocalCluster` with one single-threaded worker process per core
        (the map is pure Python and NumPy: processes, not threads, run it in parallel).
    n_workers : int, optional
        Workers of the local cluster; default: the machine's cores.
    memory_limit : str, default="auto"
        Memory limit per local worker ("4GB"); "auto" shares the machine's memory.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise EngineError(
                f"--scheduler {scheduler}: cannot connect ({err}); start 'dask scheduler' there or drop --scheduler"
            ) from None
        with client:
            yield client
        return
    workers = n_workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,  # no dashboard, and the scheduler's HTTP server on a free port
            scheduler_kwargs={"dashboard_address": ":0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextlib.contextmanager
def client_for(engine: Engine, *, scheduler: str | None = None, client: Any = None) -> Iterator[Any]:
    """The client a run on ``engine`` should use: ``client`` when given, a new one for ``dask``, None for ``local``.

    One client serves every map of a measure (its map, its metadata, its second pass), and a
    client the caller passed is left open.
    """
    check_engine(engine)
    if engine == "local" or client is not None:
        yield client
        return
    with dask_client(scheduler) as started:
        yield started
