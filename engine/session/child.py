"""A session in a child process of its own: :func:`serve` is the process's whole life.

The window's side is ``gui/remote.py``. Messages are tuples over one duplex pipe:

* to the child: ``("command", Command)``, ``("taken",)`` once the window took the last view,
  ``("stop",)``;
* from the child: ``("hello", pid)``, ``("events", [event, ...])``, ``("shown", Packed)``
  (a Shown packed by :mod:`engine.session.wire`, its images in shared memory:
  :mod:`engine.session.shared`), and last ``("stopped", qt_modules)`` with the Qt
  modules the process ever imported (none: the child runs no Qt).

The newest view wins across the pipe: the child sends one only after the window took the
previous one, and keeps just the newest meanwhile; while one is kept, the loop holds its next
step back (``may_step``), so no frame is made only to be dropped.
"""

from __future__ import annotations

import os
import queue
import sys
import threading

from engine.device import tune_host_allocator
from engine.session import loop
from engine.session.messages import Failed
from engine.session.session import Session
from engine.session.shared import Sender
from engine.session.wire import pack

QT = ("PySide6", "shiboken6", "pyqtgraph")


def qt_modules() -> list[str]:
    """The Qt (or pyqtgraph) modules this process has imported."""
    return sorted(m for m in sys.modules if m.split(".")[0] in QT)


def serve(conn, config, source: str | None) -> None:
    """Run a :class:`Session` on ``config`` and ``source`` until the window says stop."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    tune_host_allocator()   # before this process starts its threads
    inbox: queue.Queue = queue.Queue()
    stop = threading.Event()
    lock = threading.Lock()
    state = {"ready": True, "pending": None, "last": None}
    sender = Sender()

    def send(*msg) -> None:
        with lock:
            _send(msg)

    def _send(msg) -> None:  # holding the lock
        try:
            conn.send(msg)
        except (OSError, EOFError, BrokenPipeError):  # the window is gone
            stop.set()
            inbox.put(loop.STOP)
        except Exception as e:  # noqa: BLE001 - e.g. something that does not pickle
            _send(("events", [Failed(f"cannot send {msg[0]}: {type(e).__name__}: {e}")]))

    def send_shown(shown) -> None:  # holding the lock
        _send(("shown", sender.pack(pack(shown, state["last"]))))
        state["last"] = shown

    def on_shown(shown) -> None:
        with lock:
            if state["ready"]:
                state["ready"] = False
                send_shown(shown)
            else:
                state["pending"] = shown  # the newest wins

    def on_events(events) -> None:
        if events:
            send("events", events)

    def read() -> None:
        while True:
            try:
                msg = conn.recv()
            except (OSError, EOFError):
                msg = ("stop",)
            except Exception as e:  # noqa: BLE001 - a message that does not unpickle
                send("events", [Failed(f"unreadable message: {type(e).__name__}: {e}")])
                continue
            if msg[0] == "stop":
                stop.set()
                inbox.put(loop.STOP)
                return
            if msg[0] == "taken":
                with lock:
                    if state["pending"] is not None:
                        send_shown(state["pending"])
                        state["pending"] = None
                    else:
                        state["ready"] = True
            else:
                inbox.put(msg[1])

    send("hello", os.getpid())
    threading.Thread(target=read, name="poolscope-session-pipe", daemon=True).start()
    try:
        loop.run(Session(config, source), inbox, stop, on_events, on_shown,
                 may_step=lambda: state["pending"] is None)
    finally:
        with lock:
            sender.close()
    send("stopped", qt_modules())
