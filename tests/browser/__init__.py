"""Browser tests: headless Debian Chromium, driven by Playwright, against the live server."""

import os
from pathlib import Path

CHROMIUM_MISSING_REASON = "Chromium not installed: apt-get install chromium (CI installs it)"


def chromium_path() -> Path:
    """The Chromium binary the browser tests launch (CHROMIUM_PATH overrides the Debian path)."""
    return Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")


def chromium_available() -> bool:
    path = chromium_path()
    return path.is_file() and os.access(path, os.X_OK)
