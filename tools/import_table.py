#!/usr/bin/env python3
"""Bootstrap the syscall table (syscalls/*.yaml) from the host's headers and man pages.

This is a one-shot importer. It wrote the first draft of the table; since then
the YAML files are the source of truth and are curated by hand (raw kernel
signatures, directions, flag sets). It is kept to show where the draft came
from, and it refuses to overwrite existing files unless ``--force``.

Sources:

* x86_64 numbers: ``asm/unistd_64.h`` (linux-libc-dev).
* aarch64 numbers: ``asm-generic/unistd.h`` preprocessed as arm64 does
  (``gcc -E -dM`` with arm64's uapi ``__ARCH_WANT_*`` defines and
  ``__BITS_PER_LONG=64``, so the ``__NR3264_*`` names resolve to the 64-bit
  names: fcntl, lseek, mmap, newfstatat, ...).
* errno numbers: ``asm-generic/errno-base.h`` and ``asm-generic/errno.h``.
* signatures and errors: the section-2 man pages (manpages-dev), rendered with
  ``MANWIDTH=200 man 2 NAME | col -b``; the SYNOPSIS prototype gives a draft
  signature (often the libc wrapper's, to be corrected by hand) and every
  ERRORS line that starts with an E-name gives the documented errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

# arm64's arch/arm64/include/uapi/asm/unistd.h (Linux 6.1) before it includes
# asm-generic/unistd.h.
ARM64_WANTS = (
    "__ARCH_WANT_RENAMEAT",
    "__ARCH_WANT_NEW_STAT",
    "__ARCH_WANT_SET_GET_RLIMIT",
    "__ARCH_WANT_TIME32_SYSCALLS",
    "__ARCH_WANT_SYS_CLONE3",
    "__ARCH_WANT_MEMFD_SECRET",
)
# Names in asm-generic/unistd.h that are not syscalls.
NOT_SYSCALLS = frozenset({"syscalls", "arch_specific_syscall"})

FAMILIES = ("file", "fs", "mm", "process", "signal", "time", "net", "ipc", "misc")

FAMILY_DOC = {
    "file": "I/O on file descriptors: read/write and friends, descriptor management "
    "(dup, fcntl, close), polling and event descriptors (poll, select, epoll, eventfd, "
    "timerfd, signalfd), pipes, splicing, async I/O and io_uring.",
    "fs": "Paths, directories, file metadata and attributes, extended attributes, "
    "permissions, mounts and the new mount API, filesystem syncing and quotas, inotify "
    "and fanotify.",
    "mm": "Memory: mappings, protection, advice, locking, NUMA policy, brk, memfd and "
    "userfaultfd, process memory access.",
    "process": "Tasks and threads: clone/fork/exec/exit/wait, pids and sessions, "
    "credentials and capabilities, scheduling, resource limits and usage, prctl, "
    "namespaces, pidfds, thread-local storage, robust futex lists and futexes.",
    "signal": "Signals: sending, actions, masks, waiting, alternate stacks, sigreturn.",
    "time": "Clocks, timers, sleeping, alarms and interval timers.",
    "net": "Sockets: creation, connection, data transfer, options and names.",
    "ipc": "System V message queues, semaphores and shared memory; POSIX message queues.",
    "misc": "Everything else: system information, keys, bpf, perf, modules, reboot, "
    "seccomp, landlock, ptrace, accounting, swap, personality, legacy and unimplemented "
    "entries.",
}

_F: dict[str, str] = {}


def _family(family: str, names: str) -> None:
    for n in names.split():
        _F[n] = family


_family("file", """
read write close poll lseek pread64 pwrite64 readv writev pipe select dup dup2 sendfile
fcntl flock fsync fdatasync ftruncate ioctl epoll_create epoll_ctl_old epoll_wait_old
epoll_wait epoll_ctl epoll_create1 epoll_pwait epoll_pwait2 pselect6 ppoll splice tee
vmsplice sync_file_range fallocate eventfd eventfd2 timerfd_create timerfd_settime
timerfd_gettime signalfd signalfd4 dup3 pipe2 preadv pwritev preadv2 pwritev2
io_setup io_destroy io_getevents io_submit io_cancel io_pgetevents copy_file_range
io_uring_setup io_uring_enter io_uring_register readahead fadvise64 close_range
""")
_family("fs", """
open stat fstat lstat access truncate getdents getcwd chdir fchdir rename mkdir rmdir
creat link unlink symlink readlink chmod fchmod chown fchown lchown umask mknod ustat
statfs fstatfs chroot sync mount umount2 swapon swapoff pivot_root quotactl quotactl_fd
setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr
flistxattr removexattr lremovexattr fremovexattr getdents64 utime utimes futimesat
inotify_init inotify_init1 inotify_add_watch inotify_rm_watch openat mkdirat mknodat
fchownat newfstatat unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat
faccessat2 utimensat fanotify_init fanotify_mark name_to_handle_at open_by_handle_at
syncfs renameat2 statx open_tree move_mount fsopen fsconfig fsmount fspick openat2
mount_setattr sysfs
""")
_family("mm", """
mmap mprotect munmap brk mremap msync mincore madvise mlock munlock mlockall munlockall
remap_file_pages mbind set_mempolicy get_mempolicy migrate_pages move_pages
process_vm_readv process_vm_writev memfd_create userfaultfd mlock2 pkey_mprotect
pkey_alloc pkey_free process_madvise memfd_secret process_mrelease
set_mempolicy_home_node
""")
_family("process", """
sched_yield getpid clone fork vfork execve exit wait4 getrusage getuid getgid setuid
setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups
setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid
capget capset getpriority setpriority sched_setparam sched_getparam
sched_setscheduler sched_getscheduler sched_get_priority_max sched_get_priority_min
sched_rr_get_interval prctl arch_prctl setrlimit getrlimit gettid set_tid_address
exit_group waitid unshare set_robust_list get_robust_list sched_setaffinity
sched_getaffinity prlimit64 setns getcpu sched_setattr sched_getattr execveat kcmp
pidfd_send_signal pidfd_open clone3 pidfd_getfd futex futex_waitv rseq
set_thread_area get_thread_area ioprio_set ioprio_get times
""")
_family("signal", """
rt_sigaction rt_sigprocmask rt_sigreturn pause kill tkill tgkill rt_sigpending
rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack rt_tgsigqueueinfo
""")
_family("time", """
nanosleep getitimer alarm setitimer gettimeofday settimeofday time adjtimex
timer_create timer_settime timer_gettime timer_getoverrun timer_delete clock_settime
clock_gettime clock_getres clock_nanosleep clock_adjtime
""")
_family("net", """
socket connect accept sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname
getpeername socketpair setsockopt getsockopt accept4 recvmmsg sendmmsg
""")
_family("ipc", """
shmget shmat shmctl semget semop semctl shmdt msgget msgsnd msgrcv msgctl semtimedop
mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr
""")

# Man pages that document a syscall under another name.
MAN_ALIAS = {
    "newfstatat": "fstatat",
    "pread64": "pread",
    "pwrite64": "pwrite",
    "fadvise64": "posix_fadvise",
    "prlimit64": "prlimit",
    "umount2": "umount2",
    "rt_sigaction": "sigaction",
    "rt_sigprocmask": "sigprocmask",
    "rt_sigreturn": "sigreturn",
    "rt_sigpending": "sigpending",
    "rt_sigtimedwait": "sigtimedwait",
    "rt_sigsuspend": "sigsuspend",
    "rt_sigqueueinfo": "rt_sigqueueinfo",
    "rt_tgsigqueueinfo": "rt_sigqueueinfo",
    "pselect6": "pselect",
    "signalfd4": "signalfd",
    "eventfd2": "eventfd",
    "epoll_pwait": "epoll_wait",
    "inotify_init1": "inotify_init",
    "mq_getsetattr": "mq_getsetattr",
    "clone3": "clone",
    "wait4": "wait4",
    "exit_group": "exit_group",
    "umount": "umount",
}

# Man page types -> table types (include/linux/syscalls.h spellings).
TYPE_MAP = {
    "unsigned": "unsigned int",
    "uint32_t": "uint32_t",
    "__u32": "u32",
    "__u64": "u64",
    "__s32": "s32",
    "__aligned_u64": "u64",
    "off64_t": "loff_t",
    "time_t": "long",
    "suseconds_t": "long",
    "clock_t": "long",
    "struct timespec": "struct __kernel_timespec",
    "struct timeval": "struct __kernel_old_timeval",
    "struct itimerspec": "struct __kernel_itimerspec",
    "struct itimerval": "struct __kernel_old_itimerval",
    "struct utsname": "struct new_utsname",
    "struct msghdr": "struct user_msghdr",
    "sigset_t": "unsigned long",
    "fd_set": "unsigned long",
    "cpu_set_t": "unsigned long",
    "siginfo_t": "struct siginfo",
    "stack_t": "struct sigaltstack",
    "nfds_t": "unsigned int",
    "mode_t": "umode_t",
}

# Man pages name aliases; the table keeps one name per number.
ERRNO_ALIAS = {"ENOTSUP": "EOPNOTSUPP", "EWOULDBLOCK": "EAGAIN", "EDEADLOCK": "EDEADLK"}

_ERRNO_LINE = re.compile(r"^\s{1,8}(E[A-Z0-9]{2,})\b((?:\s*(?:,|or)\s*E[A-Z0-9]{2,}\b)*)")
_ENAME = re.compile(r"\bE[A-Z0-9]{2,}\b")


@dataclass
class Arg:
    name: str
    type: str
    dir: str | None = None
    flags: str | None = None
    kind: str | None = None
    size: str | None = None


@dataclass
class Entry:
    name: str
    numbers: dict[str, int]
    classes: list[str] = field(default_factory=list)
    args: list[Arg] = field(default_factory=list)
    returns: str = "long"
    errors: list[str] = field(default_factory=list)
    status: str = "enosys"
    since: str | None = None
    notes: str | None = None


# ---------------------------------------------------------------- numbers


def read_x86_64(path: Path) -> dict[str, int]:
    """``__NR_name N`` from asm/unistd_64.h."""
    out: dict[str, int] = {}
    for m in re.finditer(r"^#define\s+__NR_(\w+)\s+(\d+)\s*$", path.read_text(), re.M):
        out[m[1]] = int(m[2])
    return out


def read_aarch64(generic: Path, cc: str = "gcc") -> dict[str, int]:
    """Evaluate asm-generic/unistd.h as arm64 (64-bit, arm64's __ARCH_WANT_*) does."""
    cmd = [cc, "-E", "-dM", "-D__BITS_PER_LONG=64", *(f"-D{w}" for w in ARM64_WANTS),
           "-x", "c", str(generic)]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    raw: dict[str, str] = {}
    for m in re.finditer(r"^#define\s+(__NR(?:3264)?_\w+)\s+(.+?)\s*$", text, re.M):
        raw[m[1]] = m[2]

    def value(sym: str, depth: int = 0) -> int:
        v = raw[sym].strip("() ")
        if re.fullmatch(r"\d+", v):
            return int(v)
        if depth > 8 or v not in raw:
            raise ValueError(f"cannot resolve {sym} = {raw[sym]}")
        return value(v, depth + 1)

    out: dict[str, int] = {}
    for sym in raw:
        if not sym.startswith("__NR_"):
            continue
        name = sym.removeprefix("__NR_")
        if name not in NOT_SYSCALLS:
            out[name] = value(sym)
    return out


def read_errno(include: Path) -> dict[str, int]:
    """errno names and numbers; aliases (EWOULDBLOCK, EDEADLOCK) follow their target."""
    raw: dict[str, str] = {}
    for hdr in ("asm-generic/errno-base.h", "asm-generic/errno.h"):
        text = (include / hdr).read_text()
        for m in re.finditer(r"^#define\s+(E[A-Z0-9]+)\s+(\w+)", text, re.M):
            raw[m[1]] = m[2]
    out: dict[str, int] = {}
    for name, v in raw.items():
        while not v.isdigit():
            v = raw[v]
        out[name] = int(v)
    return out


# ---------------------------------------------------------------- man pages


def render_man(page: str) -> str | None:
    """The rendered section-2 page, or None if there is none."""
    env = dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="0", LC_ALL="C.UTF-8")
    try:
        r = subprocess.run(["man", "2", page], capture_output=True, text=True, env=env,
                           check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0 or not r.stdout.strip():
        return None
    col = subprocess.run(["col", "-b"], input=r.stdout, capture_output=True, text=True,
                         check=False)
    return col.stdout.expandtabs()


def sections(text: str) -> dict[str, list[str]]:
    """Top-level sections (headings in column 0) of a rendered man page."""
    out: dict[str, list[str]] = {}
    cur = ""
    for line in text.splitlines():
        if line and not line[0].isspace() and line.upper() == line and len(line) < 40:
            cur = line.strip()
            out.setdefault(cur, [])
        elif cur:
            out[cur].append(line)
    return out


def man_errors(sec: dict[str, list[str]], errno: dict[str, int]) -> list[str]:
    """Every E-name that starts a tag line of ERRORS, in page order, without repeats."""
    names: list[str] = []
    for line in sec.get("ERRORS", []):
        m = _ERRNO_LINE.match(line)
        if not m:
            continue
        for e in _ENAME.findall(m[0]):
            e = ERRNO_ALIAS.get(e, e)
            if e in errno and e not in names:
                names.append(e)
    return names


def _matching_paren(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _split_args(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _norm_type(t: str) -> str:
    t = " ".join(t.replace("*", " * ").split())
    t = re.sub(r"\* (?=\*)", "*", t)
    ptr = t.count("*")
    base = t.replace("*", "").replace("const", "").strip()
    const = t.startswith("const ")
    base = TYPE_MAP.get(base, base)
    if ptr == 0:
        return base
    stars = "*" * ptr
    return f"{'const ' if const else ''}{base} {stars}"


def parse_arg(text: str, index: int) -> Arg | None:
    """One C parameter declaration from a man-page synopsis, as a draft Arg."""
    t = re.sub(r"\b(_Nullable|_Nonnull|restrict|__restrict|__user)\b", "", text)
    t = " ".join(t.split())
    if t in ("void", "...", ""):
        return None
    fn = re.match(r".*\(\s*\*\s*(\w+)\s*\)\s*\(.*\)$", t)
    if fn:  # function pointer
        return Arg(fn[1], "void *", dir="in")
    arr = re.match(r"^(.*?)(\w+)\s*\[[^\]]*\]$", t)
    if arr:
        t = f"{arr[1]} *{arr[2]}"
    m = re.match(r"^(.*?)(\w+)$", t)
    if not m or not m[1].strip():
        return Arg(f"arg{index}", _norm_type(t))
    ctype = _norm_type(m[1].replace("* const", "*const").replace("*const", "* const"))
    return Arg(m[2], ctype)


def man_signature(sec: dict[str, list[str]], names: list[str]) -> tuple[str, list[Arg]] | None:
    """The prototype of the first of ``names`` in SYNOPSIS: (return type, args)."""
    lines = [ln for ln in sec.get("SYNOPSIS", [])
             if not ln.strip().startswith(("#", "Note:", "See ", "Feature"))]
    text = re.sub(r"/\*.*?\*/", " ", " ".join(lines), flags=re.S)
    text = " ".join(text.split())
    for name in names:
        for pat in (rf"syscall\(\s*SYS_{name}\s*,?", rf"\b{name}\s*\("):
            m = re.search(pat, text)
            if not m:
                continue
            open_i = text.index("(", m.start())
            close_i = _matching_paren(text, open_i)
            if close_i < 0:
                continue
            inner = text[open_i + 1:close_i]
            if pat.startswith("syscall"):
                inner = inner.split(",", 1)[1] if "," in inner else ""
                ret = "long"
            else:
                head = re.split(r"[;})]", text[:m.start()])[-1].split()
                ret = " ".join(head[-3:]) if head else "long"
                ret = re.sub(r"^.*\b(static|extern)\b", "", ret).strip() or "long"
            args = [a for i, p in enumerate(_split_args(inner))
                    if (a := parse_arg(p, i)) is not None]
            return _norm_type(ret), args
    return None


def guess_details(args: list[Arg]) -> None:
    """Draft dir/kind from names and types; curated by hand afterwards."""
    names = {a.name for a in args}
    for a in args:
        ptr = "*" in a.type
        if ptr and not a.type.startswith("const") and a.dir is None:
            a.dir = "out"
        if a.dir == "in" and not ptr:
            a.dir = None
        if not ptr and a.type in ("int", "unsigned int") and (
                a.name in ("fd", "oldfd", "newfd", "fd_in", "fd_out", "epfd", "sockfd")):
            a.kind = "fd"
        elif not ptr and a.name in ("dirfd", "olddirfd", "newdirfd"):
            a.kind = "dirfd"
        elif ptr and "char" in a.type and a.name in (
                "pathname", "path", "filename", "oldpath", "newpath", "target", "linkpath"):
            a.kind = "path"
        elif not ptr and a.type in ("umode_t", "mode_t"):
            a.kind = "octal"
        elif not ptr and a.type == "pid_t":
            a.kind = "pid"
        elif not ptr and a.name in ("sig", "signum"):
            a.kind = "signal"
        elif ptr and a.type.startswith(("void", "const void", "char")):
            for cand in ("count", "len", "size", "length", "bufsiz", "buflen"):
                if cand in names:
                    a.kind, a.size = "buffer", cand
                    break


# ---------------------------------------------------------------- output


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ *.]*$")
_RESERVED = frozenset("y n yes no on off true false null".split())


def scalar(v: object) -> str:
    """A YAML scalar that is safe inside flow collections."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _RESERVED and not s.endswith(" "):
        return s
    return json.dumps(s)


def block(text: str, indent: int) -> str:
    """A YAML scalar for prose: quoted when short, a folded block when long."""
    if len(text) <= 72:
        return json.dumps(text)
    pad = " " * indent
    return ">-\n" + "\n".join(pad + ln for ln in textwrap.wrap(text, 90 - indent))


def flow_map(d: dict[str, object]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in d.items() if v is not None) + "}"


def emit_entry(e: Entry) -> str:
    out = [f"  - name: {e.name}", f"    numbers: {flow_map(dict(e.numbers))}"]
    if e.classes:
        out.append(f"    classes: [{', '.join(e.classes)}]")
    if e.args:
        out.append("    args:")
        for a in e.args:
            d = {"name": a.name, "type": a.type, "dir": a.dir, "flags": a.flags,
                 "kind": a.kind, "size": a.size}
            out.append(f"      - {flow_map(d)}")
    else:
        out.append("    args: []")
    out.append(f"    returns: {scalar(e.returns)}")
    out.append(f"    errors: [{', '.join(e.errors)}]")
    out.append(f"    status: {e.status}")
    if e.since:
        out.append(f"    since: {json.dumps(e.since)}")
    if e.notes:
        out.append(f"    notes: {block(e.notes, 6)}")
    return "\n".join(out) + "\n"


def sort_key(e: Entry) -> tuple[int, int]:
    if "x86_64" in e.numbers:
        return (0, e.numbers["x86_64"])
    return (1, e.numbers.get("aarch64", 0))


def emit_family(family: str, entries: list[Entry], header: str = "") -> str:
    if not header:
        text = f"syscalls/{family}.yaml: {FAMILY_DOC[family]} Schema: docs/TABLE.md. " \
            "Curated by hand; every signature is the raw kernel one."
        header = "".join(f"# {ln}\n" for ln in textwrap.wrap(text, 88))
    head = header
    body = "\n".join(emit_entry(e) for e in sorted(entries, key=sort_key))
    return (f"{head}\nfamily: {family}\ndescription: {block(FAMILY_DOC[family], 2)}\n"
            f"\nsyscalls:\n{body}")


def emit_errno(errno: dict[str, int]) -> str:
    lines = ["# syscalls/errno.yaml: errno names and numbers (asm-generic/errno-base.h and",
             "# asm-generic/errno.h; x86_64 and aarch64 share them). Aliases keep their",
             "# target's number and come after it.", "", "errno:"]
    for name, nr in sorted(errno.items(), key=lambda kv: (kv[1], kv[0] in ("EWOULDBLOCK",
                                                                         "EDEADLOCK"))):
        lines.append(f"  {name}: {nr}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def build(include: Path, use_man: bool, cc: str) -> tuple[dict[str, int], list[Entry]]:
    errno = read_errno(include)
    x86 = read_x86_64(include / "x86_64-linux-gnu/asm/unistd_64.h")
    a64 = read_aarch64(include / "asm-generic/unistd.h", cc)
    entries: list[Entry] = []
    for name in sorted(set(x86) | set(a64)):
        nums = {a: n for a, n in (("x86_64", x86.get(name)), ("aarch64", a64.get(name)))
                if n is not None}
        e = Entry(name, nums)
        if "x86_64" not in nums:
            e.notes = "aarch64 only"
        if use_man:
            page = MAN_ALIAS.get(name, name)
            text = render_man(page)
            if text is not None:
                sec = sections(text)
                e.errors = man_errors(sec, errno)
                sig = man_signature(sec, [name, page, name.removeprefix("rt_")])
                if sig is not None:
                    e.returns, e.args = sig
                    # Every sys_* returns long; keep only the wrapper types that say more.
                    if e.returns in ("int", "void", "unsigned int"):
                        e.returns = "long"
                    guess_details(e.args)
            else:
                e.notes = "no man page in manpages-dev; signature from include/linux/syscalls.h"
        entries.append(e)
    return errno, entries


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Write the first draft of syscalls/*.yaml from the host's uapi headers "
        "and section-2 man pages. One-shot: the YAML is curated by hand afterwards.")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "syscalls",
                   help="output directory (default: the repository's syscalls/)")
    p.add_argument("--include", type=Path, default=Path("/usr/include"),
                   help="uapi header root (default: /usr/include)")
    p.add_argument("--cc", default="gcc", help="C compiler used to preprocess (default: gcc)")
    p.add_argument("--no-man", action="store_true",
                   help="skip the man pages (numbers only, empty signatures)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    ns = p.parse_args(argv)

    targets = [ns.out / "errno.yaml"] + [ns.out / f"{f}.yaml" for f in FAMILIES]
    existing = [t for t in targets if t.exists()]
    if existing and not ns.force:
        print(f"import_table: refusing to overwrite {', '.join(map(str, existing))} "
              "(the YAML is curated by hand now; use --force to replace it)", file=sys.stderr)
        return 1
    errno, entries = build(ns.include, not ns.no_man, ns.cc)
    ns.out.mkdir(parents=True, exist_ok=True)
    (ns.out / "errno.yaml").write_text(emit_errno(errno))
    by_family: dict[str, list[Entry]] = {f: [] for f in FAMILIES}
    for e in entries:
        by_family[_F.get(e.name, "misc")].append(e)
    for fam, es in by_family.items():
        (ns.out / f"{fam}.yaml").write_text(emit_family(fam, es))
        print(f"{fam}: {len(es)} syscalls")
    print("flags.yaml is not generated: write it by hand from the uapi headers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
