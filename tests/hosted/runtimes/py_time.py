"""time in the host's CPython: run natively and under abi-run --root /
(tests/hosted/test_runtimes.py); it prints facts, never a measured time,
so the output is the same on both.

    python3 py_time.py CASE    (CASE: see CASES at the end)
"""

import sys
import threading
import time

CLOCKS = ("CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_MONOTONIC_RAW", "CLOCK_BOOTTIME",
          "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID", "CLOCK_TAI")


def clocks() -> None:
    """Each clock reads, has Linux's resolution, and the monotonic ones do
    not go back; get_clock_info; conversions in UTC."""
    for name in CLOCKS:
        clk = getattr(time, name)
        a = time.clock_gettime_ns(clk)
        b = time.clock_gettime_ns(clk)
        print(name, "res", time.clock_getres(clk), "reads", a > 0, "not back", b >= a)
    for name in ("time", "monotonic", "perf_counter", "process_time", "thread_time"):
        info = time.get_clock_info(name)
        print(name, info.implementation, info.monotonic, info.adjustable, info.resolution)
    print("time ~ CLOCK_REALTIME", abs(time.time() - time.clock_gettime(time.CLOCK_REALTIME)) < 1)
    print("year >= 2024", time.gmtime().tm_year >= 2024)
    print("gmtime(0)", tuple(time.gmtime(0)))
    print("localtime(86400*365) in UTC", time.strftime("%Y-%m-%d %H:%M:%S %Z",
                                                     time.localtime(86400 * 365)))
    print("mktime", time.mktime((2001, 9, 9, 1, 46, 40, 0, 0, 0)))
    print("tzname", time.tzname, "timezone", time.timezone)
    print("strptime", tuple(time.strptime("2024-02-29 12:34:56", "%Y-%m-%d %H:%M:%S")))


def sleeps() -> None:
    """sleep sleeps at least as long as asked, and not much longer; CPU
    clocks advance with work, not with sleep."""
    for d in (0.001, 0.02, 0.1):
        t0 = time.monotonic()
        time.sleep(d)
        dt = time.monotonic() - t0
        print(f"sleep({d}) at least", dt >= d, "under 1 s", dt < 1)
    t0 = time.monotonic_ns()
    time.sleep(0)
    print("sleep(0) returns", time.monotonic_ns() >= t0)
    c0 = time.process_time()
    time.sleep(0.1)
    print("sleep costs little CPU", time.process_time() - c0 < 0.05)
    c0 = time.thread_time()
    n = 0
    while time.thread_time() - c0 < 0.05:
        n += 1
    print("thread_time advances with work", time.thread_time() - c0 >= 0.05)
    try:
        time.sleep(-1)
    except ValueError as e:
        print("sleep(-1):", e)


def threads() -> None:
    """Sleeping threads overlap (4 x 0.2 s take well under 0.8 s) and each
    thread has its own CPU clock."""
    t0 = time.monotonic()
    ts = [threading.Thread(target=time.sleep, args=(0.2,)) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.monotonic() - t0
    print("4 sleeps in parallel", 0.2 <= dt < 0.7)
    cpu: list[float] = []
    t = threading.Thread(target=lambda: cpu.append(time.thread_time()))
    t.start()
    t.join()
    print("a new thread's CPU clock starts near 0", cpu[0] < 0.05)


CASES = {"clocks": clocks, "sleeps": sleeps, "threads": threads}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
