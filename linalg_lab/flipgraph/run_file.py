"""Reading a run file (a campaign or a table of targets): TOML, then every section and key checked.

Both kinds of file have a fixed set of sections, each with a fixed set of
keys, each key with a rule ``(required, check)`` where ``check(value, name)``
returns the value or raises with a message naming it. The errors name the
file, the section and the key; nothing runs before the whole file passed.

Examples
--------
>>> rules = {"search": {"workers": (True, lambda v, n: int(v))}}
>>> check_sections({"search": {"workers": 2}}, rules, fail=print)
{'workers': 2}
>>> _ = check_sections({"search": {}}, rules, fail=print)
[search] workers is missing
"""

from __future__ import annotations

import tomllib
from pathlib import Path


def read_toml(path: Path, fail) -> dict:
    """The TOML content of ``path``; ``fail(message)`` for a file that cannot be read or parsed."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail("not UTF-8 text")
    except tomllib.TOMLDecodeError as exc:
        fail(f"not valid TOML: {exc}")
    return {}


def check_sections(data: dict, rules: dict, fail, optional=()) -> dict:
    """Every key of ``data``'s sections checked by ``rules`` (section -> key -> (required, check));
    returns the checked values by key. Sections in ``optional`` may be left out; ``fail(message)``
    is called with the first error (and must raise)."""
    unknown = sorted(set(data) - set(rules))
    if unknown:
        fail(f"unknown section(s) or key(s) {', '.join(unknown)} (known sections: "
             f"{', '.join(f'[{s}]' for s in rules)})")
    for section in rules:                  # the file's shape first, then its keys
        if section not in data and section not in optional:
            fail(f"section [{section}] is missing")
        if not isinstance(data.get(section, {}), dict):
            fail(f"[{section}] must be a table (a section)")
    values = {}
    for section, section_rules in rules.items():
        table = data.get(section, {})
        unknown = sorted(set(table) - set(section_rules))
        if unknown:
            fail(f"[{section}] unknown key(s) {', '.join(unknown)} (known: {', '.join(section_rules)})")
        for key, (required, check) in section_rules.items():
            if key not in table:
                if required:
                    fail(f"[{section}] {key} is missing")
                continue
            try:
                values[key] = check(table[key], f"[{section}] {key}")
            except (TypeError, ValueError) as exc:
                fail(str(exc))
    return values


__all__ = ["check_sections", "read_toml"]
