"""Runs native checks that change the calling process (credentials, session,
scheduling, memory locks, registrations) in a forked child, so that the
pytest process itself is never altered: the tests run as root, and dropping
its credentials would break every later test."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_child(fn: Callable[[], T]) -> T:
    """fn() evaluated in a forked child; its result (picklable) or its
    exception comes back through a pipe."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(rfd)
        try:
            try:
                out: tuple[bool, object] = (True, fn())
            except BaseException as e:
                out = (False, f"{type(e).__name__}: {e}")
            with os.fdopen(wfd, "wb") as w:
                w.write(pickle.dumps(out))
        finally:
            os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as r:
        data = r.read()
    os.waitpid(pid, 0)
    ok, value = pickle.loads(data)
    if not ok:
        raise AssertionError(f"native child failed: {value}")
    return value  # type: ignore[no-any-return]
