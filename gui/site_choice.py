"""A site combo and a channel spin box that follow each other: the tabs that show one channel
of one downsampling site (Spectrum, Phases) share them."""

from __future__ import annotations


class SiteChannel:
    """A mixin: needs ``site`` (QComboBox), ``channel`` (QSpinBox), ``channels`` (site ->
    channel count) and a ``request_changed`` signal."""

    def key(self) -> tuple[str, int] | None:
        site = self.site.currentText()
        return (site, self.channel.value()) if site else None

    def _site_changed(self, *_) -> None:
        n = self.channels.get(self.site.currentText(), 1)
        self.channel.blockSignals(True)
        self.channel.setRange(0, max(0, n - 1))
        self.channel.blockSignals(False)
        self.request_changed.emit(self.key())
