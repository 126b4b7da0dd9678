"""The ELF loader (loader/) against Linux's own exec.

The harness loads a program into its own process with the loader and jumps to
it, so the program then runs on the host kernel exactly as after execve. Each
test runs the same program natively and under the harness and compares:
(a) stdout, stderr and exit status of busybox applets, a static-pie and (since
the loader also does PT_INTERP) dynamically linked host programs; (b) the
initial stack, key by key and offset by offset; (c) refusals of broken files,
against what Linux says about the same file."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
from pathlib import Path

import pytest
from loader_util import (
    EHDR,
    EI_CLASS,
    EI_DATA,
    PHDR,
    PT_INTERP,
    PT_LOAD,
    Run,
    clean_env,
    phdrs,
    run,
)

AT_NULL, AT_PHDR, AT_BASE, AT_ENTRY, AT_PLATFORM = 0, 3, 7, 9, 15
AT_RANDOM, AT_EXECFN, AT_SYSINFO_EHDR = 25, 31, 33


def native_and_loaded(harness: Path, argv: list[str], *, env: dict[str, str], cwd: Path,
         stdin: bytes = b"", opts: tuple[str, ...] = ()) -> tuple[Run, Run]:
    """(native, loaded): argv run natively and under the harness (argv[0] is
    the program), not compared: each test asserts what must match."""
    native = run(argv, env=env, cwd=cwd, stdin=stdin)
    loaded = run([str(harness), *opts, *argv], env=env, cwd=cwd, stdin=stdin)
    return native, loaded


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """A directory with fixed contents and times, for ls -l and friends."""
    (tmp_path / "a.txt").write_text("alpha\nbeta\ngamma\nbeta\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(bytes(range(256)) * 4)
    os.symlink("a.txt", tmp_path / "link")
    for p in [tmp_path / "a.txt", tmp_path / "sub" / "b.bin", tmp_path / "sub"]:
        os.utime(p, (1_700_000_000, 1_700_000_000))
    return tmp_path


BUSYBOX_CASES: dict[str, tuple[list[str], bytes]] = {
    "echo": (["echo", "hi", "there"], b""),
    "printf": (["printf", "%s-%05d|%x\\n", "a", "42", "255"], b""),
    "sha256sum": (["sha256sum", "a.txt", "sub/b.bin"], b""),
    "ls-l": (["ls", "-l", "--full-time", "."], b""),
    "ls-lR": (["ls", "-lR", "sub"], b""),
    "awk": (["awk", "-F", "a", '{n += NF} END {print n, NR, ENVIRON["TZ"]}', "a.txt"], b""),
    "sh-builtins": (["sh", "-c", 'x=6; echo $((x * 7)); for w in a b; do printf "<%s>" "$w"; '
                     'done; echo; test -d sub && echo dir; cd sub; pwd; exit 7'], b""),
    "sort-uniq-stdin": (["sh", "-c", "read a; echo first=$a; while read l; do echo $l; done"],
                        b"one\ntwo\nthree\n"),
    "wc-stdin": (["wc", "-lwc"], b"one two\nthree\n"),
    "cat-missing": (["cat", "a.txt", "no-such-file"], b""),
    "false": (["false"], b""),
}


@pytest.mark.parametrize("copy", [False, True], ids=["map_file", "copy-in"])
@pytest.mark.parametrize("case", sorted(BUSYBOX_CASES))
def test_busybox_matches_native(harness: Path, busybox: Path, workdir: Path, case: str,
                                copy: bool) -> None:
    args, stdin = BUSYBOX_CASES[case]
    native, loaded = native_and_loaded(harness, [str(busybox), *args], env=clean_env(workdir),
                                       cwd=workdir, stdin=stdin,
                                       opts=("--copy",) if copy else ())
    assert loaded == native


def test_static_pie_matches_native(harness: Path, programs: dict[str, Path],
                                   tmp_path: Path) -> None:
    native, loaded = native_and_loaded(harness, [str(programs["hello"]), "x", "y z"],
                                       env=clean_env(tmp_path), cwd=tmp_path)
    assert native.status == 3 and native.stdout.startswith(b"hello from")
    assert loaded == native


@pytest.mark.parametrize("argv", [["/bin/true"], ["/bin/echo", "dyn", "amic"],
                                  ["/bin/ls", "-l", "--full-time", "."],
                                  ["/usr/bin/sort", "a.txt"]], ids=lambda a: a[0])
def test_dynamic_matches_native(harness: Path, workdir: Path, argv: list[str]) -> None:
    """PT_INTERP programs: the loader maps the host's ld.so too (opened with
    the harness's open op), as abi-run will through the kernel's VFS."""
    if not Path(argv[0]).exists():
        pytest.skip(f"no {argv[0]}")
    if not any(ph["p_type"] == PT_INTERP for ph in phdrs(Path(argv[0]).read_bytes())):
        pytest.skip(f"{argv[0]} is not dynamically linked")
    native, loaded = native_and_loaded(harness, argv, env=clean_env(workdir), cwd=workdir)
    assert loaded == native


def test_longest_argument_linux_allows(harness: Path, busybox: Path, tmp_path: Path) -> None:
    """MAX_ARG_STRLEN (32 pages, NUL included) is the longest string. (A longer
    one cannot reach the harness: its own exec fails with E2BIG first.)"""
    argv = [str(busybox), "sh", "-c", 'echo ${#0}', "x" * 131071]
    native, loaded = native_and_loaded(harness, argv, env={}, cwd=tmp_path)
    assert native == loaded == Run(0, b"131071\n", b"")


# (b) The initial stack.

def parse_dump(out: bytes) -> dict[str, object]:
    """stackdump's output as: sp, argv/envp [(addr, string)], auxv [(key, val)]
    and the execfn/platform/random lines."""
    d: dict[str, object] = {"argv": [], "envp": [], "auxv": []}
    for line in out.decode().split("\n"):
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        if kind in ("argv", "envp"):
            _, addr, s = rest.split(" ", 2)
            d[kind].append((int(addr, 16), s))  # type: ignore[attr-defined]
        elif kind == "auxv":
            key, val = rest.split(" ")
            d["auxv"].append((int(key), int(val, 16)))  # type: ignore[attr-defined]
        elif kind in ("sp", "argc"):
            d[kind] = int(rest, 0)
        else:
            d[kind] = rest
    return d


def layout(d: dict[str, object]) -> dict[str, object]:
    """The address-independent shape of an initial stack."""
    sp = d["sp"]
    argv: list[tuple[int, str]] = d["argv"]  # type: ignore[assignment]
    envp: list[tuple[int, str]] = d["envp"]  # type: ignore[assignment]
    auxv = dict(d["auxv"])  # type: ignore[call-overload]
    assert isinstance(sp, int)
    nwords = 1 + len(argv) + 1 + len(envp) + 1
    auxv_end = sp + 8 * nwords + 16 * len(d["auxv"])  # type: ignore[arg-type]
    strings = [a for a, _ in argv + envp] + [auxv[AT_EXECFN]]
    base = strings[0]
    return {
        "sp_mod_16": sp % 16,
        # each string right after the previous one's NUL: argv, envp, execfn
        "string_offsets": [a - base for a in strings],
        "string_lengths": [len(s.encode()) + 1 for _, s in argv + envp],
        # AT_RANDOM's 16 bytes sit just above the auxv, padded to 16 at sp
        "random_after_auxv": auxv[AT_RANDOM] - auxv_end,
        "platform_after_random": auxv[AT_PLATFORM] - auxv[AT_RANDOM],
        "platform_end_mod_16": (auxv[AT_PLATFORM] + len(str(d["platform"])) + 1) % 16,
        # below the strings, a random gap (arch_align_stack) of less than 8 KiB
        "gap_ok": 0 <= base - (auxv[AT_PLATFORM] + len(str(d["platform"])) + 1) < 8192 + 16,
    }


# Values that must differ between two execs: addresses of the stack and of
# randomized mappings, and the random bytes themselves.
STACK_KEYS = {AT_RANDOM, AT_EXECFN, AT_PLATFORM}


@pytest.mark.parametrize("prog", ["stackdump", "stackdump-pie"])
def test_initial_stack_matches_linux(harness: Path, programs: dict[str, Path], prog: str,
                                     tmp_path: Path) -> None:
    path = str(programs[prog])
    argv = [path, "one", "", "three words", "ü"]
    env = {"A": "1", "LONGER_NAME": "x y", "EMPTY": ""}
    native = run(argv, env=env, cwd=tmp_path)
    loaded = run([str(harness), *argv], env=env, cwd=tmp_path)
    assert native.status == 0 and loaded.status == 0, (native, loaded)
    n, m = parse_dump(native.stdout), parse_dump(loaded.stdout)

    assert [s for _, s in m["argv"]] == [s for _, s in n["argv"]] == argv  # type: ignore
    assert [s for _, s in m["envp"]] == [s for _, s in n["envp"]]  # type: ignore
    assert m["execfn"] == n["execfn"] == path
    assert m["platform"] == n["platform"]
    # The same auxv keys in the same order; only the host vDSO is missing.
    n_aux = [(k, v) for k, v in n["auxv"] if k != AT_SYSINFO_EHDR]  # type: ignore
    m_aux: list[tuple[int, int]] = m["auxv"]  # type: ignore[assignment]
    assert [k for k, _ in m_aux] == [k for k, _ in n_aux]
    assert AT_SYSINFO_EHDR not in dict(m_aux)
    assert m_aux[-1] == (AT_NULL, 0)
    nd, md = dict(n_aux), dict(m_aux)
    for key in nd:
        if key in STACK_KEYS:
            continue
        if prog == "stackdump-pie" and key in (AT_PHDR, AT_ENTRY):
            continue  # a static-pie's load address is random on both sides
        assert md[key] == nd[key], f"auxv key {key}"
    if prog == "stackdump-pie":
        assert md[AT_ENTRY] - md[AT_PHDR] == nd[AT_ENTRY] - nd[AT_PHDR]
        assert md[AT_ENTRY] % 4096 == nd[AT_ENTRY] % 4096
    assert md[AT_BASE] == nd[AT_BASE] == 0
    assert m["random"] != n["random"] and len(str(m["random"])) == 32

    ln, lm = layout(n), layout(m)
    # The vDSO entry Linux has and we omit is one 16-byte pair: no parity change.
    assert lm == ln
    assert lm["sp_mod_16"] == 0 and lm["gap_ok"]


def test_seed_makes_the_stack_reproducible(harness: Path, programs: dict[str, Path],
                                           tmp_path: Path) -> None:
    argv = [str(harness), "--seed", "7", "--gap", "0", str(programs["stackdump"]), "a"]
    first, second = run(argv, env={}, cwd=tmp_path), run(argv, env={}, cwd=tmp_path)
    assert first.status == 0
    assert parse_dump(first.stdout)["random"] == parse_dump(second.stdout)["random"]


def test_extra_aux_entries_go_before_at_null(harness: Path, programs: dict[str, Path],
                                             tmp_path: Path) -> None:
    r = run([str(harness), "-a", "0x1000=0xabc", "-a", "4097=5", str(programs["stackdump"])],
            env={}, cwd=tmp_path)
    aux: list[tuple[int, int]] = parse_dump(r.stdout)["auxv"]  # type: ignore[assignment]
    keys = [k for k, _ in aux]
    i = keys.index(0x1000)
    assert aux[i:i + 2] == [(0x1000, 0xabc), (4097, 5)]
    assert keys.index(AT_PLATFORM) < i and aux[-1] == (AT_NULL, 0)


# (c) Refusals, with Linux's verdict on the same file where it gives one.

def set_ehdr(data: bytearray, name: str, value: int) -> None:
    """Set field name of the ELF header."""
    EHDR[name].poke(data, 0, value)


def mutate_load(data: bytearray, index: int, name: str, fn: object) -> None:
    """Set field name of the index-th PT_LOAD to fn(phdr) (a callable)."""
    ph = [p for p in phdrs(bytes(data)) if p["p_type"] == PT_LOAD][index]
    PHDR[name].poke(data, ph["offset"], fn(ph))  # type: ignore[operator]


# name: (mutation, expected message, errno, what Linux does with the file:
#        an errno (exec fails); SIGSEGV (exec fails past the point of no
#        return, where Linux kills the process); SIGBUS (exec succeeds and the
#        program dies touching file pages past the end); or None (Linux runs
#        it: we are stricter, as the issue asks)).
CRAFTED = {
    "bad-magic": (lambda d: d.__setitem__(0, 0), "not an ELF file (bad magic)",
                  errno.ENOEXEC, errno.ENOEXEC),
    "truncated": (lambda d: d.__delitem__(slice(40, None)), "file too short for an ELF header",
                  errno.ENOEXEC, errno.ENOEXEC),
    "elfclass32": (lambda d: d.__setitem__(EI_CLASS, 1), "not a 64-bit ELF file (EI_CLASS)",
                   errno.ENOEXEC, None),
    "big-endian": (lambda d: d.__setitem__(EI_DATA, 2), "not a little-endian ELF file (EI_DATA)",
                   errno.ENOEXEC, None),
    "et-rel": (lambda d: set_ehdr(d, "e_type", 1),
               "not an executable (e_type is neither ET_EXEC nor ET_DYN)",
               errno.ENOEXEC, errno.ENOEXEC),
    "aarch64": (lambda d: set_ehdr(d, "e_machine", 183), "wrong machine (e_machine)",
                errno.ENOEXEC, errno.ENOEXEC),
    "phentsize": (lambda d: set_ehdr(d, "e_phentsize", 32),
                  "e_phentsize is not the size of Elf64_Phdr",
                  errno.ENOEXEC, errno.ENOEXEC),
    "phnum-0": (lambda d: set_ehdr(d, "e_phnum", 0),
                "e_phnum out of range (1..1170: at most 64 KiB of program headers)",
                errno.ENOEXEC, errno.ENOEXEC),
    "phoff-past-eof": (lambda d: set_ehdr(d, "e_phoff", len(d)),
                       "program headers outside the file (e_phoff)", errno.ENOEXEC, errno.ENOEXEC),
    "filesz-gt-memsz": (lambda d: mutate_load(d, 1, "p_filesz", lambda p: p["p_memsz"] + 1),
                        "PT_LOAD with p_filesz > p_memsz", errno.EINVAL, "SIGSEGV"),
    "incongruent": (lambda d: mutate_load(d, 1, "p_vaddr", lambda p: p["p_vaddr"] + 1),
                    "PT_LOAD p_vaddr and p_offset differ modulo the page size", errno.EINVAL,
                    "SIGSEGV"),
    "outside-file": (lambda d: mutate_load(d, 1, "p_offset", lambda p: p["p_offset"] + 0x100000),
                     "PT_LOAD file bytes outside the file (p_offset + p_filesz)", errno.ENOEXEC,
                     "SIGBUS"),
    "unsorted": (lambda d: mutate_load(d, 1, "p_vaddr", lambda p: p["p_vaddr"] - 0x100000),
                 "PT_LOAD segments not in ascending p_vaddr order", errno.ENOEXEC, None),
    "overlap": (lambda d: mutate_load(d, 0, "p_memsz", lambda p: p["p_memsz"] + 0x10000),
                "PT_LOAD segments overlap", errno.ENOEXEC, None),
    "huge": (lambda d: mutate_load(d, 3, "p_memsz", lambda p: 1 << 62),
             "PT_LOAD outside the address space (p_vaddr + p_memsz)", errno.EINVAL, "SIGSEGV"),
}


def linux_verdict(path: Path) -> int | str:
    """What Linux does with the file: the exec errno, the signal that killed
    the program, or "ran"."""
    try:
        r = subprocess.run([str(path)], capture_output=True, timeout=10, check=False)
    except OSError as e:
        return e.errno
    return signal.Signals(-r.returncode).name if r.returncode < 0 else "ran"


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_refusal(harness: Path, programs: dict[str, Path], tmp_path: Path,
                         name: str) -> None:
    mutate, message, err, linux = CRAFTED[name]
    data = bytearray(programs["stackdump"].read_bytes())
    mutate(data)  # type: ignore[operator]
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    bad.chmod(0o755)
    for mode in ("--check", "--load"):
        r = run([str(harness), mode, str(bad)], env={}, cwd=tmp_path)
        assert r.status == 2, (mode, r)
        assert r.stderr.decode() == (f"harness: {bad}: {message} "
                                     f"({errno.errorcode[err]})\n")  # type: ignore[index]
    if linux is not None:
        assert linux_verdict(bad) == linux


def test_aarch64_accepted_when_asked(harness: Path, programs: dict[str, Path],
                                     tmp_path: Path) -> None:
    data = bytearray(programs["stackdump"].read_bytes())
    set_ehdr(data, "e_machine", 183)
    f = tmp_path / "arm"
    f.write_bytes(bytes(data))
    assert run([str(harness), "--check", "--machine", "183", str(f)]).stdout == b"ok\n"
    assert run([str(harness), "--check", str(f)]).status == 2


@pytest.mark.parametrize("mutation", ["not-nul-terminated", "too-short", "missing"])
def test_interp_refusals(harness: Path, tmp_path: Path, mutation: str) -> None:
    src = Path("/bin/true")
    data = bytearray(src.read_bytes())
    interp = [p for p in phdrs(bytes(data)) if p["p_type"] == PT_INTERP]
    if not interp:
        pytest.skip("/bin/true is not dynamically linked")
    ph = interp[0]
    if mutation == "not-nul-terminated":
        data[ph["p_offset"] + ph["p_filesz"] - 1] = ord("x")
        want = "PT_INTERP string not NUL-terminated (ENOEXEC)"
    elif mutation == "too-short":
        PHDR["p_filesz"].poke(data, ph["offset"], 1)
        want = "PT_INTERP size out of range (2..4096) (ENOEXEC)"
    else:
        data[ph["p_offset"] + 1] = ord("X")
        want = "cannot open the PT_INTERP interpreter (ENOENT)"
    f = tmp_path / "dyn"
    f.write_bytes(bytes(data))
    r = run([str(harness), "--check", str(f)])
    assert (r.status, r.stderr.decode()) == (2, f"harness: {f}: {want}\n")
