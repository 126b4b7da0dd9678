#!/bin/sh
# Idempotent set-up for a fresh Debian or Ubuntu machine: system packages,
# the virtual environment in .venv, the Python package (editable) and its
# dev tools. Safe to run again; it only installs what is missing.
set -eu
cd "$(dirname "$0")/.."

# busybox-static, strace: real programs for abi inspect's accuracy tests;
# qemu-user, musl-tools: the conformance suite's third-party runner and musl builds.
# tmux: tests/hosted/test_terminal.py drives interactive programs in a real terminal.
# clang-format-14: `make lint` checks the C style with it; other major versions
# format differently (Debian 12: clang-format-14 is also its default clang-format).
# libpython3.11-testsuite, openjdk-17-jdk-headless: the host's CPython (with its
# own regression tests) and JVM (with javac), run under abi-run --root / by
# tests/hosted/test_runtimes.py.
# sqlite3: a program row of make bench (tools/bench.py).
# dpkg-dev, patch: musl-compat fetches Debian's musl source (apt-get source)
# and applies its overlay (musl-compat/musl-compat.mk).
# strace: Debian 12's 6.1, which tests/hosted/test_strace_format.py compares
# --trace with. chromium: the conformance HTML report's screenshot test
# (tests/test_conform.py::test_html_report_renders_in_chromium) runs with it.
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross: static aarch64 builds of the
# conformance programs at test time; qemu-user's qemu-aarch64 gives their
# reference results (abi conform --runner qemu-aarch64 / emu-aarch64).
PKGS="make gcc libc6-dev python3 python3-venv python3-dev linux-libc-dev manpages-dev
      busybox-static strace qemu-user musl-tools clang-format-14 tmux sqlite3 chromium
      libpython3.11-testsuite openjdk-17-jdk-headless dpkg-dev patch
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing system packages:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    "$PY" -m venv .venv
fi
# Re-install only when pyproject.toml changed since the last install.
stamp=.venv/.abi-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing the abi package and its dependencies into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch "$stamp"
fi
# The venv's abi-run is the native binary (build/hosted/abi-run, which make
# builds), not a Python console script: a start then costs no Python.
ln -sfn ../../build/hosted/abi-run .venv/bin/abi-run

# Debian's busybox-static for arm64, unpacked into build/arm64/ (nothing is
# installed for arm64; dpkg only learns the architecture, so that apt can
# download it): the aarch64 programs of the conformance suite
# (conformance/programs/busybox.yaml's arch_paths), run under qemu-aarch64
# and abi-run --emu.
if [ ! -x build/arm64/busybox ]; then
    echo "setup: fetching busybox-static:arm64 into build/arm64"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        $SUDO dpkg --add-architecture arm64
        $SUDO apt-get update -qq
    fi
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -qq busybox-static:arm64 2>/dev/null) || {
        $SUDO apt-get update -qq
        (cd "$tmp" && apt-get download -qq busybox-static:arm64)
    }
    rm -rf build/arm64
    mkdir -p build/arm64
    dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb build/arm64/root
    ln -sfn root/bin/busybox build/arm64/busybox
    rm -rf "$tmp"
fi
