"""Configuration: precedence, types, unknown keys."""

from __future__ import annotations

import pytest

from mailtools.config import describe, load_config, parse_config
from mailtools.errors import ConfigError


def test_defaults_match_design():
    config = parse_config({})
    assert config.spool == "/var/spool/mailtools"
    assert (config.retry.min_backoff, config.retry.max_backoff, config.retry.max_attempts) == (300, 4000, 100)
    assert (config.bounce.prefix, config.bounce.max_bounce_count, config.bounce.soft_threshold) == ("bounce", 10, 5)
    assert config.transport.starttls == "auto" and config.retention.bounce_days == 30


@pytest.mark.parametrize("data, names", [
    ({"spol": "/x"}, "'spool'" if False else "'spol'"),
    ({"transport": {"prot": 25}}, "'transport.prot'"),
    ({"transport": {"port": "25"}}, "'transport.port'"),
    ({"retry": {"max_attempts": 1.5}}, "'retry.max_attempts'"),
    ({"bounce": {"prefix": 3}}, "'bounce.prefix'"),
    ({"transport": {"kind": "carrier-pigeon"}}, "'transport.kind'"),
    ({"senders": {"a@example.org": {"hots": "x"}}}, "'senders.a@example.org.hots'"),
    ({"send_immediately": "yes"}, "'send_immediately'"),
    ({"retry": {"min_backoff": -100}}, "'retry.min_backoff'"),
    ({"retry": {"min_backoff": 600, "max_backoff": 300}}, "'retry.max_backoff'"),
    ({"bounce": {"max_bounce_count": -1}}, "'bounce.max_bounce_count'"),
    ({"transport": {"port": 70000}}, "'transport.port'"),
    ({"transport": {"connections": 0}}, "'transport.connections'"),
])
def test_errors_name_the_key(data, names):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert names in str(err.value)
    assert err.value.exit_code == 78


def test_precedence_flag_env_file_default(tmp_path, monkeypatch):
    config_file = tmp_path / "m.toml"
    config_file.write_text('spool = "/from/file"\n[retry]\nmin_backoff = 60\n')
    monkeypatch.delenv("MAILTOOLS_SPOOL", raising=False)
    monkeypatch.setenv("MAILTOOLS_CONFIG", str(config_file))
    assert load_config().spool == "/from/file"
    assert load_config().retry.min_backoff == 60
    monkeypatch.setenv("MAILTOOLS_SPOOL", "/from/env")
    assert load_config().spool == "/from/env"
    assert load_config(spool="/from/flag").spool == "/from/flag"


def test_a_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError):
        load_config(str(tmp_path / "nope.toml"))


def test_invalid_toml_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[transport\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(str(bad))


def test_any_toml_is_read_by_the_standard_library(tmp_path):
    # Escapes, inline tables, literal strings, a dotted key: all TOML, one parser (tomllib).
    path = tmp_path / "full.toml"
    path.write_text('spool = "/var/spool/mail\\u0074ools"\n'
                    "transport = { host = 'relay.example', port = 587 }\n"
                    'bounce.prefix = "bounce_service1"\n'
                    '[senders."app@example.org"]\nhost = "smtp.example"  # its own account\n'
                    '[log]\nsyslog = true\nsocket = "/run/systemd/journal/dev-log"\n')
    config = load_config(str(path))
    assert config.spool == "/var/spool/mailtools" and config.source == str(path)
    assert (config.transport.host, config.transport.port, config.transport.kind) == ("relay.example", 587, "smtp")
    assert config.bounce.prefix == "bounce_service1" and config.senders["app@example.org"].host == "smtp.example"
    assert (config.log.syslog, config.log.socket) == (True, "/run/systemd/journal/dev-log")


@pytest.mark.parametrize("text", ['spool = "/s"\n[transport]\nport = 2525\n[senders."a@b.example"]\nhost = "h"\n',
                                  "transport = { port = 2525 }\n", "[log]\nsyslog = true\n"])
def test_the_lean_reading_of_mq_send_and_the_pipe_gives_the_same_config(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text)
    assert load_config(str(path), lean=True) == load_config(str(path))


def test_describe_lists_every_key_with_its_type_and_default():
    described = describe()
    assert described[0] == ("", "spool", "str", "/var/spool/mailtools")
    assert ("transport", "port", "int", 25) in described and ("retry", "max_age_days", "float", 5) in described
    assert ("packages.*", "on_bounce", "str", "") in described and ("log", "socket", "str", "/dev/log") in described
    for table, key, kind, _ in described:  # each one is a key parse_config takes
        value = {"str": "x", "int": 1, "float": 1.0, "bool": True}[kind]
        data = {key: value} if not table else {table.rstrip(".*"): {"t": {key: value}} if table.endswith("*")
                                               else {key: value}}
        try:
            parse_config(data)
        except ConfigError as exc:
            assert "unknown" not in str(exc) and "expected" not in str(exc), exc


def test_a_toml_error_says_where(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text('[retry]\nmin_backoff = 60\nmin_backoff = 70\n')
    for lean in (False, True):
        with pytest.raises(ConfigError, match=rf"{path}: not valid TOML: .*line 3"):
            load_config(str(path), lean=lean)
