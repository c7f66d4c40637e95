"""The formats of a meta search and the meta moves between them.

A format is a sorted size triple ``(n1, n2, n3)``, ``n1 <= n2 <= n3``: every
ordering of a ``gg`` product is the same problem (:func:`canonical` permutes a
scheme there). :func:`format_moves` lists the edges of the meta flip graph
between target formats (project, extend, product, merge), each a
:class:`FormatMove` that builds its result from the stored best schemes with
the Scheme -> Scheme maps of :mod:`linalg_lab.schemes.meta_moves`.

References
----------
D. Perminov, "Fast matrix multiplication via ternary meta flip graphs", 2025.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..schemes.known_ranks import known_rank
from ..schemes.meta_moves import extend, merge, product, project
from ..schemes.packed import MAX_PACKED
from ..schemes.scheme import Scheme
from ..schemes.transforms import permute
from ..tensors.codes import parse_sizes

#: The meta moves between formats (a walker's ``restart`` from another format's best is not one).
MOVE_KINDS = ("project", "extend", "product", "merge")
_ORDERS = tuple(itertools.permutations(range(3)))


def format_label(n) -> str:
    """``"2x3x4"`` for ``(2, 3, 4)``."""
    return "x".join(map(str, n))


def parse_formats(formats) -> list[tuple]:
    """The gg formats of a meta search, each as sorted sizes ``(n1, n2, n3)``, in order, without repeats.

    Parameters
    ----------
    formats : str or sequence
        ``"2..5"``: every ``n1 <= n2 <= n3`` with sizes in 2..5 (20 formats);
        ``"2x2x3,3x3x3"``: a comma list; or a sequence of such strings or of
        size triples. Every ordering of a format is the same format.

    Examples
    --------
    >>> len(parse_formats("2..5")), parse_formats("3x2x2,2x2x3, 2x2x2")
    (20, [(2, 2, 3), (2, 2, 2)])
    """
    if isinstance(formats, str):
        text = formats.strip()
        if ".." in text:
            lo, _, hi = text.partition("..")
            try:
                lo, hi = int(lo), int(hi)
            except ValueError:
                raise ValueError(f"formats: expected a range like '2..5' or a list like '2x2x3,3x3x3', "
                                 f"got {formats!r}") from None
            if not 1 <= lo <= hi:
                raise ValueError(f"formats: expected a range lo..hi with 1 <= lo <= hi, got {formats!r}")
            items = list(itertools.combinations_with_replacement(range(lo, hi + 1), 3))
        else:
            items = [t for t in text.split(",") if t.strip()]
    else:
        try:
            items = list(formats)
        except TypeError:
            raise TypeError(f"formats: expected a string or a sequence of formats, got {type(formats).__name__}") from None
    out: list[tuple] = []
    for item in items:
        # one parser for sizes everywhere (tensors.codes); its errors are re-raised naming ``formats``
        try:
            n = parse_sizes(item.strip() if isinstance(item, str) else item)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"formats: {str(exc).removeprefix('sizes: ')}") from None
        n = tuple(sorted(n))
        if n[1] * n[2] > MAX_PACKED:
            raise ValueError(f"formats: {format_label(n)} has factors of more than {MAX_PACKED} coefficients")
        if n not in out:
            out.append(n)
    if not out:
        raise ValueError(f"formats: expected at least one format, got {formats!r}")
    return out


def _sorted_order(n) -> tuple:
    """The ordering that sorts ``n``: ``permute(s, order)`` has sizes ``sorted(n)``."""
    return tuple(sorted(range(3), key=lambda i: n[i]))


def canonical(scheme: Scheme) -> Scheme:
    """``scheme`` permuted to its sorted format ``n1 <= n2 <= n3`` (itself when already sorted)."""
    order = _sorted_order(scheme.n)
    return scheme if order == (0, 1, 2) else permute(scheme, order)


def known_target(n, ring: str) -> int | None:
    """The best known rank a meta search aims at: that of ``ring`` (Z for F3: any Z scheme reduces mod 3)."""
    return known_rank("gg", n, "Z" if ring == "F3" else ring)


# ----------------------------------------------------------------------------- moves between formats
@dataclass(frozen=True)
class FormatMove:
    """A meta move between formats: sources (sorted formats, with the ordering each is used in) and result."""

    kind: str
    sources: tuple          # ((format, order), ...)
    axis: int               # project / extend / merge: the dimension
    result: tuple           # sorted format

    def apply(self, pool, key, rng, lowest: bool = False) -> Scheme:
        """The result from the schemes ``pool.pick(key(format), rng)`` (a :class:`~.pool.SchemePool`), sorted.

        A projection drops a random slice of its axis, or with ``lowest`` the slice that leaves the
        lowest rank (the catalogue's 5x5x5 rank 93 projects to 4x5x5 at 83 to 86 by the slice)."""
        schemes = [permute(pool.pick(key(f), rng), o) for f, o in self.sources]
        if self.kind == "project" and lowest:
            s = min((project(schemes[0], self.axis, i) for i in range(schemes[0].n[self.axis])),
                    key=lambda t: t.rank)
        elif self.kind == "project":
            s = project(schemes[0], self.axis, int(rng.integers(schemes[0].n[self.axis])))
        elif self.kind == "extend":
            s = extend(schemes[0], self.axis)
        elif self.kind == "product":
            s = product(*schemes)
        else:
            s = merge(*schemes, self.axis)
        return canonical(s)


def format_moves(formats) -> dict[str, list[FormatMove]]:
    """Every meta move between the target formats (the results of project, extend, product and merge).

    Parameters
    ----------
    formats : sequence of tuple
        Sorted formats (:func:`parse_formats`).

    Returns
    -------
    dict
        Move kind -> list of :class:`FormatMove` whose sources and result are all target formats.

    Examples
    --------
    >>> moves = format_moves([(2, 2, 2), (2, 2, 4), (4, 4, 4)])
    >>> sorted({(m.kind, m.result) for ms in moves.values() for m in ms})
    [('merge', (2, 2, 4)), ('product', (4, 4, 4))]
    """
    targets = set(formats)
    moves: dict[str, list] = {k: [] for k in MOVE_KINDS}
    ident = (0, 1, 2)
    for f in formats:
        for axis in range(3):
            small = list(f)
            small[axis] -= 1
            if small[axis] >= 1 and tuple(sorted(small)) in targets:
                moves["project"].append(FormatMove("project", ((f, ident),), axis, tuple(sorted(small))))
            big = list(f)
            big[axis] += 1
            if tuple(sorted(big)) in targets:
                moves["extend"].append(FormatMove("extend", ((f, ident),), axis, tuple(sorted(big))))
    for f, g in itertools.product(formats, repeat=2):
        seen = set()
        for o in _ORDERS:
            h = tuple(g[i] for i in o)
            if h in seen:
                continue
            seen.add(h)
            n = tuple(sorted(a * b for a, b in zip(f, h)))
            if n in targets:
                moves["product"].append(FormatMove("product", ((f, (0, 1, 2)), (g, o)), 0, n))
            for axis in range(3):
                if all(f[q] == h[q] for q in range(3) if q != axis):
                    n = list(f)
                    n[axis] += h[axis]
                    if tuple(sorted(n)) in targets:
                        moves["merge"].append(FormatMove("merge", ((f, (0, 1, 2)), (g, o)), axis, tuple(sorted(n))))
    return moves


def meta_graph(formats, ring: str | None = None):
    """The meta flip graph between ``formats`` as a :class:`networkx.MultiDiGraph`.

    Nodes are the sorted formats (attributes ``label`` and ``known``, the best
    known rank over ``ring`` or None); each :class:`FormatMove` of
    :func:`format_moves` is an edge from each distinct source format to its
    result (attributes ``kind`` and ``move``). Graph algorithms then answer
    questions about a search: which formats feed a format
    (``networkx.ancestors``), which formats a good scheme can seed
    (``networkx.descendants``), and the picture of the whole graph.

    Parameters
    ----------
    formats : str or sequence
        As :func:`parse_formats`.
    ring : {"F2", "F3", "ZT"}, optional
        Whose known ranks to attach (as the meta search aims at them).

    Examples
    --------
    >>> import networkx as nx
    >>> g = meta_graph("2x2x2,2x2x4,4x4x4")
    >>> sorted(set(g.edges(data="kind")))
    [((2, 2, 2), (2, 2, 4), 'merge'), ((2, 2, 2), (4, 4, 4), 'product')]
    >>> g.number_of_edges((2, 2, 2), (2, 2, 4))       # two 2x2x2 side by side along each of the three axes
    3
    >>> sorted(nx.descendants(g, (2, 2, 2)))
    [(2, 2, 4), (4, 4, 4)]
    """
    import networkx as nx      # the graph is an exploration tool: the search itself does not need networkx

    fmts = parse_formats(formats)
    g = nx.MultiDiGraph()
    for f in fmts:
        g.add_node(f, label=format_label(f), known=None if ring is None else known_target(f, ring))
    for kind, moves in format_moves(fmts).items():
        for m in moves:
            for src in dict.fromkeys(f for f, _ in m.sources):
                g.add_edge(src, m.result, kind=kind, move=m)
    return g


__all__ = ["MOVE_KINDS", "FormatMove", "canonical", "format_label", "format_moves", "known_target", "meta_graph",
           "parse_formats"]
