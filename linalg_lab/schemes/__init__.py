"""Schemes: the :class:`Scheme` value, exact verification, identity, transforms, files and the catalogue.

Conventions
-----------
A scheme of rank R for a bilinear map with tensor ``T`` (codes and parameter
orders: :mod:`linalg_lab.tensors`) is three matrices ``U`` (R x nU), ``V``
(R x nV), ``W`` (R x nW) over a ring (F2, F3, Z_T = {-1, 0, 1}, Z or Q) with

    ``sum_r U[r, a] V[r, b] W[r, g] == T[a, b, g]``  for every a, b, g.

Product r is ``m_r = (U[r] . x) (V[r] . y)`` and ``z[g] = sum_r W[r, g] m_r``:
this is the **output convention** (``W`` indexes the outputs directly, not the
transposed "cyclic" convention of some published files; the importers convert).
For ``gg`` a factor row read as a matrix is ``U_r`` (n1 x n2), ``V_r`` (n2 x n3),
``W_r`` (n1 x n3), row-major.

Scheme files (:mod:`.io`): one JSON object per file, named
``<code>-<n1>x<n2>x<n3>-r<rank>-<ring>[-<tag>].json``, with keys ``format``
(``"linalg-lab/scheme-1"``), ``tensor``, ``n``, ``ring``, ``rank``, ``u``,
``v``, ``w`` and a free-form ``provenance``. Entries are JSON integers
(F2: {0, 1}; F3 and Z_T: {-1, 0, 1}) or, over Q, integers and ``"p/q"``
strings. A file is written only after exact verification over its ring.

Where each part lives
---------------------
- :mod:`.scheme`: the :class:`Scheme` value and :class:`Verification`;
  :mod:`.evaluate`: the one exact evaluation of ``sum_r U[r] V[r] W[r]``
  (:func:`scaled_product`, :func:`brent_failures`, :func:`brent_product`)
  behind every verification, rows scaled to integers over Q, float64 BLAS
  where provably exact, primes and Chinese remaindering past 2**53;
  :mod:`.standard`: :func:`naive_scheme`, :func:`strassen_scheme`;
- :mod:`.identity`: :func:`canonical_key` (the one answer to "the same
  scheme?": same tensor, ring and terms up to order and units) and its packed
  twin :func:`packed_key`;
- :mod:`.transforms`: :func:`gl_action` (``A -> P A Q^-1``, ``B -> Q B R^-1``,
  ``C -> P C R^-1`` over every ring), :func:`permute`, :func:`rotate`,
  :func:`transpose`; :mod:`.invariants`: factor ranks and :func:`rank_profile`;
- :mod:`.moves`: the flip, reduction and plus transition in plain Python over
  F2 / F3 (the reference for the numba kernels of :mod:`linalg_lab.flipgraph`);
- :mod:`.meta_moves`: maps between formats (:func:`project`, :func:`extend`,
  :func:`product`, :func:`merge`, :func:`double`) with their rank rules;
  :mod:`.cost`: :func:`additive_complexity` (Perminov's count of additions);
  :mod:`.program`: straight-line programs with shared sums, :func:`reduce_additions`;
  :mod:`.codegen`: :func:`compile` (a recursive ``f(A, B)``), :func:`python_source`,
  :func:`c_source` (standalone C, double and int64) and :func:`compile_c` (through ctypes);
- :mod:`.convert`: a scheme as galois arrays over GF(p) (:func:`to_galois`, the
  Brent equations in galois arithmetic) or as sympy matrices and expressions
  (:func:`to_sympy`), and back (:func:`from_galois`, :func:`from_sympy`);
- :mod:`.io`, :mod:`.importers`, :mod:`.equations`: files, published formats, text;
  :mod:`.formats`: the formats of Perminov's database (nested lists ``.m``,
  coefficient rows ``.txt``, full and reduced JSON), each convention settled by
  exact verification, and the exporters (:func:`export_scheme`);
  :mod:`.packed`: bit-packing for the kernels;
- :mod:`.catalogue`, :mod:`.known_ranks`: the verified catalogue ``schemes/``
  and the literature table of best known ranks (:func:`known_rank`).

Layers: :mod:`linalg_lab.fields` -> :mod:`linalg_lab.tensors` -> this package
-> the families (flipgraph, lifting, ...); a lower layer never imports a higher one.

Examples
--------
>>> from linalg_lab.schemes import strassen_scheme, to_equations
>>> print(to_equations(strassen_scheme()).splitlines()[-4])
c11 = m1 + m4 - m5 + m7
"""

