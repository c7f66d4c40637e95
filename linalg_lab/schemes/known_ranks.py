"""Best known ranks of matrix multiplication schemes from the literature, per ring.

The table is kept as CSV text inside this module (so that it ships with the
package without package-data configuration); it is a verbatim copy of the
project's shared ``known_ranks.csv`` (the test suite compares the two).
Comment lines (``#``) give the sources. Columns:
``code,n1,n2,n3,F2,ZT,Z,Q,notes``; an empty rank means no figure is recorded
for that ring. The notes are free text and may contain commas: everything
after the eighth comma of a line is the note.

The general products ``gg`` are listed for ``n1 <= n2 <= n3`` only: the rank
of a format is the rank of each of its six orderings
(:func:`linalg_lab.schemes.transforms.permute`), and :func:`known_rank`
looks the sorted format up.

Examples
--------
>>> from linalg_lab.schemes.known_ranks import known_ranks
>>> known_ranks()[("gg", (3, 3, 3))]["ZT"]
23
>>> row = known_ranks()[("ss", (2, 2, 2))]
>>> row["Z"], row["Q"]
(6, 5)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

__all__ = ["COLUMNS", "KNOWN_RANKS_CSV", "RINGS", "known_rank", "known_rank_sources", "known_ranks", "parse_known_ranks"]

#: Literature table (a verbatim copy of the project's shared known_ranks.csv, source lines included).
KNOWN_RANKS_CSV = """\
# Best known ranks of matrix multiplication schemes, by tensor code and size, per ring (facts from the literature, as of mid/late 2026).
# Columns: code,n1,n2,n3,F2,ZT,Z,Q,notes (blank: not tabulated). A Z_T scheme is also a Z and a Q scheme; a Z scheme also reduces to F2.
# gg sources: Sedoglavic's FMM catalogue as tabulated in dronperminov/FastMatrixMultiplication (status of July 2026, Z_T column included);
#   F2 records: AlphaTensor (4x4x4 47), Kauers-Moosbauer (4x4x5 60), Arai-Ichikawa-Hukushima (4x5x5 73), Kauers-Wood (4x5x6 89, 3x8x8 145), Perminov (4x4x8 94, 7x7x7 248, ...);
#   5x5x5 93 and 6x6x6 153: Moosbauer-Poole (flip graphs with symmetry); recent Z_T records (4x7x8 161, 4x8x8 180, 6x7x7 212): Perminov's ternary flip graphs.
# Structured products (codes other than gg): the best ranks over Z and over Q among the published scheme files of Khoruzhii, Gelss & Pokutta (2025),
#   'Faster algorithms for structured matrix multiplication via flip graph search'; a Q rank below the Z rank needs 1/2 (found over F3).
code,n1,n2,n3,F2,ZT,Z,Q,notes
gg,2,2,2,7,7,7,7,Strassen
gg,2,2,3,11,11,11,11,
gg,2,2,4,14,14,14,14,
gg,2,2,5,18,18,18,18,
gg,2,2,6,21,21,21,21,
gg,2,3,3,15,15,15,15,
gg,2,3,4,20,20,20,20,
gg,2,3,5,25,25,25,25,
gg,2,3,6,30,30,30,30,
gg,2,4,4,26,26,26,26,
gg,2,4,5,33,33,33,32,Q rank 32 needs 1/2 (AlphaEvolve)
gg,2,4,6,39,39,39,39,
gg,2,5,5,40,40,40,40,
gg,2,5,6,47,47,47,47,
gg,2,6,6,56,56,56,56,
gg,3,3,3,23,23,23,23,Laderman
gg,3,3,4,29,29,29,29,
gg,3,3,5,36,36,36,36,
gg,3,3,6,42,42,42,40,Q 40 (Smirnov)
gg,3,4,4,38,38,38,38,
gg,3,4,5,47,47,47,47,
gg,3,4,6,54,54,54,54,ZT 54 (Perminov 2026)
gg,3,5,5,58,58,58,58,
gg,3,5,6,68,68,68,68,
gg,3,6,6,83,83,83,80,Q 80 only (catalogue); ZT 83 (Perminov)
gg,4,4,4,47,49,49,48,F2 47 (AlphaTensor); Q 48 rational (Dumas-Pernet-Sedoglavic from AlphaEvolve's complex 48)
gg,4,4,5,60,61,61,61,F2 60 (Kauers-Moosbauer) has no known lift; 61 over Z (AlphaEvolve, ternary)
gg,4,4,6,73,73,73,73,
gg,4,5,5,73,76,76,76,F2 73 (Arai et al.)
gg,4,5,6,89,90,90,90,F2 89 (Kauers-Wood; Perminov)
gg,4,6,6,105,105,105,105,
gg,5,5,5,93,93,93,93,Moosbauer-Poole (symmetric flips)
gg,5,5,6,110,110,110,110,
gg,5,6,6,130,130,130,130,
gg,6,6,6,153,153,153,153,Moosbauer-Poole
gg,2,2,7,25,25,25,25,
gg,2,2,8,28,28,28,28,
gg,2,3,7,35,35,35,35,
gg,2,3,8,40,40,40,40,
gg,2,4,7,45,45,45,45,
gg,2,4,8,51,51,51,51,
gg,2,5,7,55,55,55,55,
gg,2,5,8,63,63,63,63,
gg,2,6,7,66,66,66,66,
gg,2,6,8,75,75,75,75,
gg,2,7,7,76,76,76,76,
gg,2,7,8,88,88,88,88,
gg,2,8,8,100,100,100,100,
gg,3,3,7,49,49,49,49,
gg,3,3,8,55,56,56,55,Q 55 (catalogue); F2 55 (Perminov 2026)
gg,3,4,7,64,64,64,63,Q 63 (AlphaEvolve, rational copy in the catalogue)
gg,3,4,8,73,73,73,73,
gg,3,5,7,79,79,79,79,
gg,3,5,8,90,90,90,90,
gg,3,6,7,96,96,96,94,Q 94 only (catalogue)
gg,3,6,8,108,108,108,108,
gg,3,7,7,111,111,111,111,
gg,3,7,8,128,128,128,126,Q 126 only (catalogue)
gg,3,8,8,145,146,146,145,F2 145 (Kauers-Wood)
gg,4,4,7,85,85,85,85,
gg,4,4,8,94,96,96,96,F2 94 (Perminov)
gg,4,5,7,104,104,104,104,
gg,4,5,8,118,118,118,118,
gg,4,6,7,123,123,123,123,
gg,4,6,8,140,140,140,140,
gg,4,7,7,144,144,144,144,
gg,4,7,8,161,161,161,161,ZT 161 (Perminov, May 2026)
gg,4,8,8,180,180,180,180,ZT 180 (Perminov, May 2026)
gg,5,5,7,127,127,127,127,
gg,5,5,8,144,144,144,144,
gg,5,6,7,150,150,150,150,
gg,5,6,8,170,170,170,170,
gg,5,7,7,176,176,176,176,
gg,5,7,8,204,204,204,204,ZT 204 (Perminov)
gg,5,8,8,230,230,230,230,
gg,6,6,7,183,183,183,183,
gg,6,6,8,203,203,203,203,
gg,6,7,7,212,212,212,212,ZT 212 (Perminov)
gg,6,7,8,238,238,238,238,ZT 238 (Perminov)
gg,6,8,8,266,266,266,266,
gg,7,7,7,248,250,250,249,F2 248 (Perminov); Z 250 (Sedoglavic)
gg,7,7,8,273,278,278,277,F2 273 (Perminov)
gg,7,8,8,302,310,310,306,F2 302 (Perminov)
gg,8,8,8,329,343,343,336,F2 329 = 7*47; Q 336 = 7*48; Z 343 = 7^3
gt,3,3,3,,,17,17,
gt,4,4,4,,,34,34,
gt,5,5,5,,,63,63,
kg,3,3,3,,,15,14,needs fractions over Q (found over F3)
kg,4,4,4,,,36,36,
kg,5,5,5,,,70,70,
kk,2,2,2,,,1,1,
kk,3,3,3,,,9,9,
kk,4,4,4,,,22,20,needs fractions over Q (found over F3)
kk,5,5,5,,,48,48,
kt,2,2,2,,,1,1,
kt,3,3,3,,,6,6,
kt,4,4,4,,,15,15,
kt,5,5,5,,,30,30,
sg,2,2,2,,,6,6,
sg,3,3,3,,,18,18,
sg,4,4,4,,,40,40,
sg,5,5,5,,,75,75,
sk,2,2,2,,,3,3,
sk,3,3,3,,,11,11,
sk,4,4,4,,,26,24,needs fractions over Q (found over F3)
sk,5,5,5,,,50,50,
ss,2,2,2,,,6,5,needs fractions over Q (found over F3)
ss,3,3,3,,,15,14,needs fractions over Q (found over F3)
ss,4,4,4,,,32,30,needs fractions over Q (found over F3)
ss,5,5,5,,,59,59,
st,2,2,2,,,4,4,
st,3,3,3,,,11,10,needs fractions over Q (found over F3)
st,4,4,4,,,22,20,needs fractions over Q (found over F3)
st,5,5,5,,,39,35,needs fractions over Q (found over F3)
sw,2,2,2,,,6,5,needs fractions over Q (found over F3)
sw,3,3,3,,,15,14,needs fractions over Q (found over F3)
sw,4,4,4,,,35,31,needs fractions over Q (found over F3)
sw,5,5,5,,,64,64,
ug,3,3,3,,,17,17,
ug,4,4,4,,,34,34,
ug,5,5,5,,,63,63,
uk,3,3,3,,,11,10,needs fractions over Q (found over F3)
uk,4,4,4,,,24,24,
uk,5,5,5,,,45,45,
ul,3,3,3,,,13,13,
ul,4,4,4,,,27,27,
ul,5,5,5,,,47,47,
us,2,2,2,,,5,5,
us,3,3,3,,,14,14,
us,4,4,4,,,29,28,needs fractions over Q (found over F3)
us,5,5,5,,,52,52,
ut,4,4,4,,,19,19,
ut,5,5,5,,,32,32,
uu,4,4,4,,,19,19,
uu,5,5,5,,,32,32,
uw,2,2,2,,,5,5,
uw,3,3,3,,,14,14,
uw,4,4,4,,,29,29,
uw,5,5,5,,,54,54,
wg,2,2,2,,,6,6,
wg,3,3,3,,,18,18,
wg,4,4,4,,,40,40,
wg,5,5,5,,,75,75,
wt,2,2,2,,,4,4,
wt,3,3,3,,,11,11,
wt,4,4,4,,,22,22,
wt,5,5,5,,,44,40,needs fractions over Q (found over F3)
ww,2,2,2,,,6,5,needs fractions over Q (found over F3)
ww,3,3,3,,,15,15,
ww,4,4,4,,,35,33,needs fractions over Q (found over F3)
ww,5,5,5,,,68,68,
"""

#: Rings with a column in the table, in column order.
RINGS = ("F2", "ZT", "Z", "Q")
#: The header of the table.
COLUMNS = ("code", "n1", "n2", "n3", *RINGS, "notes")


def parse_known_ranks(text: str) -> tuple[dict, list[str]]:
    """Parse the CSV text: ``({(code, (n1, n2, n3)): {"F2": r, "ZT": r, "Z": r, "Q": r, "notes": s}}, source lines)``.

    Raises
    ------
    ValueError
        If the header is not :data:`COLUMNS`, a line has too few fields, a
        size or rank is not an integer, or a format appears twice.

    Examples
    --------
    >>> table, sources = parse_known_ranks(
    ...     "# a source\\ncode,n1,n2,n3,F2,ZT,Z,Q,notes\\ngg,4,4,5,60,61,61,61,F2 60; 61 over Z (AlphaEvolve, ternary)\\n")
    >>> table[("gg", (4, 4, 5))]["Z"], table[("gg", (4, 4, 5))]["notes"], sources
    (61, 'F2 60; 61 over Z (AlphaEvolve, ternary)', ['a source'])
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    lines = text.splitlines()
    sources = [line.lstrip("#").strip() for line in lines if line.startswith("#")]
    body = [(no, line) for no, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")]
    if not body:
        raise ValueError("text: no header line")
    header = [c.strip() for c in next(csv.reader([body[0][1]]))]
    if tuple(header) != COLUMNS:
        raise ValueError(f"text: expected the columns {','.join(COLUMNS)}, got {','.join(header)}")
    fixed = len(COLUMNS) - 1
    table: dict = {}
    for no, line in body[1:]:
        fields = next(csv.reader(io.StringIO(line)))
        if len(fields) < fixed:
            raise ValueError(f"text: line {no} has {len(fields)} fields, expected at least {fixed}: {line!r}")
        try:
            n = tuple(int(fields[k]) for k in (1, 2, 3))
            entry = {r: (int(x) if x.strip() else None) for r, x in zip(RINGS, fields[4:fixed])}
        except ValueError:
            raise ValueError(f"text: line {no}: a size or rank is not an integer: {line!r}") from None
        # an unquoted note may hold commas: the fields after the last rank column are one note
        entry["notes"] = ",".join(fields[fixed:]).strip()
        key = (fields[0].strip(), n)
        if key in table:
            raise ValueError(f"text: line {no}: {key[0]} {'x'.join(map(str, n))} appears twice")
        table[key] = entry
    return table, sources


def _text(path) -> str:
    return KNOWN_RANKS_CSV if path is None else Path(path).read_text(encoding="utf-8")


def known_ranks(path=None) -> dict:
    """The literature table as a dict keyed by ``(code, (n1, n2, n3))``.

    Parameters
    ----------
    path : str or Path, optional
        A CSV file in the same format to read instead of the built-in table.

    Examples
    --------
    >>> known_ranks()[("ss", (2, 2, 2))]["Q"]
    5
    """
    return parse_known_ranks(_text(path))[0]


def known_rank(code: str, sizes, ring: str, table: dict | None = None) -> int | None:
    """The best known rank of ``code`` at ``sizes`` over ``ring`` (None when not tabulated).

    For ``gg`` every ordering of the sizes gives the same figure.

    Parameters
    ----------
    code : str
    sizes : sequence of int
    ring : {"F2", "ZT", "Z", "Q"}
    table : dict, optional
        A table from :func:`known_ranks` (default: the built-in one).

    Examples
    --------
    >>> known_rank("gg", (5, 4, 4), "F2"), known_rank("ss", (2, 2, 2), "Z"), known_rank("ss", (9, 9, 9), "Q")
    (60, 6, None)
    """
    if ring not in RINGS:
        raise ValueError(f"ring: expected one of {', '.join(RINGS)}, got {ring!r}")
    table = known_ranks() if table is None else table
    n = tuple(int(x) for x in sizes)
    row = table.get((code, tuple(sorted(n)) if code == "gg" else n))
    return None if row is None else row.get(ring)


def known_rank_sources(path=None) -> list[str]:
    """The source lines (comments) of the table.

    Examples
    --------
    >>> "Moosbauer" in " ".join(known_rank_sources())
    True
    """
    return parse_known_ranks(_text(path))[1]
