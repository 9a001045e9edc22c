"""The window's open actions: file, folder, model and weights dialogs, and drag and drop.

A mixin of :class:`gui.main_window.MainWindow`; it uses the window's ``open_source``,
``_engine_request``, ``config`` and ``controls``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog


class OpenActions:
    """Ctrl+O, Ctrl+Shift+O, the model and weights choices, and files dropped on the window."""

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open an image or video", "",
            "Images and videos (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp *.mp4 *.avi *.mkv "
            "*.webm *.mov *.m4v);;All files (*)")
        if path:
            self.open_source(path)

    def open_model_dialog(self) -> None:
        """Your own model: a .py file and the function in it that returns an nn.Module."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a model (Python file)", "",
                                              "Python (*.py);;All files (*)")
        if not path:
            self.controls.set_state(model=self.config.model)
            return
        func, ok = QInputDialog.getText(self, "Model function", "Function that returns the "
                                        "nn.Module:", text="model")
        if ok and func.strip():
            self._engine_request("model", f"{path}:{func.strip()}")
        else:
            self.controls.set_state(model=self.config.model)

    def open_weights_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a weights file", "",
                                              "PyTorch weights (*.pt *.pth *.ckpt);;All files (*)")
        if path:
            self._engine_request("weights", path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if path:
            self.open_source(path)

    def dragEnterEvent(self, event):  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802 - Qt API
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_source(urls[0].toLocalFile())
            event.acceptProposedAction()
