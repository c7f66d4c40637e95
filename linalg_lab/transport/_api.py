"""The family's API conventions in one place: renamed keywords kept as deprecated aliases.

Point clouds are ``X_s`` (source) and ``X_t`` (target) in every function of
the family that takes two of them (POT's names, as in ``ot.sliced`` and
``ot.da``); the 1-D functions keep POT's ``x_a, x_b``. Functions whose
clouds had other names accept the old keyword for a while, with a
:class:`DeprecationWarning`; positional calls are unchanged (the position
of every argument stayed where it was).
"""

from __future__ import annotations

import functools
import warnings

__all__ = ["renamed_keywords"]


def renamed_keywords(**renames):
    """Decorator: accept each ``old=value`` keyword as ``new=value``, with a DeprecationWarning naming both.

    Passing both the old and the new name is a TypeError, as passing one
    argument twice is.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords(X="X_s")
    ... def f(X_s):
    ...     return X_s
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     f(X=1), w[0].category.__name__
    (1, 'DeprecationWarning')
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}: got both {old!r} (the deprecated name) and {new!r}")
                    warnings.warn(f"{fn.__name__}: the keyword {old!r} is deprecated; call it {new!r} (the transport "
                                  f"family names its point clouds X_s, X_t)", DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        wrapper.__renamed_keywords__ = dict(renames)
        return wrapper

    return decorate
