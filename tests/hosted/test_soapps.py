"""Shared-object applications on musl: `abi-run ./app.so` for an object built
against musl (so-launcher-musl), and `abi-run --libc=musl-compat ./app.so`
for one built by gcc against glibc, run on musl through the glibc shim
(musl-compat/shim/, so-launcher-compat). Each result is compared with the
same source built as an ordinary program and run natively: against musl for
the musl objects, against glibc for the glibc ones."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hosted_util import HERE, REPO, Result, call_totals, run

from abi.conform.compare import differences
from abi.conform.runners import Runner, execute
from abi.conform.suite import Case, load_suite

PROGS = HERE / "progs"
# What a normal optimised, hardened glibc build uses: the fortified calls and
# the stack protector, so the shim's __*_chk and __stack_chk_fail are used.
# (-U first: Ubuntu's gcc defines _FORTIFY_SOURCE=3 itself.)
GLIBC_FLAGS = ["-O2", "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong",
               "-Wall", "-Wextra", "-Werror"]
COVERED = REPO / "build" / "musl-compat" / "shim" / "covered.txt"


def cc(compiler: str, src: Path, out: Path, *flags: str) -> Path:
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} is not installed")
    subprocess.run([compiler, "-o", str(out), str(src), *flags], check=True)
    return out


def run_as(prog: Path, prefix: list[str], work: Path, args: list[str], stdin: bytes) -> Result:
    """prog copied into work as ./prog (argv[0] the same for both runs) and run there."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    (work / "in.txt").write_bytes(b"one\ntwo\nthree\n")
    shutil.copy(prog, work / "prog")
    return run([*prefix, "./prog", *args], cwd=work, stdin=stdin)


# ---- objects built against musl ------------------------------------------------------


@pytest.mark.parametrize("args", [["in.txt"], ["/nonexistent"], []])
def test_musl_so_application(abi_run: Path, tmp_path: Path, args: list[str]) -> None:
    """A musl-gcc -shared object runs under so-launcher-musl like the same
    source built as a musl program runs natively."""
    src = PROGS / "app.c"
    so = cc("musl-gcc", src, tmp_path / "app.so", "-shared", "-fPIC")
    exe = cc("musl-gcc", src, tmp_path / "app")
    assert run_as(so, [str(abi_run)], tmp_path / "w", args, b"") == \
        run_as(exe, [], tmp_path / "w", args, b"")


def test_musl_so_takes_the_musl_launcher(abi_run: Path, tmp_path: Path) -> None:
    so = cc("musl-gcc", PROGS / "app.c", tmp_path / "app.so", "-shared", "-fPIC")
    for opts in ([], ["--libc=musl-compat"]):
        r = run([str(abi_run), "--verbose", *opts, str(so), "x"], cwd=tmp_path)
        assert b"/so-launcher-musl: entry" in r.stderr
    glibc_so = cc("gcc", PROGS / "app.c", tmp_path / "gapp.so", "-shared", "-fPIC")
    r = run([str(abi_run), "--verbose", str(glibc_so), "x"], cwd=tmp_path)
    assert b"/so-launcher: entry" in r.stderr


# ---- glibc-built objects on musl-compat ----------------------------------------------

MODES = [([], b"l1\nl2\n"), (["overflow", "a" * 40], b""), (["smash", "b" * 40], b""),
         (["assert"], b""), (["error"], b""), (["extra", "args", "x", "y", "efgh"], b"")]


@pytest.mark.parametrize("kind", ["so", "pie"])
@pytest.mark.parametrize(("args", "stdin"), MODES)
def test_glibc_so_on_musl_compat(abi_run: Path, tmp_path: Path, args: list[str],
                                 stdin: bytes, kind: str) -> None:
    """glibcso.c, built against glibc as -shared -fPIC and run on musl-compat,
    prints and ends as the glibc program does natively: glibc's messages for
    a fortify failure, stack smashing, assert and error(3), with SIGABRT. The
    glibc program itself (a PIE) runs on musl-compat the same way."""
    src = PROGS / "glibcso.c"
    so = cc("gcc", src, tmp_path / "glibcso.so", *GLIBC_FLAGS, "-shared", "-fPIC")
    exe = cc("gcc", src, tmp_path / "glibcso", *GLIBC_FLAGS)
    native = run_as(exe, [], tmp_path / "w", args, stdin)
    hosted = run_as(so if kind == "so" else exe, [str(abi_run), "--libc=musl-compat"],
                    tmp_path / "w", args, stdin)
    assert hosted == native


