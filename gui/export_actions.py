"""The window's export actions: screenshot, activation export, sheet to the clipboard.

A mixin of :class:`gui.main_window.MainWindow`; it uses the window's ``send``, ``last``,
``config``, ``controls``, ``export_folder`` and status messages.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog

from engine import Export, colormap, make_sheet


class ExportActions:
    """Ctrl+S, Ctrl+E and Ctrl+Shift+C. Nothing is ever overwritten."""

    def choose_export_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into", self.export_folder)
        if path:
            self.export_folder = path
            self.controls.folder_label.setText(path)

    def _new_path(self, stem: str, suffix: str) -> Path:
        folder = Path(self.export_folder)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path, n = folder / f"{stem}-{stamp}{suffix}", 2
        while path.exists():
            path, n = folder / f"{stem}-{stamp}-{n}{suffix}", n + 1
        return path

    def save_screenshot(self) -> Path | None:
        """Save the whole window as a PNG in the export folder (never overwriting)."""
        try:
            path = self._new_path("screenshot", ".png")
        except OSError as e:
            self.show_error(f"{self.export_folder}: cannot write ({e.strerror or e})")
            return None
        if not self.grab().save(str(path)):
            self.show_error(f"{path}: could not be written")
            return None
        self.show_message(f"screenshot saved to {path}")
        return path

    def export_activations(self) -> None:
        """Export the last step exactly as ``main.py export`` does (native resolution), into
        a new folder under the export folder; the live measures go on undisturbed."""
        self.send(Export(self.export_folder, self.controls.npz.isChecked()))
        self.show_message("exporting …")

    def copy_sheet(self) -> None:
        if self.last is None:
            self.show_error("nothing to copy yet")
            return
        sheet = make_sheet(self.last.result, colormap(self.config.colormap, self.config.gamma),
                           "PoolScope")
        h, w, _ = sheet.shape
        image = QImage(sheet.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        QGuiApplication.clipboard().setImage(image)
        self.show_message("sheet copied to the clipboard")
