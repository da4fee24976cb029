"""``tender worker``: run queued background jobs (award letters, and anything too slow for a request).

Run one or more beside the web server (gunicorn), on any host that reaches
the database; they share the queue in the ``job`` table. Stop with Ctrl-C or
SIGTERM: the job in hand is finished up to its current step, and any job a
killed worker leaves is taken over by the next worker once its heartbeat is
stale (``TENDER_JOB_STALE_SECONDS``, 60 by default).
"""
from __future__ import annotations

import signal

import click
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Stop when the queue is empty (for scripts and cron).")
@click.option("--poll", type=click.FloatRange(0.1, 60.0), default=2.0, show_default=True,
              help="Seconds to wait between looks at an empty queue.")
@with_appcontext
def worker_command(until_idle: bool, poll: float):
    """Run queued background jobs: rendering and e-mailing award letters."""
    from tender.services import job_handlers  # noqa: F401  (registers every job kind)
    from tender.services import jobs

    stopping = {"now": False}

    def stop(*_):
        if stopping["now"]:
            raise SystemExit(1)
        stopping["now"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Start-up objects live as long as the worker: move them out of the cycle collector's reach, so the full
    # collections that rendering a letter sets off do not walk them every time (benchmarks/README.md: 78% -> 88%
    # of bare WeasyPrint's rate). Objects made afterwards are collected as before.
    import gc

    from tender.services.award.documents import load_renderer

    load_renderer()  # imported by the first letter otherwise; frozen with the rest

    gc.collect()
    gc.freeze()
    click.echo(f"Tender worker {jobs.runner_id()} waiting for jobs" + (" (until the queue is empty)" if until_idle else ""))
    try:
        done = jobs.work(until_idle=until_idle, poll=poll)
    except KeyboardInterrupt:
        click.echo("Stopping.")
        return
    click.echo(f"{done} job{'s' if done != 1 else ''} run.")
