# otwa-bridge: one image, two commands (docs/operations.md, "Docker").
#
#   web     docker run --env-file /etc/otwa-bridge/env -v otwa-bridge-data:/data \
#               -p 127.0.0.1:8700:8700 otwa-bridge
#   worker  docker run --env-file /etc/otwa-bridge/env -v otwa-bridge-data:/data \
#               otwa-bridge otwa-bridge worker
#
# gunicorn is published on loopback only: nginx (config/nginx/otwa-bridge.conf) faces the
# clients. config/docker/compose.yaml runs both commands. Secrets come from the
# environment, never from the image.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bridge ./bridge
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BRIDGE_CONFIG=/etc/otwa-bridge/bridge.toml \
    BRIDGE_DATABASE=/data/bridge.sqlite \
    BRIDGE_OTWA_BUDGET_PATH=/data/otwa-budget.sqlite
# A system user owning only the data volume; the code and config stay root's, read-only.
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin bridge \
    && mkdir -p /data /etc/otwa-bridge \
    && chown bridge:bridge /data \
    && chmod 0700 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# The example config: replace it with your own (a bind mount over this file, or a derived image).
COPY bridge/defaults/bridge.toml /etc/otwa-bridge/bridge.toml
VOLUME ["/data"]
WORKDIR /data
USER bridge
EXPOSE 8700
# The web container's probe: /readyz answers 200 once the database opens with every
# migration applied. (The worker container has no HTTP: compose.yaml turns it off there.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8700/readyz', timeout=4).status == 200 else 1)"]
CMD ["sh", "-c", "otwa-bridge migrate && exec otwa-bridge serve --bind 0.0.0.0:8700"]
