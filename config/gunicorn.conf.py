"""gunicorn defaults for ``otwa-bridge serve`` (config/gunicorn.conf.py is the editable copy)."""

worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
