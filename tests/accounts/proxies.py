"""Settings as crm/settings.py derives them from TRUSTED_PROXY_COUNT, for tests to apply."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "crm" / "settings.py"
DERIVED = ("AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT", "IPWARE_STRICT")


def settings_from_environment(monkeypatch: pytest.MonkeyPatch, **environment: str) -> ModuleType:
    """crm/settings.py run afresh with ``environment`` (the real settings stay as they are)."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trust_proxies(settings: Any, monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    """Apply what ``TRUSTED_PROXY_COUNT=count`` sets, for axes (ipware) and DRF alike."""
    derived = settings_from_environment(monkeypatch, TRUSTED_PROXY_COUNT=str(count))
    for name in DERIVED:
        # None is what axes and ipware assume for a setting left out.
        setattr(settings, name, getattr(derived, name, None))
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": derived.REST_FRAMEWORK["NUM_PROXIES"],
    }
