"""Sphinx extension: write ``catalogue.md`` from ``schemes/`` before the sources are read.

Every file is loaded and verified (:func:`linalg_lab.schemes.scan_catalogue`),
our best rank per ring is set against the built-in literature table
(:mod:`linalg_lab.schemes.known_ranks`), and each file gets a download link.
"""

from pathlib import Path

from linalg_lab.schemes.catalogue import LIT_RINGS, OUR_RINGS, best_ranks, scan_catalogue
from linalg_lab.schemes.known_ranks import known_rank, known_rank_sources, known_ranks
from linalg_lab.tensors import CODES

PAGE = "catalogue.md"


def _code_order(code):
    return (CODES.index(code) if code in CODES else len(CODES), code)


def _cell(ours, lit):
    if ours is None and lit is None:
        return "-"
    a = "-" if ours is None else str(ours)
    b = "-" if lit is None else str(lit)
    text = f"{a}/{b}"
    return f"**{text}**" if ours is not None and lit is not None and ours <= lit else text


def catalogue_markdown(root: Path, link_prefix: str) -> str:
    """The page's MyST text for the catalogue folder ``root``."""
    entries = scan_catalogue(root)
    lit = known_ranks()
    ours = best_ranks(entries)
    keys = sorted(ours, key=lambda k: (_code_order(k[0]), k[1]))
    lines = [
        "# Scheme catalogue",
        "",
        "The folder `schemes/` of the repository is the catalogue: every file in it was verified exactly over "
        "its ring when this page was built, and the test suite verifies it again on every run. This page is "
        "generated from the files and from the package's table of best known ranks "
        "({func}`linalg_lab.schemes.known_rank`) each time the documentation is built. File format and ring "
        "rules: {doc}`conventions`.",
        "",
        f"{len(entries)} files, {len(keys)} formats, {len(lit)} formats in the literature table.",
        "",
        "## By ring",
        "",
        "A scheme over Z_T is also one over Z and Q; an integer scheme (or a rational one whose denominators "
        "are prime to p) reduces to F_p and counts there too. *At best known*: formats where our rank equals the "
        "best rank in the literature (no literature column for F3).",
        "",
        "| ring | files in this ring | formats held (own or implied) | at best known |",
        "|---|---|---|---|",
    ]
    for ring in OUR_RINGS:
        files = sum(1 for e in entries if e.ring == ring)
        held = [k for k in keys if ring in ours[k]]
        at = "-"
        if ring in LIT_RINGS:
            at = str(sum(1 for k in held
                         if (kr := known_rank(k[0], k[1], ring, lit)) is not None and ours[k][ring] <= kr))
        lines.append(f"| {ring} | {files} | {len(held)} | {at} |")
    lines += [
        "",
        "## Our rank against the best known",
        "",
        "Each cell is *ours/best known*; bold where ours equals the best known rank (F3: ours only, "
        "the literature table has no F3 column). *ZT adds*: additive "
        "complexity (nnz(U) + nnz(V) + nnz(W) - 2R - outputs) of our cheapest Z_T scheme at our best Z_T rank.",
        "",
        "| code | size | F2 | F3 | ZT | Z | Q | ZT adds | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    zt_cost = {}
    for e in entries:
        if "ZT" in e.holds and e.additions is not None and ours[(e.code, e.n)].get("ZT") == e.rank:
            key = (e.code, e.n)
            zt_cost[key] = min(zt_cost.get(key, e.additions), e.additions)
    for code, n in keys:
        mine = ours[(code, n)]
        cells = []
        for ring in OUR_RINGS:
            if ring in LIT_RINGS:
                cells.append(_cell(mine.get(ring), known_rank(code, n, ring, lit)))
            else:  # no literature column (F3): ours alone
                cells.append("-" if mine.get(ring) is None else str(mine[ring]))
        note = (lit.get((code, tuple(sorted(n)) if code == "gg" else n)) or {}).get("notes", "")
        adds = zt_cost.get((code, n))
        lines.append(f"| {code} | {'x'.join(map(str, n))} | " + " | ".join(cells)
                     + f" | {'-' if adds is None else adds} | {note.replace('|', '/')} |")
    lines += ["", "## Files", ""]
    by_code = {}
    for e in entries:
        by_code.setdefault(e.code, []).append(e)
    for code in sorted(by_code, key=_code_order):
        lines += [f"### {code}", "", "| file | size | rank | ring | additions | how it was found |",
                  "|---|---|---|---|---|---|"]
        for e in sorted(by_code[code], key=lambda e: (e.n, e.rank, e.ring, e.path)):
            name = Path(e.path).name
            link = f"{{download}}`{name} <{link_prefix}{e.path}>`"
            adds = "-" if e.additions is None else e.additions
            lines.append(f"| {link} | {'x'.join(map(str, e.n))} | {e.rank} | {e.ring} | {adds} "
                         f"| {e.method.replace('|', '/')} |")
        lines.append("")
    lines += ["## Sources of the literature figures", ""]
    lines += [f"- {s}" for s in known_rank_sources()]
    lines.append("")
    return "\n".join(lines)


def _write(app, config):
    src = Path(app.srcdir)
    root = src.parent / "schemes"
    text = catalogue_markdown(root, link_prefix="../schemes/")
    page = src / PAGE
    if not page.exists() or page.read_text(encoding="utf-8") != text:
        page.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("config-inited", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
