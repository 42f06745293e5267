"""mailtools: a plain-file mail spool, delivery, DKIM and bounce handling."""

__version__ = "0.1.0"
