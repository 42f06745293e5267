"""mailtools-metrics: queue, delivery, bounce and suppression figures for Prometheus."""

from __future__ import annotations

import sys

import click

from ..clock import now
from ..metrics import exposition, write_textfile
from .common import Command, common_options, open_context

HELP = """Print the spool's figures in Prometheus' text format, or write them
to FILE for node_exporter's textfile collector.

\b
  mailtools_queue_messages{state}             messages per spool state
                                              (queued active deferred held
                                              sent dropped)
  mailtools_queue_oldest_age_seconds{state}   age of the oldest one (0: none)
  mailtools_deliveries_total{result}          recipients sent, deferred,
                                              dropped, suppressed
  mailtools_bounces_total{kind,hard}          bounces, complaints and
                                              unsubscribes recorded
  mailtools_suppressed_addresses{reason}      bounce complaint unsubscribe
                                              manual
  mailtools_webhook_outbox{state}             pending retrying dead
  mailtools_last_sweep_timestamp_seconds      last bounce-sweep (0: never)

The queue is counted from the spool's directories (no queue file is
read), the rest from the state database opened read-only; no label is an
address or a queue id.

\b
Examples:
  mailtools-metrics | grep deferred
  mailtools-metrics -q --textfile /var/lib/prometheus/node-exporter/mailtools.prom

--textfile writes a temporary file beside FILE and renames it over FILE,
so the collector never reads half a file; FILE should end in .prom.
Exit 0; 75 when the spool or its database does not exist (a wrong
--spool is not an empty queue) or FILE cannot be written; 77 when a
spool directory cannot be read.
"""


@click.command(cls=Command, help=HELP,
               short_help="Queue, delivery, bounce and suppression figures in Prometheus text format.")
@click.option("--textfile", metavar="FILE", help="Write to FILE atomically instead of standard output.")
@common_options
def cli(textfile: str | None, spool: str | None, config_file: str | None, verbose: int, quiet: bool) -> None:
    context = open_context(spool, config_file, verbose, quiet)
    if textfile:
        write_textfile(context.config, now(), textfile)
    else:
        sys.stdout.buffer.write(exposition(context.config, now()))


def main() -> None:
    cli(prog_name="mailtools-metrics")


if __name__ == "__main__":
    main()
