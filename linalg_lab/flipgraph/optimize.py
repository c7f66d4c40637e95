"""Additive-complexity minimiser: flips, sandwiches and excursions through rank R + 1, keeping the cheapest scheme met.

Among schemes of one rank, the one with the fewest additions is the one to
use (Perminov's additive complexity, :func:`linalg_lab.schemes.additive_complexity`).
Two kinds of moves keep the rank: flips (a reduction only lowers it, which is
better still) and sandwiches, the isotropies ``A -> P A Q^-1, B -> Q B R^-1``
(:func:`linalg_lab.schemes.gl_action`) by elementary matrices ``I +- E_ij``,
whose inverses are ternary too; over Z_T a sandwich that would leave
{-1, 0, 1} is not taken. Some schemes have no flip at all (every rank-7
scheme for 2x2 matrices), and sandwiches move them. Flips and sandwiches
alone often stay in a small set of schemes, so :func:`plateau_additions`
(the default of :func:`optimize_additions`) leaves it: a plus transition
to rank R + 1, flips there until a reduction comes back to rank R, then
flips and sandwiches at rank R; a Z_T scheme is walked over F2, where the
walks come back far more often, and sign-lifted back (the lift keeps the
support, hence the count). ``optimize_additions(method="walk")``
alternates chunks of flips, in the numba kernel
:func:`~linalg_lab.flipgraph._kernels.cost_walk` that keeps the count of
nonzero coefficients up to date flip by flip, with random sandwiches, and
returns the cheapest scheme it met, verified. :func:`anneal_additions` is
a Metropolis walk on the count over flips, sandwiches and plus transitions
(dense factors, numba kernel :mod:`._anneal`), and :func:`anneal_reduced`
samples such a walk for the shortest reduced program.

Examples
--------
>>> from linalg_lab.schemes import naive_scheme
>>> from linalg_lab.flipgraph import search
>>> s7 = search("gg", "2x2x2", "ZT", target_rank=7, rng=3, workers=1).best
>>> res = optimize_additions(s7, max_flips=20_000, rng=0)
>>> res.scheme.rank, res.after <= res.before, bool(res.scheme.verify())
(7, True, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..fields.rings import Ring, as_ring
from ..schemes.cost import additive_complexity
from ..schemes.scheme import Scheme
from ..schemes.transforms import random_sandwich
from ..validation import check_choice, check_instance, check_int, check_real
from .pool import checked
from .run_setup import seed_sequence
from .walker import Walker


@dataclass
class OptimizeResult:
    """What the minimiser found: ``scheme`` (verified), its additive complexity ``after``, the start's ``before``."""

    scheme: Scheme
    before: int
    after: int
    flips: int
    seconds: float
    ok: bool = True
    message: str = ""
    interrupted: bool = False          # stopped by Ctrl-C: ``scheme`` is the cheapest met until then
    method: str = "additive-complexity minimiser (flips and sandwiches at constant rank)"
    stats: dict | None = None          # the plateau walk's counters (excursions, returns, lifts, ...)

    def provenance(self) -> dict:
        out = {"method": self.method, "additions": self.after, "additions_before": self.before, "flips": self.flips,
               "seconds": round(self.seconds, 3)}
        if self.stats:
            out.update(self.stats)
        return out


def _check_budget(time_limit, max_flips, chunk):
    """The minimisers' walking budget, checked: at least one of ``time_limit`` and ``max_flips``."""
    if time_limit is None and max_flips is None:
        raise ValueError("time_limit, max_flips: give at least one, or the walk never ends")
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict_minimum=True)
    if max_flips is not None:
        max_flips = check_int(max_flips, "max_flips", minimum=1)
    return time_limit, max_flips, check_int(chunk, "chunk", minimum=1)


def _within(spent, max_flips, t0, time_limit) -> bool:
    """Whether a minimiser may walk on: flips spent and seconds since ``t0`` both within their budget."""
    return (max_flips is None or spent < max_flips) and (time_limit is None or time.perf_counter() - t0 < time_limit)


