"""Timers' error paths against Linux: setitimer, getitimer and the POSIX
timer calls with bad pointers (a hole: a page mapped and unmapped again),
bad values, clocks without timers, bad events and ids that name no timer.

Every case fails on Linux before it arms or keeps anything, so the native
side runs in the test process itself. The library platform has no timers
(no signal thread to deliver them): what would arm one is ENOSYS there, so
the working calls are compared under abi-run, by
tests/hosted/progs/threads/timers.c (tests/hosted/test_threads.py)."""

from __future__ import annotations

import struct

from sides import PAGE, F, Side, both, errno_of

NO_TIMER = 0x7FFFFFF0  # an id no timer has (ids are allocated from 0)
NO_THREAD = 999999  # above any tid these tests make


def hole(s: Side) -> int:
    """An address with nothing mapped."""
    addr = s("mmap", 0, PAGE, F["PROT_READ"], F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    s("munmap", addr, PAGE)
    return addr


def itimerval(value_usec: int, interval_usec: int = 0, sec: int = 0) -> bytes:
    return struct.pack("<qqqq", 0, interval_usec, sec, value_usec)


def itimerspec(value_nsec: int, sec: int = 0) -> bytes:
    return struct.pack("<qqqq", 0, 0, sec, value_nsec)


def sigevent(notify: int, signo: int = 0, tid: int = 0) -> bytes:
    return struct.pack("<Qiii44x", 0, signo, notify, tid)


def test_itimer_errors(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[str]:
        bad = hole(s)
        out = [s("setitimer", 99, 0, 0),
               s("setitimer", 99, bad, 0),  # the value is read before which is looked at
               s("setitimer", 99, s.mem(itimerval(0)), bad),
               s("setitimer", F["ITIMER_REAL"], bad, 0),
               s("setitimer", F["ITIMER_REAL"], s.mem(itimerval(1000000)), 0),
               s("setitimer", F["ITIMER_VIRTUAL"], s.mem(itimerval(0, 1000000)), 0),
               s("setitimer", F["ITIMER_PROF"], s.mem(itimerval(0, 0, -1)), 0),
               s("getitimer", 99, bad),
               s("getitimer", -1, s.zeros(32)),
               s("getitimer", F["ITIMER_REAL"], bad),
               s("getitimer", F["ITIMER_PROF"], 0)]
        return [errno_of(r) for r in out]

    both(sides, probe)


def test_timer_create_errors(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[str]:
        bad = hole(s)
        idp = s.zeros(4)
        sig = sigevent(F["SIGEV_SIGNAL"], F["SIGUSR1"])
        clockfd = (~5 << 3) | 3
        out = [s("timer_create", F["CLOCK_MONOTONIC"], bad, idp),
               s("timer_create", 12345, s.mem(sig), idp),
               s("timer_create", 10, s.mem(sig), idp),  # CLOCK_SGI_CYCLE, gone
               s("timer_create", F["CLOCK_MONOTONIC_RAW"], s.mem(sig), idp),
               s("timer_create", F["CLOCK_REALTIME_COARSE"], s.mem(sigevent(99)), idp),
               s("timer_create", F["CLOCK_MONOTONIC_COARSE"], s.mem(sig), bad),
               s("timer_create", clockfd, s.mem(sig), idp),
               s("timer_create", 12345, bad, idp),  # the event is read first
               s("timer_create", F["CLOCK_MONOTONIC"], s.mem(sigevent(99)), idp),
               s("timer_create", F["CLOCK_MONOTONIC"], s.mem(sigevent(3, F["SIGUSR1"])), idp),
               s("timer_create", F["CLOCK_MONOTONIC"], s.mem(sigevent(F["SIGEV_SIGNAL"])), idp),
               s("timer_create", F["CLOCK_REALTIME"], s.mem(sigevent(F["SIGEV_SIGNAL"], 65)),
                 idp),
               s("timer_create", F["CLOCK_BOOTTIME"],
                 s.mem(sigevent(F["SIGEV_THREAD_ID"], F["SIGUSR1"], NO_THREAD)), idp),
               s("timer_create", F["CLOCK_MONOTONIC"],
                 s.mem(sigevent(F["SIGEV_THREAD_ID"], 0, s("gettid"))), idp)]
        return [errno_of(r) for r in out]

    both(sides, probe)


def test_timer_id_errors(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[str]:
        bad = hole(s)
        one_ms = s.mem(itimerspec(1000000))
        out = [s("timer_settime", NO_TIMER, 0, 0, 0),
               s("timer_settime", NO_TIMER, 0, bad, 0),  # read before the id is looked up
               s("timer_settime", NO_TIMER, 0, s.mem(itimerspec(1000000000)), 0),
               s("timer_settime", NO_TIMER, 0, s.mem(itimerspec(0, -1)), 0),
               s("timer_settime", NO_TIMER, F["TIMER_ABSTIME"], one_ms, bad),
               s("timer_settime", -1, 0, one_ms, 0),
               s("timer_gettime", NO_TIMER, bad),
               s("timer_gettime", -1, s.zeros(32)),
               s("timer_getoverrun", NO_TIMER),
               s("timer_getoverrun", -1),
               s("timer_delete", NO_TIMER),
               s("timer_delete", -1)]
        return [errno_of(r) for r in out]

    both(sides, probe)
