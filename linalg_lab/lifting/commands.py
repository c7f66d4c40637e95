"""Sub-commands of the lifting family: ``linalg-lab lift`` and ``linalg-lab catalogue``.

A thin layer over :func:`linalg_lab.lifting.lift` and
:func:`linalg_lab.schemes.catalogue.write_catalogue_index`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..schemes import SchemeFileError, load_scheme, load_terms, scheme_files
from ..schemes.io import output_folder, store_scheme
from ..validation import check_bool, check_choice, check_int
from .lift import TARGETS, lift


def _load_any(path: Path):
    """A scheme file (.json, verified) or a term file (one product per line; ring guessed)."""
    if path.suffix.lower() == ".json":
        return load_scheme(path, verify=True)
    try:
        return load_terms(path)
    except OSError as exc:
        raise SchemeFileError(f"{path}: cannot read: {exc.strerror or exc}") from None


def lift_files(paths, to="Q", out=".", steps=10, attempts=4, by_code=False, progress=True, echo=print,
               simplify=0) -> dict:
    """Lift scheme files and write each verified lift; the summary dict printed by ``linalg-lab lift``.

    Parameters
    ----------
    paths : sequence of str or Path
        Scheme files (``.json``), term files (one product per line), or folders
        (searched for ``*.json``).
    to : {"Q", "Z", "ZT"}
    out : str or Path
        Output folder (created before the first file; an existing file there is an
        error); with ``by_code`` each file goes to ``out/<code>/``. No file is
        replaced: a lift identical to a file already there is reported as
        "already there", a different one of the same name gets a content-hash tag
        (:func:`linalg_lab.schemes.io.store_scheme`).
    steps, attempts, simplify : int
        Passed to :func:`linalg_lab.lifting.lift`.
    progress : bool
        A tqdm progress bar on stderr when there are several files.
    echo : callable
        Receives one line per file.

    Returns
    -------
    dict
        ``{"lifted", "failed", "skipped", "seconds", "to", "written", "interrupted"}``; files
        already over Z_T, Z or Q are skipped (not failures).

    Examples
    --------
    >>> import tempfile
    >>> from linalg_lab.schemes import save_scheme
    >>> from linalg_lab.schemes import strassen_scheme
    >>> d = Path(tempfile.mkdtemp())
    >>> f = save_scheme(strassen_scheme("F2"), d)
    >>> lift_files([f], to="Z", out=d / "out", echo=lambda line: None)["lifted"]
    1
    """
    from tqdm import tqdm

    # argument errors are the caller's, not one failure per file: check them before the first file
    to = check_choice(to, "to", TARGETS)
    steps = check_int(steps, "steps", minimum=1)       # its upper bound depends on each file's ring
    attempts = check_int(attempts, "attempts", minimum=1)
    simplify = check_int(simplify, "simplify", minimum=0)
    by_code, progress = check_bool(by_code, "by_code"), check_bool(progress, "progress")
    t0 = time.perf_counter()
    files = scheme_files(paths)
    out = output_folder(out, "out")
    lifted = failed = skipped = 0
    written = []
    interrupted = False
    bar = tqdm(files, desc="lift", unit="file", file=sys.stderr, disable=not progress or len(files) < 2, leave=False)
    try:
        for f in bar:
            try:
                scheme = _load_any(f)
                if not scheme.ring.is_finite_field:
                    skipped += 1
                    echo(f"SKIP {f}: already over {scheme.ring} (nothing to lift)")
                    continue
                res = lift(scheme, to=to, steps=steps, attempts=attempts, simplify=simplify)
            except (SchemeFileError, ValueError) as exc:
                failed += 1
                echo(f"FAIL {f}: {exc}".replace("\n", " | "))
                continue
            if not res.ok:
                failed += 1
                echo(f"FAIL {f}: {res.message}")
                continue
            prov = res.provenance()
            prov["parent"] = f.name
            try:
                folder = output_folder(out / res.scheme.code, "out") if by_code else out
                target, new_file = store_scheme(res.scheme, folder, provenance=prov)   # verifies before writing
            except (ValueError, OSError) as exc:
                failed += 1
                echo(f"FAIL {f}: cannot write the lift: {getattr(exc, 'strerror', None) or exc}")
                continue
            same = not new_file
            lifted += 1
            written.append(str(target))
            echo(f"OK   {f} -> {target} ({res.scheme.ring}, {res.method}, {res.seconds * 1e3:.1f} ms"
                 f"{', already there' if same else ''})")
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    return {"lifted": lifted, "failed": failed, "skipped": skipped, "seconds": round(time.perf_counter() - t0, 3), "to": str(to),
            "written": written, "interrupted": interrupted}


def cmd_lift(args) -> int:
    try:
        output_folder(args.out, "--out", create=False)    # before any work: a lift must have somewhere to go
    except ValueError as exc:
        print(f"lift: {exc}", file=sys.stderr)
        return 2
    files = scheme_files(args.files)
    if not files:
        print("lift: no scheme files found", file=sys.stderr)
        return 2
    try:
        summary = lift_files(files, to=args.to, out=args.out, steps=args.steps, attempts=args.attempts,
                             simplify=args.simplify, by_code=args.by_code, progress=not args.quiet,
                             echo=(lambda line: None) if args.quiet else print)
    except ValueError as exc:           # an option out of range (e.g. --steps 0): before any file
        print(f"lift: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    if summary["interrupted"]:
        return 130
    return 0 if summary["failed"] == 0 else 1


def cmd_catalogue(args) -> int:
    from ..schemes.catalogue import catalogue_index, write_catalogue_index

    root = Path(args.dir)
    try:
        if args.check:
            text = catalogue_index(root, args.known)
            readme = root / "README.md"
            current = readme.read_text(encoding="utf-8") if readme.exists() else None
            if current != text:
                print(f"catalogue: {readme} is out of date; run 'linalg-lab catalogue {args.dir}'", file=sys.stderr)
                return 1
            print(f"{readme} is up to date")
            return 0
        path = write_catalogue_index(root, args.known)
    except (SchemeFileError, ValueError, OSError) as exc:
        print(f"catalogue: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def register(subparsers) -> None:
    """Add the ``lift`` and ``catalogue`` sub-commands to the ``linalg-lab`` parser."""
    p = subparsers.add_parser("lift", help="lift F2/F3 scheme files to Z_T, Z or Q (each output verified)")
    p.add_argument("files", nargs="+", metavar="FILE", help="scheme files, term files (.exp/.txt) or folders")
    p.add_argument("--to", default="Q", choices=list(TARGETS), help="target ring (default Q)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--steps", type=int, default=10, help="Hensel steps (modulus p^(steps+1); default 10)")
    p.add_argument("--attempts", type=int, default=4, help="choices of free variables to try (default 4)")
    p.add_argument("--simplify", type=int, default=0, metavar="N",
                   help="for lifts that need Z or Q: try N more choices of free variables, keep the simplest")
    p.add_argument("--by-code", action="store_true", help="write into DIR/<code>/ (catalogue layout)")
    p.add_argument("--quiet", action="store_true", help="only the JSON summary")
    p.set_defaults(func=cmd_lift)

    c = subparsers.add_parser("catalogue", help="write the index README.md of a scheme catalogue folder")
    c.add_argument("dir", metavar="DIR", help="the catalogue folder, e.g. schemes/")
    c.add_argument("--known", metavar="CSV", default=None, help="literature ranks (default: the built-in table)")
    c.add_argument("--check", action="store_true", help="exit 1 if DIR/README.md is out of date (writes nothing)")
    c.set_defaults(func=cmd_catalogue)
