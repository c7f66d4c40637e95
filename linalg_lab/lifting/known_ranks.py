"""Best known ranks of matrix multiplication schemes from the literature, per ring.

The table is kept as CSV text inside this module (so that it ships with the
package without package-data configuration); comment lines (``#``) give the
sources. Columns: ``code,n1,n2,n3,F2,ZT,Z,Q,notes``; an empty rank means no
figure is recorded for that ring.

Examples
--------
>>> from linalg_lab.lifting.known_ranks import known_ranks
>>> known_ranks()[("gg", (3, 3, 3))]["ZT"]
23
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

#: Literature table (copied from the project's shared known_ranks.csv with its source lines).
KNOWN_RANKS_CSV = """\
# Best known ranks of matrix multiplication schemes, by tensor code and size, per ring (facts from the literature, late 2026).
# Columns: code,n1,n2,n3,F2,ZT,Z,Q,notes. Sources: the FMM catalogue (Sedoglavic) as tabulated in dronperminov/FastMatrixMultiplication;
# F2 records: AlphaTensor (4x4x4: 47), Kauers & Moosbauer (4x4x5: 60), Arai, Ichikawa & Hukushima (4x5x5: 73), Perminov (4x5x6: 89);
# 5x5x5 and 6x6x6: Moosbauer & Poole (flip graphs with symmetry); structured products: Khoruzhii, Gelss & Pokutta (2025).
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
gg,3,4,6,54,54,54,54,
gg,3,5,5,58,58,58,58,
gg,3,5,6,68,68,68,68,
gg,3,6,6,83,83,83,80,
gg,4,4,4,47,49,49,48,F2 47 (AlphaTensor); Q 48 rational (Dumas-Pernet-Sedoglavic from AlphaEvolve's complex 48)
gg,4,4,5,60,61,61,61,F2 60 (Kauers-Moosbauer) has no known lift
gg,4,4,6,73,73,73,73,
gg,4,5,5,73,76,76,76,F2 73 (Arai et al.)
gg,4,5,6,89,90,90,90,F2 89 (Perminov)
gg,4,6,6,105,105,105,105,
gg,5,5,5,93,93,93,93,Moosbauer-Poole (symmetric flips)
gg,5,5,6,110,110,110,110,
gg,5,6,6,130,130,130,130,
gg,6,6,6,153,153,153,153,Moosbauer-Poole
gt,4,4,4,,,34,34,X X^T with 10 recursive X X^T calls (Khoruzhii et al.)
ug,4,4,4,,,34,34,upper-triangular x general with 12 recursive calls (Khoruzhii et al.)
ss,2,2,2,,,,5,symmetric x symmetric; needs 1/2 (found over F3)
kg,3,3,3,,,,14,skew x general; needs 1/2 (found over F3); AlphaTensor had 15
"""

RINGS = ("F2", "ZT", "Z", "Q")


def parse_known_ranks(text: str) -> tuple[dict, list[str]]:
    """Parse the CSV text: ``({(code, (n1, n2, n3)): {"F2": r, "ZT": r, "Z": r, "Q": r, "notes": s}}, source lines)``.

    Raises
    ------
    ValueError
        If a line does not have the expected columns or a rank is not an integer.

    Examples
    --------
    >>> table, sources = parse_known_ranks("# a source\\ncode,n1,n2,n3,F2,ZT,Z,Q,notes\\ngg,2,2,2,7,7,7,7,Strassen\\n")
    >>> table[("gg", (2, 2, 2))]["Z"], sources
    (7, ['a source'])
    """
    sources = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(io.StringIO(body))
    need = {"code", "n1", "n2", "n3", *RINGS}
    if reader.fieldnames is None or not need <= set(reader.fieldnames):
        raise ValueError(f"text: expected the columns code,n1,n2,n3,F2,ZT,Z,Q,notes, got {reader.fieldnames}")
    table = {}
    for line_no, row in enumerate(reader, start=2):
        try:
            n = (int(row["n1"]), int(row["n2"]), int(row["n3"]))
            entry = {r: (int(row[r]) if row[r] and row[r].strip() else None) for r in RINGS}
        except (TypeError, ValueError):
            raise ValueError(f"text: line {line_no} of the table is malformed: {row}") from None
        entry["notes"] = (row.get("notes") or "").strip()
        table[(row["code"].strip(), n)] = entry
    return table, sources


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
    text = KNOWN_RANKS_CSV if path is None else Path(path).read_text(encoding="utf-8")
    return parse_known_ranks(text)[0]


def known_rank_sources(path=None) -> list[str]:
    """The source lines (comments) of the table.

    Examples
    --------
    >>> "Moosbauer" in " ".join(known_rank_sources())
    True
    """
    text = KNOWN_RANKS_CSV if path is None else Path(path).read_text(encoding="utf-8")
    return parse_known_ranks(text)[1]
