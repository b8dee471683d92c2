"""Caps glibc's malloc arenas at one per CPU core, for a smaller resident set in training.

glibc gives each thread that meets a busy arena a new one, up to 8 per core;
TensorFlow's thread pools then hold freed memory in many arenas at once. With
at most one arena per core the same AttnGAN training iteration keeps about
0.1 GiB less resident at the ``birds`` preset, batch 4, at the same speed
(BENCHMARKS.md, "Malloc arenas"). :func:`limit_malloc_arenas` is what the
environment variable ``MALLOC_ARENA_MAX`` does when set before the process
starts; called early in a process (before TensorFlow's threads have made
eight arenas) it has the same effect. The ``attngan`` command calls it
unless ``MALLOC_ARENA_MAX`` is already set; a library import does not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["limit_malloc_arenas"]

_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(arenas: int | None = None) -> bool:
    """Sets glibc's ``M_ARENA_MAX`` to ``arenas`` (default: the CPUs this process may use).

    Returns True when set; False where there is nothing to set -- not glibc (macOS,
    musl), or ``MALLOC_ARENA_MAX`` already in the environment (the user's choice
    stands). Raises ``ValueError`` for ``arenas < 1``.
    """
    if arenas is None:
        arenas = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if int(arenas) < 1:
        raise ValueError(f"arenas: must be at least 1, got {arenas!r}")
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        if not hasattr(libc, "gnu_get_libc_version"):
            return False
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(_M_ARENA_MAX, int(arenas)) == 1