def optimize_additions(scheme: Scheme, *, time_limit: float | None = 10.0, max_flips: int | None = None,
                       rng=None, chunk: int = 4096, sandwiches: int = 4, descent: int = 20,
                       margin: int | None = 12, method: str = "plateau") -> OptimizeResult:
    """Lower the naive count of ``scheme`` at constant rank; return the scheme with the fewest additions.

    By default (``method="plateau"``) this is :func:`plateau_additions`:
    excursions through rank R + 1 and back (over F2 for a Z_T scheme,
    sign-lifted back), each return polished by flips and sandwiches at rank
    R. ``method="walk"`` walks flips and sandwiches at rank R only.

    Parameters
    ----------
    scheme : Scheme
        A scheme over F2, F3 or ZT (the flip graph's rings).
    time_limit : float, optional
        Seconds of walking (default 10); None: only ``max_flips`` bounds it.
    max_flips : int, optional
        Flips in total.
    rng : None, int, SeedSequence or Generator
    chunk : int
        Flips per kernel call (the time limit is checked between calls).
    sandwiches : int
        Random sandwiches tried between two chunks of flips (``gg`` schemes; 0: flips only).
    descent : int
        After each chunk, :func:`sandwich_descent` (steepest descent over the
        elementary sandwiches, then up to ``descent`` moves at equal count)
        from the walk's scheme (``gg`` schemes; 0: no descent).
    margin : int or None
        A walk whose scheme costs more than the cheapest + ``margin`` goes
        back to the cheapest (moved by the random sandwiches); None: never.
    method : {"plateau", "walk", "anneal"}
        "plateau" (default): :func:`plateau_additions` with ``time_limit``,
        ``max_flips`` and ``rng`` (its own defaults for the rest; the other
        arguments here are not used). "walk": chunks of flips at rank R
        (:meth:`Walker.cost_walk`) alternating with random sandwiches and
        :func:`sandwich_descent`, as described by the arguments above.
        "anneal": :func:`anneal_additions` (Metropolis on the count, with
        plus transitions; ``gg`` schemes) with the same ``time_limit``,
        ``max_flips`` as its proposal budget, and ``rng``.
        On 2x5x5 rank 40 over Z_T the plateau walk took the catalogue's
        281 additions to 243 in 98 s of CPU (seed 1), where the other two
        had stayed at 281 for minutes.

    Returns
    -------
    OptimizeResult
        Never worse in (rank, additions), compared lexicographically: at the
        start's rank ``after <= before``; when a flip opened a reduction the
        scheme has a lower rank, which counts as better even if it costs
        more additions. On Ctrl-C the walk stops and the cheapest scheme met so
        far is returned (``interrupted`` is True).
    """
    check_instance(scheme, "scheme", Scheme)
    if method not in ("plateau", "walk", "anneal"):
        raise ValueError(f"method: expected 'plateau', 'walk' or 'anneal', got {method!r}")
    time_limit, max_flips, chunk = _check_budget(time_limit, max_flips, chunk)
    sandwiches = check_int(sandwiches, "sandwiches", minimum=0)
    descent = check_int(descent, "descent", minimum=0)
    if margin is not None:
        margin = check_int(margin, "margin", minimum=0)
    if method == "plateau":
        return plateau_additions(scheme, time_limit=time_limit, max_flips=max_flips, rng=rng)
    if method == "anneal":
        return anneal_additions(scheme, time_limit=time_limit, max_steps=max_flips, rng=rng)
    if scheme.code != "gg":
        sandwiches = 0                 # the isotropies here are those of general products
        descent = 0
    before = additive_complexity(scheme)
    ss = seed_sequence(rng).spawn(2)
    g = np.random.default_rng(ss[0])
    w = Walker(scheme, np.random.default_rng(ss[1]), headroom=2)
    best, after = scheme, before
    t0 = time.perf_counter()
    done = spent = 0           # flips done; budget spent (a round without any flip spends a chunk)
    interrupted = False
    try:                       # Ctrl-C (or SIGTERM in the CLI) ends the walk, keeping the cheapest scheme met
        while _within(spent, max_flips, t0, time_limit):
            n = w.cost_walk(chunk if max_flips is None else min(chunk, max_flips - spent))
            done += n
            spent += n if n else chunk
            found = w.best()
            cost = additive_complexity(found)
            if (found.rank, cost) < (best.rank, after):
                best, after = checked(found), cost
            current = w.scheme()
            if descent and current.rank == best.rank:
                current = sandwich_descent(current, g, plateau=descent)
                cost = additive_complexity(current)
                if cost < after:
                    best, after = current, cost
                if margin is not None and cost > after + margin:
                    current = best             # restart from the cheapest
            if sandwiches == 0:
                if n == 0 and not descent:
                    break                  # no flip anywhere and no sandwich: nothing more to explore
                if descent:
                    w.load(current)
                continue
            # leave the current scheme by a few sandwiches; the walk goes on from there
            w.load(random_sandwich(current, g, sandwiches))
    except KeyboardInterrupt:
        interrupted = True
    return OptimizeResult(best, before, after, done, time.perf_counter() - t0,
                          message=f"{before} -> {after} additions at rank {best.rank}", interrupted=interrupted)


