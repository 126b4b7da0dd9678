"""futex, futex_waitv, restart_syscall and the sleeps against Linux, from one
thread: what a call answers when nobody else is there (timeouts, EAGAIN,
the EINVAL/EFAULT/ENOSYS checks and their order, the word after a wake-op
or a PI operation, the counts of requeue and wake-op with no waiters).
Waits that need a second thread are tests/hosted/test_futex_mt.py's.

Normalisations: the thread id differs between the sides, so PI words are
compared with the caller's tid replaced by "tid"; a dead owner is a tid
above pid_max (0x3ffffff0), which exists on neither side."""

from __future__ import annotations

import struct
import time

from sides import F, Side, errno_of, res

DEAD_TID = 0x3FFFFFF0  # > pid_max (2^22): no task has it
WAITERS = F["FUTEX_WAITERS"]
OWNER_DIED = F["FUTEX_OWNER_DIED"]
PRIV = F["FUTEX_PRIVATE_FLAG"]
RT = F["FUTEX_CLOCK_REALTIME"]
ANY = F["FUTEX_BITSET_MATCH_ANY"]


def word(s: Side, v: int = 0) -> int:
    return s.mem(struct.pack("<I", v))


def get(s: Side, addr: int) -> int:
    return int(struct.unpack("<I", s.peek(addr, 4))[0])


def ts(s: Side, sec: int, nsec: int = 0) -> int:
    return s.mem(struct.pack("<qq", sec, nsec))


