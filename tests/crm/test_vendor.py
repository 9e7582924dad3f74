"""Vendored libraries are the npm packages' own files, recorded where they came from."""

from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


def test_chartjs_is_the_recorded_npm_build_with_its_licence():
    folder = VENDOR / "chartjs-4.6.1"

    banner = (folder / "chart.umd.min.js").read_text(encoding="utf-8")[:200]
    licence = (folder / "LICENSE.md").read_text(encoding="utf-8")
    version = (folder / "VERSION").read_text(encoding="utf-8")
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")

    assert "Chart.js v4.6.1" in banner
    assert "Released under the MIT License" in banner
    assert "The MIT License" in licence
    assert "npm package: chart.js\nversion: 4.6.1\nlicence: MIT" in version
    assert "| Chart.js | `chart.js` | 4.6.1 | MIT |" in readme
    assert "`chart.js@4.6.1`: `sha512-" in readme
