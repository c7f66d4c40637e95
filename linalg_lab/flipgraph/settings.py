"""Search settings: the single source of every default of the flip-graph search.

The API (:func:`~linalg_lab.flipgraph.search`), the command line (``linalg-lab
search --help``), campaign files (``[search]`` keys) and the docstrings all
read their defaults and descriptions from :data:`SETTINGS` here.

A walk setting has one default per *mode*: ``"pool"`` (walkers restart from
the pool of best schemes), ``"start"`` (independent descents: stalled walkers
restart from the start, Kauers & Moosbauer's many walks), and ``"C3"`` (the
cyclic-symmetric walk of Moosbauer & Poole; ``"C3-small"`` below 5x5x5).

Examples
--------
>>> s = SearchSettings.resolve(mode="start")
>>> s.plateau, s.margin, s.path_limit, s.follow
(50000, 3, 10000000, 0.0)
>>> SearchSettings.resolve(mode="C3", plateau=20000).plateau
20000
>>> SearchSettings.resolve(mode="start", ring="ZT").path_limit
300000000
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

from ..validation import check_int, check_real


@dataclass(frozen=True)
class Setting:
    """One tunable walk setting: its defaults per mode, its unit and what it means."""

    name: str
    defaults: dict
    help: str
    kind: type = int
    metavar: str = "F"

    def default(self, mode: str, ring: str | None = None):
        """The default in ``mode``, or its ``"mode/ring"`` entry where the ring needs another value."""
        if ring is not None and f"{mode}/{ring}" in self.defaults:
            return self.defaults[f"{mode}/{ring}"]
        if mode == "C3-small" and mode not in self.defaults:
            mode = "C3"
        return self.defaults.get(mode, self.defaults["pool"])

    def describe_defaults(self) -> str:
        """``"50000; C3: 16667"``: the defaults as the CLI help and the docstrings show them."""
        base = self.defaults["pool"]
        parts = [_fmt(base)]
        for mode, label, like in (("start", "restart from the start", "pool"), ("C3", "C3", "pool"),
                                  ("C3-small", "C3 below 5x5x5", "C3")):
            value = self.default(mode)
            if value != self.default(like):
                parts.append(f"{label}: {_fmt(value)}")
            for key, v in self.defaults.items():
                if key.startswith(mode + "/"):
                    parts.append(f"{label} over {key.split('/')[1]}: {_fmt(v)}")
        return "; ".join(parts)


def _fmt(x) -> str:
    if isinstance(x, int) and x >= 1_000_000:
        return f"{x:g}".replace("e+0", "e").replace("e+", "e")      # 50000000 -> 5e7
    return f"{x:g}" if isinstance(x, float) else str(x)


def whole_number(text: str) -> int:
    """A command-line count of flips: ``50000``, ``5e7`` or ``1_000_000`` (the help shows defaults as ``5e7``).

    >>> whole_number("1e8"), whole_number("30000")
    (100000000, 30000)
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number such as 30000 or 5e7, got {text!r}")
    return int(value)


MODES = ("pool", "start", "C3", "C3-small")

#: Every tunable walk setting with its defaults per mode (the symmetric defaults follow
#: Moosbauer and Poole's runs; margins are in terms, flips in orbit flips for C3).
SETTINGS = (
    Setting("plateau", {"pool": 50_000, "start/F2": 5_000, "C3": 16_667, "C3-small": 16_667},
            "flips without progress before a plus transition (0: never)"),
    Setting("margin", {"pool": 3, "C3": 30, "C3-small": 30},
            "climb at most this many terms above a walker's best rank; hard rank levels want more "
            "(kg 3x3x3 F3 -> 14: 8)", metavar="M"),
    Setting("split", {"pool": 0},
            "percent of plateau escapes that split a term, (a, b, c) = (a', b, c) + (a - a', b, c) with a' "
            "another term's factor, instead of a plus transition (Perminov's ternary moves)", metavar="PCT"),
    Setting("sandwich", {"pool": 0},
            "random elementary sandwiches (I +- E_ij on A, B or C) applied to the scheme a walker restarts "
            "from, gg only; over Z_T only those that keep every coefficient in {-1, 0, 1}", metavar="K"),
    # Z_T descents pause far longer between reductions than F2 ones (4x4x4 to 49, 5x5x5 C3 to 96: 3e8 flips
    # without progress lets a descent finish; the F2 values cut most of them short)
    Setting("path_limit", {"pool": 50_000_000, "start": 10_000_000, "start/ZT": 300_000_000,
                           "C3": 33_000_000, "C3/ZT": 300_000_000, "C3-small": 1_000_000},
            "flips without improvement on a path before the walker restarts"),
    Setting("follow", {"pool": 0.25, "start": 0.0, "C3": 0.0, "C3-small": 0.0},
            "probability per chunk that a walker behind the best rank restarts from the pool", kind=float, metavar="P"),
    Setting("chunk", {"pool": 1 << 17},
            "flips per step of a walker between two reports (a few tens of milliseconds)"),
    Setting("harvest", {"pool": 4096},
            "flips per step while collecting distinct schemes at the target rank"),
)
BY_NAME = {s.name: s for s in SETTINGS}

#: Keys of a campaign file's [search] section: the walk settings and the search's own arguments.
CAMPAIGN_KEYS = frozenset(BY_NAME) | {"target_rank", "time_budget", "workers", "keep", "seed", "rng", "start",
                                      "symmetry", "cubes", "restart", "device", "batch", "scheduler", "autopilot"}


def mode_for(symmetry, restart_kind: str, n: int = 0) -> str:
    """The mode whose defaults apply: ``"C3"``/``"C3-small"`` with symmetry, else the restart kind."""
    if symmetry is not None:
        return "C3" if n >= 5 else "C3-small"
    return "start" if restart_kind in ("start", "schemes") else "pool"


@dataclass(frozen=True)
class SearchSettings:
    """Resolved walk settings of one search (every field set)."""

    plateau: int
    margin: int
    split: int
    sandwich: int
    path_limit: int
    follow: float
    chunk: int
    harvest: int

    @classmethod
    def resolve(cls, mode: str = "pool", ring=None, **given) -> "SearchSettings":
        """Defaults of ``mode`` (over ``ring``, where a default depends on it) overridden by the
        ``given`` values that are not None, validated.

        Errors name the setting: ``TypeError`` for a wrong type, ``ValueError`` for a value out of range.
        """
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
        unknown = set(given) - set(BY_NAME)
        if unknown:
            raise TypeError(f"{', '.join(sorted(unknown))}: not a search setting (known: {', '.join(BY_NAME)})")
        ring = None if ring is None else str(getattr(ring, "value", ring))
        values = {}
        for s in SETTINGS:
            v = given.get(s.name)
            if v is None:
                v = s.default(mode, ring)
            elif s.kind is float:
                v = check_real(v, s.name, minimum=0.0, maximum=1.0)
            else:
                v = check_int(v, s.name, minimum=1 if s.name in ("path_limit", "chunk", "harvest") else 0,
                              maximum=100 if s.name == "split" else None)
            values[s.name] = v
        return cls(**values)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def settings_doc() -> str:
    """The settings and their defaults as a numpydoc parameter block (used in :func:`search`'s docstring)."""
    lines = []
    for s in SETTINGS:
        lines.append(f"    {s.name} : {'float' if s.kind is float else 'int'}, optional")
        lines.append(f"        {s.help[0].upper() + s.help[1:]} (default {s.describe_defaults()}).")
    return "\n".join(lines)
