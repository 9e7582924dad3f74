# Pipeline CRM production image: gunicorn serving crm.wsgi; the same image runs the Celery
# worker and beat (see docker-compose.yml). Configuration comes from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 1000 crm \
    && useradd --system --uid 1000 --gid crm --home-dir /app --shell /usr/sbin/nologin crm

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements/production.txt ./requirements/
RUN pip install --require-hashes --no-deps -r requirements/production.txt

COPY --chown=crm:crm . .

# collectstatic only reads settings; the key is a build-time placeholder, never used to sign.
RUN SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && chown crm:crm /app && chown -R crm:crm /app/staticfiles

USER crm

EXPOSE 8000

# Worker processes: WEB_CONCURRENCY (gunicorn reads it), default 2 x cores + 1 is typical.
CMD ["gunicorn", "crm.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
