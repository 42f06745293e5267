"""Root works in a spool as the user who owns it.

A spool made by mailtools-setup belongs to the service user: its cron jobs
and the alias pipe run as that user. A command an admin runs as root
(mq-flush at 3 a.m., bounce-sweep by hand) would otherwise create the secret,
the database, queue files and the sweep lock as root, which the service user
cannot read afterwards: delivery and bounce processing would stop until
someone fixed the ownership by hand. So, as Postfix's commands become
mail_owner, root becomes the spool's owner before it touches anything.
(mq-send is the exception: root's message goes through maildrop/, as any
caller's that is not the owner, so the flusher reads it and keeps uid 0.)
The alias pipe does it too: Postfix runs it as the alias map's owner, but an
admin may pipe a bounce in by hand as root.
"""

from __future__ import annotations

import os

from ..errors import PermissionDenied


def become_spool_owner(spool_root: str) -> None:
    """As root, switch this process to the owner of ``spool_root`` (its groups too); else nothing."""
    if os.geteuid() != 0:
        return
    try:
        owner = os.stat(spool_root).st_uid
    except OSError:
        return  # no spool yet: whoever creates it owns it
    if owner == 0:
        return
    import pwd  # only root in another user's spool gets here: not on the pipe's usual path

    try:
        entry = pwd.getpwuid(owner)
        name, group = entry.pw_name, entry.pw_gid
    except KeyError:
        name, group = None, os.stat(spool_root).st_gid
    try:
        if name is None:
            os.setgroups([])
        else:
            os.initgroups(name, group)
        os.setgid(group)
        os.setuid(owner)
    except OSError as exc:
        raise PermissionDenied(f"cannot become {name or owner}, the owner of the spool {spool_root}:"
                               f" {exc.strerror}") from None
