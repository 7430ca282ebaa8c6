"""gunicorn defaults for ``otwa-bridge serve`` (config/gunicorn.conf.py is the editable copy)."""

worker_class = "gthread"
threads = 4
timeout = 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
# gunicorn 23+ opens a control socket in $HOME by default; several bridges (or test stacks)
# on one machine would fight over it, and the bridge needs none.
control_socket_disable = True
