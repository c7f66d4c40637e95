"""Optimal transport variants: partial, entropic partial, 1-D and sliced, mini-batch, LOPT, conditional.

A flat functional API in the conventions of POT (Python Optimal Transport):
arguments ``(a, b, M, ...)``, an empty ``a`` or ``b`` meaning uniform masses,
``m`` the transported mass, ``reg`` the entropic regularisation, ``reg_m`` the
marginal penalty, ``numItermax`` and ``stopThr``, ``log=True`` returning
``(result, dict)``, and names ending in ``2`` returning the value instead of
the plan. Numpy arrays in, numpy arrays out; inputs are never modified, and
no result keeps a reference to the caller's arrays. Arguments are checked by
:mod:`linalg_lab.validation`.

Every result meets the constraints its function states (up to the rounding
of the masses), or the function raises, or the shortfall is flagged in the
result *and* a :class:`ConvergenceWarning` is issued (an iterative solver
stopped at its iteration limit: ``log["converged"]`` is False, and the
entropic plan is rounded onto the constraint set so that it is still
feasible). Costs up to the largest float are solved in scaled units where
the solution is invariant to scaling; where a result itself would leave the
float range, a ValueError names the argument.

Public API
----------
* exact partial OT: :func:`partial_wasserstein`, :func:`partial_wasserstein2`,
  :func:`partial_wasserstein_lagrange` (POT's network simplex on the
  problem with dummy points, iteration limits that fit the size);
* entropic partial OT (log-domain Bregman/Dykstra, O(nm) per cycle):
  :func:`entropic_partial_wasserstein`, :func:`entropic_partial_wasserstein2`;
* partial Gromov-Wasserstein (Frank-Wolfe with exact partial-OT steps, and
  entropic): :func:`partial_gromov_wasserstein`, :func:`partial_gromov_wasserstein2`,
  :func:`entropic_partial_gromov_wasserstein`, :func:`entropic_partial_gromov_wasserstein2`;
* 1-D partial OT, exact for every mass at once, and sliced partial OT:
  :func:`partial_wasserstein_1d`, :func:`partial_cost_curve_1d`,
  :func:`sliced_partial_wasserstein`, :func:`sliced_partial_cost_curve`;
* the whole partial path for uniform masses in any dimension:
  :func:`partial_wasserstein_path`, :func:`partial_assignment`;
* LOPT (Bai et al. 2023): :func:`lopt_embedding`, :func:`lopt_distance`,
  :func:`lopt_distances`, :func:`lopt_interpolate`, :func:`opt_lambda`;
* mini-batch partial OT (m-POT, BoMb): :func:`minibatch_partial_ot`;
* conditional OT (C^2OT): :func:`conditional_coupling`, :func:`condition_ratio`;
* pseudo-labels for imbalanced clustering (P^2OT, SP^2OT, SeLa, UOT):
  :func:`progressive_partial_ot`, :func:`semantic_progressive_partial_ot`,
  :func:`sela_pseudo_labels`, :func:`uot_pseudo_labels`, :func:`progressive_rho`,
  :func:`similarity_graph`, :func:`matched_accuracy`, :func:`long_tailed_sizes`;
* conditional transport (CT) with forward/backward navigators and PUTM few-shot:
  :func:`conditional_transport`, :func:`navigator_plans`, :class:`MLPNavigator`,
  :func:`transductive_fewshot`, :func:`nearest_centroid`, :func:`preprocess_features`;
* :class:`ConvergenceWarning`, the family's one warning class.

Examples
--------
>>> import numpy as np
>>> from linalg_lab.transport import partial_wasserstein2
>>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
>>> float(partial_wasserstein2([], [], M, m=0.5))
0.0
"""

from ._feasible import ConvergenceWarning
from .conditional import condition_ratio, conditional_coupling
from .entropic import entropic_partial_wasserstein, entropic_partial_wasserstein2, entropic_partial_wasserstein_logscale
from .gromov import (
    entropic_partial_gromov_wasserstein,
    entropic_partial_gromov_wasserstein2,
    partial_gromov_wasserstein,
    partial_gromov_wasserstein2,
)
from .fewshot import nearest_centroid, preprocess_features, transductive_fewshot
from .lopt import LOPTEmbedding, lopt_distance, lopt_distances, lopt_embedding, lopt_interpolate, opt_lambda
from .minibatch import minibatch_partial_ot
from .navigators import MLPNavigator, conditional_transport, navigator_plans
from .partial import partial_wasserstein, partial_wasserstein2, partial_wasserstein_lagrange
from .one_d import partial_cost_curve_1d, partial_wasserstein_1d
from .path import partial_assignment, partial_wasserstein_path
from .progressive import (
    long_tailed_sizes,
    matched_accuracy,
    progressive_partial_ot,
    progressive_rho,
    sela_pseudo_labels,
    semantic_progressive_partial_ot,
    similarity_graph,
    uot_pseudo_labels,
)
from .sliced import sliced_partial_cost_curve, sliced_partial_wasserstein

__all__ = [
    "ConvergenceWarning",
    "LOPTEmbedding",
    "condition_ratio",
    "conditional_coupling",
    "entropic_partial_gromov_wasserstein",
    "entropic_partial_gromov_wasserstein2",
    "entropic_partial_wasserstein",
    "entropic_partial_wasserstein2",
    "entropic_partial_wasserstein_logscale",
    "lopt_distance",
    "lopt_distances",
    "lopt_embedding",
    "lopt_interpolate",
    "minibatch_partial_ot",
    "opt_lambda",
    "partial_assignment",
    "partial_cost_curve_1d",
    "partial_gromov_wasserstein",
    "partial_gromov_wasserstein2",
    "partial_wasserstein",
    "partial_wasserstein2",
    "partial_wasserstein_1d",
    "partial_wasserstein_lagrange",
    "partial_wasserstein_path",
    "sliced_partial_cost_curve",
    "sliced_partial_wasserstein",
    # progressive partial OT pseudo-labels (P^2OT, SP^2OT) and baselines
    "long_tailed_sizes",
    "matched_accuracy",
    "progressive_partial_ot",
    "progressive_rho",
    "sela_pseudo_labels",
    "semantic_progressive_partial_ot",
    "similarity_graph",
    "uot_pseudo_labels",
    # conditional transport (CT) and transductive few-shot (PUTM)
    "MLPNavigator",
    "conditional_transport",
    "navigator_plans",
    "nearest_centroid",
    "preprocess_features",
    "transductive_fewshot",
]
