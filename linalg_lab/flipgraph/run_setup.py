"""What every flip-graph run sets up the same way: its seeds, its schemes over the walk ring, and
the provenance record of the files it writes.

:func:`search`, :func:`meta_search`, the additions minimiser and campaigns all
take ``rng`` (one root for every walker's seeds) and starting schemes over Z,
Z_T or a finite field, and write verified files whose provenance says how
they were found (:func:`provenance`); the rules live here once.
"""

from __future__ import annotations

import numpy as np

from ..fields.rings import Ring, as_ring
from ..schemes.scheme import Scheme
from ..validation import check_int


#: The rings a flip graph is walked over.
WALK_RINGS = (Ring.F2, Ring.F3, Ring.ZT)


def walk_ring(ring, name: str = "ring") -> Ring:
    """``ring`` as a walk ring (F2, F3 or Z_T); a ValueError naming ``name`` otherwise.

    Examples
    --------
    >>> walk_ring("zt").value
    'ZT'
    """
    try:
        r = as_ring(ring)
    except (ValueError, TypeError):
        r = None
    if r not in WALK_RINGS:
        raise ValueError(f"{name}: the flip graph is walked over F2, F3 or ZT, got {ring!r}")
    return r


def seed_sequence(rng, seed=None) -> np.random.SeedSequence:
    """The root of the per-walker seeds: ``rng`` (or its old name ``seed``) as a SeedSequence.

    Examples
    --------
    >>> seed_sequence(7).spawn(2)[1].entropy == seed_sequence(7).entropy
    True
    """
    if seed is not None:
        if rng is not None:
            raise TypeError("seed, rng: give one of them (seed is the old name of rng)")
        rng = seed
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return rng if rng is not None else np.random.SeedSequence()
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    return np.random.SeedSequence(check_int(rng, "rng", minimum=0))


def over_ring(s: Scheme, ring: Ring, name: str = "start") -> Scheme:
    """``s`` as a verified scheme over the walk ring ``ring``: Z / Z_T schemes reduce mod p, a Z scheme with
    entries in {-1, 0, 1} is a Z_T scheme; anything else raises a ``ValueError`` naming ``name``.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> over_ring(strassen_scheme("Z"), Ring.F2).ring.value
    'F2'
    """
    if s.ring is not ring:
        if s.ring.is_finite_field:
            raise ValueError(f"{name}: scheme is over {s.ring}, the search over {ring}")
        if s.is_rational:
            raise ValueError(f"{name}: a scheme with fractions cannot be reduced mod p")
        if ring is Ring.ZT and any(np.abs(np.asarray(a, dtype=object)).max(initial=0) > 1 for a in s.factors):
            raise ValueError(f"{name}: a scheme over {s.ring} with entries outside {{-1, 0, 1}} is not a Z_T scheme")
        s = s.with_factors(s.u, s.v, s.w, ring=ring)
    if not s.verify():
        raise ValueError(f"{name}: the {s.tc.label()} scheme does not verify over {ring}")
    return s


def lifted_to(scheme: Scheme, ring) -> Scheme | None:
    """``scheme`` (an F2 walk's) as a scheme over ``ring``, or None where it has none: itself over its own
    ring, else the sign search / Hensel lifting of :func:`linalg_lab.lifting.lift` when it reaches ``ring``."""
    ring = as_ring(ring)
    if scheme.ring is ring:
        return scheme
    from ..lifting import lift      # only the lifted F2 walks of a Z_T search need it

    res = lift(scheme, ring)
    return res.scheme if res and res.ring_needed == ring else None


def warm_up(walkers, executor, **walk_options) -> None:
    """Compile the kernels (or load them from the cache) before a run's clock starts: one flip per
    walker with the run's options, then the executor's own preparation (a GPU launch, worker plugins)."""
    for w in walkers:
        w.walk(1, **walk_options)
    executor.prepare(walkers)


def drive(executor, walkers, coordinator, on_close=None) -> bool:
    """Run ``walkers`` under ``coordinator`` on ``executor``; True when Ctrl-C stopped the run.

    Ctrl-C ends the run cleanly (the caller writes what it found); an error
    raised in a worker (thread, task or launch) is raised again here, after
    ``on_close()``.
    """
    interrupted = False
    try:
        executor.run(walkers, coordinator)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if on_close is not None:
            on_close()
    if coordinator.error is not None:
        raise coordinator.error
    return interrupted


def provenance(method: str, *, seed=None, parent=None, result=None, seconds=None, **extra) -> dict:
    """The provenance record of a scheme file written by a flip-graph run (one layout for every writer).

    Parameters
    ----------
    method : str
        How the scheme was found (``"flip graph"``, ``"meta flip graph"``, ``"optimize"``, ...).
    seed : int, optional
        The run's root seed, when it was an integer.
    parent : str, optional
        Where the run started (a file, ``"naive"``, ...).
    result : SearchResult or MetaSearchResult, optional
        The run's figures: its seconds, flips, device and the autopilot's portfolio or the meta
        search's stints, where it has them.
    seconds : float, optional
        Seconds of the run when no ``result`` gives them (or over resumed runs).
    **extra
        Further keys (a campaign's name, ...), written as given.

    Examples
    --------
    >>> provenance("flip graph", seed=3, parent="naive", seconds=1.23456)
    {'method': 'flip graph', 'seed': 3, 'parent': 'naive', 'seconds': 1.235}
    """
    prov = {"method": method, "seed": seed if isinstance(seed, (int, np.integer)) else None, "parent": parent}
    if result is not None:
        seconds = result.seconds if seconds is None else seconds
        prov["flips"] = int(result.flips)
        if getattr(result, "device", None):
            prov["device"] = result.device
        pilot = getattr(result, "autopilot", None)
        if pilot is not None:
            prov["autopilot"] = {"engaged_at": pilot["engaged_at"], "portfolio": pilot["portfolio"]}
        if getattr(result, "stints", None):
            prov["stints"] = result.stints
    if seconds is not None:
        prov["seconds"] = round(float(seconds), 3)
    prov.update(extra)
    return prov


__all__ = ["WALK_RINGS", "drive", "lifted_to", "over_ring", "provenance", "seed_sequence", "walk_ring", "warm_up"]
