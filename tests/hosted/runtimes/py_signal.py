"""Signals in the host's CPython: run natively and under abi-run --root /
(tests/hosted/test_runtimes.py); every line it prints is the same on both.

    python3 py_signal.py CASE    (CASE: see CASES at the end)
"""

import os
import signal
import sys
import threading
import time

got: list[str] = []


def record(signum: int, frame: object) -> None:
    got.append(f"{signal.Signals(signum).name} in {threading.current_thread().name}"
               f" frame:{frame is not None}")


def kill() -> None:
    """A handler runs on os.kill to self and signal.raise_signal; SIG_IGN
    ignores; getsignal reports. (No kill(0): natively, that would reach the
    test runner's whole process group.)"""
    signal.signal(signal.SIGUSR1, record)
    os.kill(os.getpid(), signal.SIGUSR1)
    print("after os.kill", got)
    signal.raise_signal(signal.SIGUSR1)
    print("after raise_signal", got[1:])
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    os.kill(os.getpid(), signal.SIGUSR2)
    print("ignored SIGUSR2, handlers ran", len(got))
    print("getsignal", signal.getsignal(signal.SIGUSR1) is record,
          signal.getsignal(signal.SIGUSR2) is signal.SIG_IGN,
          signal.getsignal(signal.SIGHUP) is signal.SIG_DFL)
    # A handler that raises: the exception comes out where the signal arrived.
    signal.signal(signal.SIGUSR1, lambda s, f: 1 / 0)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        print("no exception")
    except ZeroDivisionError:
        print("handler's exception raised by os.kill")
    print("strsignal", signal.strsignal(signal.SIGUSR1), "|", signal.strsignal(signal.SIGSEGV))
    print("valid_signals has SIGRTMAX", signal.SIGRTMAX in signal.valid_signals(),
          "SIGRTMIN", int(signal.SIGRTMIN), "SIGRTMAX", int(signal.SIGRTMAX))


def alarm() -> None:
    """signal.alarm wakes signal.pause; alarm's return values."""
    signal.signal(signal.SIGALRM, record)
    print("alarm(5) ->", signal.alarm(5), "alarm(0) ->", signal.alarm(0))
    signal.alarm(1)
    signal.pause()
    print("pause returned after", got)
    print("alarm(0) after it fired ->", signal.alarm(0))
    # A handler that raises interrupts a blocking read (PEP 475 retries otherwise).

    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("alarm")

    signal.signal(signal.SIGALRM, timeout)
    r, w = os.pipe()
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        os.read(r, 1)
        print("read returned")
    except TimeoutError as e:
        print("blocking read interrupted:", e)
    # A handler that returns: the read is retried and gets the data.
    signal.signal(signal.SIGALRM, record)

    def later() -> None:
        time.sleep(0.3)
        os.write(w, b"x")

    t = threading.Thread(target=later)
    t.start()
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    print("read retried after the handler:", os.read(r, 1), got[-1])
    t.join()


def itimer() -> None:
    """setitimer/getitimer: ITIMER_REAL with an interval, ITIMER_VIRTUAL and
    ITIMER_PROF on a busy loop."""
    ticks = 0

    def tick(signum: int, frame: object) -> None:
        nonlocal ticks
        ticks += 1
        if ticks == 5:
            signal.setitimer(signal.ITIMER_REAL, 0)

    signal.signal(signal.SIGALRM, tick)
    print("setitimer old", signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02))
    value, interval = signal.getitimer(signal.ITIMER_REAL)
    print("getitimer running", 0 < value <= 0.02, interval == 0.02)
    deadline = time.monotonic() + 10
    while ticks < 5 and time.monotonic() < deadline:
        signal.pause()
    print("real ticks", ticks, "stopped", signal.getitimer(signal.ITIMER_REAL))
    for which, signum in ((signal.ITIMER_VIRTUAL, signal.SIGVTALRM),
                          (signal.ITIMER_PROF, signal.SIGPROF)):
        fired = []
        signal.signal(signum, lambda s, f, fired=fired: fired.append(s))
        signal.setitimer(which, 0.01)
        deadline = time.monotonic() + 10
        while not fired and time.monotonic() < deadline:
            sum(range(1000))
        print(signal.Signals(signum).name, "fired once", fired == [signum],
              "disarmed", signal.getitimer(which) == (0.0, 0.0))
    try:
        signal.setitimer(signal.ITIMER_REAL, -1)
    except signal.ItimerError as e:
        print("negative itimer: ItimerError", e.errno)


