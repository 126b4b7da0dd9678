"""Threads in the host's CPython: run natively and under abi-run --root /
(tests/hosted/test_runtimes.py); every line it prints is the same on both.

    python3 py_threads.py CASE    (CASE: see CASES at the end)
"""

import sys
import threading
import time

N_THREADS = 8


def lock() -> None:
    """8 threads add to one counter under a Lock; while all are alive, each
    has its own ident, native id and threading.local value."""
    total = 0
    guard = threading.Lock()
    local = threading.local()
    seen: dict[str, tuple[int, int, int]] = {}
    all_alive = threading.Barrier(N_THREADS)

    def work(i: int) -> None:
        nonlocal total
        local.value = i
        for _ in range(20000):
            with guard:
                total += 1
        with guard:
            seen[threading.current_thread().name] = (threading.get_ident(),
                                                     threading.get_native_id(), local.value)
        all_alive.wait()  # so that no ident is reused before every thread has its own

    threads = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("total", total)
    print("names", sorted(seen))
    print("distinct idents", len({v[0] for v in seen.values()}))
    print("distinct native ids", len({v[1] for v in seen.values()}),
          "none is main's:", threading.get_native_id() not in {v[1] for v in seen.values()})
    print("locals", sorted(v[2] for v in seen.values()))
    print("alive after join", [t.is_alive() for t in threads].count(True))
    print("active_count", threading.active_count())
    print("main is main", threading.current_thread() is threading.main_thread())


def sync() -> None:
    """Condition, Event, Barrier, Semaphore and RLock between threads."""
    cond = threading.Condition()
    items: list[int] = []
    order: list[str] = []

    def consumer() -> None:
        with cond:
            cond.wait_for(lambda: len(items) == 5)
            order.append(f"consumer saw {sum(items)}")

    c = threading.Thread(target=consumer)
    c.start()
    for i in range(5):
        with cond:
            items.append(i)
            cond.notify_all()
    c.join()
    print(*order)

    ev = threading.Event()
    got = []
    waiters = [threading.Thread(target=lambda: got.append(ev.wait(10))) for _ in range(4)]
    for t in waiters:
        t.start()
    time.sleep(0.05)
    ev.set()
    for t in waiters:
        t.join()
    print("event waiters", got)
    print("event wait timeout", threading.Event().wait(0.05))

    barrier = threading.Barrier(N_THREADS)
    slots = []
    ws = [threading.Thread(target=lambda: slots.append(barrier.wait())) for _ in range(N_THREADS)]
    for t in ws:
        t.start()
    for t in ws:
        t.join()
    print("barrier slots", sorted(slots))

    sem = threading.BoundedSemaphore(3)
    inside = 0
    peak = 0
    m = threading.Lock()

    def limited() -> None:
        nonlocal inside, peak
        with sem:
            with m:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.01)
            with m:
                inside -= 1

    ls = [threading.Thread(target=limited) for _ in range(12)]
    for t in ls:
        t.start()
    for t in ls:
        t.join()
    print("semaphore peak <= 3", peak <= 3, "inside at end", inside)

    r = threading.RLock()
    with r, r:
        print("rlock reentered")
    print("lock acquire timeout", threading.Lock().acquire(timeout=0.01),
          "contended:", (lambda lk: (lk.acquire(), lk.acquire(timeout=0.05))[1])(threading.Lock()))


def misc() -> None:
    """Timer, daemon threads, excepthook, thread names and stack_size."""
    fired = threading.Event()
    tm = threading.Timer(0.05, fired.set)
    tm.start()
    print("timer fired", fired.wait(10))
    cancelled = threading.Timer(10, lambda: print("must not run"))
    cancelled.start()
    cancelled.cancel()
    cancelled.join()
    print("timer cancelled, alive:", cancelled.is_alive())

    caught = []
    threading.excepthook = lambda a: caught.append((a.exc_type.__name__, a.thread.name))
    t = threading.Thread(target=lambda: 1 / 0, name="boom")
    t.start()
    t.join()
    print("excepthook", caught)

    print("stack_size", threading.stack_size(), threading.stack_size(1 << 20),
          threading.stack_size())
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    threading.stack_size(0)

    d = threading.Thread(target=time.sleep, args=(30,), daemon=True)
    d.start()
    print("daemon alive", d.is_alive(), "enumerate", len(threading.enumerate()))
    # Exit with the daemon thread still asleep: the process ends anyway.


CASES = {"lock": lock, "sync": sync, "misc": misc}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
    sys.stdout.flush()
