"""mailtools-web: the one-click unsubscribe and re-enable pages, served."""

from __future__ import annotations

import signal
import sys

import click

from .common import Command, common_options, json_option, open_context, print_json

HELP = """Serve the one-click unsubscribe and re-enable pages (RFC 8058) on
--listen HOST:PORT (default [web] listen, 127.0.0.1:8025) with the standard
library's threaded HTTP server, until SIGTERM or ^C (exit 0).

\b
Pages (plain HTML, no JavaScript, in [web] language: en, de, fr):
  POST /unsubscribe?token=T   a receiver's one-click (body List-Unsubscribe=One-Click): 200
  GET  /unsubscribe?token=T   a page with one button; the GET alone changes nothing
  GET/POST /reenable?token=T  a disable notice's link ([bounce] reenable_url)
A forged token is answered 400, an expired or used re-enable token 410,
each with a page that says nothing was changed; tokens never reach the log.

\b
Set [unsubscribe] url to where these pages are reachable over https, e.g.
  [unsubscribe]
  url = "https://example.org/mail/unsubscribe?token={token}"
  [bounce]
  reenable_url = "https://example.org/mail/reenable?token={token}"
and let nginx (TLS) pass /mail/ to this server:
  location /mail/ {
      proxy_pass http://127.0.0.1:8025/;
      proxy_set_header X-Forwarded-For $remote_addr;
      access_log off;               # its query strings are working links
  }
In production any WSGI server can run the same app instead:
  MAILTOOLS_CONFIG=/etc/mailtools/mailtools.toml \\
      gunicorn --bind 127.0.0.1:8025 mailtools.web.wsgi:application

\b
Run it as the spool's user: it reads the spool's secret and writes the
state database. It prints "listening on http://HOST:PORT/" (with --json
{"listen": "HOST:PORT"}) once it accepts connections; --listen with port 0
takes a free port. Exit codes: 69 the address cannot be bound, 78 bad
configuration.
"""


@click.command(cls=Command, help=HELP)
@click.option("--listen", metavar="HOST:PORT", help="Address to serve on [config [web] listen; default "
                                                      "127.0.0.1:8025].")
@json_option
@common_options
def cli(listen: str | None, as_json: bool, spool: str | None, config_file: str | None, verbose: int,
        quiet: bool) -> None:
    from ..errors import UsageError
    from ..web.server import make_web_server, parse_listen
    from ..web.wsgi import make_app

    context = open_context(spool, config_file, verbose, quiet, as_json)
    listen = listen or context.config.web.listen
    try:
        parse_listen(listen)
    except ValueError as exc:
        raise UsageError(f"--listen: {exc}") from None
    server = make_web_server(make_app(context.config), listen)
    host, port = server.server_address[:2]
    assert isinstance(host, str)  # bound: getsockname() names the host as a str, never bytes
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if as_json:
        print_json({"listen": where})
    else:
        click.echo(f"listening on http://{where}/")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # SIGTERM or ^C: a clean stop
    finally:
        server.server_close()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    cli(prog_name="mailtools-web")


if __name__ == "__main__":
    main()
