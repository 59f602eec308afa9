"""The versions of the packages that published bytes and figures depend on.

``dataset/`` (Arrow files) depends on pyarrow; the benchmark figures on numpy, scikit-learn,
sklearn-crfsuite (python-crfsuite underneath) and seqeval's chunking conventions; loading on
datasets. The environments are locked (``requirements/``); these are the versions actually
installed where a result was produced, recorded beside it.
"""

from __future__ import annotations

from importlib import metadata

KEY_PACKAGES = ("pyarrow", "numpy", "datasets", "scikit-learn", "sklearn-crfsuite", "python-crfsuite", "seqeval")


def key_versions(packages: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str | None]:
    """``{package: installed version}`` (``None`` for a package that is not installed)."""
    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
