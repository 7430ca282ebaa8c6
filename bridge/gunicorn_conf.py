"""gunicorn defaults for ``otwa-bridge serve`` (config/gunicorn.conf.py is the editable copy)."""

import gc
from typing import Any

worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
# gunicorn 23+ opens a control socket in $HOME by default; several bridges (or test stacks)
# on one machine would fight over it, and the bridge needs none.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Move the loaded app (modules, schemas, settings: ~45k objects) out of the cyclic
    garbage collector's reach: a full collection over them takes ~25 ms on a small VM, and
    stalls every thread of the worker mid-burst."""
    gc.collect()
    gc.freeze()
