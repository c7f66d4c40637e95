"""The plain-Python reference moves now live in :mod:`linalg_lab.schemes.moves`; the old names for the tests."""
from linalg_lab.schemes.moves import flip_terms as flip, plus_terms as plus, reduce_terms as reduce_all, signed_terms, split_terms as split, term_set  # noqa: F401
