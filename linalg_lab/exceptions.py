"""Warnings shared by every family of linalg-lab.

This module imports nothing (not even numpy), so any layer may use it.

- :class:`ConvergenceWarning`: an iterative solver stopped at its iteration
  limit before meeting its tolerance. The solver still returns its last
  iterate and flags it in its result (``converged`` False, or
  ``log["converged"]``); the warning says which limit to raise.

Examples
--------
>>> import warnings
>>> from linalg_lab import ConvergenceWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", ConvergenceWarning)   # silence one kind only
...     warnings.warn("stopped at max_iter = 2", ConvergenceWarning)
>>> from linalg_lab.transport import ConvergenceWarning as TransportWarning
>>> TransportWarning is ConvergenceWarning
True
"""

__all__ = ["ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped before meeting its tolerance; its result says so (``converged``).

    One class for the whole project: the solvers of :mod:`linalg_lab.transport`
    (Sinkhorn-type and Frank-Wolfe iterations, mini-batch and conditional
    transport) and of :mod:`linalg_lab.completion` (:func:`~linalg_lab.completion.one_sided_complete`,
    :func:`~linalg_lab.completion.soft_impute`) issue it, so that
    ``warnings.simplefilter("error", ConvergenceWarning)`` turns every
    unconverged run into an error, and ``"ignore"`` silences them without
    hiding numpy's ``RuntimeWarning`` (overflow, invalid values). A subclass of
    :class:`UserWarning`, as in scikit-learn.
    """
