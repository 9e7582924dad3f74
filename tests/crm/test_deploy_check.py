"""``manage.py check --deploy`` under production settings: nothing to fix but HSTS preload.

The command runs in a child process with the environment a deployment sets, so that it
reads crm/settings.py as production does (the tests' own settings differ: no HTTPS
redirect, an in-process cache). HSTS preload (security.W021) stays off by default on
purpose: a preload listing is hard to undo, so a site opts in with SECURE_HSTS_PRELOAD.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(**environment: str) -> tuple[int, set[str], str]:
    """(exit status, message ids, output) of ``manage.py check --deploy``."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CACHE_"))
    }
    production = {
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "crm.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
        "DATABASE_URL": "sqlite:////tmp/deploy-check-is-never-opened.sqlite3",
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={**inherited, **production, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = finished.stdout + finished.stderr
    return finished.returncode, set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", output)), output


def test_production_settings_with_redis_report_nothing_but_hsts_preload():
    status, ids, output = deploy_check(REDIS_URL="redis://127.0.0.1:6379/0")

    assert status == 0, output
    assert ids == {"security.W021"}, output


def test_without_redis_the_per_process_cache_is_reported_too():
    status, ids, output = deploy_check()

    assert status == 0, output
    assert ids == {"security.W021", "core.W001"}, output
