"""Hensel lifting of a scheme over F_p (p = 2, 3) to Z/(p^e).

The Brent equations ``F(U, V, W) = T`` of a scheme are polynomial; a solution
``X_0`` modulo p lifts to a solution modulo ``p^(e+1)`` one digit at a time.
With ``J`` the Jacobian of ``F`` at ``X_0`` over F_p (it is the same modulo p at
every lift of ``X_0``), step ``e`` solves ``J x = ((T - F(X_e)) / p^e) mod p`` and
sets ``X_(e+1) = X_e + p^e x``. ``J`` is reduced once with the packed GF(p)
kernels of :mod:`linalg_lab.lifting._kernels`; each step is then a cheap replay.

Free variables: the unknowns whose columns get no pivot keep their value at
every step (their update is 0). The column order decides which they are: by
default the nonzero entries of the scheme come first (they get the pivots and
may change) and the zero entries last (the free ones stay 0), which keeps the
lifted coefficients small and the support close to that of ``X_0``.

References
----------
.. [1] M. Kauers and J. Moosbauer, "Flip graphs for matrix multiplication",
   ISSAC 2023 (lifting of F2 schemes, section on Hensel lifting).
.. [2] K. Khoruzhii, P. Gelss and S. Pokutta, "Faster algorithms for
   structured matrix multiplication via flip graph search", 2025 (lifting
   F2/F3 flip-graph schemes to Z and Q).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..fields import elimination as E
from ..fields.rings import Ring
from ..schemes import Scheme
from ..validation import check_bool, check_choice, check_instance, check_int, check_matrix, check_rng, check_vector
from . import _kernels as K

#: Largest modulus the int64 kernels handle (products of two residues must fit).
MAX_MODULUS = 2**31


def max_steps(p: int) -> int:
    """Largest number of Hensel steps with ``p^(steps+1) <= 2^31`` (the int64 kernels' limit).

    Examples
    --------
    >>> max_steps(2), max_steps(3)
    (30, 18)
    """
    e = 0
    while p ** (e + 2) <= MAX_MODULUS:
        e += 1
    return e


@dataclass
class JacobianRecord:
    """The Jacobian of the Brent equations over F_p, reduced once.

    Attributes
    ----------
    p : int
    rank : int
        Rank of J over F_p.
    ncols : int
        Number of unknowns ``R * (nU + nV + nW)``.
    colpos : numpy.ndarray
        Column of each unknown (term-major order) in the reduced matrix.
    """

    p: int
    rank: int
    ncols: int
    colpos: np.ndarray
    echelon: np.ndarray
    swaps: np.ndarray
    pivcols: np.ndarray
    scales: np.ndarray | None
    lmult: np.ndarray

    @property
    def nullity(self) -> int:
        """Number of free variables (dimension of the kernel of J)."""
        return self.ncols - self.rank

    def solve(self, b) -> tuple[np.ndarray, bool]:
        """Solve ``J x = b`` over F_p with the free variables 0.

        Returns
        -------
        x : numpy.ndarray
            Values in ``0..p-1`` for each unknown in term-major order.
        ok : bool
            False when ``b`` is not in the column space of J.
        """
        b = np.ascontiguousarray(np.asarray(b, dtype=np.int64) % self.p)
        if self.p == 2:
            x, ok = E.solve2(self.echelon, self.rank, self.swaps, self.pivcols, self.lmult, b, self.ncols)
        else:
            x, ok = E.solve3(self.echelon, self.rank, self.swaps, self.pivcols, self.scales, self.lmult, b, self.ncols)
        return x[self.colpos], bool(ok)


def column_order(u, v, w, rng=None, reverse: bool = False) -> np.ndarray:
    """Priority order of the unknowns: nonzero entries first, then zero entries.

    Parameters
    ----------
    u, v, w : array_like
        Factors over F_p (any integer representatives).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        ``None`` keeps term-major order inside both groups; otherwise both groups
        are shuffled (another choice of free variables).
    reverse : bool, default False
        Reverse the term-major order inside both groups (the free variables
        then fall on the first entries of each dependency instead of the last).

    Returns
    -------
    numpy.ndarray
        ``colpos``: the column of each unknown (term-major index) in the Jacobian.

    Examples
    --------
    >>> column_order([[1, 0]], [[0, 1]], [[1]]).tolist()
    [0, 3, 4, 1, 2]
    """
    u, v, w = _factors(u, v, w)
    flat = np.concatenate([u, v, w], axis=1).reshape(-1)
    nz = np.flatnonzero(flat)
    z = np.flatnonzero(flat == 0)
    if check_bool(reverse, "reverse"):
        nz, z = nz[::-1], z[::-1]
    if rng is not None:
        g = check_rng(rng)
        nz = g.permutation(nz)
        z = g.permutation(z)
    order = np.concatenate([nz, z])
    colpos = np.empty(len(order), dtype=np.int64)
    colpos[order] = np.arange(len(order))
    return colpos


def _factors(u, v, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``u, v, w`` as int64 matrices with one row per term (the same number of rows)."""
    u, v, w = (check_matrix(a, name, dtype=np.int64, allow_empty=True) for a, name in ((u, "u"), (v, "v"), (w, "w")))
    for a, name in ((v, "v"), (w, "w")):
        if len(a) != len(u):
            raise ValueError(f"{name}: expected {len(u)} rows (one per term, as u), got shape {a.shape}")
    return u, v, w


def brent_jacobian(u, v, w, p: int, colpos=None) -> JacobianRecord:
    """Build and reduce the Jacobian of the Brent equations at ``(u, v, w)`` over F_p.

    Parameters
    ----------
    u, v, w : array_like of int
        Factor matrices (R x nU, R x nV, R x nW); read modulo p.
    p : {2, 3}
    colpos : array_like of int, optional
        Column of each unknown, from :func:`column_order` (its default when omitted).

    Returns
    -------
    JacobianRecord
        The elimination record; ``record.solve(b)`` solves ``J x = b``.

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> s = strassen_scheme()
    >>> rec = brent_jacobian(s.u, s.v, s.w, 2)
    >>> rec.ncols, rec.rank <= 64
    (84, True)
    """
    p = check_choice(p, "p", (2, 3))
    u, v, w = (np.ascontiguousarray(a % p) for a in _factors(u, v, w))
    if colpos is None:
        colpos = column_order(u, v, w)
    ncols = len(u) * (u.shape[1] + v.shape[1] + w.shape[1])
    colpos = np.ascontiguousarray(check_vector(colpos, "colpos", size=ncols, dtype=np.int64, allow_empty=True))
    a = K.jacobian_packed(u, v, w, p, colpos)
    if p == 2:
        rank, swaps, pivcols, lmult = E.eliminate2(a, ncols)
        scales = None
    else:
        rank, swaps, pivcols, scales, lmult = E.eliminate3(a, ncols)
    return JacobianRecord(p, int(rank), ncols, colpos, a, swaps, pivcols, scales, lmult)


@dataclass
class HenselLift:
    """Outcome of :func:`hensel_lift`.

    Attributes
    ----------
    ok : bool
        True when every step had a solution.
    u, v, w : numpy.ndarray
        The factors modulo ``modulus`` in symmetric representatives
        ``(-modulus/2, modulus/2]`` (the last good lift when ``ok`` is False).
    p, modulus : int
        The prime and ``p^(steps_done + 1)``.
    steps_done : int
        Number of completed lifting steps.
    exact : bool
        True when the symmetric representatives already satisfy the Brent
        equations over Z (an integer scheme; lifting stopped early).
    proved_none : bool
        True when step 1 had no solution: then no lift modulo p^2 exists at all,
        so none to Z or to Q with denominators prime to p.
    message : str
    jacobian_rank, nullity : int
    """

    ok: bool
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    p: int
    modulus: int
    steps_done: int
    exact: bool = False
    proved_none: bool = False
    message: str = ""
    jacobian_rank: int = 0
    nullity: int = 0
    extra: dict = field(default_factory=dict)


def _i64(a) -> np.ndarray:
    """A writable C-contiguous int64 copy (one numba signature for every kernel call)."""
    return np.array(a, dtype=np.int64, order="C")


def _sym(a: np.ndarray, m: int) -> np.ndarray:
    r = a % m
    return np.where(r > m // 2, r - m, r)


def _check_finite_field_scheme(scheme, name="scheme") -> int:
    check_instance(scheme, name, Scheme)
    if scheme.ring not in (Ring.F2, Ring.F3):
        raise ValueError(f"{name}: expected a scheme over F2 or F3 (lifting starts there), got one over {scheme.ring}")
    u, v, w = (_i64(a) for a in scheme.factors)
    t = _i64(scheme.tensor)
    if not np.any(K.brent_residual(u, v, w, t, scheme.ring.characteristic)):
        return scheme.ring.characteristic
    check = scheme.verify()
    if not check:
        raise ValueError(f"{name}: expected a valid scheme over {scheme.ring}, got one that fails: "
                         f"{check.describe(limit=2)}")
    return scheme.ring.characteristic


def _check_steps(steps, p: int) -> int:
    top = max_steps(p)
    return check_int(steps, "steps", minimum=1, maximum=top, maximum_text=f"{top} (for p = {p})")


def hensel_lift(scheme: Scheme, steps: int = 10, *, rng=None, colpos=None, stop_when_exact: bool = True,
                _checked: bool = False) -> HenselLift:
    """Lift a scheme over F_p (p = 2, 3) to a solution of the Brent equations mod ``p^(steps+1)``.

    Parameters
    ----------
    scheme : Scheme
        A valid scheme over F2 or F3.
    steps : int, default 10
        Number of lifting steps (the modulus becomes ``p^(steps+1)``); at most
        30 for p = 2 and 18 for p = 3 (the kernels use int64 residues).
    rng : None, int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Another choice of free variables (see :func:`column_order`); ``None``
        is the default choice (zero entries stay zero where possible).
    colpos : array_like of int, optional
        An explicit column order (overrides ``rng``).
    stop_when_exact : bool, default True
        Stop as soon as the symmetric representatives are an exact integer
        solution.

    Returns
    -------
    HenselLift
        The factors modulo ``p^(steps_done+1)``; see its attributes.

    Raises
    ------
    TypeError
        If ``scheme`` is not a Scheme, or ``steps`` not an integer.
    ValueError
        If ``scheme`` is not a valid scheme over F2 or F3, or ``steps`` is out of range.

    References
    ----------
    Kauers & Moosbauer, "Flip graphs for matrix multiplication" (2023);
    Khoruzhii, Gelss & Pokutta (2025).

    Examples
    --------
    >>> from linalg_lab.schemes import strassen_scheme
    >>> h = hensel_lift(strassen_scheme("F2"))
    >>> h.ok, h.exact
    (True, True)
    """
    p = scheme.ring.characteristic if _checked else _check_finite_field_scheme(scheme)
    steps = _check_steps(steps, p)
    stop_when_exact = check_bool(stop_when_exact, "stop_when_exact")
    u0, v0, w0 = (np.asarray(a, dtype=np.int64) for a in scheme.factors)
    if colpos is None:
        colpos = column_order(u0, v0, w0, rng)
    rec = brent_jacobian(u0, v0, w0, p, colpos)
    t = _i64(scheme.tensor)
    rank = len(u0)
    nu, nv, nw = scheme.dims
    d = nu + nv + nw
    u, v, w = (np.ascontiguousarray(_sym(a, p)) for a in (u0, v0, w0))
    q = p

    def result(ok, steps_done, exact=False, proved=False, msg=""):
        return HenselLift(ok, u, v, w, p, p ** (steps_done + 1), steps_done, exact, proved, msg, rec.rank, rec.nullity)

    for e in range(1, steps + 1):
        # exact check while the representatives are small
        if stop_when_exact and q <= 2**15 and not np.any(K.brent_residual(u, v, w, t, 0)):
            return result(True, e - 1, exact=True, msg=f"exact over Z after {e - 1} step(s)")
        res = K.brent_residual(u, v, w, t, q * p)
        if np.any(res % q):
            return result(False, e - 1, msg=f"internal: residual not divisible by {p}^{e}")
        b = (res // q) % p
        x, ok = rec.solve(b)
        if not ok:
            if e == 1:
                return result(False, 0, proved=True,
                              msg=f"no lift modulo {p}^2: the linearised Brent equations have no solution")
            return result(False, e - 1, msg=f"step {e} has no solution with this choice of free variables")
        x = x.reshape(rank, d)
        q2 = q * p
        u = np.ascontiguousarray(_sym(u + q * x[:, :nu], q2))
        v = np.ascontiguousarray(_sym(v + q * x[:, nu:nu + nv], q2))
        w = np.ascontiguousarray(_sym(w + q * x[:, nu + nv:], q2))
        q = q2
    exact = bool(stop_when_exact and q <= 2**15 and not np.any(K.brent_residual(u, v, w, t, 0)))
    return result(True, steps, exact=exact, msg=f"lifted modulo {p}^{steps + 1}")
