"""abi-run against Linux: each case runs natively and under abi-run and must
agree on exit status, stdout and stderr (and the files it leaves behind).
Nothing here states what a program prints: the native run says it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hosted_util import ENV, REPO, run, tree

INPUT = b"banana\napple\ncherry\napple\n\tindented line\n"
NUMS = b"".join(b"%d\n" % i for i in range(1, 51))


def files(d: Path) -> None:
    (d / "in.txt").write_bytes(INPUT)
    (d / "nums.txt").write_bytes(NUMS)
    (d / "sub").mkdir()
    (d / "sub" / "a.txt").write_bytes(b"in a subdirectory\n")


# (argv after "busybox", stdin). Applets that read files find in.txt and
# nums.txt in their working directory.
APPLETS: list[tuple[list[str], bytes]] = [
    (["echo", "hi", "there"], b""),
    (["echo", "-n", "no newline"], b""),
    (["printf", "%s-%d-%x\\n", "a", "5", "255"], b""),
    (["cat"], INPUT),
    (["cat", "in.txt", "nums.txt"], b""),
    (["cat", "/nonexistent"], b""),
    (["head", "-n", "3", "nums.txt"], b""),
    (["head", "-c", "5", "in.txt"], b""),
    (["tail", "-n", "4", "nums.txt"], b""),
    (["wc", "in.txt"], b""),
    (["wc", "-l"], NUMS),
    (["sort"], INPUT),
    (["sort", "-r", "in.txt"], b""),
    (["sort", "-n", "-r", "nums.txt"], b""),
    (["uniq", "-c"], b"a\na\nb\nc\nc\n"),
    (["cut", "-c1-3", "in.txt"], b""),
    (["cut", "-d", ":", "-f", "1,3"], b"a:b:c\nd:e:f\n"),
    (["tr", "a-z", "A-Z"], INPUT),
    (["tr", "-d", "a"], INPUT),
    (["sed", "s/a/X/g", "in.txt"], b""),
    (["sed", "-n", "2p"], INPUT),
    (["awk", "{print NR, $1}", "in.txt"], b""),
    (["grep", "an", "in.txt"], b""),
    (["grep", "-c", "zz", "in.txt"], b""),
    (["grep", "-r", "subdirectory", "sub"], b""),
    (["seq", "5"], b""),
    (["seq", "-s", ",", "1", "10"], b""),
    (["expr", "3", "+", "4"], b""),
    (["expr", "1", "=", "2"], b""),
    (["basename", "/a/b/c.txt", ".txt"], b""),
    (["dirname", "/a/b/c"], b""),
    (["true"], b""),
    (["false"], b""),
    (["test", "-f", "in.txt"], b""),
    (["test", "-d", "in.txt"], b""),
    (["od", "-c", "in.txt"], b""),
    (["xxd", "in.txt"], b""),
    (["hexdump", "-C", "in.txt"], b""),
    (["md5sum", "in.txt"], b""),
    (["sha1sum", "in.txt"], b""),
    (["sha256sum", "in.txt"], b""),
    (["sha512sum", "in.txt"], b""),
    (["base64", "in.txt"], b""),
    (["base64", "-d"], b"aGVsbG8gd29ybGQK\n"),
    (["cksum", "in.txt"], b""),
    (["gzip", "-c", "in.txt"], b""),
    (["ls", "-l", "in.txt", "nums.txt"], b""),
    (["ls", "-a", "sub"], b""),
    (["ls", "/nonexistent"], b""),
    (["stat", "-c", "%s %n %F", "in.txt", "sub"], b""),
    (["find", ".", "-name", "*.txt"], b""),
    (["realpath", "sub/a.txt"], b""),
    (["readlink", "-f", "sub/../in.txt"], b""),
    (["pwd"], b""),
    (["nl", "in.txt"], b""),
    (["rev", "in.txt"], b""),
    (["tac", "in.txt"], b""),
    (["fold", "-w", "3", "in.txt"], b""),
    (["paste", "in.txt", "in.txt"], b""),
    (["comm", "in.txt", "in.txt"], b""),
    (["cmp", "in.txt", "nums.txt"], b""),
    (["diff", "in.txt", "nums.txt"], b""),
    (["expand", "in.txt"], b""),
    (["strings", "in.txt"], b""),
    (["dd", "if=in.txt", "bs=4", "count=2"], b""),
    (["xargs", "echo"], INPUT),
    (["tee", "/dev/null"], INPUT),
    (["factor", "1234567"], b""),
    (["date", "-u", "-d", "@0"], b""),
    (["uname", "-s"], b""),
    (["id", "-u"], b""),
    (["sh", "-c", "echo $TZ $HOME"], b""),
    (["du", "-s", "in.txt"], b""),
    (["sh", "-c", "echo $((6*7)); exit 3"], b""),
    (["sh", "-c", "for i in 1 2 3; do echo $i; done; read x; echo got $x"], b"line\n"),
    (["sh", "-c", "echo err >&2; exit 7"], b""),
    (["sh", "-c", "test -e sub && cd sub && pwd && echo *"], b""),
]


@pytest.mark.parametrize(("args", "stdin"), APPLETS, ids=[" ".join(a[0][:3]) for a in APPLETS])
def test_busybox_applet(native_and_hosted, busybox: Path, args: list[str], stdin: bytes) -> None:  # type: ignore[no-untyped-def]
    native, hosted, _, _ = native_and_hosted([str(busybox), *args], stdin=stdin, setup=files)
    assert hosted == native


# Applets that change the directory: the trees they leave must agree too.
# One applet per case: busybox sh cannot run a second one (there is no fork).
WRITERS: list[list[str]] = [
    ["mkdir", "-p", "d/e/f"],
    ["touch", "new.txt"],
    ["cp", "in.txt", "copy.txt"],
    ["cp", "-r", "sub", "sub2"],
    ["mv", "in.txt", "moved.txt"],
    ["ln", "-s", "in.txt", "link"],
    ["ln", "in.txt", "hard"],
    ["rm", "in.txt"],
    ["rm", "-r", "sub"],
    ["rmdir", "sub"],
    ["rmdir", "nonexistent"],
    ["sh", "-c", "echo data > out.txt; echo more >> out.txt; read x < out.txt; echo $x"],
    ["tar", "-cf", "archive.tar", "in.txt", "sub"],
    ["gzip", "-k", "in.txt"],
    ["dd", "if=nums.txt", "of=part.txt", "bs=10", "skip=1", "count=2"],
    ["split", "-l", "20", "nums.txt", "piece."],
    ["tee", "t1.txt", "t2.txt"],
]


@pytest.mark.parametrize("args", WRITERS, ids=[" ".join(a[:3]) for a in WRITERS])
def test_busybox_writes_files(native_and_hosted, busybox: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    after, setup = None, files
    if args[0] == "tar":
        # The archive records mtimes: pin them, so that the two runs' set-ups
        # a second apart archive alike, and compare the listing.
        def setup(d: Path) -> None:
            files(d)
            for p in d.rglob("*"):
                os.utime(p, (1_700_000_000, 1_700_000_000), follow_symlinks=False)

        def after(d: Path) -> object:
            return run([str(busybox), "tar", "-tvf", "archive.tar"], cwd=d)
    native, hosted, nafter, hafter = native_and_hosted([str(busybox), *args], setup=setup,
                                                       after=after, stdin=INPUT)
    assert hosted == native
    assert hafter == nafter


def test_gunzip(native_and_hosted, busybox: Path) -> None:  # type: ignore[no-untyped-def]
    def setup(d: Path) -> None:
        files(d)
        subprocess.run([str(busybox), "gzip", "in.txt"], cwd=d, check=True)

    native, hosted, nafter, hafter = native_and_hosted([str(busybox), "gunzip", "in.txt.gz"],
                                                       setup=setup)
    assert hosted == native
    assert hafter == nafter


def test_tar_extracts(native_and_hosted, busybox: Path) -> None:  # type: ignore[no-untyped-def]
    def setup(d: Path) -> None:
        files(d)
        subprocess.run([str(busybox), "tar", "-cf", "a.tar", "in.txt", "sub"], cwd=d, check=True)
        (d / "x").mkdir()

    native, hosted, nafter, hafter = native_and_hosted(
        [str(busybox), "tar", "-xvf", "a.tar", "-C", "x"], setup=setup,
        after=lambda d: tree(d / "x"))
    assert hosted == native
    assert hafter == nafter


@pytest.mark.parametrize("kind", ["musl", "glibc", "glibc-pie", "glibc-dynamic"])
@pytest.mark.parametrize("status", ["0", "5", "255"])
def test_static_c_program(native_and_hosted, programs: dict[str, Path],  # type: ignore[no-untyped-def]
                          kind: str, status: str) -> None:
    native, hosted, nafter, hafter = native_and_hosted([str(programs[kind]), status])
    assert hosted == native
    assert hafter == nafter == {}


# Dynamically linked host programs: the loader maps the host's ld.so from
# hostfs, which maps libc with the kernel's file mmap.
HOST_PROGRAMS: list[list[str]] = [
    ["/bin/true"],
    ["/bin/false"],
    ["/bin/echo", "dynamic", "echo"],
    ["/bin/cat", "in.txt", "nums.txt"],
    ["/usr/bin/sort", "-r", "in.txt"],
    ["/usr/bin/wc", "in.txt"],
    ["/usr/bin/md5sum", "in.txt"],
    ["/usr/bin/head", "-n", "3", "nums.txt"],
    ["/usr/bin/tr", "a-z", "A-Z"],
]


@pytest.mark.parametrize("root", [(), ("--root", "/")], ids=["default-root", "root-/"])
@pytest.mark.parametrize("args", HOST_PROGRAMS, ids=[" ".join(a[:2]) for a in HOST_PROGRAMS])
def test_dynamic_host_program(native_and_hosted, args: list[str],  # type: ignore[no-untyped-def]
                              root: tuple[str, ...]) -> None:
    if not Path(args[0]).exists():
        pytest.skip(f"no {args[0]}")
    native, hosted, nafter, hafter = native_and_hosted(args, setup=files, stdin=INPUT,
                                                       abi_opts=root)
    assert hosted == native
    assert hafter == nafter


@pytest.mark.parametrize("kind", ["exec-musl", "exec-glibc", "exec-dynamic"])
def test_execve(native_and_hosted, programs: dict[str, Path], kind: str) -> None:  # type: ignore[no-untyped-def]
    """execve replaces the program: argv, envp, descriptors, cwd, signals."""
    native, hosted, nafter, hafter = native_and_hosted([str(programs[kind])])
    assert hosted == native
    assert hafter == nafter


def scripts(d: Path) -> None:
    files(d)
    for name, text in (("s.sh", "#!/bin/busybox sh\necho script $0 $1 $#\n"),
                       ("x.sh", "#!/bin/busybox sh -x\necho traced $1\n"),
                       ("n.awk", "#!/bin/busybox awk -f\n{ print NR \": \" $0 }\n"),
                       ("noexec.sh", "#!/bin/busybox sh\necho never\n"),
                       ("bad.sh", "#!/nonexistent/interpreter\necho never\n")):
        (d / name).write_text(text)
        (d / name).chmod(0o644 if name == "noexec.sh" else 0o755)


# busybox env execs its arguments (execvp); sh's exec replaces the shell.
EXECS: list[list[str]] = [
    ["env", "-i", "A=1", "B=2", "/bin/busybox", "env"],
    ["env", "busybox", "echo", "found on PATH"],
    ["env", "/bin/echo", "dynamic", "after", "exec"],
    ["sh", "-c", "exec /bin/busybox echo replaced"],
    ["sh", "-c", "exec /bin/busybox sh -c 'exit 5'"],
    ["env", "./s.sh", "one"],
    ["env", "./x.sh", "two"],
    ["env", "./n.awk", "in.txt"],
    ["env", "./noexec.sh"],
    ["env", "./bad.sh"],
    ["env", "/nonexistent"],
    ["env", "sub"],
]


@pytest.mark.parametrize("args", EXECS, ids=[" ".join(a[:3]) for a in EXECS])
def test_busybox_exec(native_and_hosted, busybox: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    native, hosted, nafter, hafter = native_and_hosted([str(busybox), *args], setup=scripts)
    assert hosted == native
    assert hafter == nafter


@pytest.mark.parametrize("args", [[], ["15"], ["10"], ["2"], ["9"], ["15", "ignore"],
                                  ["10", "block"], ["28"], ["17"]])
def test_signal_to_self(native_and_hosted, programs: dict[str, Path], args: list[str]) -> None:  # type: ignore[no-untyped-def]
    """kill/tgkill to itself: a terminating default action kills abi-run by
    the same signal (the parent sees 128+N), ignored ones are dropped,
    blocked ones stay pending."""
    native, hosted, _, _ = native_and_hosted([str(programs["raise"]), *args])
    assert hosted == native


# Signals from the shell to itself ($$). Never `kill 0`: natively that
# signals pytest's whole process group.
KILLS = ["kill -TERM $$", "kill -9 $$", "kill -0 $$; echo alive $?",
         "kill -USR1 99999; echo $?", "trap '' TERM; kill -TERM $$; echo survived",
         "kill -WINCH $$; echo winch"]


@pytest.mark.parametrize("script", KILLS)
def test_busybox_kill(native_and_hosted, busybox: Path, script: str) -> None:  # type: ignore[no-untyped-def]
    native, hosted, _, _ = native_and_hosted([str(busybox), "sh", "-c", script])
    assert hosted == native


def test_exit_status_of_sh(native_and_hosted, busybox: Path) -> None:  # type: ignore[no-untyped-def]
    for code in ("0", "1", "42", "255"):
        native, hosted, _, _ = native_and_hosted([str(busybox), "sh", "-c", f"exit {code}"])
        assert hosted == native


def test_stdin_pipe_from_host(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    """`echo hi | abi-run busybox cat` through a real shell pipeline."""
    cmd = f"printf 'one\\ntwo\\n' | {busybox} tac | {abi_run} {busybox} cat -n | cat"
    native = f"printf 'one\\ntwo\\n' | {busybox} tac | {busybox} cat -n | cat"
    a = subprocess.run(["sh", "-c", cmd], capture_output=True, env=ENV, cwd=tmp_path, check=False)
    n = subprocess.run(["sh", "-c", native], capture_output=True, env=ENV, cwd=tmp_path,
                       check=False)
    assert (a.returncode, a.stdout, a.stderr) == (n.returncode, n.stdout, n.stderr)


def test_program_found_on_path(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    if os.path.realpath(busybox) != os.path.realpath("/usr/bin/busybox") and \
            not Path("/usr/bin/busybox").exists():
        pytest.skip("busybox is not on PATH")
    assert run([str(abi_run), "busybox", "echo", "x"], cwd=tmp_path) == \
        run(["busybox", "echo", "x"], cwd=tmp_path)


# --- abi-run's own behaviour ---------------------------------------------


def test_malformed_elf_is_refused(abi_run: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x02\x00")  # truncated header
    bad.chmod(0o755)
    r = run([str(abi_run), str(bad)], cwd=tmp_path)
    assert r.status == 2
    assert r.stderr.startswith(b"abi-run: ") and r.stderr.count(b"\n") == 1
    assert b"ENOEXEC" in r.stderr


def test_foreign_machine_is_refused(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    data = bytearray(busybox.read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # EM_AARCH64
    prog = tmp_path / "foreign"
    prog.write_bytes(bytes(data))
    prog.chmod(0o755)
    r = run([str(abi_run), str(prog), "true"], cwd=tmp_path)
    assert r.status == 2 and b"abi-run: " in r.stderr and b"ENOEXEC" in r.stderr


def test_missing_program(abi_run: Path, tmp_path: Path) -> None:
    r = run([str(abi_run), "./nope"], cwd=tmp_path)
    assert r.status == 2 and b"ENOENT" in r.stderr
    r = run([str(abi_run), "no-such-command-anywhere"], cwd=tmp_path)
    assert r.status == 2 and b"command not found" in r.stderr


def test_no_sud_message(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    r = run([str(abi_run), str(busybox), "true"], cwd=tmp_path,
            env={**ENV, "ABI_HOSTED_NO_SUD": "1"})
    assert r.status == 2
    assert b"no Syscall User Dispatch" in r.stderr and r.stdout == b""


def test_usage_errors(abi_run: Path, tmp_path: Path) -> None:
    for argv in ([], ["--bogus", "x"], ["--seed"], ["--seed", "abc", "x"],
                 ["--mount", "nocolon", "x"], ["--sandbox", "--root", "/", "x"]):
        r = run([str(abi_run), *argv], cwd=tmp_path)
        assert r.status == 2 and r.stderr.startswith(b"abi-run: "), argv
    r = run([str(abi_run), "--help"], cwd=tmp_path)
    assert r.status == 0 and b"Example" in r.stdout


def trace_lines(stderr: bytes) -> list[str]:
    """The trace's lines with strace's column padding before " = " folded."""
    return [re.sub(r" += ", " = ", x) for x in stderr.decode().splitlines()]


def test_trace_lines(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    r = run([str(abi_run), "--trace", str(busybox), "echo", "hi"], cwd=tmp_path)
    n = run([str(busybox), "echo", "hi"], cwd=tmp_path)
    assert (r.status, r.stdout) == (n.status, n.stdout)
    lines = trace_lines(r.stderr)
    assert 'write(1, "hi\\n", 3) = 3' in lines
    assert lines[-2:] == ["exit_group(0) = ?", "+++ exited with 0 +++"]
    assert any(x.startswith("arch_prctl(ARCH_SET_FS, 0x") and x.endswith(" = 0") for x in lines)
    assert any(x.startswith("rseq(") and x.endswith("= -1 ENOSYS (Function not implemented)")
               for x in lines)
    # strace's alignment: the call is padded to 39 columns
    raw = r.stderr.decode().splitlines()
    assert "close(3)                                = 0" in raw or \
        any(x.index(" = ") >= 39 for x in raw if " = " in x)


def test_trace_strings_paths_and_errors(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    long = "x" * 40
    r = run([str(abi_run), "--trace", str(busybox), "cat", f"/nonexistent/{long}"], cwd=tmp_path)
    lines = trace_lines(r.stderr)
    # paths whole, without open's mode; other strings cut at 32 bytes
    assert f'openat(AT_FDCWD, "/nonexistent/{long}", O_RDONLY) = -1 ENOENT ' \
        "(No such file or directory)" in lines
    assert any(x.startswith('write(2, "cat: can\'t open \'/nonexistent/xx"..., ') for x in lines)


def test_trace_execve(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    r = run([str(abi_run), "--trace", str(busybox), "env", "-i", "A=1", "/nonexistent/x"],
            cwd=tmp_path)
    lines = trace_lines(r.stderr)
    assert any(x.startswith('execve("/nonexistent/x", ["/nonexistent/x"], 0x') and
               x.endswith("/* 1 vars */) = -1 ENOENT (No such file or directory)") for x in lines)
    r = run([str(abi_run), "--trace", str(busybox), "env", str(busybox), "true"], cwd=tmp_path)
    lines = trace_lines(r.stderr)
    assert any(x.startswith(f'execve("{busybox}", ["{busybox}", "true"], 0x') and
               x.endswith(" = 0") for x in lines)
    assert lines[-2:] == ["exit_group(0) = ?", "+++ exited with 0 +++"]


def test_trace_file_and_stats(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    tf = tmp_path / "trace.txt"
    r = run([str(abi_run), "--trace-file", str(tf), "--stats", str(busybox), "echo", "x"],
            cwd=tmp_path)
    assert r.stdout == b"x\n" and r.status == 0
    text = "\n".join(trace_lines(tf.read_bytes())) + "\n"
    assert "exit_group(0) = ?\n+++ exited with 0 +++\n" in text
    stats = text.split("+++ exited with 0 +++\n", 1)[1]
    assert "write" in stats and "total" in stats and "ENOSYS" in stats


def test_env_options(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    r = run([str(abi_run), "--clear-env", "--env", "A=1", "--env", "B=x=y", str(busybox), "env"],
            cwd=tmp_path)
    assert (r.status, r.stdout) == (0, b"A=1\nB=x=y\n")
    r = run([str(abi_run), "--env", "TZ=Europe/Paris", str(busybox), "sh", "-c", "echo $TZ"],
            cwd=tmp_path)
    assert r.stdout == b"Europe/Paris\n"


def test_cwd_option(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    r = run([str(abi_run), "--cwd", str(tmp_path / "d"), str(busybox), "pwd"], cwd=REPO)
    assert r.stdout.decode().strip() == str(tmp_path / "d")


def test_sandbox(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    """--sandbox: a ramfs root with only the program, /dev, /proc and /tmp."""
    r = run([str(abi_run), "--sandbox", str(busybox), "ls", "/"], cwd=tmp_path)
    assert r.status == 0
    assert sorted(r.stdout.split()) == [b"busybox", b"dev", b"proc", b"tmp"]
    r = run([str(abi_run), "--sandbox", str(busybox), "cat", "/etc/passwd"], cwd=tmp_path)
    assert r.status == 1 and b"No such file" in r.stderr


def test_sandbox_mounts(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    host = tmp_path / "share"
    host.mkdir()
    (host / "f.txt").write_bytes(b"shared\n")
    r = run([str(abi_run), "--sandbox", "--mount", f"{host}:/mnt/share", str(busybox), "sh",
             "-c", "read x < /mnt/share/f.txt; echo $x; echo new > /mnt/share/g.txt"],
            cwd=tmp_path)
    assert (r.status, r.stdout) == (0, b"shared\n")
    assert (host / "g.txt").read_bytes() == b"new\n"
    r = run([str(abi_run), "--sandbox", "--mount", f"{host}:/m:ro", str(busybox), "sh", "-c",
             "read x < /m/f.txt; echo $x; echo x > /m/h.txt"], cwd=tmp_path)
    assert r.stdout == b"shared\n" and r.status != 0 and b"Read-only" in r.stderr
    assert not (host / "h.txt").exists()


def test_root_option(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "busybox").write_bytes(busybox.read_bytes())
    (root / "bin" / "busybox").chmod(0o755)
    (root / "hello.txt").write_bytes(b"in the new root\n")
    # With --root the program's path is a path in the new root.
    r = run([str(abi_run), "--root", f"{root}:ro", "/bin/busybox", "sh", "-c",
             "read x < /hello.txt; echo $x; echo x > /new"], cwd=tmp_path)
    assert r.stdout == b"in the new root\n"
    assert b"Read-only" in r.stderr and not (root / "new").exists()


def test_seed_makes_randomness_reproducible(abi_run: Path, tmp_path: Path) -> None:
    """--seed: AT_RANDOM and getrandom repeat run to run; without it they differ."""
    prog = tmp_path / "rnd.c"
    prog.write_text('#include <stdio.h>\n#include <sys/auxv.h>\n#include <sys/random.h>\n'
                    'int main(void) { unsigned char b[8], *r = (void *)getauxval(AT_RANDOM);\n'
                    '  if (getrandom(b, 8, 0) != 8) return 1;\n'
                    '  for (int i = 0; i < 16; i++) printf("%02x", r[i]);\n'
                    '  for (int i = 0; i < 8; i++) printf("%02x", b[i]);\n'
                    '  printf("\\n"); return 0; }\n')
    exe = tmp_path / "rnd"
    subprocess.run(["gcc", "-static", "-o", str(exe), str(prog)], check=True)
    a = run([str(abi_run), "--seed", "7", str(exe)], cwd=tmp_path)
    b = run([str(abi_run), "--seed", "7", str(exe)], cwd=tmp_path)
    c = run([str(abi_run), "--seed", "8", str(exe)], cwd=tmp_path)
    d = run([str(abi_run), str(exe)], cwd=tmp_path)
    e = run([str(abi_run), str(exe)], cwd=tmp_path)
    assert a.status == 0 and len(a.stdout) == 49
    assert a.stdout == b.stdout != c.stdout
    assert d.stdout != e.stdout


def _installed(abi_run: Path) -> Path:
    link = REPO / ".venv" / "bin" / "abi-run"
    if not (REPO / ".venv" / "bin").is_dir():
        pytest.skip("no .venv (tools/setup.sh makes it)")
    return link


def test_installed_abi_run_is_the_binary(abi_run: Path) -> None:
    """The abi-run on the venv's PATH is the native binary itself (a
    symlink made by make hosted and tools/setup.sh), not a Python script."""
    link = _installed(abi_run)
    assert link.is_symlink() and os.readlink(link) == "../../build/hosted/abi-run"
    assert link.resolve() == abi_run.resolve()
    assert link.read_bytes()[:4] == b"\x7fELF"
    r = run([str(link), "--help"], cwd=REPO)
    assert r.status == 0 and r.stdout.startswith(b"usage: abi-run")


def test_installed_start_execs_nothing_else(abi_run: Path, busybox: Path,
                                            tmp_path: Path) -> None:
    """Starting a program through the installed abi-run, by PATH as a user
    does, is one host execve (abi-run's): no Python in between."""
    if shutil.which("strace") is None:
        pytest.skip("no strace")
    link = _installed(abi_run)
    env = {**ENV, "PATH": f"{link.parent}:{ENV.get('PATH', '/usr/bin:/bin')}"}
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "abi-run", str(busybox),
                        "echo", "launched"], cwd=tmp_path, env=env, capture_output=True,
                       check=False, timeout=30)
    assert (p.returncode, p.stdout) == (0, b"launched\n"), p.stderr
    execs = [ln for ln in p.stderr.decode().splitlines() if "execve(" in ln]
    assert len(execs) == 1 and "abi-run" in execs[0], execs


