"""``tender reminders send``: the cron job that e-mails milestone digests.

Safe to run from cron on every application host at once, and to re-run: each
reminder is sent once (see ``tender.services.reminders``). Exit status:

* 0 -- every digest this run tried was accepted by the mail server (or there
  was nothing to send);
* 1 -- at least one digest failed; it is recorded as failed and retried by
  the next run, and the ones that went out stay recorded as sent;
* 2 -- the mail settings (MAIL_* environment variables) cannot be used, or
  the command line is wrong; nothing was claimed or sent.
"""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext


class IsoDate(click.ParamType):
    """A calendar date written YYYY-MM-DD, with an error message that says so."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date. Write it as YYYY-MM-DD, for example 2022-05-03.", param, ctx)


@click.group("reminders")
def reminders_group():
    """E-mail milestone reminders (due soon, overdue, escalations)."""


@reminders_group.command("send")
@click.option("--dry-run", is_flag=True, help="Print the digests that would be sent; send and record nothing.")
@click.option("--as-of", "as_of", type=IsoDate(), default=None,
              help="Plan reminders as if today were this date (default: today, or TENDER_TODAY).")
@with_appcontext
def send_command(dry_run: bool, as_of: date | None):
    """Send each owner one digest of their due-soon and overdue milestones.

    Mail goes over SMTP as configured by MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS,
    MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER and
    MAIL_TIMEOUT. Links in the e-mails start with TENDER_BASE_URL.
    """
    from tender.mail import MailConfigError, MailSettings
    from tender.services import clock, reminders

    as_of = as_of or clock.today()
    try:
        settings = MailSettings.from_config(current_app.config)
        report = reminders.run(as_of, dry_run, settings, current_app.config["BASE_URL"])
    except MailConfigError as exc:
        click.echo(f"Mail is not configured correctly: {exc}. Nothing was sent.", err=True)
        sys.exit(2)

    if dry_run:
        for outcome in report.outcomes:
            click.echo(f"Would send to {outcome.recipient}: {outcome.summary}")
            for key in outcome.keys:
                click.echo(f"  {key}")
        click.echo(f"Dry run for {as_of.isoformat()}: {len(report.outcomes)} digest(s) "
                   f"({sum(len(o.keys) for o in report.outcomes)} reminder(s)) would be sent; "
                   f"{report.already_sent} already sent. Nothing was sent or recorded.")
        return

    for outcome in report.outcomes:
        if outcome.ok:
            click.echo(f"Sent to {outcome.recipient}: {outcome.summary}")
        else:
            click.echo(f"FAILED to {outcome.recipient}: {outcome.error}", err=True)
    reminders_sent = sum(len(o.keys) for o in report.sent)
    summary = (f"Reminders for {as_of.isoformat()}: {len(report.sent)} digest(s) sent "
               f"({reminders_sent} reminder(s)), {len(report.failed)} failed; "
               f"{report.already_sent} sent by earlier runs")
    if report.elsewhere:
        summary += f", {report.elsewhere} being sent by another runner"
    click.echo(summary + ".")
    if report.failed:
        click.echo(f"{len(report.failed)} digest(s) could not be sent. They are recorded as failed and "
                   "will be retried on the next run.", err=True)
    sys.exit(report.exit_code)