def now_ts(s: Side, clock: str, plus_ns: int = 0) -> int:
    """A timespec holding clock's time now, plus plus_ns."""
    buf = s.zeros(16)
    assert s("clock_gettime", F[clock], buf) == 0
    sec, nsec = struct.unpack("<qq", s.peek(buf, 16))
    t = sec * 10**9 + nsec + plus_ns
    return ts(s, t // 10**9, t % 10**9)


def page(s: Side, prot: int) -> int:
    p = s("mmap", 0, 4096, prot, F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"], -1, 0)
    assert p > 0
    return p


def unmapped(s: Side) -> int:
    p = page(s, F["PROT_READ"] | F["PROT_WRITE"])
    assert s("munmap", p, 4096) == 0
    return p


def futex(s: Side, uaddr: int, op: int, val: int = 0, utime: int = 0, uaddr2: int = 0,
          val3: int = 0) -> int | str:
    return res(s("futex", uaddr, op, val, utime, uaddr2, val3))


def both(sides: tuple[Side, Side], probe: object) -> None:
    assert callable(probe)
    linux, abi = sides
    want = probe(linux)
    got = probe(abi)
    assert got == want, f"abi {got!r}, linux {want!r}"


# --- WAIT and WAKE -------------------------------------------------------------


def test_wait_value_and_timeouts(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[object]:
        w = word(s, 5)
        out: list[object] = []
        for op in (F["FUTEX_WAIT"], F["FUTEX_WAIT"] | PRIV):
            out.append(futex(s, w, op, 4))                     # not the value
            out.append(futex(s, w, op, 5, ts(s, 0)))           # zero timeout
            out.append(futex(s, w, op, 5, ts(s, 0, 10**9)))    # tv_nsec too big
            out.append(futex(s, w, op, 5, ts(s, -1, 0)))       # negative
            out.append(futex(s, w, op, 5, unmapped(s)))        # timeout unreadable
            out.append(futex(s, w, op, 4, ts(s, 0, 10**9)))    # EINVAL before EAGAIN
            out.append(futex(s, w + 1, op, 5, ts(s, 0)))       # unaligned
            out.append(futex(s, unmapped(s), op, 5, ts(s, 0)))
        # WAIT_BITSET: absolute, monotonic or (with the flag) realtime
        for op in (F["FUTEX_WAIT_BITSET"] | PRIV, F["FUTEX_WAIT_BITSET"]):
            out.append(futex(s, w, op, 5, ts(s, 0), 0, ANY))   # long past
            out.append(futex(s, w, op | RT, 5, ts(s, 0), 0, ANY))
            out.append(futex(s, w, op, 5, ts(s, 0), 0, 0))     # empty bitset
            out.append(futex(s, w, op, 4, 0, 0, 0))            # EINVAL before EAGAIN
            out.append(futex(s, w, op, 4, 0, 0, 1))
        # CLOCK_REALTIME belongs to the absolute waits only: ENOSYS, after
        # the timeout is read
        out.append(futex(s, w, F["FUTEX_WAIT"] | RT, 5, ts(s, 0)))
        out.append(futex(s, w, F["FUTEX_WAIT"] | RT, 5, unmapped(s)))
        out.append(futex(s, w, F["FUTEX_WAIT"] | RT, 5, ts(s, 0, -1)))
        out.append(futex(s, w, F["FUTEX_WAKE"] | RT, 1))
        out.append(futex(s, w, F["FUTEX_REQUEUE"] | RT, 1))
        out.append(futex(s, w, F["FUTEX_LOCK_PI"] | RT, 0, ts(s, 0)))
        return out

    both(sides, probe)


def test_wait_sleeps_its_timeout(sides: tuple[Side, Side]) -> None:
    for s in sides:
        w = word(s, 0)
        t0 = time.monotonic()
        assert futex(s, w, F["FUTEX_WAIT"] | PRIV, 0, ts(s, 0, 30_000_000)) == "ETIMEDOUT"
        assert time.monotonic() - t0 >= 0.029, s.name
        t0 = time.monotonic()
        r = futex(s, w, F["FUTEX_WAIT_BITSET"] | RT, 0,
                  now_ts(s, "CLOCK_REALTIME", 30_000_000), 0, ANY)
        assert r == "ETIMEDOUT" and time.monotonic() - t0 >= 0.025, s.name
        t0 = time.monotonic()
        r = futex(s, w, F["FUTEX_WAIT_BITSET"], 0,
                  now_ts(s, "CLOCK_MONOTONIC", 30_000_000), 0, ANY)
        assert r == "ETIMEDOUT" and time.monotonic() - t0 >= 0.029, s.name


def test_wake_without_waiters(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[object]:
        w = word(s)
        ro = page(s, F["PROT_READ"])
        out: list[object] = []
        for op in (F["FUTEX_WAKE"], F["FUTEX_WAKE"] | PRIV):
            for n in (0, 1, 0x7FFFFFFF, 0xFFFFFFFF):
                out.append(futex(s, w, op, n))
            out.append(futex(s, w + 2, op, 1))
            out.append(futex(s, unmapped(s), op, 1))  # private: only an address
            out.append(futex(s, ro, op, 1))           # shared: a read-only page
            out.append(futex(s, 1 << 47, op, 1))
        for op in (F["FUTEX_WAKE_BITSET"], F["FUTEX_WAKE_BITSET"] | PRIV):
            out.append(futex(s, w, op, 1, 0, 0, 0))
            out.append(futex(s, w, op, 1, 0, 0, 1))
            out.append(futex(s, w + 1, op, 1, 0, 0, 0))  # bitset before alignment
        out.append(futex(s, w, F["FUTEX_FD"], 0))
        out.append(futex(s, w, 14))
        out.append(futex(s, w, 0x200 | F["FUTEX_WAKE"]))
        return out

    both(sides, probe)


# --- REQUEUE and WAKE_OP --------------------------------------------------------------


def test_requeue_without_waiters(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[object]:
        a, b = word(s, 7), word(s, 9)
        out: list[object] = []
        for p in (0, PRIV):
            rq, cmp = F["FUTEX_REQUEUE"] | p, F["FUTEX_CMP_REQUEUE"] | p
            out.append(futex(s, a, rq, 1, 1, b))
            out.append(futex(s, a, rq, 1, 0x80000000, b))    # nr_requeue < 0
            out.append(futex(s, a, rq, 0xFFFFFFFF, 1, b))    # nr_wake < 0
            out.append(futex(s, a, rq, 1, 1, a))             # same futex: fine
            out.append(futex(s, a, cmp, 1, 1, b, 7))
            out.append(futex(s, a, cmp, 1, 1, b, 8))         # EAGAIN
            out.append(futex(s, a, cmp, 1, 1, b + 1, 8))     # alignment first
            out.append(futex(s, unmapped(s), cmp, 1, 1, b, 7))
            out.append(futex(s, a, cmp, 1, 1, unmapped(s), 7))
            out.append(futex(s, a, rq, 1, 1, unmapped(s)))
        return out

    both(sides, probe)


def wake_op(op: int, oparg: int, cmp: int, cmparg: int) -> int:
    return ((op & 0xF) << 28) | ((cmp & 0xF) << 24) | ((oparg & 0xFFF) << 12) | (cmparg & 0xFFF)


def test_wake_op_results(sides: tuple[Side, Side]) -> None:
    """Each operation and comparison on a word nobody waits on: the word
    after it and the call's result; an unknown operation writes nothing,
    an unknown comparison is ENOSYS after the write."""
    def probe(s: Side) -> list[object]:
        out: list[object] = []
        for p in (0, PRIV):
            wop = F["FUTEX_WAKE_OP"] | p
            for op in range(8):
                for cmp in (0, 1, 2, 3, 4, 5, 6, 15):
                    for start, oparg, cmparg in ((5, 3, 5), (0xFFFFFFFF, 0x800, -1), (2, 1, 7)):
                        a, b = word(s), word(s, start)
                        r = futex(s, a, wop, 1, 1, b, wake_op(op, oparg, cmp, cmparg))
                        out.append((op, cmp, r, get(s, b)))
            # FUTEX_OP_OPARG_SHIFT: 1 << oparg, a bad shift masked to 5 bits
            for oparg in (3, 31, 40, -1):
                b = word(s, 0)
                r = futex(s, word(s), wop, 1, 1, b, (8 << 28) | wake_op(2, oparg, 0, 0))
                out.append(("shift", oparg, r, get(s, b)))
            b = word(s, 1)
            out.append(futex(s, word(s), wop, 1, 0x80000000, b, wake_op(0, 0, 0, 0)))
            out.append(futex(s, word(s), wop, 0xFFFFFFFF, 1, b, wake_op(0, 0, 0, 0)))
            out.append(futex(s, unmapped(s), wop, 1, 1, b, wake_op(0, 1, 0, 0)))
            out.append(futex(s, word(s), wop, 1, 1, unmapped(s), wake_op(0, 1, 0, 0)))
            out.append(futex(s, word(s), wop, 1, 1, unmapped(s), wake_op(6, 1, 0, 0)))
            out.append(futex(s, word(s), wop, 1, 1, page(s, F["PROT_READ"]),
                             wake_op(0, 1, 0, 0)))
            out.append(futex(s, word(s), wop, 1, 1, b + 1, wake_op(0, 1, 0, 0)))
            out.append(futex(s, word(s) + 1, wop, 1, 1, b, wake_op(0, 1, 0, 0)))
        return out

    both(sides, probe)


# --- PI -----------------------------------------------------------------------------------


def pi_word(s: Side, v: int) -> str:
    tid = s("gettid")
    bits = [n for n, b in (("WAITERS", WAITERS), ("OWNER_DIED", OWNER_DIED)) if v & b]
    owner = v & F["FUTEX_TID_MASK"]
    return "|".join([*bits, "tid" if owner == tid else hex(owner)])


def test_pi_one_thread(sides: tuple[Side, Side]) -> None:
    """Lock, trylock and unlock by the only thread: the word as Linux
    leaves it (the caller's TID, FUTEX_WAITERS, FUTEX_OWNER_DIED)."""
    def probe(s: Side) -> list[object]:
        out: list[object] = []
        tid = s("gettid")
        for p in (0, PRIV):
            lock, unlock, trylock = (F["FUTEX_LOCK_PI"] | p, F["FUTEX_UNLOCK_PI"] | p,
                                     F["FUTEX_TRYLOCK_PI"] | p)
            lock2 = F["FUTEX_LOCK_PI2"] | p
            w = word(s)

            def step(name: str, r: object, w: int = w) -> None:
                out.append((name, r, pi_word(s, get(s, w))))

            step("lock", futex(s, w, lock))
            step("relock", futex(s, w, lock))
            step("trylock-own", futex(s, w, trylock))
            step("unlock", futex(s, w, unlock))
            step("unlock-free", futex(s, w, unlock))
            step("trylock", futex(s, w, trylock))
            step("unlock", futex(s, w, unlock))
            step("lock2-rt", futex(s, w, lock2 | RT, 0, ts(s, 0)))
            step("unlock", futex(s, w, unlock))
            step("lock2", futex(s, w, lock2, 0, ts(s, 0)))
            step("unlock", futex(s, w, unlock))
            # a lock whose owner died: taken, OWNER_DIED kept
            w2 = word(s, OWNER_DIED)
            step("lock-died", futex(s, w2, lock), w2)
            step("unlock-died", futex(s, w2, unlock), w2)
            # our TID with the waiters bit and nobody waiting: unlock clears it
            w3 = word(s, tid | WAITERS)
            step("unlock-waiters", futex(s, w3, unlock), w3)
            w3b = word(s, tid | OWNER_DIED)
            step("unlock-owner-died", futex(s, w3b, unlock), w3b)
            # an owner that does not exist: the waiters bit is set, then ESRCH
            w4 = word(s, DEAD_TID)
            step("lock-dead", futex(s, w4, lock, 0, ts(s, 0)), w4)
            w5 = word(s, DEAD_TID)
            step("trylock-dead", futex(s, w5, trylock), w5)
            step("unlock-other", futex(s, w5, unlock), w5)
            w6 = word(s, DEAD_TID | OWNER_DIED)
            step("lock-dead-died", futex(s, w6, lock, 0, ts(s, 0)), w6)
            out.append(futex(s, w + 2, lock))
            out.append(futex(s, unmapped(s), lock))
            out.append(futex(s, unmapped(s), unlock))
            out.append(futex(s, unmapped(s), trylock))
            out.append(futex(s, page(s, F["PROT_READ"]), lock))
            out.append(futex(s, page(s, F["PROT_READ"]), trylock))
            out.append(futex(s, w, lock, 0, ts(s, 0, 10**9)))
            out.append(futex(s, w, lock, 0, unmapped(s)))
            out.append(pi_word(s, get(s, w)))
        return out

    both(sides, probe)


def test_requeue_pi_one_thread(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[object]:
        out: list[object] = []
        for p in (0, PRIV):
            wrq, crq = F["FUTEX_WAIT_REQUEUE_PI"] | p, F["FUTEX_CMP_REQUEUE_PI"] | p
            a, b = word(s, 3), word(s)
            out.append(futex(s, a, wrq, 3, ts(s, 0), a))       # same futex
            out.append(futex(s, a, wrq, 4, ts(s, 0), b))       # not the value
            out.append(futex(s, a, wrq, 3, ts(s, 0), b))       # long past
            out.append(futex(s, a, wrq | RT, 3, ts(s, 0), b))
            out.append(futex(s, a, wrq, 3, ts(s, 0), b + 1))
            out.append(futex(s, a, wrq, 3, ts(s, 0), unmapped(s)))
            out.append(futex(s, a, crq, 1, 1, b, 3))            # nobody waits
            out.append(futex(s, a, crq, 1, 0, b, 3))
            out.append(futex(s, a, crq, 2, 1, b, 3))            # nr_wake must be 1
            out.append(futex(s, a, crq, 0, 1, b, 3))
            out.append(futex(s, a, crq, 1, 1, a, 3))            # same futex
            out.append(futex(s, a, crq, 1, 1, b, 4))            # EAGAIN
            out.append(futex(s, a, crq, 1, 0x80000000, b, 3))
            out.append(futex(s, a, crq, 1, 1, unmapped(s), 3))
            out.append(futex(s, unmapped(s), crq, 1, 1, b, 3))
            out.append(pi_word(s, get(s, b)))
        return out

    both(sides, probe)


def test_restart_syscall_without_a_restart(sides: tuple[Side, Side]) -> None:
    """Nothing was interrupted: restart_syscall is EINTR (a timed-out
    futex wait and a finished sleep leave no restart behind)."""
    def probe(s: Side) -> list[object]:
        out: list[object] = [errno_of(s("restart_syscall"))]
        assert futex(s, word(s), F["FUTEX_WAIT"] | PRIV, 0, ts(s, 0)) == "ETIMEDOUT"
        out.append(errno_of(s("restart_syscall")))
        assert s("nanosleep", ts(s, 0, 1000), 0) == 0
        out.append(errno_of(s("restart_syscall")))
        return out

    both(sides, probe)


# --- futex_waitv ----------------------------------------------------------------------------


def waitv(s: Side, entries: list[tuple[int, int, int]], reserved: int = 0) -> int:
    raw = b"".join(struct.pack("<QQII", val, uaddr, flags, reserved)
                   for val, uaddr, flags in entries)
    return s.mem(raw)


def test_waitv_errors(sides: tuple[Side, Side]) -> None:
    """The checks in Linux's order; a bad pointer (unmapped) for the array,
    the timeout or a word."""
    U32, PRIV2 = F["FUTEX2_SIZE_U32"], F["FUTEX2_PRIVATE"]

    def probe(s: Side) -> list[object]:
        a, b = word(s, 1), word(s, 2)
        mono, real = F["CLOCK_MONOTONIC"], F["CLOCK_REALTIME"]
        past = ts(s, 0)
        good = waitv(s, [(1, a, U32 | PRIV2), (2, b, U32)])

        def wv(w: int, n: int = 2, flags: int = 0, t: int = past, clock: int = mono) -> object:
            return res(s("futex_waitv", w, n, flags, t, clock))

        out: list[object] = [
            wv(good), wv(good, clock=real), wv(good, flags=1), wv(good, n=0), wv(good, n=129),
            wv(0), wv(good, clock=F["CLOCK_BOOTTIME"]), wv(good, t=unmapped(s)),
            wv(good, t=ts(s, 0, 10**9)), wv(unmapped(s)), wv(good, t=ts(s, -1)),
            wv(unmapped(s), clock=7),
            wv(waitv(s, [(1, a, U32), (3, b, U32)])),             # EAGAIN
            wv(waitv(s, [(0, a, U32), (2, b, U32)])),
            wv(waitv(s, [(1, a, U32), (2, b, U32)], reserved=1)),
            wv(waitv(s, [(1, a, F["FUTEX2_SIZE_U8"]), (2, b, U32)])),
            wv(waitv(s, [(1, a, F["FUTEX2_SIZE_U64"]), (2, b, U32)])),
            wv(waitv(s, [(1, a, U32 | 0x10), (2, b, U32)])),
            wv(waitv(s, [(1 | 1 << 32, a, U32), (2, b, U32)])),
            wv(waitv(s, [(1, a + 1, U32), (2, b, U32)])),
            wv(waitv(s, [(1, unmapped(s), U32 | PRIV2), (2, b, U32)])),
            wv(waitv(s, [(1, unmapped(s), U32), (2, b, U32)])),
            wv(waitv(s, [(1, a, U32), (2, unmapped(s), U32 | PRIV2)])),
            wv(waitv(s, [(1, a, U32), (3, unmapped(s), U32 | PRIV2)])),
            wv(waitv(s, [(2, a, U32), (3, b + 1, U32 | PRIV2)])),  # keys first
            wv(waitv(s, [(1, a, U32)]), n=1),
        ]
        # FUTEX2_NUMA: an 8-aligned word with a node id after it
        numa = s.mem(struct.pack("<Ii", 1, -1))
        for node in (-1, 0, 1, 5000, -2):
            numa = s.mem(struct.pack("<Ii", 1, node))
            out.append(wv(waitv(s, [(1, numa, U32 | PRIV2 | F["FUTEX2_NUMA"])]), n=1))
        out.append(wv(waitv(s, [(1, numa + 4, U32 | PRIV2 | F["FUTEX2_NUMA"])]), n=1))
        out.append(wv(waitv(s, [(1, numa, U32 | PRIV2 | F["FUTEX2_MPOL"])]), n=1))
        return out

    both(sides, probe)


def test_waitv_timeout_sleeps(sides: tuple[Side, Side]) -> None:
    for s in sides:
        a = word(s, 1)
        w = waitv(s, [(1, a, F["FUTEX2_SIZE_U32"] | F["FUTEX2_PRIVATE"])])
        t0 = time.monotonic()
        r = res(s("futex_waitv", w, 1, 0, now_ts(s, "CLOCK_MONOTONIC", 20_000_000),
                  F["CLOCK_MONOTONIC"]))
        assert r == "ETIMEDOUT" and time.monotonic() - t0 >= 0.019, s.name


# --- nanosleep ------------------------------------------------------------------------------


def test_nanosleep_results(sides: tuple[Side, Side]) -> None:
    def probe(s: Side) -> list[object]:
        rm = s.mem(b"\xaa" * 16)
        mono = F["CLOCK_MONOTONIC"]
        out: list[object] = [
            res(s("nanosleep", ts(s, 0, 1_000_000), rm)), s.peek(rm, 16),
            res(s("nanosleep", ts(s, 0, 10**9), rm)), res(s("nanosleep", unmapped(s), rm)),
            res(s("nanosleep", ts(s, 0, 1000), unmapped(s))),
            res(s("clock_nanosleep", mono, 0, ts(s, 0, 1_000_000), rm)), s.peek(rm, 16),
            res(s("clock_nanosleep", mono, F["TIMER_ABSTIME"], ts(s, 0), rm)),
            res(s("clock_nanosleep", F["CLOCK_REALTIME"], F["TIMER_ABSTIME"], ts(s, 0), rm)),
            res(s("clock_nanosleep", mono, F["TIMER_ABSTIME"],
                  now_ts(s, "CLOCK_MONOTONIC", 2_000_000), rm)),
            s.peek(rm, 16),
        ]
        return out

    both(sides, probe)


def test_nanosleep_sleeps(sides: tuple[Side, Side]) -> None:
    for s in sides:
        t0 = time.monotonic()
        assert s("nanosleep", ts(s, 0, 30_000_000), 0) == 0
        assert time.monotonic() - t0 >= 0.029, s.name


def test_shared_keys_by_mapping(sides: tuple[Side, Side]) -> None:
    """A shared futex needs its page: EFAULT for a read-only anonymous
    private page (it "will never change") or one that cannot be read, not
    for a read-only file or shared page (keyed by inode on Linux); the ops
    that write the word fault on any read-only page."""
    def probe(s: Side) -> list[object]:
        R = F["PROT_READ"]
        fd = s.open("f", F["O_RDWR"] | F["O_CREAT"])
        assert s("ftruncate", fd, 4096) == 0

        def mm(prot: int, flags: int, fd: int = -1) -> int:
            p = s("mmap", 0, 4096, prot, flags, fd, 0)
            assert p > 0, errno_of(p)
            return p

        anon, priv, shared = F["MAP_ANONYMOUS"], F["MAP_PRIVATE"], F["MAP_SHARED"]
        cases = [mm(R, priv | anon), mm(R, shared | anon), mm(R, priv, fd), mm(R, shared, fd),
                 mm(0, priv | anon), mm(F["PROT_EXEC"], priv, fd)]
        return [(futex(s, p, F["FUTEX_WAKE"], 1), futex(s, p, F["FUTEX_WAIT"], 1),
                 futex(s, p, F["FUTEX_WAIT"] | PRIV, 1), futex(s, p, F["FUTEX_LOCK_PI"]),
                 futex(s, p, F["FUTEX_WAKE_OP"], 1, 1, p), futex(s, p, F["FUTEX_TRYLOCK_PI"]))
                for p in cases]

    both(sides, probe)