def plateau_additions(scheme: Scheme, *, time_limit: float | None = 10.0, max_flips: int | None = None, rng=None,
                      walk_ring=None, plateau: int = 200, margin: int = 2, excursion: int = 100_000,
                      polish: int = 20_000, descent: int = 5, pool: int = 1, slack: int = 0,
                      polish_by: str = "flips", lift_nodes: int = 200_000, on_improve=None) -> OptimizeResult:
    """Lower the naive count at constant rank by excursions through rank R + 1 (the plateau walk).

    The flip neighbourhood of a rank-R scheme can be tiny (the catalogue's
    2x5x5 rank-40 scheme has 2 pairs of terms that share a factor), so flips
    and sandwiches at rank R alone stay where they start. Here every
    excursion starts from a scheme of the pool (the cheapest schemes met),
    walks ``plateau`` flips, takes a plus transition (rank R + 1, at most
    ``margin`` above R) and walks on until a reduction brings it back to
    rank R (at most ``excursion`` flips, else it is dropped). Each return is
    polished at rank R by ``polish`` flips keeping the cheapest scheme met
    (:meth:`Walker.cost_walk`; ``polish_by="flips"``) or ``polish`` steps of
    the annealing kernel of :func:`anneal_additions` at temperature 0 (flips
    and elementary sandwiches, each taken when it does not raise the count,
    so equal counts are crossed; ``polish_by="anneal"``, ``gg`` only), then
    by :func:`sandwich_descent` with ``descent`` equal-count moves. The start
    (first, before any excursion) and every return that beats the best are
    polished by the annealing kernel as well: it goes deeper (4x5x5 rank 76:
    a median of 550 against 568 over 40 returns) but costs three times as
    much, and on 2x5x5 rank 40 the cheaper polish of every return found
    more (241 within a minute, where polishing every return by the
    annealing kernel found nothing in 4 minutes; seed 2 both).

    The pool holds up to ``pool`` distinct schemes costing at most the best
    count + ``slack``; a return within that bound joins it (a full pool
    drops one of its costliest members at random, so it never loses the
    best count), so with the defaults (one scheme, no slack) the search is
    a descent that accepts equal counts, and a larger pool with some slack
    keeps several near-best schemes to start from.

    A Z_T scheme is walked over F2 by default: its naive count is the number
    of nonzero coefficients, which the sign search
    (:func:`linalg_lab.lifting.ternary_lift`) keeps, since it only chooses
    signs on the F2 support; and F2 walks return to rank R far more often
    than Z_T walks, where a flip that would leave {-1, 0, 1} is refused
    (2x5x5 rank 40, the walks alone: about 3,700 returns per second over F2
    against 4 over Z_T, measured here; most returns come within a few dozen
    flips of the plus transition). A return that would be a new best is
    lifted back to Z_T before it counts; one with no lift within
    ``lift_nodes`` decisions is dropped.

    Parameters
    ----------
    scheme : Scheme
        A scheme over F2, F3 or ZT (any tensor code; sandwiches only for ``gg``).
    time_limit : float, optional
        Seconds (default 10); None: only ``max_flips`` bounds the walk.
    max_flips : int, optional
        Flips and polishing steps in total.
    rng : None, int, SeedSequence or Generator
    walk_ring : {None, "F2", "F3", "ZT"}
        The ring of the walks: by default F2 for a Z_T scheme, else the scheme's ring.
        A Z_T scheme may be walked over F2 or Z_T, others only over their own ring.
    plateau, margin, excursion : int
        Flips before the plus transition, rank above R allowed, flips allowed to come back.
    polish, descent : int
        Flips (or steps) of the descent at rank R after each return (0: none); equal-count moves of
        the steepest sandwich descent after it (0: none).
    polish_by : {"flips", "anneal"}
        The descent of every return (see above).
    pool, slack : int
        Schemes kept as starting points, and how far above the best count they may be.
    lift_nodes : int
        Decision bound of the sign search for each candidate (walks over F2 of a Z_T scheme).
    on_improve : callable, optional
        ``on_improve(scheme, additions)`` with each new best (a verified scheme over the start's ring),
        for checkpoints.

    Returns
    -------
    OptimizeResult
        Never worse in (rank, additions): a return at a lower rank that lifts
        is taken (the search then goes on at that rank). ``stats`` counts
        excursions, returns, lifts and their failures.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import random_sandwich, strassen_scheme
    >>> s = random_sandwich(strassen_scheme("ZT"), np.random.default_rng(0), 8)
    >>> res = plateau_additions(s, time_limit=None, max_flips=100_000, rng=0)
    >>> res.after <= res.before, res.scheme.rank, res.scheme.ring.value, bool(res.scheme.verify())
    (True, 7, 'ZT', True)
    """
    from ..lifting import ternary_lift
    from .pool import scheme_key
    from .run_setup import over_ring

    check_instance(scheme, "scheme", Scheme)
    if scheme.ring not in (Ring.F2, Ring.F3, Ring.ZT):
        raise ValueError(f"scheme: expected a scheme over F2, F3 or ZT, got one over {scheme.ring}")
    time_limit, max_flips, _ = _check_budget(time_limit, max_flips, 1)
    plateau = check_int(plateau, "plateau", minimum=1)
    margin = check_int(margin, "margin", minimum=1)
    excursion = check_int(excursion, "excursion", minimum=1)
    polish = check_int(polish, "polish", minimum=0)
    descent = check_int(descent, "descent", minimum=0)
    pool = check_int(pool, "pool", minimum=1)
    polish_by = check_choice(polish_by, "polish_by", ("anneal", "flips"))
    slack = check_int(slack, "slack", minimum=0)
    lift_nodes = check_int(lift_nodes, "lift_nodes", minimum=1)
    if walk_ring is None:
        wr = Ring.F2 if scheme.ring is Ring.ZT else scheme.ring
    else:
        wr = as_ring(walk_ring)
        allowed = (Ring.F2, Ring.ZT) if scheme.ring is Ring.ZT else (scheme.ring,)
        if wr not in allowed:
            raise ValueError(f"walk_ring: a scheme over {scheme.ring} is walked over "
                             f"{' or '.join(r.value for r in allowed)}, got {wr.value}")
    ring = scheme.ring
    sandwiches = descent > 0 and scheme.code == "gg"
    ss = seed_sequence(rng).spawn(2)
    g = np.random.default_rng(ss[0])
    start = checked(scheme)
    before = after = additive_complexity(start)
    best = start
    w = Walker(over_ring(start, wr) if wr is not ring else start, np.random.default_rng(ss[1]), headroom=margin + 2)
    R = start.rank
    members = {}                            # the pool, over the walk ring: key -> (count, scheme)
    stats = {"excursions": 0, "returns": 0, "improvements": 0, "lifts": 0, "lift_failures": 0, "lower_rank": 0,
             "polish_steps": 0}

    def lifted(s):
        """``s`` (over the walk ring) over the start's ring, or None where the sign search finds no lift."""
        if s.ring is ring:
            return s
        stats["lifts"] += 1
        res = ternary_lift(s, max_nodes=lift_nodes)
        if not res.ok:
            stats["lift_failures"] += 1
            return None
        return res.scheme

    def admit(found, cost, key):
        """Put ``found`` into the pool (cost within the best + slack); a costliest member (at random) leaves a
        full pool, so at equal counts the pool moves on."""
        if key in members or cost > after + slack:
            return
        if len(members) >= pool:
            top = max(c for c, _ in members.values())
            if cost > top:
                return
            worst = [k for k, (c, _) in members.items() if c == top]
            del members[worst[int(g.integers(len(worst)))]]
        members[key] = (cost, found)

    ann = [_Annealer(w.scheme(), 0) if scheme.code == "gg" else None]

    def polished(s, how):
        """The cheapest scheme met by a descent from ``s`` at its rank: ``how`` "flips" (a flip walk keeping the
        cheapest scheme) or "anneal" (the annealing kernel at T = 0: flips and sandwiches, never uphill)."""
        a = ann[0]
        if a is None or how == "flips":
            w.load(s)
            w.cost_walk(polish)
            out = w.best()
        else:
            if a.R != s.rank:
                a = ann[0] = _Annealer(s, 0)
            a.load(s)
            a.best_cost = np.iinfo(np.int64).max
            a.run(polish, 0.0, 0.05, 0.0, int(g.integers(2**31 - 1)))
            stats["polish_steps"] += polish
            out = a.best_scheme()
        if sandwiches and out.rank == s.rank:
            out = sandwich_descent(out, g, plateau=descent)
        return out

    t0 = time.perf_counter()
    flips0 = w.flips
    interrupted = False
    first = w.scheme()
    admit(first, before, scheme_key(first))
    try:
        while _within(w.flips - flips0 + stats["polish_steps"], max_flips, t0, time_limit):
            at_start = first is not None
            if at_start:
                w.load(first)                   # the start's own neighbourhood first, without an excursion
                first = None
            else:
                keys = list(members)
                w.load(members[keys[int(g.integers(len(keys)))]][1])
                stats["excursions"] += 1
                w.walk(plateau + 1, target=R - 1, plateau=plateau, margin=margin, stop_below=0)
                if w.rank > R:
                    w.walk(excursion, target=R - 1, plateau=plateau, margin=margin, stop_below=R + 1)
                if w.rank > R:
                    continue                   # no way back within the excursion: dropped
                stats["returns"] += 1
            found = w.scheme()
            if found.rank == R and polish:
                found = polished(found, "anneal" if at_start else polish_by)
            cost = additive_complexity(found)
            if (found.rank, cost) > (R, after + slack):
                continue
            if found.rank == R and cost >= after:
                admit(found, cost, scheme_key(found))
                continue
            if found.rank == R and polish and polish_by != "anneal":
                found = polished(found, "anneal")          # a new best: the stronger descent once
                cost = additive_complexity(found)
            key = scheme_key(found)
            out = lifted(found)                 # a new best: it counts once it lifts
            if out is None:
                continue
            out = checked(out)
            count = additive_complexity(out)        # the sign lift keeps the support, hence the count
            if (out.rank, count) >= (best.rank, after):
                continue
            if out.rank < R:
                stats["lower_rank"] += 1
                R = out.rank
                members.clear()
            best, after = out, count
            for k in [k for k, (c, _) in members.items() if c > after + slack]:
                del members[k]
            admit(found, after, key)
            stats["improvements"] += 1
            if on_improve is not None:
                on_improve(best, after)
    except KeyboardInterrupt:
        interrupted = True
    how = "F2 walks, sign-lifted to Z_T" if wr is not ring else f"walks over {wr.value}"
    return OptimizeResult(best, before, after, w.flips - flips0, time.perf_counter() - t0,
                          message=f"{before} -> {after} additions at rank {best.rank} (plateau walk)",
                          interrupted=interrupted, stats=stats,
                          method=f"additive-complexity minimiser (plateau walk: excursions through rank R+1 and "
                                 f"back, {how}, polished by flips and sandwiches at rank R)")


