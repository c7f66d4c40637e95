"""Scheme files: the JSON format of the documentation's Conventions page, with atomic writes and strict loads."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from fractions import Fraction
from math import gcd
from pathlib import Path

import numpy as np

from .. import __version__
from ..fields.rings import Ring, as_ring, parse_rational
from ..tensors.codes import CODES, tensor_code
from ..validation import check_bool, check_instance
from .scheme import Scheme

FORMAT = "linalg-lab/scheme-1"
_INT64_MAX = 2**63 - 1
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


def _row_strings(rows: tuple, quote: str = "") -> list:
    """Each row of a factor as a list of entry strings, ``'3'`` or ``'p/q'`` (in lowest terms), from its integer rows.

    ``rows`` is ``(A, d)`` (:meth:`Scheme.integer_rows`); a fraction is
    wrapped in ``quote``. Rows with denominator 1 are formatted from their
    integers directly; only the entries of the other rows are reduced.
    """
    a, den = rows
    out = []
    for r, d in enumerate(den):
        vals = a[r].tolist()
        if d == 1:
            out.append(list(map(str, vals)))
            continue
        g = np.gcd(a[r], d).tolist() if a.dtype != object and d < _INT64_MAX else [gcd(x, d) for x in vals]
        out.append([str(x // k) if k == d else f"{quote}{x // k}/{d // k}{quote}" for x, k in zip(vals, g)])
    return out


def _row_texts(rows: tuple) -> list[str]:
    """Each row of a factor as its JSON text ``[3, "p/q", 0]`` (entries in lowest terms), from its integer rows.

    The entries of :func:`_row_strings` with ``quote='"'``, joined as
    ``[x, y]``; rows with denominator 1 go through the JSON encoder whole,
    the others are reduced on the arrays.
    """
    a, den = rows
    dumps = json.dumps
    if a.dtype == object or not len(den) or max(den) == 1 or max(den) >= _INT64_MAX:
        if all(d == 1 for d in den):
            return [dumps(row) for row in a.tolist()]
        return ["[" + ", ".join(row) + "]" for row in _row_strings(rows, quote='"')]
    d = np.asarray(den, dtype=np.int64)
    out = [dumps(row) for row in a.tolist()]
    frac = np.flatnonzero(d > 1)
    g = np.gcd(a[frac], d[frac][:, None])
    p, q = (a[frac] // g).tolist(), (d[frac][:, None] // g).tolist()
    for r, pr, qr in zip(frac.tolist(), p, q):
        out[r] = "[" + ", ".join([str(x) if y == 1 else f'"{x}/{y}"' for x, y in zip(pr, qr)]) + "]"
    return out


_PIECES = (("", ", "), ("[", ", "), ("", "]\x00"), ("[", "]\x00"))    # an entry inside, first, last, alone in its row


def _int_body(a: np.ndarray, den=None) -> str | None:
    """The rows ``a[r] / den[r]`` of an int64 matrix as JSON texts joined by NUL (``[1, "1/2"]\\x00[0, -1]``).

    Built on the arrays: each entry, in lowest terms, becomes one of a few
    byte strings (its text with the bracket or separator its place in the
    row calls for), gathered with one index array. None when the entries
    take too many forms (numerators spanning 4096 or more with the
    denominators), or a dimension is 0.
    """
    if a.dtype == object or not a.size:
        return None
    if den is None or max(den) == 1:
        p, q, top = a, 0, 0
    else:
        d = np.asarray(den, dtype=np.int64)[:, None]
        g = np.gcd(a, d)
        p, q = a // g, d // g
        top = int(q.max())
    lo, hi = int(p.min()), int(p.max())
    if (hi - lo + 1) * (top + 1) > 4096:
        return None
    forms = [str(x) if y <= 1 else f'"{x}/{y}"' for x in range(lo, hi + 1) for y in range(top + 1)]
    enc = [(pre + f + post).encode() for pre, post in _PIECES for f in forms]
    lens = np.array([len(e) for e in enc], dtype=np.int64)
    offs = np.cumsum(lens) - lens
    table = np.frombuffer(b"".join(enc), dtype=np.uint8)
    place = np.zeros(a.shape[1], dtype=np.int64)
    place[0] += 1
    place[-1] += 2
    idx = ((p - lo) * (top + 1) + q + place * len(forms)).ravel()
    size = lens[idx]
    start = np.cumsum(size) - size
    src = np.repeat(offs[idx] - start, size) + np.arange(int(size.sum()), dtype=np.int64)
    return table[src].tobytes().decode("ascii")[:-1]


def _row_body(rows: tuple) -> str:
    """The JSON texts of a factor's rows (:func:`_row_texts`) joined by NUL, on the arrays where possible."""
    a, den = rows
    body = _int_body(a, den) if len(den) and max(den) < _INT64_MAX else None
    return "\x00".join(_row_texts(rows)) if body is None else body


