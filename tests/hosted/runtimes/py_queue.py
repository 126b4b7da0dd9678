"""queue between threads in the host's CPython: run natively and under
abi-run --root / (tests/hosted/test_runtimes.py); the output is the same.

    python3 py_queue.py CASE    (CASE: see CASES at the end)
"""

import queue
import sys
import threading


def producers() -> None:
    """4 producers and 4 consumers through a bounded Queue, with task_done
    and join; every item arrives exactly once."""
    q: queue.Queue[int | None] = queue.Queue(maxsize=4)
    got: list[int] = []
    guard = threading.Lock()

    def produce(base: int) -> None:
        for i in range(500):
            q.put(base * 1000 + i)

    def consume() -> None:
        while True:
            item = q.get()
            if item is None:
                q.task_done()
                return
            with guard:
                got.append(item)
            q.task_done()

    cons = [threading.Thread(target=consume) for _ in range(4)]
    prods = [threading.Thread(target=produce, args=(b,)) for b in range(4)]
    for t in cons + prods:
        t.start()
    for t in prods:
        t.join()
    for _ in cons:
        q.put(None)
    q.join()
    for t in cons:
        t.join()
    print("items", len(got), "distinct", len(set(got)), "sum", sum(got))
    print("empty", q.empty(), "unfinished", q.unfinished_tasks)


def kinds() -> None:
    """PriorityQueue, LifoQueue and SimpleQueue across a thread; Empty and
    Full on timeouts and the nowait calls."""
    pq: queue.PriorityQueue[tuple[int, str]] = queue.PriorityQueue()
    lq: queue.LifoQueue[int] = queue.LifoQueue()
    sq: queue.SimpleQueue[int] = queue.SimpleQueue()

    def fill() -> None:
        for p, w in ((3, "c"), (1, "a"), (2, "b")):
            pq.put((p, w))
        for i in range(3):
            lq.put(i)
            sq.put(i)

    t = threading.Thread(target=fill)
    t.start()
    t.join()
    print("priority", [pq.get() for _ in range(3)])
    print("lifo", [lq.get() for _ in range(3)])
    print("simple", [sq.get() for _ in range(3)])
    try:
        queue.Queue().get(timeout=0.05)
    except queue.Empty:
        print("get timeout: Empty")
    full: queue.Queue[int] = queue.Queue(maxsize=1)
    full.put_nowait(1)
    try:
        full.put(2, timeout=0.05)
    except queue.Full:
        print("put timeout: Full")
    try:
        full.put_nowait(2)
    except queue.Full:
        print("put_nowait: Full")

    # A consumer blocked in get() with no timeout is woken by a put.
    handoff: queue.Queue[str] = queue.Queue()
    reply: queue.Queue[str] = queue.Queue()
    t = threading.Thread(target=lambda: reply.put(handoff.get().upper()))
    t.start()
    handoff.put("ping")
    print("handoff", reply.get(timeout=10))
    t.join()


CASES = {"producers": producers, "kinds": kinds}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
