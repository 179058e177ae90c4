"""What a configured build folder was configured with."""

import json
from pathlib import Path


def build_option(folder, name):
    """An option's value in a configured build folder, as Meson reports it."""
    options = json.loads((Path(folder) / "meson-info" / "intro-buildoptions.json").read_text())
    return next(option["value"] for option in options if option["name"] == name)
