"""The ``linalg-lab import`` sub-command: published scheme files -> verified scheme files.

A thin layer over the importers: one product per line (``.exp``, ``.txt``,
anything that is not ``.npz`` or ``.json``), AlphaTensor ``.npz`` (every entry)
and cyclic JSON (Perminov's format; a linalg-lab scheme file is loaded as it is).
Each scheme is written with :func:`linalg_lab.schemes.save_scheme`, which
verifies it exactly once more before writing and never replaces a file (a
scheme already there is kept, another one of the same name gets a
content-hash tag).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..fields.rings import RINGS
from .io import load_scheme, output_folder, save_scheme


def _tag(path: Path) -> str:
    """The source file's stem as a file-name tag (letters, digits, '.' and '_')."""
    return "".join(c if c.isalnum() or c in "._" else "_" for c in path.stem) or "import"


def published_schemes(path, ring=None, repair=False):
    """Yield ``(label, loader)`` for each scheme in a published file; ``loader()`` reads it.

    ``loader()`` returns ``(scheme_or_program, convention)`` (see
    :func:`linalg_lab.schemes.formats.published_loaders`, which recognises
    every format). Loading is deferred so that one bad entry of an ``.npz``
    does not stop the others. ``label`` names the scheme in messages (the
    file, plus the entry for ``.npz``).
    """
    from .formats import published_loaders
    yield from published_loaders(path, ring, repair=repair)


def cmd_import(args) -> int:
    from .program import StraightLineProgram, store_program

    try:
        out = output_folder(args.out, "--out")     # a folder, never a file to replace
    except ValueError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    written, failed = 0, 0

    def fail(label, msg):
        nonlocal failed
        failed += 1
        msg = msg if msg.startswith(label) else f"{label}: {msg}"
        print(f"import: {msg}".replace("\n", " | "), file=sys.stderr)

    for name in args.files:
        path = Path(name)
        try:
            entries = list(published_schemes(path, args.ring, getattr(args, "repair", False)))
        except OSError as exc:
            fail(str(path), f"cannot read: {exc.strerror or exc}")
            continue
        except ValueError as exc:  # e.g. an .npz that is not an archive
            fail(str(path), str(exc))
            continue
        for label, load in entries:
            try:
                found, convention = load()
            except OSError as exc:
                fail(label, f"cannot read: {exc.strerror or exc}")
                continue
            except ValueError as exc:
                fail(label, str(exc))
                continue
            program = found if isinstance(found, StraightLineProgram) else None
            scheme = program.scheme if program is not None else found
            provenance = {"method": "import", "parent": label}
            if convention:
                provenance["convention"] = convention
            if program is not None:
                provenance["reduced_additions"] = program.additions
            try:
                tag = _tag(path)
                if program is not None and tag.endswith("_reduced"):
                    tag = tag[: -len("_reduced")] or "import"    # the program file adds its own '_reduced'
                target = save_scheme(scheme, out, tag=tag, provenance=provenance)
                kept = store_program(program, out, target.stem)[0] if program is not None else None
            except OSError as exc:
                fail(label, f"cannot write into {out}: {exc.strerror or exc}")
                continue
            except ValueError as exc:  # a forced --ring under which the scheme is not exact
                fail(label, str(exc))
                continue
            written += 1
            extra = f"  program {kept} ({program.additions} additions)" if kept is not None else ""
            print(f"{target}  {'x'.join(map(str, scheme.n))}  rank {scheme.rank}  {scheme.ring}{extra}")
    if failed:
        print(f"import: {failed} scheme(s) not converted, {written} written", file=sys.stderr)
    return 1 if failed else 0


def cmd_export(args) -> int:
    """``linalg-lab export FILE --format F --out FILE``: a scheme (or program) in a published format."""
    from .formats import export_scheme, format_from_suffix

    try:
        fmt = args.format or format_from_suffix(args.out)
    except ValueError as exc:
        print(f"export: --format: {str(exc).removeprefix('path: ')}", file=sys.stderr)
        return 2
    try:
        entries = list(published_schemes(Path(args.file), None))
        if len(entries) != 1:
            print(f"export: FILE: {args.file} holds {len(entries)} schemes; export one at a time", file=sys.stderr)
            return 2
        source, _ = entries[0][1]()
    except OSError as exc:
        print(f"export: FILE: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    try:
        path = export_scheme(source, args.out, fmt, overwrite=args.force, rng=args.seed)
    except OSError as exc:
        print(f"export: --out: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"export: --out: {str(exc).removeprefix('path: ')}", file=sys.stderr)
        return 2
    scheme = getattr(source, "scheme", source)
    print(json.dumps({"path": str(path), "format": fmt, "n": list(scheme.n), "rank": scheme.rank,
                      "ring": scheme.ring.value}))
    return 0


def cmd_reduce(args) -> int:
    """``linalg-lab reduce FILE --out DIR``: a verified straight-line program with shared sums, beside the scheme."""
    from .program import reduce_additions, store_program
    from .io import SchemeFileError, store_scheme

    try:
        out = output_folder(args.out, "--out")
    except ValueError as exc:
        print(f"reduce: {exc}", file=sys.stderr)
        return 2
    try:
        scheme = load_scheme(args.file, verify=True)
    except SchemeFileError as exc:
        print(f"reduce: {exc}", file=sys.stderr)
        return 1
    try:
        program = reduce_additions(scheme, restarts=args.restarts, time_limit=args.time_limit, rng=args.seed,
                                   sandwiches=args.sandwiches)
    except KeyboardInterrupt:
        print("reduce: interrupted", file=sys.stderr)
        return 130
    try:
        spath, _ = store_scheme(program.scheme, out, provenance={"method": "reduce", "parent": str(args.file),
                                                                  "reduced_additions": program.additions})
        ppath, _ = store_program(program, out, spath.stem)
    except (OSError, ValueError) as exc:
        print(f"reduce: --out: cannot write into {out}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    print(json.dumps({"path": str(ppath), "scheme": str(spath), "naive": program.naive,
                      "reduced": program.additions, "sides": program.sides()}))
    return 0