@dataclass
class ReduceSearchResult:
    """What :func:`optimize_reduced` found: ``program`` (verified), its count ``after``, the start's ``before``."""

    program: object
    before: int
    after: int
    flips: int
    evaluated: int
    seconds: float
    ok: bool = True
    message: str = ""
    interrupted: bool = False

    @property
    def scheme(self) -> Scheme:
        return self.program.scheme

    def provenance(self) -> dict:
        return {"method": "reduced-count search (flips and sandwiches at constant rank, pair elimination)",
                "reduced_additions": self.after, "reduced_additions_before": self.before, "flips": self.flips,
                "seconds": round(self.seconds, 3)}


def optimize_reduced(scheme: Scheme, *, time_limit: float | None = 10.0, max_flips: int | None = None, rng=None,
                     chunk: int = 64, patience: int = 200, restarts: int = 2, sandwiches: int = 1) -> ReduceSearchResult:
    """Walk flips and sandwiches at constant rank; return the program with the fewest additions after reduction.

    The naive count and the count after common-subexpression reduction
    (:func:`linalg_lab.schemes.program.reduce_additions`) are only loosely
    related (Perminov's 58-addition 3x3x3 rank-23 scheme has a naive count of
    119; ours of 95 reduces to about 68), so the walk samples schemes: after
    every ``chunk`` flips the current scheme is reduced with ``restarts``
    quick passes per side. A walk that found nothing better in ``patience``
    samples restarts from the cheapest scheme (moved by a few sandwiches). The
    best program is reduced once more with 64 passes per side.

    Parameters
    ----------
    scheme : Scheme
        A scheme over F2, F3 or ZT.
    time_limit, max_flips : float, int
        Bounds of the walk (at least one).
    rng : None, int, SeedSequence or Generator
    chunk : int
        Flips between two samples.
    patience : int
        Samples without improvement before returning to the cheapest.
    restarts : int
        Pair-elimination passes per side for each sample.
    sandwiches : int
        Random sandwiches applied with each sample (``gg`` only; 0: flips only).

    Returns
    -------
    ReduceSearchResult
        ``after <= before`` (the start's own reduction with 64 passes per side).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> res = optimize_reduced(strassen_scheme("ZT"), time_limit=None, max_flips=5_000, rng=0)
    >>> res.before, res.after
    (18, 15)
    """
    from ..schemes.program import reduce_additions

    check_instance(scheme, "scheme", Scheme)
    time_limit, max_flips, chunk = _check_budget(time_limit, max_flips, chunk)
    patience = check_int(patience, "patience", minimum=1)
    restarts = check_int(restarts, "restarts", minimum=1)
    sandwiches = check_int(sandwiches, "sandwiches", minimum=0)
    if scheme.code != "gg":
        sandwiches = 0
    ss = seed_sequence(rng).spawn(2)
    g = np.random.default_rng(ss[0])
    start = reduce_additions(scheme, restarts=64, rng=g)
    before = start.additions
    best = start
    w = Walker(scheme, np.random.default_rng(ss[1]), headroom=2)
    t0 = time.perf_counter()
    done = spent = evaluated = stale = 0
    interrupted = False
    try:
        while _within(spent, max_flips, t0, time_limit):
            n = w.cost_walk(chunk if max_flips is None else min(chunk, max_flips - spent))
            done += n
            spent += n if n else chunk
            current = w.scheme()
            if sandwiches:
                current = random_sandwich(current, g, int(g.integers(0, sandwiches + 1)))
            if current.rank != scheme.rank:      # a reduction: the cheaper rank is not this search's question
                w.load(best.scheme)
                continue
            p = reduce_additions(current, restarts=restarts, rng=g)
            evaluated += 1
            if p.additions < best.additions:
                best, stale = p, 0
            else:
                stale += 1
            if stale >= patience or n == 0:
                stale = 0
                back = best.scheme if sandwiches == 0 else random_sandwich(best.scheme, g, 3)
                w.load(back)
            elif sandwiches:
                w.load(current)
    except KeyboardInterrupt:
        interrupted = True
    final = reduce_additions(best.scheme, restarts=64, rng=g)
    if final.additions < best.additions:
        best = final
    return ReduceSearchResult(best, before, best.additions, done, evaluated, time.perf_counter() - t0,
                              message=f"{before} -> {best.additions} additions after reduction at rank {scheme.rank}",
                              interrupted=interrupted)


