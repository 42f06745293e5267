"""The connections one mq-flush run reuses: one per worker thread and sender account.

Each worker thread keeps its own transports (smtplib connections are not
shared between threads); a sender with its own ``[senders."ADDR"]`` account
gets its own connection, everyone else shares the ``[transport]`` one.
"""

from __future__ import annotations

import threading

from ...config import Config, SenderAccount
from .sendmail import SendmailTransport
from .smtp import SmtpTransport, read_password

Transport = SmtpTransport | SendmailTransport


class TransportPool:
    def __init__(self, config: Config) -> None:
        check_passwords(config)
        self.config = config
        self._local = threading.local()
        self._all: list[Transport] = []
        self._lock = threading.Lock()

    def for_sender(self, sender: str) -> Transport:
        """This thread's transport for ``sender`` (made on first use, then reused)."""
        transports = getattr(self._local, "transports", None)
        if transports is None:
            transports = self._local.transports = {}
        account = self.config.senders.get(sender) or self.config.senders.get(sender.lower())
        key = sender.lower() if account and account.host else ""
        if key not in transports:
            transports[key] = self._make(account)
            with self._lock:
                self._all.append(transports[key])
        return transports[key]

    def relay(self, sender: str) -> str:
        """Where ``sender``'s mail goes, for the log's ``relay=``: host:port, or the sendmail binary."""
        account = self.config.senders.get(sender) or self.config.senders.get(sender.lower())
        base = self.config.transport
        if account and account.host:
            return f"{account.host}:{account.port or base.port}"
        return base.sendmail_path if base.kind == "sendmail" else f"{base.host}:{base.port}"

    def _make(self, account: SenderAccount | None) -> Transport:
        base = self.config.transport
        if account and account.host:
            return SmtpTransport(account.host, account.port or base.port, account.starttls or base.starttls,
                                 base.timeout, account.username, account.password_file)
        if base.kind == "sendmail":
            return SendmailTransport(base.sendmail_path, base.timeout)
        return SmtpTransport(base.host, base.port, base.starttls, base.timeout, base.username,
                             base.password_file)

    def close(self) -> None:
        for transport in self._all:
            transport.close()


def check_passwords(config: Config) -> None:
    """Every account's password file can be read, before any message is claimed.

    A missing one is a configuration error (78) naming its key, not a deferral
    of that sender's mail with exit 0 that nobody notices.
    """
    base = config.transport
    if base.kind == "smtp" and base.username:
        read_password(base.password_file, "transport.password_file")
    for address, account in config.senders.items():
        if account.host and account.username:
            read_password(account.password_file, f'senders."{address}".password_file')