GENERATED_MARK = "Generated by linalg-lab (linalg_lab.schemes.codegen"


def cmd_codegen(args) -> int:
    """``linalg-lab codegen FILE --lang python|c --out FILE``: standalone source applying the scheme recursively."""
    import os

    from .codegen import c_source, python_source
    from .io import SchemeFileError, atomic_write_text
    from .program import is_program_file, load_program

    try:
        src = load_program(args.file) if is_program_file(args.file) else load_scheme(args.file, verify=True)
        write = c_source if args.lang == "c" else python_source
        text = write(src, levels=args.levels, cutoff=args.cutoff)
    except (SchemeFileError, ValueError, TypeError, OSError) as exc:
        print(f"codegen: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.is_dir():
        print(f"codegen: --out: {out} is a folder, expected a file name", file=sys.stderr)
        return 2
    if os.path.lexists(out):
        try:
            ours = GENERATED_MARK in out.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            print(f"codegen: --out: {out} exists and was not written by linalg-lab codegen; not replaced",
                  file=sys.stderr)
            return 2
    try:
        atomic_write_text(out, text)
    except OSError as exc:
        print(f"codegen: --out: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(json.dumps({"path": str(out), "lang": args.lang, "levels": args.levels}))
    return 0


def register(sub) -> None:
    """Add the ``import``, ``export``, ``reduce`` and ``codegen`` sub-commands to the ``linalg-lab`` parser."""
    r = sub.add_parser("reduce", help="common-subexpression reduction: a straight-line program with fewer additions")
    r.add_argument("file", metavar="FILE", help="a scheme file")
    r.add_argument("--out", required=True, metavar="DIR",
                   help="output folder: the scheme and <scheme>_reduced.json (Perminov's reduced JSON) beside it")
    r.add_argument("--time-limit", type=float, default=None, metavar="S", help="seconds for the passes (default: none)")
    r.add_argument("--restarts", type=int, default=64, help="pair-elimination passes per side (default 64)")
    r.add_argument("--sandwiches", type=int, default=0,
                   help="steps of a walk over the scheme's sandwich orbit (gg; default 0: the scheme as it is)")
    r.add_argument("--seed", type=int, default=None)
    r.set_defaults(func=cmd_reduce)
    c = sub.add_parser("codegen", help="standalone source that applies a scheme recursively (reduced program)")
    c.add_argument("file", metavar="FILE", help="a scheme file or a reduced-JSON program")
    c.add_argument("--lang", default="python", choices=["python", "c"],
                   help="target language (python: numpy, matmul below the cutoff; c: standalone C99, double and int64)")
    c.add_argument("--levels", type=int, default=1, help="default recursion levels of the generated function")
    c.add_argument("--cutoff", type=int, default=64, help="default size below which numpy.matmul is used")
    c.add_argument("--out", required=True, metavar="FILE", help="the source file (only a file codegen wrote is replaced)")
    c.set_defaults(func=cmd_codegen)

    p = sub.add_parser("import", help="convert published scheme files into verified scheme files")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="one-product-per-line files (.exp, .txt), AlphaTensor .npz (every entry), cyclic JSON")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--ring", default=None, choices=list(RINGS),
                   help="read every scheme over this ring (default: the ring the entries imply)")
    p.add_argument("--repair", action="store_true",
                   help="one product per line: drop surplus ')' at the end of a line (still verified exactly)")
    p.set_defaults(func=cmd_import)

    e = sub.add_parser("export", help="write a scheme in a published format (json, m, txt, exp, reduced)")
    e.add_argument("file", metavar="FILE", help="a scheme file, a reduced-JSON program, or any importable file")
    e.add_argument("--format", default=None, choices=["json", "m", "txt", "exp", "reduced"],
                   help="Perminov's full JSON, nested lists (.m), coefficient rows (.txt), one product per line "
                        "(.exp), reduced JSON (a straight-line program); default: from the suffix of --out")
    e.add_argument("--out", required=True, metavar="FILE", help="the file to write (an existing file needs --force)")
    e.add_argument("--force", action="store_true", help="replace an existing --out file")
    e.add_argument("--seed", type=int, default=0, help="seed of the reducer for --format reduced (default 0)")
    e.set_defaults(func=cmd_export)
