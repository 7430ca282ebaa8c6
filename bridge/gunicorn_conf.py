"""gunicorn defaults for ``otwa-bridge serve`` (config/gunicorn.conf.py is the editable copy)."""

import gc
from typing import Any

from gunicorn.glogging import Logger

from bridge.logs import RedactingFilter

# gthread, answering gunicorn's own refusals (malformed HTTP) in the JSON error shape.
worker_class = "bridge.gunicorn_worker.JsonErrorThreadWorker"
threads = 4
timeout = 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
# gunicorn 23+ opens a control socket in $HOME by default; several bridges (or test stacks)
# on one machine would fight over it, and the bridge needs none.
control_socket_disable = True


class RedactingLogger(Logger):
    """gunicorn's own logs through the bridge's redaction: an access line holds the request
    path, and ``GET /sso/<token>`` carries a live login link. Re-applied on every
    (re)configuration, since gunicorn rebuilds its handlers then."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            for handler in log.handlers:
                handler.addFilter(RedactingFilter())


logger_class = RedactingLogger


def post_worker_init(worker: Any) -> None:
    """Move the loaded app (modules, schemas, settings: ~45k objects) out of the cyclic
    garbage collector's reach: a full collection over them takes ~25 ms on a small VM, and
    stalls every thread of the worker mid-burst."""
    gc.collect()
    gc.freeze()
