"""Gunicorn settings for the KMZB dashboard: `gunicorn -c gunicorn.conf.py app:server` (what
`make run` starts, with `--bind HOST:PORT` from the Makefile).

Environment:
- KMZB_WORKERS  number of worker processes (default 2);
- KMZB_THREADS  request threads per worker (default 4);
- KMZB_BIND     address to listen on (default 127.0.0.1:8050; put a reverse proxy in front);
- KMZB_DATA_DIR, KMZB_GEO_DIR, KMZB_CACHE, ... as for `python app.py` (see kmzb/config.py).

Each worker imports the app itself (no preload): every worker opens its own read-only
DuckDB connections to the served snapshot, so no database handle is shared across a fork.
"""

from __future__ import annotations

import os

from kmzb.config import env_int

bind = os.environ.get("KMZB_BIND", "127.0.0.1:8050")
workers = env_int("KMZB_WORKERS", 2)
worker_class = "gthread"
threads = env_int("KMZB_THREADS", 4)
timeout = 30
graceful_timeout = 30
keepalive = 5

# recycle workers now and then (memory growth of long-lived processes); jitter staggers restarts.
# A fresh worker starts with cold caches (a 2 s response in the load test), and at 60 requests/s
# 2,000 came round every minute: recycle far less often (memory stays bounded anyway: DuckDB's
# memory_limit and the memory cache's bytes, KMZB_CACHE_BYTES)
max_requests = 20000
max_requests_jitter = 2000

# the app opens its store lazily, on the first request in each worker
preload_app = False

accesslog = "-"  # stdout
errorlog = "-"   # stderr
loglevel = os.environ.get("KMZB_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
proc_name = "kmzb-dashboard"

# gunicorn >= 25 opens a control socket at ~/.gunicorn/gunicorn.ctl, one path for every
# instance of the same user (tests and benchmarks start several): not used here, so off.
# (older gunicorn versions ignore this name)
control_socket_disable = True


def post_worker_init(worker):
    """As the worker starts, in a thread of its own: read the district tables, labels, map files and
    neighbours, and count the served snapshot's cube (kmzb.query.cube: every filter change reads it;
    a worker answers from SQL until it is ready). Without data yet the first request after an ingest
    starts the cube (DataGateway.warm_in_background)."""
    worker.wsgi.extensions["kmzb_gateway"].warm_in_background()