def test_glibc_so_uses_the_shim(tmp_path: Path) -> None:
    """The build above really goes through the shim: the object references
    the fortified and glibc-only entry points the shim provides."""
    so = cc("gcc", PROGS / "glibcso.c", tmp_path / "glibcso.so", *GLIBC_FLAGS, "-shared",
            "-fPIC")
    undef = subprocess.run(["nm", "-D", "--undefined-only", str(so)], capture_output=True,
                           text=True, check=True).stdout
    covered = dict(line.split() for line in COVERED.read_text().splitlines())
    for sym in ("__printf_chk@GLIBC_2.3.4", "__strcpy_chk@GLIBC_2.3.4",
                "__stack_chk_fail@GLIBC_2.4", "__register_atfork@GLIBC_2.3.2",
                "__longjmp_chk@GLIBC_2.11", "error@GLIBC_2.2.5", "strerror_r@GLIBC_2.2.5"):
        assert sym in undef
        assert covered[sym] == "shim"
    assert covered["memcpy@GLIBC_2.14"] == "musl"


def test_shim_readme_lists_the_shim(abi_run: Path) -> None:
    """musl-compat/shim/README.md names every symbol the shim defines, and
    no other (an indented line is names, or one name and what it is)."""
    text = (REPO / "musl-compat" / "shim" / "README.md").read_text()
    block = text.split("<!-- shim symbols -->")[1].split("<!-- /shim symbols -->")[0]
    listed = set()
    for line in block.splitlines():
        if line.startswith("  "):
            body = line.strip()
            listed.update([body.split()[0]] if "  " in body else body.split())
    built = {line.split("@")[0] for line in COVERED.read_text().splitlines()
             if line.endswith(" shim")}
    assert listed == built


def test_glibc_so_needing_a_glibc_library(abi_run: Path, tmp_path: Path) -> None:
    """A needed library of the host's (glibc-built libz.so.1) is checked and
    loaded on musl-compat too."""
    libz = Path("/usr/lib/x86_64-linux-gnu/libz.so.1")
    if not libz.exists():
        pytest.skip("no libz.so.1")
    src = tmp_path / "z.c"
    src.write_text("#include <stdio.h>\n"
                   "unsigned long crc32(unsigned long, const unsigned char *, unsigned);\n"
                   "int main(void) { printf(\"%lx\\n\", crc32(0, (const void *)\"abi\", 3));"
                   " return 0; }\n")
    so = cc("gcc", src, tmp_path / "z.so", "-shared", "-fPIC", str(libz))
    exe = cc("gcc", src, tmp_path / "z", str(libz))
    hosted = run_as(so, [str(abi_run), "--libc=musl-compat"], tmp_path / "w", [], b"")
    assert hosted == run_as(exe, [], tmp_path / "w", [], b"")
    assert hosted.status == 0


def test_glibc_only_symbol_is_refused(abi_run: Path, tmp_path: Path) -> None:
    """A glibc function musl-compat does not provide is refused before the
    object runs, naming the symbol, with a dynamic-linker failure's 127; the
    same object still runs on glibc (the default path)."""
    src = tmp_path / "bad.c"
    src.write_text("#include <gnu/libc-version.h>\n#include <stdio.h>\n"
                   "int main(void) { puts(\"started\"); puts(gnu_get_libc_version()); "
                   "return 0; }\n")
    so = cc("gcc", src, tmp_path / "bad.so", "-shared", "-fPIC")
    r = run([str(abi_run), "--libc=musl-compat", str(so)], cwd=tmp_path)
    assert (r.status, r.stdout) == (127, b"")
    assert r.stderr == (f"abi-run: {so}: gnu_get_libc_version@GLIBC_2.2.5: not provided by "
                        "musl-compat or its glibc shim\n").encode()
    assert run([str(abi_run), str(so)], cwd=tmp_path).status == 0


