FROM python:3.11-slim
WORKDIR /app
RUN useradd --create-home bridge
COPY pyproject.toml README.md ./
COPY bridge ./bridge
COPY config ./config
COPY webhooks ./webhooks
RUN pip install --no-cache-dir -e . && mkdir -p var && chown bridge var
USER bridge
EXPOSE 8700
CMD ["sh", "-c", "otwa-bridge migrate && exec otwa-bridge serve --bind 0.0.0.0:8700"]
