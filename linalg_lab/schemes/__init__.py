"""Schemes: the :class:`Scheme` model, exact verification, files, importers and packing.

Examples
--------
>>> from linalg_lab.tensors import strassen_scheme
>>> from linalg_lab.schemes import to_equations
>>> print(to_equations(strassen_scheme()).splitlines()[-4])
c11 = m1 + m4 - m5 + m7
"""

from .equations import to_equations
from .importers import (
    cyclic_to_output, load_alphatensor_npz, load_cyclic_json, load_terms, output_to_cyclic,
    parse_terms, to_terms,
)
from .invariants import factor_ranks, rank_profile, sandwich
from .io import FORMAT, SchemeFileError, atomic_write_text, load_scheme, save_scheme, scheme_filename, scheme_files, scheme_from_dict, scheme_to_json
from .packed import MAX_PACKED, PackedScheme, pack, pack_rows, unpack, unpack_rows
from .scheme import Scheme, Verification

__all__ = [
    "FORMAT", "MAX_PACKED", "PackedScheme", "Scheme", "SchemeFileError", "Verification",
    "atomic_write_text", "cyclic_to_output", "factor_ranks", "load_alphatensor_npz", "load_cyclic_json",
    "load_scheme", "load_terms", "output_to_cyclic", "pack", "pack_rows", "parse_terms", "rank_profile", "sandwich",
    "save_scheme", "scheme_filename", "scheme_files", "scheme_from_dict", "scheme_to_json", "to_equations",
    "to_terms", "unpack", "unpack_rows",
]
