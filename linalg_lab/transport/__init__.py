"""Optimal transport variants: partial, entropic partial, 1-D and sliced, mini-batch, LOPT, conditional.

A flat functional API in the conventions of POT (Python Optimal Transport):
arguments ``(a, b, M, ...)``, an empty ``a`` or ``b`` meaning uniform masses,
``m`` the transported mass, ``reg`` the entropic regularisation, ``reg_m`` the
marginal penalty, ``numItermax`` and ``stopThr``, ``log=True`` returning
``(result, dict)``, and names ending in ``2`` returning the value instead of
the plan. Numpy arrays in, numpy arrays out; inputs are never modified.
Arguments are checked by :mod:`linalg_lab.validation`.
"""
