"""attngan_tf.malloc_arenas: the glibc arena cap the attngan command sets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from attngan_tf.malloc_arenas import limit_malloc_arenas

# Eight threads malloc at once (ctypes drops the GIL), then the process counts
# its arenas in glibc's malloc_info report (one <heap nr=...> per arena).
_BUSY_THREADS = textwrap.dedent("""
    import ctypes, sys, tempfile, threading
    from attngan_tf.malloc_arenas import limit_malloc_arenas
    if sys.argv[1] == "cap":
        assert limit_malloc_arenas(1)
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    libc.fdopen.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fflush.argtypes = (ctypes.c_void_p,)
    barrier = threading.Barrier(8)
    def work():
        barrier.wait()
        for _ in range(20000):
            libc.free(libc.malloc(4096))
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = tempfile.TemporaryFile()
    stream = libc.fdopen(report.fileno(), b"w")
    libc.malloc_info(0, stream)
    libc.fflush(stream)
    report.seek(0)
    print(report.read().decode().count("<heap nr="))
""")


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        limit_malloc_arenas(0)


def test_the_users_environment_variable_stands(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_the_cap_holds_the_arenas_of_a_busy_process():
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}

    def arenas(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _BUSY_THREADS, mode], env=env,
                             check=True, capture_output=True, text=True).stdout
        return int(out.split()[-1])

    assert arenas("cap") == 1
    assert arenas("free") > 1