# ------------------------------------------------------------------ elementary sandwiches, evaluated in place
def _slices(n):
    """The (matrix, axis) pairs an elementary sandwich ``I + s E_ij`` on space q changes, with their rules.

    Each rule is ``(factor, axis, target, source, sign)``: ``factor[..., target] += sign * s * factor[..., source]``
    along ``axis`` (1: rows of the factor read as a matrix, 2: columns), for ``(i, j)`` given as (i, j).
    Space 0 (P on A's rows and C's rows): U rows j += s U rows i; W rows i -= s W rows j.
    Space 1 (Q): U columns i -= s U columns j; V rows j += s V rows i.
    Space 2 (R): V columns i -= s V columns j; W columns j += s W columns i.
    """
    return {0: ((0, 1, "j", "i", 1), (2, 1, "i", "j", -1)),
            1: ((0, 2, "i", "j", -1), (1, 1, "j", "i", 1)),
            2: ((1, 2, "i", "j", -1), (2, 2, "j", "i", 1))}


def _reduce_entries(a, ring):
    if ring is Ring.F2:
        return a % 2
    if ring is Ring.F3:
        return (a + 1) % 3 - 1
    return a


def _sandwich_moves(mats, n, ring):
    """Every elementary sandwich with its change of nonzero count: list of (delta, q, i, j, s); ZT-invalid ones left out."""
    rules = _slices(n)
    signs = (1,) if ring is Ring.F2 else (1, -1)
    moves = []
    for q in range(3):
        for i in range(n[q]):
            for j in range(n[q]):
                if i == j:
                    continue
                for s in signs:
                    delta, ok = 0, True
                    for f, axis, tgt, src, sign in rules[q]:
                        a = mats[f]
                        t, u = (i, j) if tgt == "i" else (j, i)
                        old = a[:, t, :] if axis == 1 else a[:, :, t]
                        add = a[:, u, :] if axis == 1 else a[:, :, u]
                        new = _reduce_entries(old + sign * s * add, ring)
                        if ring is Ring.ZT and np.abs(new).max(initial=0) > 1:
                            ok = False
                            break
                        delta += int(np.count_nonzero(new)) - int(np.count_nonzero(old))
                    if ok:
                        moves.append((delta, q, i, j, s))
    return moves


