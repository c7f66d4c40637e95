"""The constraint matrices ``A_1, ..., A_m`` (n x n) of a Kronecker projection, in the layouts the products need.

``A`` is the ``m x n^2`` matrix with rows ``vec(A_i)^T``, ``vec`` stacking
columns (``vec(Z)[a + n c] = Z[a, c]``, numpy's ``order="F"``). Everything
the projection needs is one of

* ``X^T A_i`` and ``X^T A_i^T`` for all ``i`` (``X`` is ``n x p``, ``p``
  small: the rank of an update);
* ``vec(left A_j right)`` for a block of ``j`` (building ``B B^T``);
* ``<A_i, Z>`` for all ``i`` and ``sum_i y_i A_i``: products with ``A``
  itself (``flat``).

Dense input is kept dense (three copies of the ``m n^2`` entries in
different layouts, no ``n^2 x n^2`` object); sparse input stays sparse
(CSR stacks), so the cost of each product is the number of stored entries
times ``p``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..validation import check_matrix

__all__ = ["Constraints", "check_constraints", "left_mul", "right_mul", "unvec", "vec"]


def left_mul(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``M @ X_i`` for every block of ``X`` (``(b, p, q)``) as ONE matrix product.

    ``numpy.matmul`` on a stack makes one BLAS call per block, and on a busy
    machine each call's thread start-up costs more than its arithmetic.
    """
    if X.ndim == 2:
        return M @ X
    b, p, q = X.shape
    return (M @ X.transpose(1, 0, 2).reshape(p, b * q)).reshape(M.shape[0], b, q).transpose(1, 0, 2)