def test_refusal_names_the_library(abi_run: Path, tmp_path: Path) -> None:
    """The needed libraries are checked too: every missing symbol is named,
    with the library that needs it."""
    (tmp_path / "helper.c").write_text(
        "#include <gnu/libc-version.h>\n#include <string.h>\n"
        "const char *helper(void) { return gnu_get_libc_release(); }\n"
        "char *dup(const char *s) { return strdup(s); }\n")
    (tmp_path / "app.c").write_text(
        "#include <string.h>\nconst char *helper(void);\n"
        "int main(void) { return strerrorname_np(2) != 0 && helper() != 0; }\n")
    lib = cc("gcc", tmp_path / "helper.c", tmp_path / "libhelper.so", "-shared", "-fPIC")
    so = cc("gcc", tmp_path / "app.c", tmp_path / "app.so", "-shared", "-fPIC",
            f"-L{tmp_path}", "-Wl,-rpath,$ORIGIN", "-Wl,--no-as-needed", "-lhelper")
    assert lib.exists()
    r = run([str(abi_run), "--libc=musl-compat", str(so)], cwd=tmp_path)
    assert r.status == 127
    assert r.stderr.decode().splitlines() == [
        f"abi-run: {so}: strerrorname_np@GLIBC_2.32: not provided by musl-compat or its glibc "
        "shim",
        f"abi-run: {so}: libhelper.so: gnu_get_libc_release@GLIBC_2.2.5: not provided by "
        "musl-compat or its glibc shim",
    ]


def test_glibc_pie_refusals(abi_run: Path, tmp_path: Path) -> None:
    """A glibc PIE loads on musl-compat as a library: its own thread-local
    storage and its copies of libc variables musl changes (environ, whose
    copy the linker names __environ) could not work: refused by name."""
    src = tmp_path / "env.c"
    src.write_text("#include <stdio.h>\n#include <stdlib.h>\nextern char **environ;\n"
                   "static __thread int n;\n"
                   "int main(void) {\n    setenv(\"A\", \"1\", 1);\n"
                   "    for (char **e = environ; *e; e++) n++;\n"
                   "    printf(\"%d\\n\", n);\n    return 0;\n}\n")
    exe = cc("gcc", src, tmp_path / "env", "-O2")
    r = run([str(abi_run), "--libc=musl-compat", str(exe)], cwd=tmp_path)
    assert (r.status, r.stdout) == (127, b"")
    assert r.stderr.decode().splitlines() == [
        f"abi-run: {exe}: a PIE with thread-local storage cannot run on musl-compat (build it "
        "with -shared -fPIC)",
        f"abi-run: {exe}: __environ: the PIE has its own copy of this variable (a copy "
        "relocation), which musl's would not update (build it with -shared -fPIC)",
    ]


# The host's own programs (glibc PIEs) on musl-compat, against themselves
# run natively (ls is refused: its libselinux uses fts, whose FTSENT layout
# differs between glibc and musl). Each passes the check on Debian 12; a
# host whose glibc is newer may build them with functions musl lacks, and
# then the test says so.
HOST_PROGRAMS = [["/bin/true"], ["/bin/echo", "hi", "there"], ["/usr/bin/head", "-n2", "in.txt"],
                 ["/usr/bin/wc", "in.txt"], ["/bin/cat", "-n", "in.txt"],
                 ["/usr/bin/sort", "-r", "in.txt"], ["/usr/bin/basename", "/a/b/c"],
                 ["/usr/bin/tr", "a-z", "A-Z"],
                 ["/usr/bin/md5sum", "in.txt"], ["/bin/date", "-d", "@0", "-u"],
                 ["/usr/bin/seq", "3"], ["/usr/bin/du", "-s", "."], ["/bin/cat", "missing"]]