def _apply_sandwich(mats, n, ring, q, i, j, s):
    out = [m.copy() for m in mats]
    for f, axis, tgt, src, sign in _slices(n)[q]:
        a = out[f]
        t, u = (i, j) if tgt == "i" else (j, i)
        if axis == 1:
            a[:, t, :] = _reduce_entries(a[:, t, :] + sign * s * a[:, u, :], ring)
        else:
            a[:, :, t] = _reduce_entries(a[:, :, t] + sign * s * a[:, :, u], ring)
    return out


def sandwich_descent(scheme: Scheme, rng=None, *, plateau: int = 20) -> Scheme:
    """Lower the naive count by elementary sandwiches ``I +- E_ij`` (steepest descent, then ``plateau`` equal moves).

    Every elementary sandwich on each of the three index spaces is scored by
    its change of nonzero count (computed in place, no scheme built); the best
    one is taken while it lowers the count; then up to ``plateau`` random
    moves that keep the count are taken (each followed by descent again).
    The result is verified; ``gg`` schemes over F2, F3 or ZT.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import additive_complexity, random_sandwich, strassen_scheme
    >>> s = random_sandwich(strassen_scheme("ZT"), np.random.default_rng(0), 6)
    >>> t = sandwich_descent(s, rng=0)
    >>> additive_complexity(t) <= additive_complexity(s), t.rank, bool(t.verify())
    (True, 7, True)
    """
    check_instance(scheme, "scheme", Scheme)
    if scheme.code != "gg" or scheme.ring not in (Ring.F2, Ring.F3, Ring.ZT):
        raise ValueError(f"scheme: expected a gg scheme over F2, F3 or ZT, got {scheme.code} over {scheme.ring}")
    plateau = check_int(plateau, "plateau", minimum=0)
    g = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    n, R, ring = scheme.n, scheme.rank, scheme.ring
    mats = [np.array(scheme.u, dtype=np.int64).reshape(R, n[0], n[1]),
            np.array(scheme.v, dtype=np.int64).reshape(R, n[1], n[2]),
            np.array(scheme.w, dtype=np.int64).reshape(R, n[0], n[2])]
    equal_moves = 0
    while True:
        moves = _sandwich_moves(mats, n, ring)
        if not moves:
            break
        best = min(m[0] for m in moves)
        if best < 0:
            cands = [m for m in moves if m[0] == best]
        elif best == 0 and equal_moves < plateau:
            equal_moves += 1
            cands = [m for m in moves if m[0] == 0]
        else:
            break
        _, q, i, j, s = cands[int(g.integers(len(cands)))]
        mats = _apply_sandwich(mats, n, ring, q, i, j, s)
    out = scheme.with_factors(*(m.reshape(R, -1) for m in mats))
    return checked(out)


# ------------------------------------------------------------------ annealing (numba kernel, dense factors)
_ANNEAL_RINGS = {Ring.ZT: 0, Ring.F2: 2, Ring.F3: 3}


