"""The ``linalg-lab`` command: a thin layer over the Python API.

Each sub-command is one call of a public function; see ``linalg-lab --help``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading

from . import __version__


def cmd_verify(args) -> int:
    from .schemes import SchemeFileError, load_scheme, scheme_files

    files = scheme_files(args.files)
    if not files:
        print("verify: no scheme files found", file=sys.stderr)
        return 2
    bad = 0
    from .schemes.program import is_program_file, load_program

    for f in files:
        if is_program_file(f):              # a straight-line program (reduced JSON): checked exactly too
            try:
                prog = load_program(f)
            except (ValueError, OSError) as exc:
                bad += 1
                print(f"FAIL {f}: {exc}".replace("\n", " |"))
                continue
            s = prog.scheme
            print(f"OK   {f}: program for {s.code} {'x'.join(map(str, s.n))} rank {s.rank} over {s.ring}, "
                  f"{prog.additions} additions, is exact")
            continue
        try:
            s = load_scheme(f, verify=True)
        except SchemeFileError as exc:
            bad += 1
            print(f"FAIL {f}: {str(exc).removeprefix(str(f) + ': ')}".replace("\n", " |"))
            continue
        print(f"OK   {f}: {s.code} {'x'.join(map(str, s.n))} rank {s.rank} over {s.ring} is exact")
    return 1 if bad else 0


def cmd_show(args) -> int:
    from .schemes import SchemeFileError, load_scheme, to_equations

    from .schemes.program import is_program_file, load_program, reduce_additions

    if getattr(args, "program", False):
        try:
            prog = load_program(args.file) if is_program_file(args.file) else \
                reduce_additions(load_scheme(args.file, verify=True))
        except (SchemeFileError, ValueError, OSError) as exc:
            print(f"show: {exc}", file=sys.stderr)
            return 1
        print(prog.to_text(), end="")
        return 0
    try:
        s = load_program(args.file).scheme if is_program_file(args.file) else load_scheme(args.file, verify=False)
    except (SchemeFileError, ValueError) as exc:
        print(f"show: {exc}", file=sys.stderr)
        return 1
    check = s.verify()
    print(f"# {s.code} {'x'.join(map(str, s.n))} rank {s.rank} over {s.ring}: {check.describe()}")
    print(to_equations(s), end="")
    return 0 if check else 1


def cmd_naive(args) -> int:
    from .schemes import naive_scheme
    from .schemes.io import output_folder, store_scheme

    try:
        s = naive_scheme(args.code, args.sizes, args.ring)
        out = output_folder(args.out, "--out")
    except (ValueError, TypeError) as exc:
        print(f"naive: {exc}", file=sys.stderr)
        return 2
    try:
        path, _ = store_scheme(s, out, provenance={"method": "naive", "parent": None})
    except OSError as exc:
        print(f"naive: --out: cannot write into {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


#: Modules that add their family's sub-commands: each defines ``register(subparsers)``.
FAMILY_COMMANDS = ("linalg_lab.schemes.commands", "linalg_lab.flipgraph.commands", "linalg_lab.lifting.commands")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="linalg-lab", description="Search, verify and use fast matrix multiplication schemes.")
    p.add_argument("--version", action="version", version=f"linalg-lab {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("verify", help="verify scheme files exactly (exit 0 iff all are exact)")
    v.add_argument("files", nargs="+", metavar="FILE", help="scheme files or folders (searched for *.json)")
    v.set_defaults(func=cmd_verify)

    s = sub.add_parser("show", help="print a scheme file as equations")
    s.add_argument("file", metavar="FILE")
    s.add_argument("--program", action="store_true",
                   help="print the straight-line program (a reduced-JSON file as it is, a scheme file reduced)")
    s.set_defaults(func=cmd_show)

    n = sub.add_parser("naive", help="write the naive scheme of a tensor code")
    n.add_argument("code", metavar="CODE", help="tensor code, e.g. gg, ug, gt")
    n.add_argument("sizes", metavar="N1xN2xN3")
    n.add_argument("--ring", default="Z", choices=["F2", "F3", "ZT", "Z", "Q"])
    n.add_argument("--out", required=True, metavar="DIR",
                   help="output folder, made if missing (an existing file is refused; no file in it is replaced)")
    n.set_defaults(func=cmd_naive)

    for modname in FAMILY_COMMANDS:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name != modname:
                raise
            continue
        mod.register(sub)
    return p


#: Exit status after Ctrl-C and after SIGTERM (128 + the signal number), once the best result is written.
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


@contextlib.contextmanager
def interrupt_signals():
    """While the block runs, SIGTERM stops it as Ctrl-C does (``KeyboardInterrupt``); yields the signals received.

    Long commands catch ``KeyboardInterrupt``, write their best result and
    return, so ``timeout``, ``kill`` or a batch scheduler's stop keeps the
    result just as Ctrl-C does. Only the first SIGTERM interrupts: a second one
    while the result is being written is ignored (a scheduler follows with
    SIGKILL if it must). SIGINT gets Python's default handler back, as a job
    started in the background by a non-interactive shell inherits it ignored.
    Both previous handlers are restored on exit. Outside the main thread
    (where handlers cannot be set) nothing is changed.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def on_term(signum, frame):
        if received:
            return
        received.append(signum)
        raise KeyboardInterrupt

    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
                signal.SIGTERM: signal.signal(signal.SIGTERM, on_term)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    with interrupt_signals() as received:
        try:
            rc = args.func(args)
        except KeyboardInterrupt:   # interrupted outside a search loop (e.g. while compiling kernels)
            print("terminated" if received else "interrupted", file=sys.stderr)
            rc = EXIT_SIGINT
    return EXIT_SIGTERM if received and rc == EXIT_SIGINT else rc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
