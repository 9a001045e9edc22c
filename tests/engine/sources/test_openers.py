"""The source registry: a new kind of source is one class and one registry line; the kinds
are asked in order and the first that claims a spec opens it."""

import pytest

from engine.errors import SourceError
from engine.sources import openers
from engine.sources.openers import OPENERS, SourceKind, describe_sources, open_source
from engine.sources.patterns import PATTERNS, CheckerPattern


class Grid(SourceKind):
    """``grid:N``: a checkerboard of N-pixel squares (a test's own kind of source)."""

    name = "grid"

    def claims(self, spec):
        return spec.startswith("grid:")

    def open(self, spec, *, realtime, size):
        n = spec.partition(":")[2]
        if not n.isdigit():
            raise SourceError(f"{spec}: square size must be a number")
        return PATTERNS["checker"](square=int(n), realtime=realtime)

    def help(self):
        return "grid:N (a checkerboard of N-px squares)"


@pytest.fixture
def grid():
    openers.register(Grid)
    OPENERS.insert(0, OPENERS.pop())  # before the kinds that claim any path
    yield
    OPENERS.remove(next(k for k in OPENERS if isinstance(k, Grid)))


def test_a_new_kind_opens_what_it_claims_and_says_so_in_the_help(grid):
    src = open_source("grid:16", realtime=False)
    assert isinstance(src, CheckerPattern) and src.square == 16
    with pytest.raises(SourceError, match="grid:x: square size must be a number"):
        open_source("grid:x")
    assert "grid:N (a checkerboard of N-px squares)" in describe_sources()


def test_without_it_the_spec_is_a_missing_file():
    assert [k.name for k in OPENERS] == ["camera", "pattern", "folder", "video", "image",
                                         "file"]
    with pytest.raises(SourceError, match="grid:16: no such file"):
        open_source("grid:16")
