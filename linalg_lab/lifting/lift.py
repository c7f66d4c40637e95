"""The public lifter: F2/F3 scheme -> verified scheme over Z_T, Z or Q."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..fields.rings import Ring, as_ring
from ..schemes import Scheme
from ..validation import check_bool, check_choice, check_int, check_rng
from .canonical import canonicalize
from .hensel import _check_finite_field_scheme, _check_steps, column_order, hensel_lift
from .reconstruct import rational_reconstruction_array
from .ternary import _ternary

TARGETS = ("Q", "Z", "ZT")


@dataclass
class LiftResult:
    """Outcome of :func:`lift`.

    Attributes
    ----------
    ok : bool
        True when ``scheme`` holds a lift verified exactly over the target ring.
    scheme : Scheme or None
        The lifted scheme, canonically scaled, over the narrowest ring of
        Z_T, Z, Q that holds it (so also exact over the target ring).
    ring_needed : str or None
        ``"ZT"``, ``"Z"`` or ``"Q"``: the ring the lift found lives in (also
        set when a lift exists only over a larger ring than the target).
    message : str
        What happened, e.g. ``"no lift to Z/Q found after 10 steps"``.
    seconds : float
    method : str
        ``"hensel"`` or ``"signs"`` (ternary search), or ``""``.
    steps : int
        Hensel steps used by the successful attempt (0 for signs).
    attempts : int
        Hensel attempts (choices of free variables) made.
    proved_none : bool
        True when the failure is a proof (no lift modulo p^2 exists, or the
        sign search is exhaustive).
    source : Scheme
        The input scheme.
    """

    ok: bool
    scheme: Scheme | None
    ring_needed: str | None
    message: str
    seconds: float
    method: str = ""
    steps: int = 0
    attempts: int = 0
    proved_none: bool = False
    source: Scheme | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.ok

    def provenance(self) -> dict:
        """Facts for the ``provenance`` field of the written file."""
        return {"method": f"lift ({self.method})", "from_ring": self.source.ring.value if self.source else None,
                "steps": self.steps, "seconds": round(self.seconds, 6), "ring_needed": self.ring_needed,
                "message": self.message}


def _reconstruct(h, code, sizes):
    """Rational reconstruction of a Hensel lift, exact check over Q; a canonical Scheme or None."""
    if h.exact:
        s = Scheme(code, sizes, Ring.Z, h.u, h.v, h.w)
        return canonicalize(s)
    mats = []
    rational = False
    for a in (h.u, h.v, h.w):
        num, den = rational_reconstruction_array(a, h.modulus)
        if np.any(den == 0):
            return None
        if np.all(den == 1):
            mats.append(num)
        else:
            rational = True
            out = np.empty(a.shape, dtype=object)
            for idx in np.ndindex(a.shape):
                out[idx] = Fraction(int(num[idx]), int(den[idx]))
            mats.append(out)
    if not rational:
        bound = max(int(np.abs(m).max()) if m.size else 0 for m in mats)
        if bound ** 3 * len(mats[0]) >= 2**62:
            mats = [m.astype(object) for m in mats]
        s = Scheme(code, sizes, Ring.Z, *mats)
    else:
        s = Scheme(code, sizes, Ring.Q, *mats)
    if not s.verify():
        return None
    return canonicalize(s)


_ORDER = {Ring.ZT: 0, Ring.Z: 1, Ring.Q: 2}


def _ternary_candidate(scheme: Scheme, max_nodes: int, t0: float):
    """A Z_T lift of an F2 scheme (sign search) or of an F3 scheme (its only candidate), or None."""
    if scheme.ring is Ring.F3:
        cand = Scheme(scheme.code, scheme.n, Ring.ZT, *scheme.factors)
        return cand if cand.verify() else None
    tl = _ternary(scheme, max_nodes, t0)
    return tl.scheme if tl.ok else None


def _complexity(s: Scheme) -> tuple:
    """Height, non-integer entries, nonzero entries: smaller is simpler."""
    vals = [Fraction(x) for a in s.factors for x in np.asarray(a).ravel()]
    height = max((max(abs(v.numerator), v.denominator) for v in vals), default=0)
    return height, sum(v.denominator > 1 for v in vals), sum(v != 0 for v in vals)


def _simplest(scheme, steps, first, extra, gen):
    """The simplest lift over ``first``'s ring among ``first`` and ``extra`` random choices of free variables."""
    best, best_c = first, _complexity(first)
    factors = [np.asarray(a, dtype=np.int64) for a in scheme.factors]
    for _ in range(extra):
        h = hensel_lift(scheme, steps, colpos=column_order(*factors, rng=gen), _checked=True)
        cand = _reconstruct(h, scheme.code, scheme.n) if h.ok else None
        if cand is not None and cand.ring is first.ring:
            c = _complexity(cand)
            if c < best_c:
                best, best_c = cand, c
    return best, best is not first