def test_python_options_hand_over(abi_run: Path, tmp_path: Path) -> None:
    """An option that needs Python (--emu) is handed by the native abi-run
    to `abi run` (exec of the venv's abi, beside the abi-run that was run),
    which serves it (abi.emu): the program's status, no message."""
    link = _installed(abi_run)
    if not (link.parent / "abi").exists():
        pytest.skip("the venv's abi console script is not installed")
    pytest.importorskip("unicorn")
    for argv in ([str(link)], [str(abi_run)], [str(link.parent / "abi"), "run"]):
        r = run([*argv, "--emu", "/bin/false"], cwd=tmp_path)
        assert (r.status, r.stderr) == (1, b""), (argv, r)


def test_abi_run_subcommand(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    """`abi run` execs the binary from any cwd, options included."""
    abi = REPO / ".venv" / "bin" / "abi"
    if not abi.exists():
        pytest.skip("the venv's console scripts are not installed")
    r = run([str(abi), "run", "--seed", "1", str(busybox), "echo", "launched"], cwd=tmp_path)
    assert (r.status, r.stdout) == (0, b"launched\n")


def _in_pty(argv: list[str], cwd: Path) -> tuple[int, bytes]:
    """Runs argv with a new pseudo-terminal as stdin, stdout and stderr."""
    import pty

    master, slave = pty.openpty()
    p = subprocess.Popen(argv, cwd=cwd, env=ENV, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=30), out


def test_terminal_is_a_terminal(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    """On a terminal the console answers TCGETS as the host does: isatty and
    ls's column output agree with the native run."""
    files(tmp_path)
    for f in ("alpha", "beta", "gamma", "delta"):
        (tmp_path / f).write_bytes(b"")
    for args in (["sh", "-c", "test -t 0 && test -t 1 && echo tty"], ["ls"]):
        native = _in_pty([str(busybox), *args], tmp_path)
        hosted = _in_pty([str(abi_run), str(busybox), *args], tmp_path)
        assert hosted == native


def test_conform_hosted_runner_uses_the_binary(abi_run: Path, tmp_path: Path) -> None:
    """`abi conform --runner hosted` probes and runs cases with build/hosted/abi-run."""
    from abi.conform.runners import resolve_runner

    assert resolve_runner("hosted").prefix == (str(abi_run),)
    abi = REPO / ".venv" / "bin" / "abi"
    if not abi.exists():
        pytest.skip("the venv's abi script is not installed")
    # files: the file family, exit codes, umask; pipes: SIGPIPE and rt_sigpending
    for case in ("files", "pipes"):
        r = subprocess.run([str(abi), "conform", "--runner", "hosted", "-k", case, "--report",
                            str(tmp_path / case)], capture_output=True, text=True, cwd=REPO,
                           check=False)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def test_report_merges_into_inspect(abi_run: Path, busybox: Path, tmp_path: Path) -> None:
    """--report writes abi-run-report/1, which abi inspect --merge-run reads."""
    import json

    from abi.inspect.run import load_run

    rep = tmp_path / "run.json"
    r = run([str(abi_run), "--report", str(rep), str(busybox), "cat", "/nonexistent"],
            cwd=tmp_path)
    n = run([str(busybox), "cat", "/nonexistent"], cwd=tmp_path)
    assert (r.status, r.stdout, r.stderr) == (n.status, n.stdout, n.stderr)
    data = json.loads(rep.read_text())
    assert data["format"] == "abi-run-report/1" and data["program"] == str(busybox)
    used = {u["name"]: u for u in data["syscalls"]}
    assert used["openat"]["errors"] == {"ENOENT": 1}
    assert used["exit_group"]["count"] == 1
    loaded = load_run(rep)
    assert [u.name for u in loaded.used] == list(used)
    assert all(used[name]["errors"].get("ENOSYS") for name in loaded.unimplemented)


@pytest.mark.parametrize("args", [["in.txt"], ["nums.txt"], ["/nonexistent"], []])
def test_so_application(abi_run: Path, tmp_path: Path, args: list[str]) -> None:
    """abi-run APP.so runs main from a shared object (through the launcher
    built beside abi-run); the same source built as a program runs natively."""
    src = Path(__file__).resolve().parent / "progs" / "app.c"
    so, exe = tmp_path / "app.so", tmp_path / "app"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    subprocess.run(["gcc", "-o", str(exe), str(src)], check=True)
    files(tmp_path)
    assert run([str(abi_run), str(so), *args], cwd=tmp_path) == run([str(exe), *args],
                                                                     cwd=tmp_path)


def test_so_without_main_is_refused(abi_run: Path, tmp_path: Path) -> None:
    src = tmp_path / "lib.c"
    src.write_text("int helper(void) { return 1; }\n")
    so = tmp_path / "lib.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    r = run([str(abi_run), str(so)], cwd=tmp_path)
    assert r.status == 2 and r.stderr == f"abi-run: {so}: the shared object has no main\n".encode()
