"""The conformance suite's runner and reports (``abi conform``).

- ``suite``: the cases on disk (conformance/cases/*.c with covers and sidecars,
  conformance/programs/*.yaml)
- ``build``: compiling C cases per variant into build/conformance/
- ``runners``: native, qemu, hosted (abi-run), emu, any command prefix; the probe
- ``compare``: normalisation and diffs
- ``engine``: running every case under the reference and the runner
- ``report``: JSON, JUnit XML, Markdown and HTML with the per-syscall matrix
- ``cli``: the ``abi conform`` subcommand (``register``/``run``)
"""
