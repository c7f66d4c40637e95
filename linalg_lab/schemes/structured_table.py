"""The structured-product table: every entry of the literature against the catalogue.

The literature table (:mod:`linalg_lab.schemes.known_ranks`) holds, besides
the general products ``gg``, the structured products of Khoruzhii, Gelss &
Pokutta [1]_ (codes ``gt``, ``kg``, ``ss``, ``ug``, ... at sizes 2 to 5) with
their best ranks over Z and over Q. :func:`structured_entries` lists those
entries; :func:`structured_table_markdown` writes the section of the catalogue
index (``schemes/README.md``, :func:`~linalg_lab.schemes.catalogue.catalogue_index`)
that sets our best rank over Z and over Q against the paper's for every entry,
with the time it took and the file. The time is the ``seconds`` of the file's
provenance, plus those of its parent when the parent is a file next to it (a
lift of a searched scheme); a table campaign
(:func:`linalg_lab.flipgraph.table_campaign.run_table`) writes the whole time
of the entry there: search, lifts and every retry.

References
----------
.. [1] K. Khoruzhii, P. Gelss and S. Pokutta, "Faster algorithms for structured
   matrix multiplication via flip graph search", 2025.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..tensors.codes import CODES
from .known_ranks import known_ranks

__all__ = ["StructuredEntry", "file_seconds", "structured_entries", "structured_table_markdown"]

#: The rings of the structured table's columns, and which file rings hold a scheme over each.
COLUMN_RINGS = {"Z": ("ZT", "Z"), "Q": ("ZT", "Z", "Q")}
_NARROW = {"ZT": 0, "Z": 1, "Q": 2}


@dataclass(frozen=True)
class StructuredEntry:
    """One entry of the structured table: a code and size with the paper's ranks over Z and over Q.

    Attributes
    ----------
    code : str
    n : tuple of int
    z, q : int or None
        The best published ranks over Z and over Q (``q < z`` where the scheme needs 1/2).
    notes : str
    """

    code: str
    n: tuple
    z: int | None
    q: int | None
    notes: str = ""

    @property
    def label(self) -> str:
        """``"kg 3x3x3"``."""
        return f"{self.code} {'x'.join(map(str, self.n))}"

    def target(self, column: str) -> int | None:
        """The paper's rank in ``column`` (``"Z"`` or ``"Q"``)."""
        return {"Z": self.z, "Q": self.q}[column]


def structured_entries(known=None) -> list[StructuredEntry]:
    """The entries of the literature table other than ``gg``, in the order of the tensor codes, then size.

    Parameters
    ----------
    known : str or Path, optional
        A literature CSV to read instead of the built-in table.

    Examples
    --------
    >>> es = structured_entries()
    >>> len(es), es[0].label, (es[0].z, es[0].q)
    (67, 'ug 3x3x3', (17, 17))
    >>> [(e.z, e.q) for e in es if e.label == "kg 3x3x3"]
    [(15, 14)]
    """
    table = known_ranks(known)
    out = [StructuredEntry(code, tuple(n), row.get("Z"), row.get("Q"), row.get("notes") or "")
           for (code, n), row in table.items() if code != "gg" and (row.get("Z") is not None or row.get("Q") is not None)]
    return sorted(out, key=lambda e: (CODES.index(e.code) if e.code in CODES else len(CODES), e.code, e.n))


def _provenance(path: Path) -> dict:
    try:
        prov = json.loads(path.read_text(encoding="utf-8")).get("provenance")
    except (OSError, ValueError, AttributeError):
        return {}
    return prov if isinstance(prov, dict) else {}


def _seconds(prov: dict) -> float | None:
    x = prov.get("seconds")
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 else None


def file_seconds(path) -> float | None:
    """The time a catalogue file took, from its provenance: its ``seconds``, plus its parent's when the parent is a
    file in the same folder (a lift of a searched scheme). None when the file, or that parent, records no time.

    Examples
    --------
    >>> import tempfile
    >>> from linalg_lab.schemes import save_scheme, strassen_scheme
    >>> d = Path(tempfile.mkdtemp())
    >>> a = save_scheme(strassen_scheme("F2"), d, provenance={"seconds": 2.5})
    >>> b = save_scheme(strassen_scheme("ZT"), d, provenance={"seconds": 0.5, "parent": a.name})
    >>> file_seconds(b), file_seconds(d / "missing.json")
    (3.0, None)
    """
    path = Path(path)
    prov = _provenance(path)
    own = _seconds(prov)
    parent = prov.get("parent")
    if isinstance(parent, str) and parent.endswith(".json") and "/" not in parent and parent != path.name:
        up_path = path.parent / parent
        if up_path.is_file():                 # the search behind a lift: its time counts, unknown if unrecorded
            up = _seconds(_provenance(up_path))
            own = None if up is None else up + (own or 0.0)
    return own


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 600 else f"{seconds / 60:.1f} min"