from .cost import additive_complexity
from .program import LinearProgram, StraightLineProgram, load_program, program_from_reduced_json, reduce_additions
from .codegen import c_source, compile, compile_c, find_c_compiler, python_source
from .convert import GaloisScheme, SymbolicScheme, from_galois, from_sympy, to_galois, to_sympy
from .meta_moves import double, extend, merge, naive_extension, product, project
from .catalogue import catalogue_best, catalogue_index, scan_catalogue, write_catalogue_index
from .equations import to_equations
from .identity import canonical_key, canonical_terms, packed_key, unit_normal
from .evaluate import brent_failures, brent_product, integer_product, integer_rows, scaled_product
from .importers import (
    TermSyntaxError, alphatensor_keys, cyclic_to_output, float_to_rational, load_alphatensor_npz,
    load_cyclic_json, load_terms, output_to_cyclic, parse_product, parse_terms, to_terms,
)
from .formats import (
    CONVENTIONS, EXPORT_FORMATS, Convention, export_scheme, export_text, load_coefficients, load_nested,
    parse_coefficients, parse_nested, published_loaders, to_coefficients, to_nested, to_perminov_json,
)
from .invariants import factor_ranks, rank_profile, sandwich
from .io import FORMAT, SchemeFileError, atomic_write_text, load_scheme, save_scheme, scheme_filename, scheme_files, scheme_from_dict, scheme_to_json
from .known_ranks import known_rank
from .packed import MAX_PACKED, PackedScheme, pack, pack_rows, unpack, unpack_rows
from .scheme import Scheme, Verification
from .standard import naive_scheme, strassen_scheme
from .transforms import gl_action, permute, random_sandwich, rotate, transpose

__all__ = [
    "FORMAT", "MAX_PACKED", "PackedScheme", "Scheme", "SchemeFileError", "TermSyntaxError", "Verification",
    "alphatensor_keys", "atomic_write_text", "brent_failures", "brent_product", "canonical_key",
    "canonical_terms", "catalogue_best", "catalogue_index", "cyclic_to_output", "factor_ranks",
    "float_to_rational", "gl_action", "integer_product", "integer_rows", "known_rank", "load_alphatensor_npz",
    "load_cyclic_json", "load_scheme", "load_terms", "naive_scheme", "output_to_cyclic", "pack", "pack_rows",
    "packed_key", "parse_product", "parse_terms", "permute", "random_sandwich", "rank_profile", "rotate", "sandwich", "save_scheme",
    "scaled_product", "scan_catalogue", "scheme_filename", "scheme_files", "scheme_from_dict", "scheme_to_json",
    "strassen_scheme", "to_equations", "to_terms", "transpose", "unit_normal", "unpack", "unpack_rows",
    "write_catalogue_index", "additive_complexity", "double", "extend", "merge", "naive_extension", "product",
    "project", "LinearProgram", "StraightLineProgram", "load_program", "program_from_reduced_json",
    "reduce_additions", "compile", "python_source", "c_source", "compile_c", "find_c_compiler",
    "CONVENTIONS", "EXPORT_FORMATS", "Convention", "export_scheme", "export_text", "load_coefficients",
    "load_nested", "parse_coefficients", "parse_nested", "published_loaders", "to_coefficients", "to_nested",
    "to_perminov_json",
    "GaloisScheme", "SymbolicScheme", "from_galois", "from_sympy", "to_galois", "to_sympy",
]
