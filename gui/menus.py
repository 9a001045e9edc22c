"""The window's menus (File, View, Help) and its keyboard shortcuts (help.py lists them)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from engine import ResetNudge, StepFrame


def make_menus(window) -> None:
    """Add the menus and shortcuts of :class:`gui.main_window.MainWindow` (sets its
    ``view_menu``, which the Measures dock adds its toggle to)."""
    file_menu = window.menuBar().addMenu("&File")
    view_menu = window.view_menu = window.menuBar().addMenu("&View")
    help_menu = window.menuBar().addMenu("&Help")

    def action(menu, text, keys, slot):
        a = QAction(text, window)
        a.setShortcuts([QKeySequence(k) for k in keys])
        a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    action(file_menu, "Open file…", ["Ctrl+O"], window.open_file_dialog)
    action(file_menu, "Open folder…", ["Ctrl+Shift+O"], window.open_folder_dialog)
    action(file_menu, "Save screenshot", ["Ctrl+S"], window.save_screenshot)
    action(file_menu, "Export activations", ["Ctrl+E"], window.export_activations)
    action(file_menu, "Copy sheet to clipboard", ["Ctrl+Shift+C"], window.copy_sheet)
    action(file_menu, "Record / stop recording", ["Ctrl+R"], window.toggle_recording)
    action(file_menu, "Quit", ["Ctrl+Q"], window.close)
    action(view_menu, "Freeze / unfreeze", ["Space"], lambda: window.set_frozen(not window.frozen))
    action(view_menu, "Step one frame", ["."], lambda: window.send(StepFrame()))
    action(view_menu, "Mirror", ["M"], window.controls.mirror.toggle)
    action(view_menu, "Fit grid", ["F"], window.grid.fit)
    action(view_menu, "Reset nudge", ["Home"], lambda: window.send(ResetNudge()))
    action(help_menu, "Keyboard shortcuts", ["F1", "?", "Shift+?"], window.help.toggle)
    for key, (dx, dy) in {"Left": (-1, 0), "Right": (1, 0), "Up": (0, -1),
                          "Down": (0, 1)}.items():
        for mod, step in (("", 1.0), ("Shift+", 0.25)):
            sc = QShortcut(QKeySequence(mod + key), window)
            sc.activated.connect(lambda dx=dx, dy=dy, s=step: window.nudge(dx * s, dy * s))
