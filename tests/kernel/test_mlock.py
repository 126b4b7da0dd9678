"""mlock, mlock2, munlock, mlockall, munlockall against Linux.

Locking changes the process (its locked_vm, and for mlockall every mapping),
so the native side runs in a forked child (native_child.in_child). As root
(CAP_IPC_LOCK) nothing is limited; the RLIMIT_MEMLOCK accounting is compared
after dropping to uid 1000 with a small limit. A process's existing mappings
differ (pytest's address space against the kernel's few), so mlockall's
limit check is compared only where both sides certainly fail or succeed."""

from __future__ import annotations

import struct

from native_child import in_child
from sides import (
    F,
    Side,
    errno_of,
)

PAGE = 4096
RW = F["PROT_READ"] | F["PROT_WRITE"]
ANON = F["MAP_PRIVATE"] | F["MAP_ANONYMOUS"]


def region(s: Side, pages: int) -> int:
    """pages mapped RW with a one-page hole after the first two."""
    base = s("mmap", 0, pages * PAGE, RW, ANON, -1, 0)
    assert base > 0
    assert s("munmap", base + 2 * PAGE, PAGE) == 0
    return base


def lock_probe(s: Side) -> list[str]:
    base = region(s, 8)
    calls: list[tuple[str, tuple[int, ...]]] = [
        ("mlock", (base, PAGE)), ("mlock", (base + 1, 1)), ("mlock", (base, 2 * PAGE)),
        ("mlock", (base, 3 * PAGE)),            # runs into the hole
        ("mlock", (base + 2 * PAGE, PAGE)),     # the hole itself
        ("mlock", (base, 0)), ("mlock", (base + 5, 0)), ("mlock", (base, 2**64 - 1)),
        ("mlock", (base + 3 * PAGE, 2**63)),
        ("mlock2", (base, PAGE, F["MLOCK_ONFAULT"])), ("mlock2", (base, PAGE, 2)),
        ("mlock2", (base + 3 * PAGE, PAGE, 0)),
        ("munlock", (base, PAGE)), ("munlock", (base, 3 * PAGE)),
        ("munlock", (base + 2 * PAGE, PAGE)), ("munlock", (base, 0)),
        ("munlock", (base + 3 * PAGE, 5 * PAGE)),
        ("mlockall", (0,)), ("mlockall", (F["MCL_ONFAULT"],)), ("mlockall", (8,)),
        ("mlockall", (F["MCL_FUTURE"],)), ("munlockall", ()),
        ("mlockall", (F["MCL_CURRENT"] | F["MCL_ONFAULT"],)), ("munlockall", ()),
    ]
    return [f"{c}{tuple(a[1:]) if c != 'mlockall' else a}: {errno_of(s(c, *a))}"
            for c, a in calls]


def test_mlock_as_root(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    assert lock_probe(abi) == in_child(lambda: lock_probe(linux))


def limit_probe(s: Side) -> list[str]:
    """RLIMIT_MEMLOCK of 4 pages for uid 1000 (no CAP_IPC_LOCK)."""
    base = region(s, 12)
    assert s("setrlimit", F["RLIMIT_MEMLOCK"], s.mem(struct.pack("<QQ", 4 * PAGE, 4 * PAGE))) == 0
    assert s("setresuid", 1000, 1000, 1000) == 0
    calls: list[tuple[str, tuple[int, ...]]] = [
        ("mlock", (base + 3 * PAGE, 3 * PAGE)), ("mlock", (base + 3 * PAGE, 4 * PAGE)),
        ("mlock", (base + 7 * PAGE, 2 * PAGE)), ("mlock", (base + 4 * PAGE, 2 * PAGE)),
        ("mlock", (base, PAGE)), ("mlock", (base + PAGE, PAGE)),
        ("munlock", (base + 3 * PAGE, 2 * PAGE)), ("mlock2", (base + 8 * PAGE, 2 * PAGE, 0)),
        ("mlock2", (base + 8 * PAGE, 3 * PAGE, 0)), ("munlockall", ()),
        ("mlock", (base + 3 * PAGE, 4 * PAGE)), ("mlock", (base + 3 * PAGE, 5 * PAGE)),
        # every mapping of either process is more than 4 pages
        ("mlockall", (F["MCL_CURRENT"],)), ("mlockall", (F["MCL_FUTURE"],)), ("munlockall", ()),
    ]
    out = [f"{c}{a[1:]}: {errno_of(s(c, *a))}" for c, a in calls]
    assert s("setrlimit", F["RLIMIT_MEMLOCK"], s.mem(struct.pack("<QQ", 0, 0))) == 0
    out += [f"zero limit {c}: {errno_of(s(c, *a))}" for c, a in
            [("mlock", (base, PAGE)), ("mlockall", (F["MCL_FUTURE"],)), ("munlock", (base, PAGE)),
             ("mlock2", (base, PAGE, 2))]]
    return out


def test_memlock_limit_unprivileged(sides: tuple[Side, Side]) -> None:
    linux, abi = sides
    assert limit_probe(abi) == in_child(lambda: limit_probe(linux))


def test_mlock_survives_mprotect_and_munmap(sides: tuple[Side, Side]) -> None:
    """Locked pages are counted per page: after munmap of locked memory the
    limit is free again."""
    def probe(s: Side) -> list[str]:
        base = region(s, 8)
        assert s("setrlimit", F["RLIMIT_MEMLOCK"],
                 s.mem(struct.pack("<QQ", 2 * PAGE, 2 * PAGE))) == 0
        assert s("setresuid", 1000, 1000, 1000) == 0
        return [errno_of(r) for r in [
            s("mlock", base, 2 * PAGE), s("mprotect", base, PAGE, F["PROT_READ"]),
            s("mlock", base + 3 * PAGE, PAGE), s("munmap", base, PAGE),
            s("mlock", base + 3 * PAGE, PAGE), s("mlock", base + 4 * PAGE, PAGE)]]

    linux, abi = sides
    assert probe(abi) == in_child(lambda: probe(linux))
