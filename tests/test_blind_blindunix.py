"""The blind test on Unix MTAs' bounces: every HAND-WRITTEN sample's verdict matches its label.

tests/data/bounces/blind-blindunix/ holds bounces written by hand in the
layouts of sendmail (5, 8 with and without DSN), Postfix (1.x, pre-2.3, the
2.3+ failure, delay and success templates), qmail (netqmail, vpopmail,
qmail-ldap, Plesk), Exim (3, 4 old and new, delay warnings, localised
texts), Courier and CommuniGate Pro; README.md there names each layout's
source. The labels were set from DESIGN's rule before the classifier was run.

A disagreement we know of and have not fixed is a strict xfail with its
reason: it fails the day the classifier starts to agree, so the label and
this list stay honest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailtools.bounces.classify import classify

HERE = Path(__file__).resolve().parent / "data" / "bounces" / "blind-blindunix"
EXPECTED = json.loads((HERE / "expected.json").read_text())

# sample -> why the classifier still disagrees with the label
KNOWN_GAPS = {
    "messages/cgp_hostunknown.eml": "CommuniGate's wording for a domain that does not resolve was written from "
                                    "memory, not from its documentation: no rule was written for it",
    "messages/courier_local_unknown.eml": "Courier's own '550 User unknown.' with no Diagnostic-Code is read as "
                                          "a relayed reply (sisimai's 'filtered'): reasons.py's rule, unchanged",
    "messages/postfix_conversation_timeout.eml": "soft either way: 'timed out' reads as networkerror, not the expiry",
    "messages/postfix_greeting_lost.eml": "soft either way: 'lost connection' reads as networkerror, not the expiry",
    "messages/postfix_mx_loops.eml": "soft either way: a mail loop is networkerror in sisimai's vocabulary",
    "messages/qmail_loop.eml": "soft either way: a mail loop is networkerror in sisimai's vocabulary",
    "messages/qmail_connection_died.eml": "soft either way: 'connection died' reads as networkerror, not the expiry",
    "messages/sendmail_mailboxfull_procmail.eml": "soft either way: sendmail's 'Can't create output' outranks "
                                                  "procmail's quota line",
    "messages/sendmail_nodsn_expired.eml": "soft either way: 'Connection refused by' is sisimai's blocked, "
                                           "before the expiry",
    "messages/exim_admin_prohibition.eml": "soft either way: Exim's default ACL refusal reads as policyviolation",
    "messages/sendmail_two_recipients.eml": "soft either way: 'content restrictions' with 5.7.1 reads as rejected",
}


def _mismatches(name: str) -> list[str]:
    row = EXPECTED[name]
    verdict = classify((HERE / name).read_bytes())
    got = {r.address: r for r in verdict.recipients}
    wrong = [] if verdict.kind == row["kind"] else [f"kind {verdict.kind}"]
    for want in row["recipients"]:
        r = got.get(want["address"])
        if r is None:
            if row["kind"] in ("bounce", "delay"):
                wrong.append(f"{want['address']} not found")    # a non-bounce need not name anyone
        elif r.hard != want["hard"] or (want["reason"] and r.reason != want["reason"]):
            wrong.append(f"{want['address']}: {r.reason}/{r.hard}")
    return wrong


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[n])) if n in KNOWN_GAPS else n
    for n in sorted(EXPECTED)])
def test_verdict_matches_label(name):
    assert _mismatches(name) == []


def test_every_sample_is_labelled_and_every_gap_is_a_sample():
    assert sorted(f"messages/{p.name}" for p in HERE.glob("messages/*.eml")) == sorted(EXPECTED)
    assert set(KNOWN_GAPS) <= set(EXPECTED)