def _texts(scheme: Scheme) -> tuple:
    """The JSON row texts of U, V and W joined by NUL (:func:`_row_body`), once for a file and its content tag."""
    return tuple(_row_body(rows) for rows in scheme.integer_rows())


def _matrix_json(a, rows: tuple | None = None, body: str | None = None) -> str:
    """A factor as the JSON rows of a scheme file (``rows``: its integer rows, ``body``: its row texts joined
    by NUL, when known)."""
    if len(a) == 0:
        return "[]"
    if body is None:
        if rows is None:
            body = "\x00".join("[" + ", ".join(_entry_json(x) for x in row) + "]" for row in a)
        else:
            body = _row_body(rows)
    return "[\n    " + body.replace("\x00", ",\n    ") + "\n  ]"


def scheme_to_json(scheme: Scheme, provenance: dict | None = None, *, _row_json: tuple | None = None) -> str:
    """The text of a scheme file (keys in the documented order, format first, provenance last)."""
    check_instance(scheme, "scheme", Scheme)
    provenance = _check_provenance(provenance)
    texts = _texts(scheme) if _row_json is None else _row_json
    prov = {"tool": f"linalg-lab {__version__}"}
    if provenance:
        prov.update(provenance)
    head = [
        f'  "format": {json.dumps(FORMAT)}',
        f'  "tensor": {json.dumps(scheme.code)}',
        f'  "n": {json.dumps(list(scheme.n))}',
        f'  "ring": {json.dumps(scheme.ring.value)}',
        f'  "rank": {scheme.rank}',
        *(f'  "{name}": {_matrix_json(a, body=t)}' for name, a, t in zip("uvw", scheme.factors, texts)),
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


def _write_temp(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to a new hidden temporary file in ``folder`` (synced to disk); its path.

    The file is created with mode 0666 filtered by the umask, as ``open`` would
    (``tempfile.mkstemp`` makes 0600 files, which other users of a shared
    catalogue could not read once renamed into place).
    """
    data = text.encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"cannot create a temporary file in {folder}")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename).

    The folder is created when missing; the file gets mode 0666 filtered by the
    umask. A failure leaves the old file (if any) as it was.
    """
    path = _check_path(path)
    check_instance(text, "text", str)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path.parent, path.name, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _create_new(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` atomically unless a file of that name exists; True if created.

    The temporary file is hard-linked to ``path``, which fails when the name is
    taken, so two processes writing into one folder never replace each other's
    files (on a file system without hard links: check, then rename).
    """
    tmp = _write_temp(path.parent, path.name, text)
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:            # no hard links here (some network and FUSE file systems)
            if os.path.lexists(path):
                return False
            os.replace(tmp, path)
        return True
    finally:
        _unlink(tmp)


def read_scheme_file(path) -> Scheme | None:
    """The scheme held by ``path`` (format checked, not verified), or None when it is not a scheme file.

    This is the test of whether a file is *ours*: only such a file is ever
    replaced by :func:`save_scheme`.
    """
    path = _check_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return scheme_from_dict(data, source=str(path))
    except (OSError, ValueError, TypeError):   # unreadable, not UTF-8, not JSON, not our format
        return None


def content_tag(scheme: Scheme) -> str:
    """A hash of the scheme's coefficients (40 hex digits); file names use a prefix of it.

    Two schemes with the same coefficients have the same tag, so a scheme
    written twice lands in one file, and different schemes of one format and
    rank get different names.
    """
    check_instance(scheme, "scheme", Scheme)
    return _digest(_texts(scheme))


def _digest(texts: tuple) -> str:
    """:func:`content_tag` from the factors' row texts (:func:`_texts`): the SHA-1 of ``repr([[str(x) for x in row] for row in a])``
    for U, V and W in turn (entries ``'3'`` or ``'p/q'``), formed from the texts by replacing separators."""
    h = hashlib.sha1()
    for body in texts:
        body = body.replace('"', "").replace(", ", "', '").replace("[", "['").replace("]", "']")
        h.update(("[" + body.replace("['']", "[]").replace("\x00", ", ") + "]").encode())
    return h.hexdigest()


def output_folder(path, name: str = "out", *, create: bool = True) -> Path:
    """Make sure ``path`` is a writable folder (created with its parents when missing) and return it.

    Called before any work starts, so that a long search never ends with
    nowhere to write. Errors name ``name`` (the argument, flag or key). With
    ``create=False`` nothing is created: a missing folder passes when its
    nearest existing parent is a writable folder.

    Raises
    ------
    TypeError
        ``path`` is not a path.
    ValueError
        ``path`` exists and is not a folder, cannot be created, or is not writable.
    """
    path = _check_path(path, name)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name}: {path} exists and is not a folder (nothing written)")
    if not create:
        parent = path
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise ValueError(f"{name}: cannot create the folder {path}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ValueError(f"{name}: cannot create or write the folder {path}: {parent} is not writable")
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{name}: cannot create the folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{name}: the folder {path} is not writable")
    return path


def _is_folder_path(path, raw: str) -> bool:
    """A folder unless it names a ``.json`` file: an existing folder, a trailing separator, or no ``.json`` suffix."""
    seps = tuple(s for s in (os.sep, os.altsep) if s)
    return path.is_dir() or raw.endswith(seps) or path.suffix.lower() != ".json"


def store_scheme(scheme: Scheme, folder, *, provenance: dict | None = None, tag: str | None = None) -> tuple[Path, bool]:
    """Verify ``scheme`` and write it into ``folder`` without replacing any file; ``(path, written)``.

    The file gets the standard name :func:`scheme_filename` (with ``tag``).
    When that name is taken, the file there is left alone: if it holds this
    very scheme (same coefficients), nothing is written and ``written`` is
    False; otherwise the name gets a prefix of :func:`content_tag` (8 hex
    digits, 16 or all 40 if those are taken too). So identical content always
    maps to one file and different content never overwrites, even for two
    processes writing into one folder at once.

    Parameters and errors as :func:`save_scheme`; ``folder`` is created when missing.
    """
    check_instance(scheme, "scheme", Scheme)
    folder = _check_path(folder)
    provenance = _check_provenance(provenance)
    scheme_filename(scheme, tag)                 # a bad tag is refused before anything is created
    _verified(scheme)
    folder = output_folder(folder, "path")
    texts = _texts(scheme)
    text = _file_text(scheme, provenance, texts)
    digest = _digest(texts)
    tags = [tag] + [f"{tag}_{digest[:k]}" if tag else digest[:k] for k in (8, 16, 40)]
    for t in tags:
        target = folder / scheme_filename(scheme, t)
        if read_scheme_file(target) == scheme:
            return target, False
        if not os.path.lexists(target) and _create_new(target, text):
            return target, True
        if read_scheme_file(target) == scheme:     # another writer got there first with the same scheme
            return target, False
    raise ValueError(f"path: every name for this {scheme.tc.label()} scheme in {folder} is taken by other files "
                     f"({scheme_filename(scheme, tags[-1])} last)")


def _verified(scheme: Scheme) -> None:
    check = scheme.verify()
    if not check:
        raise ValueError(f"scheme: expected a scheme that verifies over {scheme.ring} (nothing written), "
                         f"got one that fails: {check.describe()}")


def _file_text(scheme: Scheme, provenance: dict | None, texts: tuple | None = None) -> str:
    provenance = dict(provenance or {})
    provenance.setdefault("additions", _additions(scheme))     # Perminov's count, recorded with every file
    return scheme_to_json(scheme, provenance, _row_json=texts)


def _additions(scheme: Scheme) -> int:
    """:func:`~linalg_lab.schemes.additive_complexity`, counted on the integer rows (same zeros, no Fractions)."""
    nnz = sum(int(np.count_nonzero(a)) for a, _ in scheme.integer_rows())
    return nnz - 2 * scheme.rank - scheme.dims[2]


def save_scheme(scheme: Scheme, path, *, provenance: dict | None = None, tag: str | None = None) -> Path:
    """Verify ``scheme`` exactly, then write it atomically as a scheme file.

    Parameters
    ----------
    scheme : Scheme
    path : str or Path
        A folder, or the name of a ``.json`` file. ``path`` is a folder when it
        is an existing folder, ends in '/' or does not end in ``.json``; a
        missing folder is created. In a folder the file gets the standard name
        :func:`scheme_filename` and no file is ever replaced (see
        :func:`store_scheme`: an identical scheme already there is kept, a
        different one under that name makes this one's name carry a content
        hash). A ``.json`` file name is written as given; an existing file is
        replaced only if it is a scheme file (:func:`read_scheme_file`),
        anything else is refused.
    provenance : dict, optional
        Free-form facts (seed, flips, seconds, parent, ...); ``tool`` is added.
    tag : str, optional
        Suffix of the standard file name, to keep several schemes of one rank.

    Returns
    -------
    Path
        The file written (or, in a folder, the file that already held this scheme).

    Raises
    ------
    TypeError
        ``scheme`` is not a Scheme, ``path`` not a path, ``provenance`` not a
        dict, ``tag`` not a string.
    ValueError
        If the scheme does not verify over its ring (nothing is written),
        ``tag`` has characters other than letters, digits, '.' and '_', or
        ``path`` names something that is not ours to replace: a file that is
        not a scheme file, or a non-folder where a folder is meant.

    Examples
    --------
    >>> import tempfile
    >>> from linalg_lab.schemes import strassen_scheme
    >>> d = Path(tempfile.mkdtemp())
    >>> save_scheme(strassen_scheme("ZT"), str(d / "out") + "/").relative_to(d).as_posix()
    'out/gg-2x2x2-r7-ZT.json'
    >>> save_scheme(strassen_scheme("ZT"), d / "out").name           # the same scheme: the same file
    'gg-2x2x2-r7-ZT.json'
    """
    check_instance(scheme, "scheme", Scheme)
    raw = os.fspath(check_instance(path, "path", _PATH, _PATH_TEXT))    # before Path() drops a trailing '/'
    path = Path(path)
    provenance = _check_provenance(provenance)
    if _is_folder_path(path, raw):
        return store_scheme(scheme, path, provenance=provenance, tag=tag)[0]
    scheme_filename(scheme, tag)
    _verified(scheme)
    if os.path.lexists(path) and read_scheme_file(path) is None:
        raise ValueError(f"path: {path} exists and is not a linalg-lab scheme file; it is not replaced "
                         f"(nothing written)")
    return atomic_write_text(path, _file_text(scheme, provenance))


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
        if ring is Ring.Q:     # ints stay ints (checked above); only "p/q" strings become Fractions
            mats.append(np.array([[x if type(x) is int else parse_rational(x) for x in row] for row in rows],
                                 dtype=object).reshape(rank, cols))
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