def lift(scheme: Scheme, to="Q", steps: int = 10, *, attempts: int = 4, rng=0, max_nodes: int = 200_000,
         prefer_ternary: bool = True, simplify: int = 0) -> LiftResult:
    """Lift a scheme over F2 or F3 to Z_T, Z or Q, verified exactly.

    Over Z and Q: Hensel lifting to ``p^(steps+1)`` (:func:`hensel_lift`),
    rational reconstruction of every coefficient, exact verification over Q,
    canonical scaling of the terms (:func:`canonicalize`). When an attempt
    fails (reconstruction, verification, or a lift over Q when Z was asked),
    other choices of the free variables are tried (``attempts`` in all: the
    default order of :func:`column_order`, its mirror image, then random
    orders); for
    an F2 scheme the sign search (a Z_T lift is one over Z and over Q) is the
    last resort for every target. Over Z_T:
    the sign search of :func:`ternary_lift` for F2 schemes; an F3 scheme has
    exactly one candidate (its entries read as -1, 0, 1).

    Parameters
    ----------
    scheme : Scheme
        A valid scheme over F2 or F3.
    to : {"Q", "Z", "ZT"} or Ring, default "Q"
        Target ring (any case); the result lies in it (or in a smaller one of
        Z_T ⊂ Z ⊂ Q).
    steps : int, default 10
        Hensel steps (modulus ``p^(steps+1)``; entries up to about
        ``sqrt(p^(steps+1)/2)`` in numerator and denominator are recovered).
    attempts : int, default 4
        Choices of free variables tried before giving up.
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, default 0
        Seeds the random choices of free variables (attempts 3 and later; the
        first two are deterministic).
    max_nodes : int, default 200_000
        Decision bound of the sign search.
    prefer_ternary : bool, default True
        When the Hensel lift is not over Z_T, look for a Z_T lift as well
        (the sign search for F2, bounded by 20,000 decisions; for F3 the
        only candidate) and return it when there is one, so that
        ``ring_needed`` is ``"Z"`` only when no Z_T lift was found.
    simplify : int, default 0
        When the lift found is not over Z_T, try this many more random
        choices of free variables and return the simplest lift over the same
        ring: the smallest height (largest numerator or denominator), then
        the fewest non-integer entries, then the fewest nonzero entries.

    Returns
    -------
    LiftResult
        Never raises for a scheme that has no lift: ``.ok`` is False and
        ``.message`` says why (e.g. ``"no lift to Z/Q found after 10 steps"``).

    Raises
    ------
    TypeError
        If ``scheme`` is not a Scheme, or an argument has the wrong type
        (``steps``, ``attempts``, ``simplify``, ``max_nodes`` must be integers,
        ``prefer_ternary`` a bool, ``rng`` a seed or a Generator).
    ValueError
        If ``scheme`` is not a valid scheme over F2/F3, or ``to``, ``steps``,
        ``attempts``, ``simplify``, ``max_nodes`` are out of range.

    References
    ----------
    Kauers & Moosbauer, "Flip graphs for matrix multiplication" (2023);
    Khoruzhii, Gelss & Pokutta, "Faster algorithms for structured matrix
    multiplication via flip graph search" (2025); Wang, Guy & Davenport (1982).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> res = lift(strassen_scheme("F3"), to="Z")
    >>> res.ok, res.ring_needed, bool(res.scheme.verify())
    (True, 'ZT', True)
    """
    t0 = time.perf_counter()
    p = _check_finite_field_scheme(scheme)
    target = as_ring(check_choice(to, "to", TARGETS))
    steps = _check_steps(steps, p)
    attempts = check_int(attempts, "attempts", minimum=1)
    simplify = check_int(simplify, "simplify", minimum=0)
    max_nodes = check_int(max_nodes, "max_nodes", minimum=1)
    prefer_ternary = check_bool(prefer_ternary, "prefer_ternary")
    gen = check_rng(rng)

    def done(ok, s=None, needed=None, msg="", method="", used=0, tries=0, proved=False):
        return LiftResult(ok, s, needed, msg, time.perf_counter() - t0, method, used, tries, proved, scheme)

    if target is Ring.ZT:
        if p == 3:
            cand = Scheme(scheme.code, scheme.n, Ring.ZT, *scheme.factors)
            if cand.verify():
                return done(True, cand, "ZT", "the F3 scheme read with entries -1, 0, 1 is exact over Z", "signs")
            return done(False, None, None,
                        "no lift to ZT: over F3 the only candidate (entries read as -1, 0, 1) is not exact over Z",
                        "signs", proved=True)
        tl = _ternary(scheme, max_nodes, t0)
        if tl.ok:
            return done(True, tl.scheme, "ZT", tl.message, "signs")
        return done(False, None, None, f"no lift to ZT: {tl.message}", "signs", proved=tl.proved_none)

    best_q = None
    last_steps = 0
    tries = 0
    for k in range(attempts):
        tries += 1
        if k < 2:                     # the default choice of free variables, then its mirror image
            colpos = column_order(*(np.asarray(a, dtype=np.int64) for a in scheme.factors), reverse=k == 1)
        else:                         # random choices
            colpos = column_order(*(np.asarray(a, dtype=np.int64) for a in scheme.factors), rng=gen)
        h = hensel_lift(scheme, steps, colpos=colpos, _checked=True)
        last_steps = h.steps_done if h.ok else h.steps_done + 1
        if not h.ok:
            if h.proved_none:
                return done(False, None, None,
                            f"no lift to Z/Q found after 1 step: {h.message} "
                            f"(so no lift to Z, and none to Q with denominators prime to {p})",
                            "hensel", h.steps_done, tries, proved=True)
            continue
        lifted = _reconstruct(h, scheme.code, scheme.n)
        if lifted is None:
            continue
        if lifted.ring is not Ring.ZT and prefer_ternary:
            zt = _ternary_candidate(scheme, min(max_nodes, 20_000), t0)
            if zt is not None:
                return done(True, zt, "ZT", f"lifted over ZT by the sign search (the Hensel lift was over "
                            f"{lifted.ring})", "signs", 0, tries)
            prefer_ternary = False          # proved or undecided: no need to ask again
        if _ORDER[lifted.ring] <= _ORDER[target]:
            msg = f"lifted over {lifted.ring} ({h.message})"
            if simplify and lifted.ring is not Ring.ZT:
                lifted, better = _simplest(scheme, steps, lifted, simplify, gen)
                tries += simplify
                msg += f"; the simplest of {simplify + 1} lifts" if better else f"; no simpler one in {simplify} more"
            return done(True, lifted, lifted.ring.value, msg, "hensel", h.steps_done, tries)
        if best_q is None:
            best_q = (lifted, h.steps_done)
    if p == 2 and best_q is None:
        # Z_T lies in Z and in Q: when no Hensel lift was found, the sign search is the last resort for
        # every target (Hensel's fixed choice of free variables at one step can leave the next step
        # unsolvable even when signs exist: the Z_T 4x6x6, 5x6x6 and 6x6x6 schemes reduced mod 2)
        tl = _ternary(scheme, max_nodes, t0)
        if tl.ok:
            return done(True, tl.scheme, "ZT", f"lifted over ZT by the sign search: {tl.message}", "signs", 0, tries)
    if best_q is not None:
        return done(False, None, "Q",
                    f"no lift to {target} found: the lift found needs denominators (over Q, after {best_q[1]} steps)",
                    "hensel", best_q[1], tries)
    return done(False, None, None, f"no lift to Z/Q found after {last_steps} step{'s' if last_steps != 1 else ''} "
                f"({tries} choices of free variables tried)", "hensel", last_steps, tries)