def right_mul(X: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``X_i @ M`` for every block of ``X`` (``(b, p, q)``) as one matrix product."""
    if X.ndim == 2:
        return X @ M
    b, p, q = X.shape
    return (X.reshape(b * p, q) @ M).reshape(b, p, M.shape[1])


def vec(Z: np.ndarray) -> np.ndarray:
    """Column-stacking ``vec`` of a matrix, or of each matrix in a ``(q, n, n)`` batch (as columns ``n^2 x q``).

    Examples
    --------
    >>> import numpy as np
    >>> vec(np.array([[1, 2], [3, 4]])).tolist()
    [1, 3, 2, 4]
    """
    if Z.ndim == 2:
        return Z.ravel(order="F")
    q, n, _ = Z.shape
    return Z.transpose(0, 2, 1).reshape(q, n * n).T


def unvec(v: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`vec`: ``n^2`` -> ``n x n``, or ``n^2 x q`` -> ``(q, n, n)``.

    Examples
    --------
    >>> import numpy as np
    >>> unvec(np.array([1, 3, 2, 4]), 2).tolist()
    [[1, 2], [3, 4]]
    """
    if v.ndim == 1:
        return v.reshape((n, n), order="F")
    return v.T.reshape(v.shape[1], n, n).transpose(0, 2, 1)


class Constraints:
    """The ``A_i`` in the layouts the products need (see the module text).

    Dense input is held as ``hcat = [A_1, ..., A_m]`` and ``hcat_t = [A_1^T,
    ..., A_m^T]`` (``n x mn``: products ``X^T A_i`` with a wide output, which
    BLAS runs far faster than a tall skinny one) and ``flat`` (``m x n^2``,
    rows ``vec(A_i)^T``); sparse input as the CSR stacks ``stack`` /
    ``stack_t`` (``mn x n``) and ``flat``.

    Attributes
    ----------
    m, n : int
    sparse : bool
    symmetric : bool
        Every ``A_i`` equals its transpose (then ``A_i^T X`` is ``A_i X``).
    """

    def __init__(self, m: int, n: int, *, dense=None, stack=None, stack_t=None):
        self.m, self.n = m, n
        self.sparse = dense is None
        if self.sparse:
            self.stack, self.stack_t = stack, stack_t
            self.flat = sp.csr_matrix(stack_t.reshape((m, n * n)))
            self.flat_t = sp.csr_matrix(self.flat.T)
            self.symmetric = (stack != stack_t).nnz == 0
        else:
            # own copies (``.copy()`` always copies, where ``ascontiguousarray`` returns a view of an input that
            # happens to be contiguous, e.g. an m x n^2 array or a single matrix): later changes to the caller's
            # array must not reach the maintained Gram matrix
            self.hcat = dense.transpose(1, 0, 2).copy().reshape(n, m * n)
            self.hcat_t = dense.transpose(2, 0, 1).copy().reshape(n, m * n)
            self.flat = dense.transpose(0, 2, 1).copy().reshape(m, n * n)
            self.flat_t = self.flat.T
            self.symmetric = bool(np.array_equal(self.hcat, self.hcat_t))

    def xt_times(self, X: np.ndarray) -> np.ndarray:
        """``X^T A_i`` for all ``i`` as a ``(p, m, n)`` array (block ``[:, i, :]``)."""
        p = X.shape[1]
        if self.sparse:
            return np.asarray(self.stack_t @ X).T.reshape(p, self.m, self.n)  # (A_i^T X)^T
        return (X.T @ self.hcat).reshape(p, self.m, self.n)

    def xt_times_t(self, X: np.ndarray) -> np.ndarray:
        """``X^T A_i^T = (A_i X)^T`` for all ``i`` as a ``(p, m, n)`` array."""
        if self.symmetric:
            return self.xt_times(X)
        p = X.shape[1]
        if self.sparse:
            return np.asarray(self.stack @ X).T.reshape(p, self.m, self.n)
        return (X.T @ self.hcat_t).reshape(p, self.m, self.n)

    def sandwich(self, right: np.ndarray, left, rows) -> np.ndarray:
        """``vec(left A_j right)`` (``left`` None: ``vec(A_j right)``) for ``j`` in ``range(*rows)``, as ``n^2 x b``.

        ``left`` and ``right`` are symmetric ``n x n``.
        """
        n = self.n
        j0, j1 = rows
        b = j1 - j0
        if self.sparse:
            D = np.asarray(self.stack[j0 * n:j1 * n] @ right).reshape(b, n, n)
            if left is not None:
                D = left_mul(left, D)
            return D.transpose(0, 2, 1).reshape(b, n * n).T
        # block j of right @ [A_j^T ...] is (A_j right)^T; right-multiplying by left gives (left A_j right)^T
        T = right @ self.hcat_t[:, j0 * n:j1 * n]
        if left is not None:
            T = (T.reshape(n * b, n) @ left).reshape(n, b * n)
        # vec(Y) is the row-major ravel of Y^T: the blocks of T, each raveled
        return T.reshape(n, b, n).transpose(1, 0, 2).reshape(b, n * n).T

    def inner(self, Zvec: np.ndarray) -> np.ndarray:
        """``[<A_i, Z>]_i`` for ``vec(Z)`` (``n^2``) or a block of them (``n^2 x q`` -> ``m x q``)."""
        return np.asarray(self.flat @ Zvec)

    def combine(self, y: np.ndarray) -> np.ndarray:
        """``vec(sum_i y_i A_i)`` for ``y`` (``m``) or a block (``m x q`` -> ``n^2 x q``)."""
        return np.asarray(self.flat_t @ y)

    def dense(self) -> np.ndarray:
        """``A`` as a dense ``m x n^2`` array (for tests and small references only)."""
        return self.flat.toarray() if self.sparse else np.array(self.flat)


def check_constraints(A_mats, name: str = "A_mats") -> Constraints:
    """Check and stack the constraint matrices.

    Parameters
    ----------
    A_mats : array_like of shape (m, n, n), a sequence of m (n x n) dense or sparse matrices, or an (m x n^2) matrix
        The last form (dense or sparse) holds ``vec(A_i)^T`` as rows (column-stacking ``vec``); ``n^2`` must be a
        perfect square. Never modified and never shared: the result holds its own copies, so later changes to
        the caller's arrays do not reach it.
    name : str

    Returns
    -------
    Constraints

    Raises
    ------
    TypeError
        Not an array, a sequence of matrices or a sparse matrix.
    ValueError
        No matrices, matrices of different or non-square shapes, non-finite entries, or an ``m x N`` matrix
        with ``N`` not a square.

    Examples
    --------
    >>> import numpy as np
    >>> C = check_constraints(np.arange(8.0).reshape(2, 2, 2))
    >>> C.m, C.n, C.flat.tolist()
    (2, 2, [[0.0, 2.0, 1.0, 3.0], [4.0, 6.0, 5.0, 7.0]])
    """
    if A_mats is None:
        raise TypeError(f"{name}: expected an (m, n, n) array, a sequence of n x n matrices or an m x n^2 matrix, "
                        "got None")
    if sp.issparse(A_mats) or (isinstance(A_mats, np.ndarray) and A_mats.ndim == 2):
        F = check_matrix(A_mats, name, accept_sparse="csr", dtype=np.float64)
        m, N = F.shape
        n = int(round(np.sqrt(N)))
        if n * n != N:
            raise ValueError(f"{name}: expected an m x n^2 matrix (rows vec(A_i)^T), got {N} columns, not a square")
        if sp.issparse(F):
            stack_t = sp.csr_matrix(F.reshape((m * n, n)), copy=True)
            return Constraints(m, n, stack=_transpose_blocks(stack_t, m, n), stack_t=stack_t)
        # rows are column-major vecs: block i of the reshape is A_i^T
        return Constraints(m, n, dense=F.reshape(m, n, n).transpose(0, 2, 1))
    if isinstance(A_mats, np.ndarray) or not isinstance(A_mats, (list, tuple)):
        A = check_matrix(A_mats, name, dtype=np.float64, ndim=3)
        m, n, n2 = A.shape
        if n != n2:
            raise ValueError(f"{name}: expected n x n matrices, got shape {A.shape}")
        return Constraints(m, n, dense=A)
    if len(A_mats) == 0:
        raise ValueError(f"{name}: expected at least one matrix, got none")
    mats = [check_matrix(a, f"{name}[{i}]", accept_sparse="csr", dtype=np.float64) for i, a in enumerate(A_mats)]
    n = mats[0].shape[0]
    for i, a in enumerate(mats):
        if a.shape != (n, n):
            raise ValueError(f"{name}[{i}]: expected shape ({n}, {n}) like {name}[0], got {a.shape}")
    if any(sp.issparse(a) for a in mats):
        stack = sp.vstack([sp.csr_matrix(a) for a in mats], format="csr")
        stack_t = sp.vstack([sp.csr_matrix(a.T) for a in mats], format="csr")
        return Constraints(len(mats), n, stack=stack, stack_t=stack_t)
    return Constraints(len(mats), n, dense=np.stack(mats))


def _transpose_blocks(stack: sp.csr_matrix, m: int, n: int) -> sp.csr_matrix:
    """The stack of the transposed n x n blocks of an mn x n sparse stack."""
    coo = stack.tocoo()
    block, row = np.divmod(coo.row, n)
    return sp.csr_matrix((coo.data, (block * n + coo.col, row)), shape=(m * n, n))
