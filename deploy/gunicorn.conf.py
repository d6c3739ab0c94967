"""gunicorn's configuration for a production app server (docs/deploy.md). nginx sits in
front: it buffers slow clients' bodies and answers for the static files, so the sync
workers here only ever see whole requests."""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
worker_class = "sync"
# A request that has not finished in 30 s is stuck: the worker is replaced.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Workers are recycled now and then (a slow leak never grows for ever).
max_requests = 5000
max_requests_jitter = 500
# The app is loaded once in the master, then forked: the workers share its pages.
preload_app = True
# The access log leaves the client's address out, as the README promises.
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# Behind nginx only: trust its X-Forwarded-* (the app's PROXY_COUNT=1 reads them).
forwarded_allow_ips = "127.0.0.1"


def pre_fork(server, worker):
    # Objects made while loading the app are never freed: keep the collector from touching
    # (and so copying) their pages in every worker.
    gc.freeze()