@pytest.mark.parametrize("argv", HOST_PROGRAMS, ids=lambda a: " ".join(a))
def test_host_program_on_musl_compat(abi_run: Path, tmp_path: Path, argv: list[str]) -> None:
    if not Path(argv[0]).exists():
        pytest.skip(f"no {argv[0]}")

    def go(prefix: list[str]) -> Result:
        work = tmp_path / "w"
        if work.exists():
            shutil.rmtree(work)
        work.mkdir()
        (work / "in.txt").write_bytes(b"one\ntwo\nthree\n")
        return run([*prefix, *argv], cwd=work, stdin=b"abc\n")

    hosted = go([str(abi_run), "--libc=musl-compat"])
    if hosted.status == 127 and b"not provided by musl-compat" in hosted.stderr:
        pytest.skip(f"this host's {argv[0]} needs: {hosted.stderr.decode().strip()}")
    assert hosted == go([])


def test_check_survives_mutated_section_headers(abi_run: Path, tmp_path: Path) -> None:
    """The check reads the object through its section headers (the dynamic
    linker does not): with random bytes there, the object is either refused
    with abi-run's lines and 127 or runs as it should; the launcher never
    faults. 100 mutants of up to 6 bytes, a fixed seed."""
    so = cc("gcc", PROGS / "app.c", tmp_path / "app.so", *GLIBC_FLAGS, "-shared", "-fPIC")
    data = so.read_bytes()
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    (shnum,) = struct.unpack_from("<H", data, 0x3C)
    (tmp_path / "in.txt").write_bytes(b"one\ntwo\n")
    good = run([str(abi_run), "--libc=musl-compat", str(so), "in.txt"], cwd=tmp_path)
    assert good.status == 2
    rng = random.Random(17)
    mutant = tmp_path / "mutant.so"
    outcomes = {"ran": 0, "refused": 0}
    for _ in range(100):
        b = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            b[rng.randrange(shoff, shoff + shnum * 64)] = rng.randrange(256)
        mutant.write_bytes(bytes(b))
        r = run([str(abi_run), "--libc=musl-compat", str(mutant), "in.txt"], cwd=tmp_path)
        if r.status == 127:
            lines = r.stderr.decode().splitlines()
            assert lines and all(ln.startswith(f"abi-run: {mutant}: ") for ln in lines), r
            outcomes["refused"] += 1
        else:
            assert (r.status, r.stdout, r.stderr) == (good.status, good.stdout, good.stderr)
            outcomes["ran"] += 1
    assert outcomes["refused"] > 0 and outcomes["ran"] > 0


def _launchers_on_musl_compat() -> bool:
    """Whether the musl launchers were built against musl-compat (shim.mk's
    ABI_SO_MUSL), whose libc.so, their interpreter, carries the ABI note."""
    launcher = REPO / "build" / "hosted" / "so-launcher-musl"
    interp = subprocess.run(["readelf", "-p", ".interp", str(launcher)], capture_output=True,
                            text=True, check=False).stdout
    return "musl-compat" in interp


@pytest.mark.parametrize("how", ["musl .so", "glibc .so", "glibc PIE"])
def test_so_applications_take_the_fast_path(abi_run: Path, tmp_path: Path, how: str) -> None:
    """On musl-compat, a .so application and the launcher around it make
    every system call through the function-call entry: none traps."""
    if not _launchers_on_musl_compat():
        pytest.skip("the .so launchers are built against Debian's musl (ABI_SO_MUSL=debian)")
    src = PROGS / "app.c"
    (tmp_path / "in.txt").write_bytes(b"one\ntwo\n")
    if how == "musl .so":
        argv = [str(cc("musl-gcc", src, tmp_path / "app.so", "-shared", "-fPIC"))]
    elif how == "glibc .so":
        argv = ["--libc=musl-compat",
                str(cc("gcc", src, tmp_path / "app.so", *GLIBC_FLAGS, "-shared", "-fPIC"))]
    else:
        argv = ["--libc=musl-compat", str(cc("gcc", src, tmp_path / "app", *GLIBC_FLAGS))]
    r = run([str(abi_run), "--stats", *argv, "in.txt"], cwd=tmp_path)
    assert r.status == 2 and r.stdout.startswith(b"args 2, lines 2")
    t = call_totals(r.stderr)
    assert t.fast == t.total and t.trapped == 0, r.stderr


