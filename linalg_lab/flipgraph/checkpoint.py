"""Checkpoints of long runs (campaigns, meta searches): one file format, written atomically.

A checkpoint is a JSON object ``{"kind", "seconds_used", "schemes", ...}``:
the run's kind (``"campaign"``, ``"meta search"``), the seconds it has used
over all its resumes, the schemes to resume from (each in the scheme file
format, verified again when read), and the kind's own fields. It is written
to a temporary file and renamed, so a run killed at any moment (kill -9)
leaves the previous checkpoint or the new one, never half of one. A file
that is not a checkpoint of the expected kind is refused and left as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..schemes.io import atomic_write_text, scheme_from_dict, scheme_to_json


class CheckpointError(ValueError):
    """A file that cannot be read as a checkpoint of the expected kind (it is left as it is)."""


def write_checkpoint(path, kind: str, seconds_used: float, schemes, **fields) -> None:
    """Write a checkpoint of ``kind`` atomically (the schemes as scheme-file dicts)."""
    data = {"kind": kind, "seconds_used": float(seconds_used), **fields,
            "schemes": [json.loads(scheme_to_json(s)) for s in schemes]}
    atomic_write_text(Path(path), json.dumps(data))


def read_checkpoint(path, kind: str, *, legacy_key: str | None = None) -> dict:
    """The checkpoint at ``path``: its fields, with ``seconds_used`` a float and ``schemes`` verified Schemes.

    ``legacy_key``: a file without ``kind`` but with this key is accepted as
    this kind (checkpoints written before the kinds were recorded).

    Raises
    ------
    CheckpointError
        The file cannot be read, is not JSON, is another kind of file, or
        holds a scheme that fails its checks.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = data.get("kind") if isinstance(data, dict) else None
        if found is None and isinstance(data, dict) and legacy_key is not None and legacy_key in data:
            found = kind
        if found != kind:
            raise ValueError(f"not a {kind.replace(' ', '-')} checkpoint")
        data["seconds_used"] = float(data["seconds_used"])
        data["schemes"] = [scheme_from_dict(d, source=str(path)) for d in data["schemes"]]
    except (OSError, KeyError, TypeError, ValueError) as exc:    # ValueError: not UTF-8, not JSON, a bad scheme
        raise CheckpointError(f"{path}: {getattr(exc, 'strerror', None) or exc} (it is left as it is)") from None
    return data


__all__ = ["CheckpointError", "read_checkpoint", "write_checkpoint"]