def sigwait() -> None:
    """pthread_sigmask blocks; sigpending shows; sigwait, sigwaitinfo and
    sigtimedwait take; a dedicated signal thread waits with sigwait."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
    print("old mask", sorted(old))
    signal.signal(signal.SIGUSR1, record)
    os.kill(os.getpid(), signal.SIGUSR1)
    print("blocked: handler ran", bool(got), "pending", sorted(signal.sigpending()))
    print("sigwait ->", signal.sigwait({signal.SIGUSR1}).name, "pending", signal.sigpending())
    os.kill(os.getpid(), signal.SIGUSR2)
    info = signal.sigwaitinfo({signal.SIGUSR2})
    print("sigwaitinfo", signal.Signals(info.si_signo).name, "si_code SI_USER",
          info.si_code == 0, "si_pid is mine", info.si_pid == os.getpid(),
          "si_uid", info.si_uid == os.getuid())
    print("sigtimedwait timeout ->", signal.sigtimedwait({signal.SIGUSR2}, 0.05))
    signal.raise_signal(signal.SIGUSR2)
    print("sigtimedwait pending ->", signal.sigtimedwait({signal.SIGUSR2}, 0).si_signo)
    os.kill(os.getpid(), signal.SIGUSR1)
    print("unblock: returns", sorted(signal.pthread_sigmask(signal.SIG_UNBLOCK,
                                                              {signal.SIGUSR1})))
    print("pending one ran on unblock", got)
    print("mask now", sorted(signal.pthread_sigmask(signal.SIG_SETMASK, [])))

    # The signal-thread pattern: every thread blocks SIGUSR1; one sigwaits.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    waited = []
    t = threading.Thread(target=lambda: waited.append(signal.sigwait({signal.SIGUSR1})))
    t.start()
    time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGUSR1)
    t.join(10)
    print("signal thread got", [s.name for s in waited], "alive", t.is_alive())
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    print("handlers ran", len(got))


def pthread_kill() -> None:
    """signal.pthread_kill to the main thread from another thread (Python
    runs the handler in the main thread); pthread_kill(t, 0) probes; a
    signal from a thread wakes the main thread's time.sleep."""
    signal.signal(signal.SIGUSR1, record)
    main = threading.get_ident()
    t = threading.Thread(target=signal.pthread_kill, args=(main, signal.SIGUSR1), name="sender")
    t.start()
    t.join()
    time.sleep(0)  # a bytecode boundary: the handler runs here at the latest
    print("after pthread_kill from a thread", got)
    signal.pthread_kill(main, signal.SIGUSR1)
    print("after pthread_kill to self", got[1:])
    done = threading.Event()
    alive = threading.Thread(target=done.wait, args=(10,))
    alive.start()
    signal.pthread_kill(alive.ident, 0)
    print("pthread_kill(alive thread, 0) ok")
    done.set()
    alive.join()

    # SIGUSR2 to the main thread while it sleeps: the handler raises, so the
    # sleep ends early.
    def wake(signum: int, frame: object) -> None:
        raise InterruptedError("woken")

    signal.signal(signal.SIGUSR2, wake)
    s = threading.Thread(target=lambda: (time.sleep(0.1),
                                         signal.pthread_kill(main, signal.SIGUSR2)))
    s.start()
    t0 = time.monotonic()
    try:
        time.sleep(20)
        print("slept through")
    except InterruptedError as e:
        print("sleep interrupted:", e, "early", time.monotonic() - t0 < 10)
    s.join()


CASES = {"kill": kill, "alarm": alarm, "itimer": itimer, "sigwait": sigwait,
         "pthread_kill": pthread_kill}

if __name__ == "__main__":
    CASES[sys.argv[1]]()
