"""Test settings: production settings with a throwaway key, fast hashing and no HTTPS redirect."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

from crm.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests; look files up on request
# Per-process cache: a test that clears it must not flush the Redis database the Celery
# broker shares. Tests of the shared Redis cache configure it themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Parallel test processes (pytest-xdist) share one Redis: each consumes its own queue, so one
# process's embedded Celery worker never takes another's task, whose rows are in another
# test database.
CELERY_TASK_DEFAULT_QUEUE = f"tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# On SQLite the test database is a file, not memory: Django gives the browser tests' live
# server the test's one in-memory connection, and two requests at once (a move while the
# board polls) would use it from two threads. pytest-django adds each process's suffix.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"pipeline-crm-tests-{os.getpid()}.sqlite3")
    }
