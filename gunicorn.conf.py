"""gunicorn settings for the web process (`gunicorn -c gunicorn.conf.py sprintolike.wsgi`).

Every value can be overridden from the environment, so one file serves a laptop and a fleet.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Pages are database-bound: a few synchronous workers per core, each with a few threads.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT_SECONDS", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# The TLS-terminating proxy in front sets X-Forwarded-*; trust only it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# "-" is standard output; set GUNICORN_ACCESS_LOG to empty to turn the access log off.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Heartbeat files on tmpfs: a worker blocked on a slow disk is not killed as stuck.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No query strings in the access log: they never carry secrets here, but keep logs lean.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