class _Annealer:
    """Dense factor arrays with room for ``extra`` terms, advanced by :func:`._anneal.anneal_walk`."""

    def __init__(self, scheme: Scheme, extra: int):
        if scheme.code != "gg" or scheme.ring not in _ANNEAL_RINGS:
            raise ValueError(f"scheme: expected a gg scheme over F2, F3 or ZT, got {scheme.code} over {scheme.ring}")
        self.scheme, self.R, self.ring = scheme, scheme.rank, _ANNEAL_RINGS[scheme.ring]
        self.mats = [np.zeros((self.R + extra, np.shape(a)[1]), dtype=np.int8) for a in scheme.factors]
        self.best = [np.zeros((self.R, np.shape(a)[1]), dtype=np.int8) for a in scheme.factors]
        self.offset = 2 * self.R + scheme.dims[2]
        self.load(scheme)
        self.best_cost = self.cost
        for b, m in zip(self.best, self.mats):
            b[:] = m[: self.R]

    def load(self, scheme: Scheme) -> None:
        for m, a in zip(self.mats, scheme.factors):
            m[:] = 0
            m[: self.R] = np.asarray(a, dtype=np.int64)
        self.rk = self.R
        self.cost = sum(int(np.count_nonzero(m)) for m in self.mats)

    def run(self, steps, temp, p_sandwich, p_plus, seed) -> None:
        from ._anneal import anneal_walk
        n1, n2, n3 = self.scheme.n
        U, V, W = self.mats
        bU, bV, bW = self.best
        self.rk, self.cost, self.best_cost, *_ = anneal_walk(U, V, W, self.rk, self.R, n1, n2, n3, self.ring, steps,
                                                             temp, p_sandwich, p_plus, seed, bU, bV, bW,
                                                             self.best_cost)

    def current(self) -> Scheme | None:
        """The walk's scheme when it is at rank R (else None)."""
        if self.rk != self.R:
            return None
        return self.scheme.with_factors(*(m[: self.R].astype(np.int64) for m in self.mats))

    def best_scheme(self) -> Scheme:
        return checked(self.scheme.with_factors(*(b.astype(np.int64) for b in self.best)))


def anneal_additions(scheme: Scheme, *, time_limit: float | None = 10.0, max_steps: int | None = None, rng=None,
                     temperature=(0.3, 3.0), chunk: int = 100_000, sandwich: float = 0.05, plus: float = 0.0005,
                     extra: int = 1, patience: int = 100) -> OptimizeResult:
    """Lower the naive count at constant rank by annealing over flips, sandwiches and plus transitions.

    A Metropolis walk (numba kernel :mod:`linalg_lab.flipgraph._anneal`) on
    the number of nonzero coefficients: each step proposes a flip (Kauers and
    Moosbauer, arXiv 2212.01175), an elementary sandwich ``I +- E_ij`` (with
    probability ``sandwich``) or a plus transition (Arai, Ichikawa and
    Hukushima, arXiv 2312.17960; probability ``plus``, at most ``extra``
    terms above the rank, which reductions remove again); moves that do not
    raise the count are always taken, others with probability
    ``exp(-increase / T)``. Each chunk of steps draws ``T`` log-uniformly in
    ``temperature``; after ``patience`` chunks without a cheaper scheme the
    walk restarts from the cheapest. Only schemes at the start's rank are
    kept (a flip that would lower the rank below it is refused).

    Parameters
    ----------
    scheme : Scheme
        A ``gg`` scheme over ZT, F2 or F3.
    time_limit : float, optional
        Seconds (default 10); None: only ``max_steps`` bounds the walk.
    max_steps : int, optional
        Proposals in total.
    rng : None, int, SeedSequence or Generator
    temperature : (float, float)
        Range of the chunks' temperatures.
    chunk, sandwich, plus, extra, patience
        Steps per kernel call, move probabilities, room above the rank, restart patience (chunks).

    Returns
    -------
    OptimizeResult
        The cheapest scheme met at the start's rank (verified), ``after <= before``;
        ``flips`` counts proposals.

    Examples
    --------
    >>> import numpy as np
    >>> from linalg_lab.schemes import random_sandwich, strassen_scheme
    >>> s = random_sandwich(strassen_scheme("ZT"), np.random.default_rng(0), 8)
    >>> res = anneal_additions(s, time_limit=None, max_steps=200_000, rng=0)
    >>> res.before >= res.after, res.scheme.rank, bool(res.scheme.verify())
    (True, 7, True)
    """
    check_instance(scheme, "scheme", Scheme)
    time_limit, max_steps, chunk = _check_budget(time_limit, max_steps, chunk)
    lo, hi = (float(t) for t in temperature)
    if not 0 < lo <= hi:
        raise ValueError(f"temperature: expected (low, high) with 0 < low <= high, got {temperature!r}")
    sandwich = check_real(sandwich, "sandwich", minimum=0.0, maximum=1.0)
    plus = check_real(plus, "plus", minimum=0.0, maximum=1.0)
    extra = check_int(extra, "extra", minimum=0)
    patience = check_int(patience, "patience", minimum=1)
    g = np.random.default_rng(seed_sequence(rng))
    ann = _Annealer(scheme, extra)
    before = additive_complexity(scheme)
    best_cost, stale, spent = ann.best_cost, 0, 0
    t0 = time.perf_counter()
    interrupted = False
    try:
        while _within(spent, max_steps, t0, time_limit):
            steps = chunk if max_steps is None else min(chunk, max_steps - spent)
            temp = float(np.exp(g.uniform(np.log(lo), np.log(hi))))
            ann.run(steps, temp, sandwich, plus if extra else 0.0, int(g.integers(2**31 - 1)))
            spent += steps
            if ann.best_cost < best_cost:
                best_cost, stale = ann.best_cost, 0
            else:
                stale += 1
                if stale >= patience:
                    ann.load(ann.best_scheme())
                    stale = 0
    except KeyboardInterrupt:
        interrupted = True
    best = ann.best_scheme()
    after = additive_complexity(best)
    return OptimizeResult(best, before, after, spent, time.perf_counter() - t0,
                          message=f"{before} -> {after} additions at rank {best.rank} (annealing)",
                          interrupted=interrupted)


