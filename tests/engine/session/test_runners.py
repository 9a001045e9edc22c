"""The session's runners without Qt: the loop in a thread (commands drained before each step,
idle while frozen, prompt stop) and the child process (no Qt imported, newest view wins)."""

import multiprocessing as mp
import queue
import threading
import time

from engine.engine import EngineConfig
from engine.session import commands as c
from engine.session.child import serve
from engine.session.loop import STOP, run
from engine.session.messages import EngineInfo, Failed, SourceInfo
from engine.session.session import Session
from engine.session.shared import Receiver
from engine.session.wire import SAME, pack, unpack

CONFIG = EngineConfig(device="cpu", variants=("max", "blur"), input_size=32)
FAST = "pattern:shapes,fps=1000"


def test_the_loop_steps_takes_commands_idles_when_frozen_and_stops():
    inbox, stop = queue.Queue(), threading.Event()
    events, shown = [], []
    thread = threading.Thread(target=run, args=(Session(CONFIG, FAST), inbox, stop,
                                                events.extend, shown.append), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while len(shown) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [type(e) for e in events[:2]] == [EngineInfo, SourceInfo] and len(shown) >= 3
    inbox.put(c.Freeze(True))
    inbox.put(c.Nudge(1, 0))                # both carried out before the next step
    while not (shown[-1].stats["frozen"] and shown[-1].stats["nudge"] == (1.0, 0.0)):
        time.sleep(0.01)
    time.sleep(0.3)
    idle = len(shown)
    time.sleep(0.5)
    assert len(shown) == idle               # frozen and nothing asked: no steps
    inbox.put(c.Ask("?"))
    deadline = time.monotonic() + 10
    while len(shown) == idle and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    assert any(isinstance(e, Failed) for e in events)
    assert len(shown) == idle + 1           # a command: one step to show its effect, no more
    stop.set()
    inbox.put(STOP)                         # wakes the idle loop
    thread.join(5)
    assert not thread.is_alive()


def test_the_child_process_runs_the_session_without_qt_and_the_newest_view_wins():
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(child, CONFIG, FAST), daemon=True)
    proc.start()
    child.close()
    assert parent.poll(60)
    kind, pid = parent.recv()
    assert kind == "hello" and pid == proc.pid
    got, last = [], None
    while len([m for m in got if m[0] == "shown"]) < 1:
        assert parent.poll(60)
        got.append(parent.recv())
    kinds = [m[0] for m in got]
    assert kinds[0] == "events" and [type(e) for e in got[0][1]] == [EngineInfo, SourceInfo]
    receiver = Receiver()                   # the images come through shared memory
    shown = unpack(receiver.unpack(got[-1][1]), last)
    assert shown.result.mosaic("max", "features.2").any()
    time.sleep(0.5)                         # not taken yet: the child sends nothing more
    assert not parent.poll(0)
    parent.send(("command", c.Zoom("features.2", 1)))
    parent.send(("taken",))
    assert parent.poll(30)
    msg = parent.recv()
    assert msg[0] == "shown" and unpack(receiver.unpack(msg[1]), shown).seq > shown.seq
    receiver.close()
    parent.send(("stop",))
    while True:
        assert parent.poll(30)
        msg = parent.recv()
        if msg[0] == "stopped":
            break
    assert msg[1] == []                     # the child never imported PySide6 or pyqtgraph
    proc.join(10)
    assert proc.exitcode == 0


def test_unchanged_parts_cross_the_pipe_as_same():
    s = Session(CONFIG, FAST)
    s.start()
    a, _ = s.step()
    b, _ = s.step()
    packed = pack(b, a)
    assert packed.lut is SAME and unpack(packed, a).lut is a.lut
    assert pack(a, None) is a
    s.close()
