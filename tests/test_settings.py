"""Settings resolve command line, then environment, then ini, then default; bad values name their source."""

from __future__ import annotations

import pytest

from conformance.paths import REPO_DIR
from conformance.plugin.settings import OPTIONS, Settings, SettingsError, resolve


class FakeConfig:
    def __init__(self, cli=None, ini=None):
        self.cli, self.ini = cli or {}, ini or {}

    def getoption(self, name, default=None):
        return self.cli.get(name, default)

    def getini(self, name):
        return self.ini.get(name)


def test_precedence(monkeypatch):
    monkeypatch.setenv("CONFORMANCE_REQUEST_TIMEOUT", "7")
    monkeypatch.setenv("CONFORMANCE_RUN_TIMEOUT", "8")
    settings = resolve(
        FakeConfig(
            cli={"request_timeout": "5"}, ini={"request_timeout": "6", "run_timeout": "9", "target_url": "http://ini:1"}
        )
    )
    assert settings.request_timeout == 5.0 and settings.sources["request_timeout"].startswith("command line")
    assert settings.run_timeout == 8.0 and settings.sources["run_timeout"] == "environment CONFORMANCE_RUN_TIMEOUT"
    assert settings.target_url == "http://ini:1" and settings.sources["target_url"] == "ini target_url"


def test_defaults(monkeypatch):
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    settings = resolve(FakeConfig())
    assert settings.request_timeout == 30.0 and settings.run_timeout == 60.0 and settings.target_url is None


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({"request_timeout": "soon"}, "request_timeout from command line --request-timeout: expected a number"),
        ({"run_timeout": "-1"}, "run_timeout from command line --run-timeout: must be positive"),
        ({"target_header": ["no-colon"]}, "target_header from command line --target-header: expected 'Name: value'"),
        ({"callback_host": "http://me/"}, "callback_host from command line --callback-host: expected 'host' or"),
        ({"callback_host": "me:99999"}, "callback_host from command line --callback-host: expected 'host' or"),
        ({"auth_user": ["Authorization: Bearer x"]}, "auth_user from command line --auth-user: expected 'NAME=Header"),
        ({"auth_user": ["A=no-colon", "B=X: y"]}, "auth_user from command line --auth-user: expected 'NAME=Header"),
        ({"auth_user": ["A=X: 1", "B=X: 2", "C=X: 3"]}, "auth_user from command line --auth-user: expected two users"),
        ({"auth_user": ["A=X: 1", "A=Y: 2"]}, "auth_user from command line --auth-user: expected two users, got 1"),
    ],
)
def test_bad_values_name_their_source(monkeypatch, cli, message):
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    with pytest.raises(SettingsError, match=message):
        resolve(FakeConfig(cli=cli))


def test_secrets_are_redacted_in_the_header():
    settings = Settings(
        values={"api_key": "SECRET-1", "target_header": ("X-Token: SECRET-2",)},
        sources={"api_key": "command line --api-key", "target_header": "command line"},
    )
    text = "\n".join(settings.describe())
    assert "SECRET" not in text and "X-Token: <redacted>" in text


def test_auth_users_are_parsed_in_order_and_never_shown():
    """Two users, in the order named (the first owns, the second intrudes), a repeated name adds a header;
    the report header and the scrubber hide every value, the bearer token on its own too."""
    from conformance.plugin.settings import auth_users
    from conformance.reports.results import secrets_of

    raw = ["B=Authorization: Bearer token-of-b-123456", "A=Authorization: Bearer token-of-a-123456", "B=X-Org: acme"]
    users = auth_users(raw)
    assert list(users) == ["B", "A"]
    assert users["B"] == ("Authorization: Bearer token-of-b-123456", "X-Org: acme")
    settings = Settings(values={"auth_user": tuple(raw)}, sources={"auth_user": "command line"})
    text = "\n".join(settings.describe())
    assert "token-of" not in text and "acme" not in text and "A=Authorization: <redacted>" in text
    found = secrets_of(settings, ["random-embedded-token"])
    assert {"token-of-a-123456", "Bearer token-of-b-123456", "acme", "random-embedded-token"} <= set(found)


def _clean(monkeypatch):
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
        if option.deprecated_env:
            monkeypatch.delenv(option.deprecated_env, raising=False)


def test_the_environment_says_the_prefix_once(monkeypatch, capsys):
    _clean(monkeypatch)
    monkeypatch.setenv("CONFORMANCE_SEED", "7")
    monkeypatch.setenv("CONFORMANCE_REPORT", "none")
    settings = resolve(FakeConfig())
    assert settings.conformance_seed == "7" and settings.sources["conformance_seed"] == "environment CONFORMANCE_SEED"
    assert (
        settings.conformance_report == "none"
        and settings.sources["conformance_report"] == "environment CONFORMANCE_REPORT"
    )
    assert "deprecated" not in capsys.readouterr().err


def test_the_doubled_names_still_work_with_one_warning_line(monkeypatch, capsys):
    _clean(monkeypatch)
    monkeypatch.setenv("CONFORMANCE_CONFORMANCE_SEED", "3")
    settings = resolve(FakeConfig())
    assert settings.conformance_seed == "3"
    assert settings.sources["conformance_seed"] == "environment CONFORMANCE_CONFORMANCE_SEED"
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["conformance: warning: CONFORMANCE_CONFORMANCE_SEED is deprecated, use CONFORMANCE_SEED"]


def test_the_new_name_wins_over_the_doubled_one_and_the_command_line_over_both(monkeypatch, capsys):
    _clean(monkeypatch)
    monkeypatch.setenv("CONFORMANCE_SEED", "7")
    monkeypatch.setenv("CONFORMANCE_CONFORMANCE_SEED", "3")
    monkeypatch.setenv("CONFORMANCE_CONFORMANCE_REPORT", "old")
    settings = resolve(FakeConfig(cli={"conformance_report": "new"}))
    assert settings.conformance_seed == "7" and settings.conformance_report == "new"
    assert "deprecated" not in capsys.readouterr().err  # a doubled name that is not used says nothing


def test_the_readme_options_table_names_each_flag_with_its_environment_variable():
    readme = (REPO_DIR / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in readme.splitlines()
        if line.startswith("| `--")
    }
    wrong = [f"{o.flag}: {rows.get(f'`{o.flag}`')}" for o in OPTIONS if rows.get(f"`{o.flag}`") != f"`{o.env}`"]
    assert not wrong, "README Options rows whose environment variable is not the option's: " + ", ".join(wrong)
