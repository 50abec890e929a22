"""Ctrl-C and SIGTERM: both end a command the way Ctrl-C does (KeyboardInterrupt, so every cleanup
runs), and neither lands in the middle of schemadb's own bookkeeping: inside `deferred()` they are
held until the block is done, then delivered."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

_pending: list[int] = []
_depth = 0


def _raise(signum, _frame):
    raise KeyboardInterrupt


def install() -> None:
    """SIGTERM (kill, systemd, a container stop) behaves like Ctrl-C."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise)


def _hold(signum, _frame):
    _pending.append(signum)


@contextmanager
def deferred():
    """Hold SIGINT and SIGTERM for the duration of the block (main thread only; nested blocks nest)."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, _hold) for s in (signal.SIGINT, signal.SIGTERM)} if _depth == 0 else None
    _depth += 1
    try:
        yield
    except BaseException:
        _leave(saved)
        raise  # the failure in flight is what the user needs to see
    if _leave(saved):
        raise KeyboardInterrupt


def _leave(saved: dict | None) -> bool:
    """Leave a deferred block; at the outermost one restore the handlers and say whether a signal came."""
    global _depth
    _depth -= 1
    if saved is None:
        return False
    for s, handler in saved.items():
        signal.signal(s, handler)
    came = bool(_pending)
    _pending.clear()
    return came
