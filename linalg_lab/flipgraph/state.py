"""The walker state layout, defined once for every flip-graph kernel.

One walk lives in the arrays of a :class:`WalkerState`; many walks live in the
same arrays with a leading batch axis (:func:`allocate` with ``batch=B``, one
walk per index, :func:`select` gives the views of one of them), which is what
a GPU kernel running thousands of walks at once indexes by its thread number.

Terms and cells
---------------
A *unit* is a term (general walk) or an orbit of three terms (cyclic-symmetric
walk, Moosbauer & Poole). Unit ``t`` owns the four *cells* ``4t + k``: its
factors u, v, w for k = 0, 1, 2 (for an orbit: the factors v0, v1, v2 of its
first term, the other two terms being rotations), and a spare cell that pads
a unit's factor words to one 64-byte cache line. A factor is two ``uint64``
words, the planes of :mod:`linalg_lab.fields.words`. Reading a term from cell
``x = 4t + i`` gives the factors at cells ``4t + i``, ``4t + (i+1) % 3``,
``4t + (i+2) % 3``: for a general term ``i`` is the position of the factor,
for an orbit it picks one of the three rotated terms. That one rule lets the
general and the symmetric walks share every move body.

Factor tables
-------------
A hash table maps a factor value to the linked list of the cells holding it
(``keys``, ``sgen``, ``cnt``, ``head``, ``fpos`` per slot; ``tslot``, ``nxt``,
``prv`` per cell). The general walk has three tables (cell ``x`` goes to table
``x % 4``), the symmetric walk one (rotations move any factor anywhere).
``flist`` lists the slots holding two or more cells (the possible flips).

Fields
------
========  ======  ==========================  =====================================
name      dtype   shape (one walk)            what
========  ======  ==========================  =====================================
F         uint64  (4 * units, 2)              factor words of every cell
S         int8    (units,)                    sign of each unit
meta      int64   (META_SIZE,)                counters and geometry (``M_*``)
keys      uint64  (tables, 2**hbits, 2)       factor value of each slot
sgen      int32   (tables, 2**hbits)          generation a slot was written in
cnt       int32   (tables, 2**hbits)          cells in the slot's list
head      int32   (tables, 2**hbits)          first cell of the list
fpos      int32   (tables, 2**hbits)          position of the slot in ``flist``
tslot     int32   (4 * units,)                slot of each cell (-1: none)
nxt, prv  int32   (4 * units,)                list links
flist     int64   (tables * 2**hbits,)        slots with two or more cells
stack     int64   (STACK_CAP,)                cells whose factor changed
rng       uint64  (1,)                        xorshift64* state
params    int64   (PARAMS_SIZE,)              walk parameters (``P_*``)
bestF     uint64  (4 * units, 2)              best scheme seen
bestS     int8    (units,)
========  ======  ==========================  =====================================
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

CELLS_PER_UNIT = 4

# meta layout
M_RANK = 0           # units (terms, or orbits) held now
M_USED0 = 1          # 1, 2, 3: used slots per table in the current generation
M_GEN0 = 4           # 4, 5, 6: generation per table
M_FLEN = 7           # length of flist
M_FLIPS = 8          # flips done in total
M_PLUS = 9           # plus transitions and splits in total
M_REDUCTIONS = 10    # reductions in total
M_BEST = 11          # best rank (in units) seen by this walk
M_SINCE = 12         # flips since the last improvement (local plateau counter)
M_RING = 13          # ring code (linalg_lab.fields.words: RING_F2, RING_F3, RING_ZT)
M_HBITS = 14         # log2 of the table size
M_CAP = 15           # capacity in units
M_BEST_FLIPS = 16    # flips at which the best rank was reached
M_STACK = 17         # length of the reduction stack
M_DIRECT = 18        # > 0: direct-address tables, slot = plane0 | plane1 << M_DIRECT (small factor spaces)
M_SYM = 19           # 1: cyclic-symmetric walk (units are orbits, one table)
M_TMASK = 20         # table of cell x is (x & 3) & M_TMASK: 3 for the general walk, 0 for the symmetric one
M_REJECTED = 21      # moves refused because a Z_T coefficient would leave {-1, 0, 1}
M_COST = 22          # cost walks: nonzero coefficients of the current scheme
M_BEST_COST = 23     # cost walks: nonzero coefficients of the best scheme (0: not measured yet)
META_SIZE = 24

# params layout
P_MAX_FLIPS = 0      # flips to do in this call
P_TARGET = 1         # stop as soon as rank <= target
P_PLATEAU = 2        # plus transition after this many flips without improvement (0: never)
P_MARGIN = 3         # plus transitions only while rank < best + margin
P_STOP_AT_DROP = 4   # if > 0, stop when rank < this value
P_SPLIT = 5          # percent of plateau escapes that split a term instead of a plus transition
PARAMS_SIZE = 8

STACK_CAP = 64


class WalkerState(NamedTuple):
    """The arrays of one walk (or of a batch of walks, each with a leading batch axis)."""

    F: np.ndarray
    S: np.ndarray
    meta: np.ndarray
    keys: np.ndarray
    sgen: np.ndarray
    cnt: np.ndarray
    head: np.ndarray
    fpos: np.ndarray
    tslot: np.ndarray
    nxt: np.ndarray
    prv: np.ndarray
    flist: np.ndarray
    stack: np.ndarray
    rng: np.ndarray
    params: np.ndarray
    bestF: np.ndarray
    bestS: np.ndarray


def layout(units: int, tables: int, hbits: int) -> dict:
    """``{field: (dtype, shape, fill)}`` of one walk: the single definition of the state."""
    cells = CELLS_PER_UNIT * units
    h = 1 << hbits
    return {
        "F": (np.uint64, (cells, 2), 0),
        "S": (np.int8, (units,), 1),
        "meta": (np.int64, (META_SIZE,), 0),
        "keys": (np.uint64, (tables, h, 2), 0),
        "sgen": (np.int32, (tables, h), 0),
        "cnt": (np.int32, (tables, h), 0),
        "head": (np.int32, (tables, h), 0),
        "fpos": (np.int32, (tables, h), 0),
        "tslot": (np.int32, (cells,), -1),
        "nxt": (np.int32, (cells,), 0),
        "prv": (np.int32, (cells,), 0),
        "flist": (np.int64, (tables * h,), 0),
        "stack": (np.int64, (STACK_CAP,), 0),
        "rng": (np.uint64, (1,), 0),
        "params": (np.int64, (PARAMS_SIZE,), 0),
        "bestF": (np.uint64, (cells, 2), 0),
        "bestS": (np.int8, (units,), 1),
    }


def allocate(units: int, tables: int, hbits: int, batch: int | None = None) -> WalkerState:
    """Fresh arrays for one walk, or for ``batch`` walks with a leading batch axis.

    Examples
    --------
    >>> st = allocate(units=30, tables=3, hbits=9, batch=1000)
    >>> st.F.shape, select(st, 7).F.shape
    ((1000, 120, 2), (120, 2))
    """
    if tables not in (1, 3):
        raise ValueError(f"tables: expected 1 (symmetric walk) or 3 (general walk), got {tables}")
    lead = () if batch is None else (int(batch),)
    return WalkerState(**{name: np.full(lead + shape, fill, dtype)
                          for name, (dtype, shape, fill) in layout(units, tables, hbits).items()})


def select(state: WalkerState, i: int) -> WalkerState:
    """The state of walk ``i`` of a batched state (views, no copy)."""
    return WalkerState(*(a[i] for a in state))
