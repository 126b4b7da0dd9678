"""``abi inspect``: what a program needs from the kernel, before and after it runs.

closure.py (DT_NEEDED as ld.so resolves it), x86.py (capstone streams and backward
constant tracking), syscalls.py (syscall sites of one object), libc.py (libc's call
graph), objects.py (per-object analysis and its cache), needs.py (the join with the
syscall table), run.py (--merge-run), report.py (terminal, Markdown, JSON), cli.py,
porting.py (the committed reports in docs/porting/).
"""