def anneal_reduced(scheme: Scheme, *, time_limit: float | None = 10.0, max_samples: int | None = None, rng=None,
                   temperature: float = 8.0, steps: int = 10, accept: float = 0.4, sandwich: float = 0.1,
                   patience: int = 2000, restarts: int = 4) -> ReduceSearchResult:
    """Search the rank-R flip/sandwich graph for the scheme whose reduced program is shortest (Metropolis).

    The reduced count and the naive one are only loosely related, so this
    walk is driven by the reduced count itself: a proposal moves the current
    scheme by ``steps`` moves of the annealing kernel of
    :func:`anneal_additions` at ``temperature`` (flips and elementary
    sandwiches at constant rank), reduces it with ``restarts`` passes per side
    (:func:`~linalg_lab.schemes.program.reduce_additions`) and accepts it when
    its count is no larger, or with probability ``exp(-increase / accept)``. A
    new best is reduced again with 64 passes. After ``patience`` proposals
    without a new best the walk restarts from the best scheme. On 3x3x3 rank
    23 this reaches 61 within 15 s from the catalogue's scheme (68), where
    sampling a walk on the naive count stayed at 62 for 9 minutes.

    Parameters
    ----------
    scheme : Scheme
        A ``gg`` scheme over ZT, F2 or F3.
    time_limit, max_samples : float, int
        Bounds (at least one): seconds, proposals.
    rng : None, int, SeedSequence or Generator
    temperature, steps : float, int
        The kernel's temperature and moves per proposal.
    accept : float
        Temperature of the acceptance on the reduced count.
    sandwich, patience, restarts
        Sandwich probability per kernel move, restart patience (proposals), passes per side per proposal.

    Returns
    -------
    ReduceSearchResult
        ``after <= before`` (the start's own reduction with 64 passes per side);
        ``flips`` counts kernel moves, ``evaluated`` proposals.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> res = anneal_reduced(strassen_scheme("ZT"), time_limit=None, max_samples=300, rng=0)
    >>> res.before, res.after
    (18, 15)
    """
    from ..schemes.program import reduce_additions

    check_instance(scheme, "scheme", Scheme)
    if time_limit is None and max_samples is None:
        raise ValueError("time_limit, max_samples: give at least one, or the walk never ends")
    if time_limit is not None:
        time_limit = check_real(time_limit, "time_limit", minimum=0.0, strict_minimum=True)
    if max_samples is not None:
        max_samples = check_int(max_samples, "max_samples", minimum=1)
    temperature = check_real(temperature, "temperature", minimum=0.0, strict_minimum=True)
    accept = check_real(accept, "accept", minimum=0.0, strict_minimum=True)
    steps = check_int(steps, "steps", minimum=1)
    sandwich = check_real(sandwich, "sandwich", minimum=0.0, maximum=1.0)
    patience = check_int(patience, "patience", minimum=1)
    restarts = check_int(restarts, "restarts", minimum=1)
    g = np.random.default_rng(seed_sequence(rng))
    ann = _Annealer(scheme, 0)
    best = reduce_additions(scheme, restarts=64, rng=g)
    before = best.additions
    cur = best
    t0 = time.perf_counter()
    samples = stale = 0
    interrupted = False
    try:
        while (max_samples is None or samples < max_samples) and \
                (time_limit is None or time.perf_counter() - t0 < time_limit):
            ann.load(cur.scheme)
            ann.run(steps, temperature, sandwich, 0.0, int(g.integers(2**31 - 1)))
            p = reduce_additions(ann.current(), restarts=restarts, rng=g)
            samples += 1
            d = p.additions - cur.additions
            if d <= 0 or g.random() < np.exp(-d / accept):
                cur = p
            stale += 1
            if p.additions < best.additions:
                again = reduce_additions(p.scheme, restarts=64, rng=g)
                best = again if again.additions < p.additions else p
                stale = 0
            elif stale >= patience:
                cur, stale = best, 0
    except KeyboardInterrupt:
        interrupted = True
    return ReduceSearchResult(best, before, best.additions, samples * steps, samples, time.perf_counter() - t0,
                              message=f"{before} -> {best.additions} additions after reduction at rank "
                                      f"{scheme.rank} (annealing)", interrupted=interrupted)
