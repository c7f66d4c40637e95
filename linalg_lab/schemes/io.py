"""Scheme files: the JSON format of DESIGN.md section 4, with atomic writes and strict loads."""

from __future__ import annotations

import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from .. import __version__
from ..fields.rings import Ring, as_ring, parse_rational
from ..tensors.codes import CODES, tensor_code
from ..validation import check_bool, check_instance
from .cost import additive_complexity
from .scheme import Scheme

FORMAT = "linalg-lab/scheme-1"
_KEYS = ("format", "tensor", "n", "ring", "rank", "u", "v", "w", "provenance")


_PATH = (str, os.PathLike)
_PATH_TEXT = "a path (str or pathlib.Path)"


class SchemeFileError(ValueError):
    """A scheme file that does not follow the format; the message names file, field and row."""


def _check_path(path, name: str = "path") -> Path:
    return Path(check_instance(path, name, _PATH, _PATH_TEXT))


def _check_provenance(provenance) -> dict | None:
    return None if provenance is None else check_instance(provenance, "provenance", dict)


def scheme_files(paths) -> list[Path]:
    """Expand files and folders (searched recursively for ``*.json``, hidden files skipped) into a file list.

    ``paths`` is one path or a sequence of paths (str or Path).
    """
    if isinstance(paths, _PATH):
        paths = [paths]
    try:
        paths = list(paths)
    except TypeError:
        raise TypeError(f"paths: expected a path or a sequence of paths, got {type(paths).__name__}") from None
    files = []
    for p in (_check_path(q, "paths") for q in paths):
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.json") if not q.name.startswith(".")))
        else:
            files.append(p)
    return files


def scheme_filename(scheme: Scheme, tag: str | None = None) -> str:
    """``<code>-<n1>x<n2>x<n3>-r<rank>-<ring>[-<tag>].json``."""
    check_instance(scheme, "scheme", Scheme)
    base = f"{scheme.code}-{'x'.join(map(str, scheme.n))}-r{scheme.rank}-{scheme.ring.value}"
    if tag is not None:
        check_instance(tag, "tag", str)
    if tag:
        if not all(c.isalnum() or c in "._" for c in tag):
            raise ValueError(f"tag: expected letters, digits, '.' and '_' only, got {tag!r}")
        base += f"-{tag}"
    return base + ".json"


def _entry_json(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f'"{x.numerator}/{x.denominator}"'
    return str(int(x))


def _matrix_json(a: np.ndarray) -> str:
    if len(a) == 0:
        return "[]"
    rows = ["    [" + ", ".join(_entry_json(x) for x in row) + "]" for row in a]
    return "[\n" + ",\n".join(rows) + "\n  ]"


def scheme_to_json(scheme: Scheme, provenance: dict | None = None) -> str:
    """The text of a scheme file (keys in the order of DESIGN.md section 4)."""
    check_instance(scheme, "scheme", Scheme)
    provenance = _check_provenance(provenance)
    prov = {"tool": f"linalg-lab {__version__}"}
    if provenance:
        prov.update(provenance)
    head = [
        f'  "format": {json.dumps(FORMAT)}',
        f'  "tensor": {json.dumps(scheme.code)}',
        f'  "n": {json.dumps(list(scheme.n))}',
        f'  "ring": {json.dumps(scheme.ring.value)}',
        f'  "rank": {scheme.rank}',
        f'  "u": {_matrix_json(scheme.u)}',
        f'  "v": {_matrix_json(scheme.v)}',
        f'  "w": {_matrix_json(scheme.w)}',
        f'  "provenance": {json.dumps(prov, default=_json_default)}',
    ]
    return "{\n" + ",\n".join(head) + "\n}\n"


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, (Path, Fraction)):
        return str(o)
    raise TypeError(f"provenance: expected JSON-serialisable values, got {type(o).__name__} {o!r}")


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = _check_path(path)
    check_instance(text, "text", str)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def save_scheme(scheme: Scheme, path, *, provenance: dict | None = None, tag: str | None = None) -> Path:
    """Verify ``scheme`` exactly, then write it atomically as a scheme file.

    Parameters
    ----------
    scheme : Scheme
    path : str or Path
        A file name, or an existing folder (or one ending in '/') in which the
        standard name :func:`scheme_filename` is used.
    provenance : dict, optional
        Free-form facts (seed, flips, seconds, parent, ...); ``tool`` is added.
    tag : str, optional
        Suffix of the standard file name, to keep several schemes of one rank.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    TypeError
        ``scheme`` is not a Scheme, ``path`` not a path, ``provenance`` not a
        dict, ``tag`` not a string.
    ValueError
        If the scheme does not verify over its ring (nothing is written), or
        ``tag`` has characters other than letters, digits, '.' and '_'.
    """
    check_instance(scheme, "scheme", Scheme)
    path = _check_path(path)
    provenance = _check_provenance(provenance)
    check = scheme.verify()
    if not check:
        raise ValueError(f"scheme: expected a scheme that verifies over {scheme.ring} (nothing written), "
                         f"got one that fails: {check.describe()}")
    if path.is_dir() or str(path).endswith(os.sep):
        path = path / scheme_filename(scheme, tag)
    provenance = dict(provenance or {})
    provenance.setdefault("additions", additive_complexity(scheme))     # Perminov's count, recorded with every file
    return atomic_write_text(path, scheme_to_json(scheme, provenance))


