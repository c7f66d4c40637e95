"""One Python source, two compilation targets: numba CPU functions and CUDA device functions.

A function decorated with :func:`kernel` is compiled for the CPU by
``numba.njit`` as before, and its undecorated Python source is remembered.
:func:`cuda_functions` compiles the same source again with
``numba.cuda.jit(device=True)``: each function is re-created over a copy of
its module's globals in which every other :func:`kernel` function (of any
module) is replaced by its CUDA twin, so a move body calling ``add`` or
``_insert`` calls the CUDA ``add`` and ``_insert`` on the GPU and the CPU ones
on the CPU. No body is written twice.

CUDA is optional: nothing here imports ``numba.cuda`` until
:func:`cuda_functions` (or :func:`cuda_status`) is called, and the CPU
functions do not depend on it.
"""

from __future__ import annotations

import contextlib
import os
import types
from typing import Callable

from numba import njit

# CPU dispatcher (by id) -> its python function, for every kernel() function
_CPU_TO_SOURCE: dict[int, Callable] = {}
# CUDA twins, built on demand: python function -> CUDA device function; module name -> globals
_CUDA: dict[Callable, object] = {}
_CUDA_GLOBALS: dict[str, dict] = {}

#: numba.njit options that have no CUDA meaning and are dropped there
_CPU_ONLY = ("cache", "_nrt", "nogil", "parallel", "boundscheck", "error_model", "no_cpython_wrapper")


def kernel(**options):
    """Decorator: compile for the CPU with ``numba.njit(**options)`` and keep the source for CUDA.

    ``inline="always"`` (numba-level inlining on the CPU) becomes
    ``forceinline=True`` for the CUDA twin; the CPU-only options (``cache``,
    ``_nrt``, ``nogil``, ...) are not passed to CUDA.

    Examples
    --------
    >>> @kernel(cache=False)
    ... def twice(x):
    ...     return 2 * x
    >>> twice(21), source_of(twice)(21)
    (42, 42)
    """

    def decorate(func):
        cpu = njit(**options)(func)
        func.__kernel_options__ = dict(options)
        _CPU_TO_SOURCE[id(cpu)] = func
        return cpu

    return decorate


def source_of(cpu_function) -> Callable:
    """The plain Python function behind a :func:`kernel` CPU dispatcher."""
    try:
        return _CPU_TO_SOURCE[id(cpu_function)]
    except KeyError:
        raise TypeError(f"cpu_function: {cpu_function!r} was not made by linalg_lab._targets.kernel") from None


def _cuda_globals(module_name: str, cuda) -> dict:
    """The globals of ``module_name`` with every kernel() function replaced by its CUDA twin."""
    g = _CUDA_GLOBALS.get(module_name)
    if g is not None:
        return g
    import sys

    g = dict(vars(sys.modules[module_name]))
    _CUDA_GLOBALS[module_name] = g          # registered first: functions of one module call each other
    for name, value in list(g.items()):
        src = _CPU_TO_SOURCE.get(id(value))
        if src is not None:
            g[name] = _cuda_twin(src, cuda)
    return g


def _cuda_twin(func: Callable, cuda):
    twin = _CUDA.get(func)
    if twin is not None:
        return twin
    g = _cuda_globals(func.__module__, cuda)
    clone = types.FunctionType(func.__code__, g, func.__name__, func.__defaults__, func.__closure__)
    clone.__qualname__ = func.__qualname__
    clone.__doc__ = func.__doc__
    opts = func.__kernel_options__
    cuda_opts = {k: v for k, v in opts.items() if k not in _CPU_ONLY and k != "inline"}
    if opts.get("inline") == "always" and not simulator():
        cuda_opts["forceinline"] = True
    twin = cuda.jit(device=True, **cuda_opts)(clone)
    _CUDA[func] = twin
    return twin


def cuda_functions(*cpu_functions):
    """CUDA device functions compiled from the same source as the given CPU kernels.

    Parameters
    ----------
    *cpu_functions
        Dispatchers made by :func:`kernel`.

    Returns
    -------
    tuple
        One CUDA device function each (compiled lazily by numba-cuda, when a
        CUDA kernel that calls it is compiled).

    Raises
    ------
    RuntimeError
        If numba's CUDA target cannot be imported (see :func:`cuda_status`).
    """
    cuda = _import_cuda()
    return tuple(_cuda_twin(source_of(f), cuda) for f in cpu_functions)


def simulator() -> bool:
    """True when numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1`` before numba was imported)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"


def _import_cuda():
    try:
        from numba import cuda
    except Exception as exc:   # numba without its CUDA target, or numba-cuda missing pieces
        raise RuntimeError(f"numba's CUDA target cannot be imported ({exc}); install the 'cuda' extra: "
                           "pip install 'linalg-lab[cuda]'") from None
    return cuda


@contextlib.contextmanager
def assumed_device(cc):
    """Let numba-cuda compile device functions for ``cc`` without a GPU.

    numba-cuda asks the current device for its compute capability when a
    kernel's device functions are compiled, even inside ``compile_ptx``; with
    no driver that raises. For the ahead-of-time check only, answer ``cc``.
    """
    import numba.cuda.dispatcher as dispatcher

    class _Device:
        compute_capability = cc

    saved = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: _Device()
    try:
        yield
    finally:
        dispatcher.get_current_device = saved


def cuda_status() -> tuple[bool, str]:
    """``(usable, reason)``: whether CUDA kernels can run here, and why not.

    Usable means the CUDA simulator is on, or numba-cuda sees a GPU through a
    working driver. The reason names what is missing (the package, the
    driver, a device).

    Examples
    --------
    >>> ok, why = cuda_status()
    >>> isinstance(ok, bool) and isinstance(why, str)
    True
    """
    if simulator():
        return True, "the numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1)"
    try:
        cuda = _import_cuda()
    except RuntimeError as exc:
        return False, str(exc)
    try:
        if not cuda.is_available():
            return False, "numba-cuda finds no usable GPU (no NVIDIA driver, or no device)"
        dev = cuda.get_current_device()
    except Exception as exc:
        return False, f"the CUDA driver could not be initialised ({exc})"
    name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    return True, f"{name} (compute capability {dev.compute_capability[0]}.{dev.compute_capability[1]})"


__all__ = ["assumed_device", "cuda_functions", "cuda_status", "kernel", "simulator", "source_of"]