def _best_files(entries) -> dict:
    """``{(code, n, column): (rank, path)}``: the lowest-rank file holding a scheme over each column's ring
    (among equal ranks the narrowest ring, then the path)."""
    best: dict = {}
    for e in entries:
        for column in COLUMN_RINGS:
            if column not in e.holds or e.ring not in _NARROW:
                continue
            key = (e.code, tuple(e.n), column)
            cand = (e.rank, _NARROW[e.ring], e.path)
            if key not in best or cand < best[key]:
                best[key] = cand
    return {k: (v[0], v[2]) for k, v in best.items()}


def structured_table_markdown(root, entries=None, known=None) -> str:
    """The section *The structured table* of the catalogue index, as Markdown.

    One row per entry of :func:`structured_entries`: the paper's rank over Z
    and over Q, ours (the lowest rank of a file valid over that ring: a Z_T or
    Z file counts over Z and Q, a Q file over Q), the time each took
    (:func:`file_seconds`) and the files. A ``*`` marks ours equal to the
    paper's (or below it).

    Parameters
    ----------
    root : str or Path
        The catalogue folder (file links are relative to it).
    entries : list of CatalogueEntry, optional
        Its files (:func:`~linalg_lab.schemes.catalogue.scan_catalogue`; scanned when not given).
    known : str or Path, optional
        A literature CSV instead of the built-in table.

    Returns
    -------
    str
        Empty when the literature table has no structured entry; deterministic otherwise.

    Examples
    --------
    >>> import tempfile
    >>> from linalg_lab.schemes import naive_scheme, save_scheme
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = save_scheme(naive_scheme("kk", (2, 2, 2), "ZT"), d / "kk" / "kk-2x2x2-r1-ZT.json")
    >>> text = structured_table_markdown(d)
    >>> "| kk 2x2x2 | 1 | 1 | 1* | 1* |" in text, "1 of 67 entries reached over Z" in text
    (True, True)
    """
    from .catalogue import scan_catalogue

    root = Path(root)
    table = structured_entries(known)
    if not table:
        return ""
    if entries is None:
        entries = scan_catalogue(root)
    best = _best_files(entries)
    reached = {"Z": 0, "Q": 0}
    rows = []
    for t in table:
        cells, times, files = [], [], []
        for column in ("Z", "Q"):
            target = t.target(column)
            held = best.get((t.code, t.n, column))
            if held is None:
                cells.append("-")
                times.append("-")
                continue
            rank, path = held
            ok = target is not None and rank <= target
            reached[column] += ok
            cells.append(f"{rank}{'*' if ok else ''}")
            times.append(_time(file_seconds(root / path)))
            link = f"[{Path(path).name}]({path})"
            if link not in files:
                files.append(link)
        paper = ["-" if x is None else str(x) for x in (t.z, t.q)]
        rows.append(f"| {t.label} | " + " | ".join(paper + cells + times) + f" | {', '.join(files) or '-'} |")
    n = len(table)
    lines = [
        "## The structured table",
        "",
        "Every structured product of Khoruzhii, Gelss & Pokutta (2025) in the literature table: the paper's best "
        "rank over Z and over Q, ours (the lowest rank of a file here that is a scheme over that ring: a Z_T or Z "
        "file counts over Z and Q), the time it took (the file's provenance: a table campaign's entry records its "
        "whole time, search, lifts and retries; a lift adds the search of its parent file) and the files. "
        "A `*` marks ours at the paper's rank. Filled by `linalg-lab table search/structured.toml` "
        "(F2 walks lifted to Z for the Z column, F3 walks lifted to Q where Q is lower).",
        "",
        f"{reached['Z']} of {n} entries reached over Z, {reached['Q']} of {n} over Q.",
        "",
        "| entry | paper Z | paper Q | ours Z | ours Q | time Z | time Q | files |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    return "\n".join(lines)