def load_scheme(path, *, verify: bool = True) -> Scheme:
    """Load a scheme file, checking every field; optionally verify it exactly.

    Raises
    ------
    TypeError
        ``path`` is not a path or ``verify`` not a bool.
    SchemeFileError
        Naming the file, the field and the row that break the format, or the
        failing Brent equations when ``verify`` is true.
    """
    path = _check_path(path)
    verify = check_bool(verify, "verify")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemeFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SchemeFileError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemeFileError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    scheme = scheme_from_dict(data, source=str(path))
    if verify:
        check = scheme.verify()
        if not check:
            raise SchemeFileError(f"{path}: does not verify over {scheme.ring}: {check.describe()}")
    return scheme


def scheme_from_dict(data, source: str = "<dict>") -> Scheme:
    """Build a :class:`Scheme` from the parsed JSON object of a scheme file, checking every rule.

    A ``data`` that breaks the format raises :class:`SchemeFileError` (a
    ``ValueError``) naming ``source``, the field and the row.
    """
    check_instance(source, "source", str)

    def fail(msg):
        raise SchemeFileError(f"{source}: {msg}")

    if not isinstance(data, dict):
        fail(f"expected a JSON object, got {type(data).__name__}")
    for key in _KEYS:
        if key not in data:
            fail(f"field '{key}' is missing")
    extra = sorted(set(data) - set(_KEYS))
    if extra:
        fail(f"unknown field(s) {', '.join(repr(e) for e in extra)}")
    if data["format"] != FORMAT:
        fail(f"field 'format': expected {FORMAT!r}, got {data['format']!r}")
    code = data["tensor"]
    if code not in CODES:
        fail(f"field 'tensor': unknown tensor code {code!r}")
    n = data["n"]
    if not (isinstance(n, list) and len(n) == 3 and all(isinstance(x, int) and not isinstance(x, bool) for x in n)):
        fail(f"field 'n': expected a list of three integers, got {n!r}")
    try:
        tc = tensor_code(code, n)
    except ValueError as exc:
        fail(f"field 'n': {exc}")
    try:
        ring = as_ring(data["ring"]) if isinstance(data["ring"], str) and data["ring"] in [r.value for r in Ring] else None
    except ValueError:
        ring = None
    if ring is None:
        fail(f"field 'ring': expected one of F2, F3, ZT, Z, Q, got {data['ring']!r}")
    rank = data["rank"]
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 0:
        fail(f"field 'rank': expected a non-negative integer, got {rank!r}")
    if not isinstance(data["provenance"], dict):
        fail(f"field 'provenance': expected a JSON object, got {type(data['provenance']).__name__}")
    mats = []
    for key, cols in zip("uvw", tc.dims):
        rows = data[key]
        if not isinstance(rows, list):
            fail(f"field '{key}': expected a list of rows, got {type(rows).__name__}")
        if len(rows) != rank:
            fail(f"field '{key}': has {len(rows)} rows but 'rank' is {rank}")
        for r, row in enumerate(rows):
            if not isinstance(row, list):
                fail(f"field '{key}', row {r}: expected a list, got {type(row).__name__}")
            if len(row) != cols:
                fail(f"field '{key}', row {r}: expected {cols} entries for {tc.label()}, got {len(row)}")
            for c, x in enumerate(row):
                msg = _entry_error(x, ring)
                if msg:
                    fail(f"field '{key}', row {r}, column {c}: {msg}")
        if ring is Ring.Q:
            mats.append(np.array([[parse_rational(x) for x in row] for row in rows], dtype=object).reshape(rank, cols))
        else:
            mats.append(np.array(rows, dtype=object).reshape(rank, cols))
    return Scheme(code, tuple(n), ring, *mats)


def _entry_error(x, ring: Ring) -> str | None:
    is_int = isinstance(x, int) and not isinstance(x, bool)
    allowed = ring.entries
    if allowed is not None:
        if not is_int or x not in allowed:
            return f"entry {x!r} is not allowed over {ring} (expected one of {', '.join(map(str, allowed))})"
        return None
    if ring is Ring.Z:
        return None if is_int else f"entry {x!r} is not an integer"
    if is_int:
        return None
    if isinstance(x, str):
        parts = x.split("/")
        if len(parts) == 2 and all(p.lstrip("-").isdigit() for p in parts) and not parts[1].startswith("-"):
            p, q = int(parts[0]), int(parts[1])
            f = Fraction(p, q) if q else None
            if f is not None and q > 1 and f.denominator == q:
                return None
            return f"entry {x!r} is not a fraction 'p/q' in lowest terms with q > 1"
    return f"entry {x!r} is not an integer or a string 'p/q'"
