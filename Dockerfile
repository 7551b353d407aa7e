# syntax=docker/dockerfile:1
# regfront: docker build -t regfront . && docker run -p 8000:8000 --env-file .env regfront
# See README "Production" and docs/deploy.md.
ARG PYTHON_IMAGE=python:3.13-slim

# --- 1. wheels: every runtime requirement as a wheel -------------------------------------
FROM ${PYTHON_IMAGE} AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /build
COPY requirements.txt .
# Every pinned package publishes manylinux wheels for CPython 3.13, so no compiler is needed
# here; should one ever need building, install build-essential in this stage only.
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# --- 2. runtime: the wheels, the code, collected static files; no compilers, no caches ---
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    REGFRONT_BIND=0.0.0.0:8000 \
    REGFRONT_DATA_DIR=/app/data

# The wheels are mounted for this one step, so they never become a layer of the image.
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip install --no-index --find-links=/wheels -r /tmp/requirements.txt \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin regfront

WORKDIR /app
# Code and static files belong to root: the application user can read them, not change them.
COPY manage.py ./
COPY regfront ./regfront
COPY registries ./registries
COPY templates ./templates
COPY static ./static
COPY scripts/entrypoint ./scripts/entrypoint

# Hashed, compressed static files (whitenoise's CompressedManifestStaticFilesStorage). The
# secret and the key below exist for this one command only; settings insist on them.
RUN SECRET_KEY=collectstatic-only-not-a-secret-0123456789-abcdefghijklmnop \
    REGFRONT_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    python manage.py collectstatic --no-input -v0 \
    && python -m compileall -q regfront registries \
    && mkdir -p /app/data && chown regfront:regfront /app/data

USER regfront
EXPOSE 8000
# /healthz answers whatever ALLOWED_HOSTS says; the port follows REGFRONT_BIND, the path
# SCRIPT_NAME when gunicorn is told to strip a prefix itself (README, "Sub-path").
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('REGFRONT_BIND', ':8000').split(',')[0].rsplit(':', 1)[-1]; urllib.request.urlopen(f\"http://127.0.0.1:{port}{os.environ.get('SCRIPT_NAME', '')}/healthz\", timeout=4)"]
ENTRYPOINT ["/app/scripts/entrypoint"]
