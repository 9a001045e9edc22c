"""The status bar's rates line, for the frame on screen: what it is (its index; frozen and
nudged by how much), and how fast frames come and how late they are shown."""

from __future__ import annotations


def rates_text(shown, display_fps: float, latency_ms: float | None) -> str:
    """One line for the frame ``shown`` (a ``Shown``); ``latency_ms`` None while frozen (a
    frozen frame's capture time says nothing about the display)."""
    st = shown.stats
    parts = [f"frame {shown.result.frame_index}"]
    if st.get("frozen"):
        dx, dy = st.get("nudge", (0, 0))
        parts.append(f"FROZEN, nudge ({dx:+g}, {dy:+g}) px")
    if st.get("camera_fps"):
        parts.append(f"camera {st['camera_fps']:.0f} fps")
    if st.get("engine_fps"):
        parts.append(f"network {st['engine_fps']:.1f} fps")
    parts.append(f"display {display_fps:.1f} fps")
    if latency_ms is not None:
        parts.append(f"latency {latency_ms:.0f} ms")
    return "  ·  ".join(parts)
