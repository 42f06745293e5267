"""The one-click unsubscribe and re-enable pages (RFC 8058), as one WSGI app."""
