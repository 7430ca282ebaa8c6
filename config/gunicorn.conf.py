"""gunicorn settings for a deployment that runs gunicorn itself:

    gunicorn -c config/gunicorn.conf.py 'bridge:create_app()'

It starts from the defaults ``otwa-bridge serve`` uses (bridge/gunicorn_conf.py); override
below (bind, workers, threads, timeouts).
"""

from bridge.gunicorn_conf import *  # noqa: F403

bind = "127.0.0.1:8700"
workers = 2
