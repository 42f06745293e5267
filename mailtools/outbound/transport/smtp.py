"""SMTP delivery with smtplib: one connection reused across messages.

Each recipient has its own VERP envelope sender, so each is one transaction
(MAIL, RCPT, DATA) on the same connection, with RSET after a refusal. A
connection failure answers 4xx for everything that follows in this run
instead of timing out once per message.
"""

from __future__ import annotations

import re
import smtplib
import ssl

from ...fsutil import read_private
from ...log import get_logger
from .base import Reply

log = get_logger(__name__)
_DOT_LINE = re.compile(rb"(?m)^\.")  # dot-stuffing (RFC 5321 4.5.2)


class SmtpTransport:
    def __init__(self, host: str, port: int, starttls: str = "auto", timeout: float = 30,
                 username: str = "", password_file: str = "") -> None:
        self.host, self.port, self.starttls, self.timeout = host, port, starttls, timeout
        self.username, self.password_file = username, password_file
        self.conn: smtplib.SMTP | None = None
        self.down: Reply | None = None  # set when the server cannot be reached in this run

    def _password(self) -> str:
        return read_password(self.password_file, "password_file")

    def _connect(self, try_tls: bool = True) -> smtplib.SMTP:
        """Connect, EHLO, STARTTLS as configured, AUTH.

        ``always``: TLS with the certificate verified, or no delivery.
        ``auto`` is opportunistic, as Postfix's ``smtp_tls_security_level = may``:
        encrypt when offered without verifying (RFC 7435), and when the
        handshake fails, deliver in the clear rather than not at all. AUTH is
        never sent in the clear after a failed handshake.
        """
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            return self._handshake(conn, try_tls)
        except BaseException:
            # A refused EHLO, STARTTLS or AUTH: close the socket now, not whenever
            # the garbage collector finds it (the server keeps a session open meanwhile).
            conn.close()
            raise

    def _handshake(self, conn: smtplib.SMTP, try_tls: bool) -> smtplib.SMTP:
        conn.ehlo()
        offered = conn.has_extn("starttls")
        if self.starttls == "always" and not offered:
            raise smtplib.SMTPNotSupportedError("server does not offer STARTTLS (starttls = always)")
        if self.starttls == "always" or (self.starttls == "auto" and offered and try_tls):
            context = ssl.create_default_context()
            if self.starttls == "auto":
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            try:
                conn.starttls(context=context)
            except (ssl.SSLError, OSError, smtplib.SMTPException):
                conn.close()
                if self.starttls == "always" or self.username:
                    raise
                log.warning("STARTTLS with %s:%s failed; delivering without TLS (starttls = auto)",
                            self.host, self.port)
                return self._connect(try_tls=False)
            conn.ehlo()
        if self.username:
            conn.login(self.username, self._password())
        return conn

    def send(self, sender: str, recipient: str, data: bytes) -> Reply:
        if self.down is not None:
            return self.down
        if self.conn is None:
            try:
                self.conn = self._connect()
            except smtplib.SMTPResponseException as exc:
                # Refused at the greeting, STARTTLS or AUTH: the same for every message of this run.
                # Always deferred, even on 5xx: it says nothing about the recipients, and a wrong
                # password or a relay refusing our IP must not drop the whole queue (Postfix's
                # smtp_skip_5xx_greeting and smtp_sasl_auth_soft_bounce defer too).
                self._drop_connection()
                self.down = Reply(451, f"{self.host}:{self.port} refused the session: "
                                       f"{exc.smtp_code} {_text(exc.smtp_error)}")
                return self.down
            except (OSError, smtplib.SMTPException) as exc:
                self._drop_connection()
                self.down = Reply(451, f"cannot connect to {self.host}:{self.port}: {_describe(exc)}")
                return self.down
        try:
            return self._transaction(self.conn, sender, recipient, data)
        except smtplib.SMTPResponseException as exc:
            return self._refused(self.conn, exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            # The connection broke mid-transaction: nothing was accepted, so defer
            # (a reply lost after the final dot is the one at-least-once case).
            self._drop_connection()
            return Reply(451, f"connection to {self.host}:{self.port} lost: {_describe(exc)}")

    def _transaction(self, conn: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> Reply:
        options = ["SMTPUTF8"] if not (sender + recipient).isascii() and conn.has_extn("smtputf8") else []
        if conn.has_extn("size"):
            options.append(f"SIZE={len(data)}")
        if conn.has_extn("pipelining"):
            return self._pipelined(conn, sender, recipient, data, options)
        code, text = conn.mail(sender, options)
        if code != 250:
            return self._refused(conn, code, text)
        code, text = conn.rcpt(recipient)
        if code not in (250, 251):
            return self._refused(conn, code, text)
        code, text = conn.data(data)
        if code != 250:
            return self._refused(conn, code, text)
        return Reply(code, _text(text))

    def _pipelined(self, conn: smtplib.SMTP, sender: str, recipient: str, data: bytes,
                   options: list[str]) -> Reply:
        """RFC 2920: MAIL, RCPT and DATA in one round trip (smtplib has no pipelining).

        Two round trips per recipient instead of four: with one VERP sender per
        recipient, that is most of the time a message spends on the wire.
        """
        extra = (" " + " ".join(options)) if options else ""
        conn.send(f"MAIL FROM:<{sender}>{extra}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode())
        mail, rcpt, start = conn.getreply(), conn.getreply(), conn.getreply()
        if start[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
            conn.send(b".\r\n")  # a server that said 354 anyway gets an empty message it must reject
            conn.getreply()
        if mail[0] != 250:
            return self._refused(conn, *mail)
        if rcpt[0] not in (250, 251):
            return self._refused(conn, *rcpt)
        if start[0] != 354:
            return self._refused(conn, *start)
        body = _DOT_LINE.sub(b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        conn.send(body + b".\r\n")
        code, text = conn.getreply()
        if code != 250:
            return self._refused(conn, code, text)
        return Reply(code, _text(text))

    def _refused(self, conn: smtplib.SMTP, code: int, text: bytes | str) -> Reply:
        reply = Reply(code if 400 <= code < 600 else 451, _text(text))
        if code == 421 or code < 0:
            self._drop_connection()  # 421: the server is closing; reconnect next time
        else:
            try:
                conn.rset()
            except (OSError, smtplib.SMTPException):
                self._drop_connection()
        return reply

    def _drop_connection(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                try:
                    self.conn.close()
                except OSError:
                    pass
            self.conn = None


def read_password(path: str, key: str) -> str:
    """The first line of a password file; ConfigError (78) naming ``key`` when it cannot be read."""
    return read_private(path, key).decode("utf-8", "replace").partition("\n")[0].strip()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(value.split())
