"""The state layer's complaint and unsubscribe methods (issue 14), through StateStore only.

Written like tests/test_state.py (a PostgreSQL backend joins ``store``'s
params) so a second backend is held to the same behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailtools.errors import DataError
from mailtools.signing import GoneToken
from mailtools.state import db_path, open_state
from mailtools.state.base import CallbackTarget, SendRecord, SuppressionRecord

T0 = 1_700_000_000.0
HOOK = (CallbackTarget("command", "7"),)


@pytest.fixture(params=["sqlite"])
def store(request, tmp_path: Path):
    db = open_state("sqlite:///" + db_path(str(tmp_path / "spool")))
    yield db
    db.close()


def row(address: str = "Ann@Example.org", reason: str = "complaint", key: str | None = "complaint:h1",
        scope: str | None = None, at: float = T0) -> SuppressionRecord:
    return SuppressionRecord(address, reason, "arf", at, scope, "7", "42", "<m@x>", "News.example", "abuse", key,
                             HOOK, {"type": reason})


def test_a_keyed_report_suppresses_records_and_queues_once(store) -> None:
    assert store.record_suppressions([row()]) == [True]
    assert store.is_suppressed(["ann@example.org"], "8") == {"ann@example.org": "complaint"}
    [event] = store.events("ann@example.org")
    assert (event.kind, event.reason, event.package_id, event.hard) == ("complaint", "abuse", "7", False)
    [callback] = store.due_callbacks(T0)
    assert (callback.kind, callback.target, callback.package_id) == ("complaint", "command", "7")
    payload = json.loads(callback.payload)
    assert payload.pop("id") and payload == {"type": "complaint"}  # the outbox adds the event's id
    assert store.record_suppressions([row(at=T0 + 5)]) == [False]  # the same report again
    assert len(store.events("ann@example.org")) == 1 and len(store.due_callbacks(T0 + 5)) == 1


def test_a_new_report_about_an_address_already_suppressed_is_heard_of_but_changes_no_suppression(store) -> None:
    store.suppress("ann@example.org", "manual", "bounce-disable", T0 - 10)
    assert store.record_suppressions([row(key="complaint:h2")]) == [False]
    assert [s[:3] for s in store.suppressions()] == [("ann@example.org", "manual", "bounce-disable")]
    assert len(store.events("ann@example.org")) == 1 and len(store.due_callbacks(T0)) == 1


def test_without_a_key_only_a_new_suppression_records_an_event(store) -> None:
    web = row(reason="unsubscribe", key=None, scope="7")
    assert store.record_suppressions([web, web._replace(time=T0 + 1)]) == [True, False]
    assert store.is_suppressed(["ann@example.org"], "7") == {"ann@example.org": "unsubscribe"}
    assert store.is_suppressed(["ann@example.org"]) == {}
    assert len(store.events("ann@example.org")) == 1 and len(store.due_callbacks(T0 + 1)) == 1
    assert store.address_status(["ann@example.org"])[0].unsubscribed_packages == ["7"]


def test_a_persons_wish_takes_over_a_bounce_suppression_but_not_another(store) -> None:
    store.suppress("b@example.org", "bounce", "bounce-sweep", T0 - 10)
    store.suppress("m@example.org", "manual", "bounce-disable", T0 - 10)
    done = store.record_suppressions([row("b@example.org", key="k-b"), row("m@example.org", key="k-m"),
                                      row("x@example.org", "manual", None)._replace(origin="import")])
    assert done == [True, False, True]
    assert {(s.address, s.reason, s.origin) for s in store.suppressions()} == {
        ("b@example.org", "complaint", "arf"), ("m@example.org", "manual", "bounce-disable"),
        ("x@example.org", "manual", "import")}
    status = {s.address: s for s in store.address_status(None, disabled_only=True)}
    assert status["b@example.org"].origin == "arf" and status["b@example.org"].suppressed_since == T0


def test_sends_for_message_finds_every_recipient_with_or_without_brackets(store) -> None:
    store.add_sends([SendRecord("h1", "a@x.org", "<m1@x>", None, "7", "s@x.org", "Q", T0),
                     SendRecord("h2", "b@x.org", "<m1@x>", None, "7", "s@x.org", "Q", T0),
                     SendRecord("h3", "c@x.org", "<m2@x>", None, "7", "s@x.org", "Q", T0)])
    assert [r.recipient for r in store.sends_for_message("<m1@x>")] == ["a@x.org", "b@x.org"]
    assert [r.recipient for r in store.sends_for_message(" m2@x ")] == ["c@x.org"]
    assert store.sends_for_message("<none@x>") == []


def test_a_used_token_is_gone_before_and_when_it_acts(store) -> None:
    store.check_reenable("mac1", "a@example.org", 0)  # unused, no episode: it may act
    store.enable_by_token("mac1", "a@example.org", T0 + 100, 0, T0, [])
    with pytest.raises(GoneToken, match="already been used"):
        store.check_reenable("mac1", "a@example.org", 0)  # what the GET page asks
    with pytest.raises(GoneToken) as raised:
        store.enable_by_token("mac1", "a@example.org", T0 + 100, 0, T0 + 1, [])
    assert raised.value.used is True and isinstance(raised.value, DataError)  # still 65 for bounce-enable


def test_a_token_of_an_earlier_notice_is_gone_for_the_page_and_the_click_alike(store) -> None:
    with pytest.raises(GoneToken, match="earlier notice") as page:
        store.check_reenable("mac2", "b@example.org", 1234)  # b is not disabled by that episode
    with pytest.raises(GoneToken, match="earlier notice") as click:
        store.enable_by_token("mac2", "b@example.org", T0 + 100, 1234, T0, [])
    assert str(page.value) == str(click.value)
    store.check_reenable("mac2", "b@example.org", 0)  # and the refused click spent nothing


def test_a_persons_complaint_or_unsubscribe_counts_in_the_figures_an_imported_list_does_not(store) -> None:
    """mailtools_bounces_total{kind=complaint|unsubscribe}: what people did, not lists moved in."""
    store.record_suppressions([row("a@example.org", key="complaint:a")])
    imported = row("b@example.org", key=None)._replace(origin="import")
    unsubscribed = row("c@example.org", reason="unsubscribe", key=None)._replace(origin="one-click", scope="7")
    store.record_suppressions([imported, unsubscribed])
    counted = {(name, labels["kind"]): value for name, labels, value in store.figures().stored if name == "bounces"}
    assert counted == {("bounces", "complaint"): 1, ("bounces", "unsubscribe"): 1}


def test_the_disabled_listing_includes_who_left_only_some_packages_mail(store) -> None:
    """bounce-status --disabled --json is the export bounce-disable re-imports: nobody may drop out of it."""
    store.record_suppressions([row("c@example.org", reason="unsubscribe", key=None, scope="7")])
    store.record_suppressions([row("d@example.org", key="complaint:d")])
    listed = {r.address: (r.suppressed, r.unsubscribed_packages) for r in store.address_status(None, True)}
    assert listed == {"c@example.org": (None, ["7"]), "d@example.org": ("complaint", [])}
