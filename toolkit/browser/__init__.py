"""Neo4j Browser assets: a GraSS style for the kgtool graph and a guide to the hypothesis queries.

``kgtool query --browser-style`` prints the style; paste it into Browser as ``:style`` followed by
the text (or drag ``kgtool.grass`` onto the Browser window).
"""

from __future__ import annotations

from importlib import resources

STYLE_FILE = "kgtool.grass"
GUIDE_FILE = "guide.md"


def style() -> str:
    """The GraSS stylesheet text."""
    return resources.files(__name__).joinpath(STYLE_FILE).read_text(encoding="utf-8")


def style_command() -> str:
    """One Browser command that applies the style: ``:style`` followed by the stylesheet."""
    return ":style " + " ".join(line.strip() for line in style().splitlines() if line.strip() and not line.lstrip().startswith("/*"))


def guide() -> str:
    return resources.files(__name__).joinpath(GUIDE_FILE).read_text(encoding="utf-8")
