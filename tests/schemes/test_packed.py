"""Bit-packed representation over F2 / F3."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linalg_lab.schemes import Scheme, pack, unpack
from linalg_lab.tensors import CODES, naive_scheme, strassen_scheme


@given(code=st.sampled_from(CODES), ring=st.sampled_from(["F2", "F3"]), seed=st.integers(0, 999))
def test_pack_round_trip_preserves_validity(code, ring, seed):
    s = naive_scheme(code, (3, 3, 3), ring)
    rng = np.random.default_rng(seed)
    if ring == "F3":   # random signs per term: (-u) v (-w) is the same term
        sg = rng.choice([-1, 1], size=s.rank)[:, None]
        s = s.with_factors(s.u * sg, s.v, s.w * sg)
    p = pack(s)
    assert p.u.dtype == np.uint64 and p.u.shape == (s.rank, 1 if ring == "F2" else 2)
    back = unpack(p)
    assert back.verify()
    if ring == "F2":
        assert back == s
    else:
        # first nonzero of u and of v is +1
        for a in (back.u, back.v):
            for row in a:
                nz = row[row != 0]
                assert len(nz) == 0 or nz[0] == 1


def test_f3_planes_are_disjoint():
    s = strassen_scheme("F3")
    p = pack(s)
    for a in (p.u, p.v, p.w):
        assert np.all(a[:, 0] & a[:, 1] == 0)
    assert unpack(p).verify()


def test_key_ignores_term_order():
    s = strassen_scheme("F2")
    perm = np.random.default_rng(3).permutation(7)
    t = s.with_factors(s.u[perm], s.v[perm], s.w[perm])
    assert pack(s).key() == pack(t).key()
    assert pack(s).key() != pack(naive_scheme("gg", "2x2x2", "F2")).key()


def test_pack_errors():
    with pytest.raises(ValueError, match="F2 or F3"):
        pack(strassen_scheme("Z"))
    with pytest.raises(ValueError, match="at most 64"):
        pack(naive_scheme("gg", (9, 9, 1), "F2"))