def test_libc_option_refusals(abi_run: Path, tmp_path: Path) -> None:
    r = run([str(abi_run), "--libc=glibc", "/bin/true"], cwd=tmp_path)
    assert r.status == 2 and b"--libc: the only choice is musl-compat" in r.stderr
    static = cc("gcc", PROGS / "hello.c", tmp_path / "hello", "-static")
    r = run([str(abi_run), "--libc=musl-compat", str(static)], cwd=tmp_path)
    assert r.status == 2
    assert r.stderr == (f"abi-run: {static}: --libc=musl-compat runs a glibc-built shared "
                        "object with a main or PIE; this is neither\n").encode()


# ---- the conformance C cases as glibc-built .so files --------------------------------

# Every case calls only what musl-compat covers (syscall(3), the fortified
# stdio and string calls). Left out: identity, whose transcript shows that
# glibc registers a robust-futex list head at start-up, which musl does only
# once a robust mutex is used (a difference of the libcs, not of the shim;
# left out of the musl builds too, to keep one list).
CONFORMANCE = ["files", "dirs", "fds", "mmap", "pipes", "errno", "events", "attrs", "copy",
               "time", "locks", "xattrs", "sched", "creds", "admin"]


def _case(name: str) -> Case:
    return next(c for c in load_suite().c_cases if c.name == name)


# The musl .so and glibc PIE runs take a few of them (the glibc .so runs,
# the shim's main use, take all): the same loading paths, less time.
FEWER = ["files", "dirs", "fds", "errno", "pipes"]


@pytest.mark.parametrize(("name", "libc"), [*((n, "glibc") for n in CONFORMANCE),
                                            *((n, "glibc-pie") for n in FEWER),
                                            *((n, "musl") for n in FEWER)])
def test_conformance_case_as_so(abi_run: Path, tmp_path: Path, name: str, libc: str) -> None:
    """conformance/cases/NAME.c built as -shared -fPIC (every syscall a call
    of libc's syscall(3): -DCONFORM_LIBC_CALL) runs under abi-run with the
    same transcript as the same source built as a program and run natively:
    by gcc against glibc, run on musl-compat (--libc=musl-compat), and by
    musl-gcc, run on musl. glibc-pie: the native glibc program itself, on
    musl-compat."""
    case = _case(name)
    compiler, opts = ("musl-gcc", []) if libc == "musl" else ("gcc", ["--libc=musl-compat"])
    # The cases are not written for -O2 and fortify's warnings: no -Werror.
    flags = [*(f for f in GLIBC_FLAGS if f != "-Werror"), "-DCONFORM_LIBC_CALL"]
    exe = cc(compiler, case.source, tmp_path / name, *flags)
    so = exe if libc == "glibc-pie" else cc(compiler, case.source, tmp_path / f"{name}.so",
                                             *flags, "-shared", "-fPIC")
    outcomes = []
    for prefix, prog in (((), exe), ((str(abi_run), *opts), so)):
        work = tmp_path / ("native" if not prefix else "hosted")
        work.mkdir()
        for fname, data in case.files.items():
            (work / fname).write_bytes(data)
        o = execute(Runner("x", tuple(prefix)), [str(prog), *case.argv], work,
                    stdin=case.stdin, env=case.env, timeout=case.timeout or 30,
                    outputs=case.outputs)
        outcomes.append((o, str(work)))
    (ref, ref_dir), (got, got_dir) = outcomes
    assert ref.status == 0, ref.stderr
    diffs = differences(case, ref, ref_dir, got, got_dir, "native", f"{libc} .so")
    assert not diffs, "".join(diffs)
