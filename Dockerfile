# papers-bot container image.
#
#   docker build -t papers-bot .
#   docker run --env-file .env -p 8080:8080 -v papers-bot-data:/data papers-bot
#
# Two stages: the first builds wheels for the package and every dependency (nothing is
# compiled in the image that runs); the second installs the package from those wheels only,
# with the PostgreSQL driver, and runs it as an unprivileged user. Settings come from the
# environment (see .env.example); the default SQLite database lives in the /data volume.
# Needs BuildKit (the default builder since Docker 23) for the RUN --mount below.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Only what the wheel is made of (README.md is the package's long description; LICENSE goes
# into the wheel's metadata).
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN pip wheel --wheel-dir /wheels '.[postgres]'

FROM ${PYTHON_IMAGE}
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data
RUN groupadd --system --gid 10001 papers \
    && useradd --system --uid 10001 --gid papers --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin papers \
    && mkdir /data \
    && chown papers:papers /data
# The wheels are mounted for this step only, so they take no room in the image; --no-index
# installs exactly what the build stage resolved, without reaching PyPI again.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels 'papers-bot[postgres]'
# An empty working directory: the bot reads config/papers-bot.toml and .env relative to it,
# and neither exists here, so the environment is the whole configuration.
WORKDIR /app
VOLUME /data
USER 10001:10001
# HTTP_PORT's default: /healthz, /livez, /metrics and the Slack HTTP endpoint.
EXPOSE 8080
# /livez answers while the process does (readiness is /healthz). Slim images have no curl, so
# the standard library asks; a failure is one line in `docker inspect`, not a traceback. It
# assumes the web server answers on the loopback address (HTTP_HOST 0.0.0.0, the default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as r\ntry: r.urlopen(f\"http://127.0.0.1:{os.getenv('HTTP_PORT', '8080')}/livez\", timeout=4)\nexcept OSError as e: sys.exit(f'/livez: {e}')"]
# `papers-bot run` stops gracefully on SIGTERM: posts finish their current message, the rest
# goes back to the outbox, exit status 0.
STOPSIGNAL SIGTERM
CMD ["papers-bot", "run"]
