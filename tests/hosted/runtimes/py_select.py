"""select, poll and epoll in the host's CPython: run natively and under
abi-run --root / (tests/hosted/test_runtimes.py); the output is the same.

    python3 py_select.py CASE    (CASE: see CASES at the end)
"""

import os
import select
import sys
import threading
import time


def pipes() -> None:
    """select, poll and epoll on a pipe: not ready, then readable; the
    write end writable; a closed write end is POLLHUP; timeouts expire."""
    r, w = os.pipe()
    print("select empty", select.select([r], [w], [], 0))
    os.write(w, b"x")
    print("select data", select.select([r], [w], [], 0))
    p = select.poll()
    p.register(r, select.POLLIN)
    p.register(w, select.POLLOUT)
    print("poll", sorted(p.poll(0)))
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    print("epoll", ep.poll(0))
    os.read(r, 1)
    print("epoll drained", ep.poll(0), "poll drained", sorted(p.poll(0)))
    os.close(w)
    p.unregister(w)
    print("poll after close of writer", p.poll(0), "POLLHUP", select.POLLHUP)
    print("epoll after close", ep.poll(0))
    ep.close()
    t0 = time.monotonic()
    r2, _w2 = os.pipe()
    print("select timeout", select.select([r2], [], [], 0.05), time.monotonic() - t0 >= 0.05)
    t0 = time.monotonic()
    p2 = select.poll()
    p2.register(r2, select.POLLIN)
    print("poll timeout", p2.poll(50), time.monotonic() - t0 >= 0.05)
    bad, _ = os.pipe()
    os.close(bad)
    try:
        select.select([bad], [], [], 0)
    except OSError as e:
        print("select bad fd:", e.errno)
    efd = os.eventfd(0)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN | select.EPOLLET)
    os.eventfd_write(efd, 3)
    print("eventfd epoll", ep.poll(0), "edge again", ep.poll(0), "read", os.eventfd_read(efd))


def woken(name: str) -> None:
    """A thread blocked in select, poll or epoll.poll (name) on an empty
    pipe is woken by the main thread's write."""
    r, w = os.pipe()
    res: list[object] = []
    if name == "select":
        waiter = threading.Thread(target=lambda: res.append(select.select([r], [], [], 20)))
    elif name == "poll":
        p = select.poll()
        p.register(r, select.POLLIN)
        waiter = threading.Thread(target=lambda: res.append(p.poll(20000)))
    else:
        ep = select.epoll()
        ep.register(r, select.EPOLLIN)
        waiter = threading.Thread(target=lambda: res.append(ep.poll(20)))
    t0 = time.monotonic()
    waiter.start()
    time.sleep(0.05)
    os.write(w, b"x")
    waiter.join(20)
    print(name, "woken", res, "early", time.monotonic() - t0 < 10)


def thread() -> None:
    """A thread blocked in select, poll and epoll.poll is woken by another
    thread's write."""
    for name in ("select", "poll", "epoll"):
        woken(name)


CASES = {"pipes": pipes, "thread": thread}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
