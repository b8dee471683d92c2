"""Keeps TensorFlow's native start-up chatter out of a command's terminal.

TensorFlow's C++ side (and XLA's, TSL's, CUDA's stubs) writes lines such as
``Could not find cuda drivers``, ``failed call to cuInit: ... (303)`` or
``XLA service ... initialized`` straight to file descriptor 2, some before
``TF_CPP_MIN_LOG_LEVEL`` is read, so the variable alone does not silence
them. :func:`filter_native_logs` puts a pipe on descriptor 2 and copies to the
real stderr every line except those: a line in the native log format whose
source is a C/C++ file (``... cuda_platform.cc:52] ...``) and absl's notice
``WARNING: All log messages before absl::InitializeLog() ...``. Everything
else -- Python warnings, tracebacks, our own messages, child processes'
output -- passes through unchanged and in order.

Used by the ``attngan`` command unless ``--verbose`` is given; a library
import leaves the caller's descriptors alone.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

__all__ = ["is_native_log_line", "filter_native_logs"]

_NATIVE = re.compile(rb"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+\.(?:cc|h|cpp|c):\d+\] ")
_ABSL_NOTICE = b"WARNING: All log messages before absl::InitializeLog() is called"

_state: dict = {}


def is_native_log_line(line: bytes) -> bool:
    """True for a line TensorFlow's native code logged (the lines the filter drops)."""
    return bool(_NATIVE.match(line)) or line.startswith(_ABSL_NOTICE)


def _pump(read_fd: int, out_fd: int) -> None:
    pending = b""
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = b"".join(line + b"\n" for line in lines if not is_native_log_line(line))
        if kept:
            os.write(out_fd, kept)
    if pending and not is_native_log_line(pending):
        os.write(out_fd, pending)
    os.close(read_fd)


def _restore() -> None:
    thread = _state.pop("thread", None)
    if thread is None:
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os.dup2(_state.pop("saved"), 2)  # closes the pipe's last writer: the pump drains and ends
    thread.join(timeout=5)


def filter_native_logs() -> None:
    """From now on, drop TensorFlow's native log lines from this process's stderr.

    Idempotent; undone at exit (after the remaining output is copied). Does
    nothing where descriptor 2 cannot be duplicated.
    """
    if "thread" in _state:
        return
    try:
        saved = os.dup(2)
        read_fd, write_fd = os.pipe()
    except OSError:
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os.dup2(write_fd, 2)
    os.close(write_fd)
    os.set_inheritable(2, True)
    thread = threading.Thread(target=_pump, args=(read_fd, saved), name="native-log-filter",
                              daemon=True)
    thread.start()
    _state.update(thread=thread, saved=saved)
    atexit.register(_restore)
