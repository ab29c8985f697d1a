"""The suite's settings: one table, each entry a CLI flag, an ini key and an environment variable.

Resolution order is command line, then environment, then ini file, then the default, so a CI job can
pin a value in ``pytest.ini`` and a developer can still override it for one run. A bad value names the
place it came from, because "invalid float" without a source is useless in a CI log.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.plugin.expected import ExpectedFailuresError, resolve_file
from conformance.plugin.webhooks import split_host_port


class SettingsError(ValueError):
    """A setting has a value the suite cannot use."""


@dataclass(frozen=True)
class Option:
    name: str  # attribute name and ini key
    help: str
    default: Any = None
    kind: str = "str"  # str | float | int | list
    secret: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        """The environment variable: the prefix said once (``conformance_seed`` -> ``CONFORMANCE_SEED``)."""
        return "CONFORMANCE_" + self.name.upper().removeprefix("CONFORMANCE_")

    @property
    def deprecated_env(self) -> str | None:
        """The earlier name with the prefix doubled (``CONFORMANCE_CONFORMANCE_SEED``): still read, after
        ``env``, with a warning line; None where the two are the same."""
        doubled = "CONFORMANCE_" + self.name.upper()
        return doubled if doubled != self.env else None


OPTIONS: tuple[Option, ...] = (
    Option(
        "target_url",
        "Base URL of the Agent Server to certify. Without it the suite starts the "
        "embedded reference server (langgraph-api, in-memory).",
    ),
    Option(
        "target_name",
        "Name of the implementation under test; names the report folder (default: derived from the target).",
    ),
    Option("api_key", "API key sent as the x-api-key header. Never printed.", secret=True),
    Option(
        "target_header",
        "Extra request header 'Name: value' (repeatable). Values are never printed.",
        default=(),
        kind="list",
        secret=True,
    ),
    Option("request_timeout", "Seconds to wait for any single HTTP answer.", default=30.0, kind="float"),
    Option(
        "max_in_flight",
        "Most requests the suite has in flight against the target at once, all -n workers together "
        "(each worker gets an equal share).",
        default=8,
        kind="int",
    ),
    Option("run_timeout", "Seconds a background run may take to reach a final status.", default=60.0, kind="float"),
    Option("spec", "Path to the vendored OpenAPI document (default: the suite's spec/openapi.yaml)."),
    Option("errata", "Path to the errata overlay (default: errata.yaml beside the spec)."),
    Option(
        "expected_failures",
        "YAML file of the target's known failures, or the name of a known implementation whose file the "
        "suite carries (e.g. langgraph-api-0.16.7-inmem; an unknown name lists them); a listed test that "
        "passes fails the run as stale. Default for the embedded target: the reference's own file.",
    ),
    Option(
        "conformance_report",
        "Folder for junit.xml, results.json, report.md and report.html "
        "(default: reports/<target-name>/; 'none' disables).",
    ),
    Option(
        "record_exchanges",
        "Write every request and answer of the run (no headers) to this file, gzipped JSON lines, or 'report' "
        "for exchanges.jsonl.gz in the report folder: the evidence `conformance spec gate` replays.",
    ),
    Option(
        "profile",
        "What to certify: 'core' (thread status, search, runs, state) or 'full' (every area). "
        "Tests outside the profile are deselected.",
        default="full",
    ),
    Option(
        "unsupported_areas",
        "Comma-separated API areas the target does not offer; their tests are reported unsupported, never passed.",
    ),
    Option(
        "reference_cache",
        "Folder holding the embedded reference's virtual environment (default: ~/.cache/langgraph-conformance).",
    ),
    Option(
        "conformance_seed",
        "Seed of the property layer's generated requests (same seed, same requests).",
        default=0,
        kind="int",
    ),
    Option(
        "max_examples",
        "Fuzzing examples per operation in the property layer (default: the budget's, 5 quick / 50 full).",
        kind="int",
    ),
    Option(
        "callback_host",
        "Host, or host:port, at which the target reaches the machine the suite runs on (for webhooks: the "
        "suite's receiver listens there, on every interface). Default: the receiver listens on 127.0.0.1 "
        "and is used only when the target URL is on loopback; otherwise the webhook tests are unsupported.",
    ),
    Option(
        "auth_user",
        "A user of the auth area and the header that logs them in, 'NAME=Header: value' (give two users, "
        "e.g. A=Authorization: Bearer <token> and B=...; repeat a name for a second header). The first named "
        "user owns what the area makes, the second tries to reach it. Values are never printed. Without two "
        "users the auth area is unsupported on a --target-url target (the embedded reference starts a "
        "deployment of its own with the fixture auth).",
        default=(),
        kind="list",
        secret=True,
    ),
    Option(
        "auth_url",
        "Base URL of the deployment with custom auth that the auth area certifies, when it is not the "
        "--target-url server (e.g. the fixture graphs deployed by 'conformance graphs DIR --auth').",
    ),
    Option(
        "auth_wait",
        "Seconds the auth area waits for the deployment with custom auth to accept connections at all (one "
        "started beside the suite may still be starting; a bring-up starts its own so).",
        default=10.0,
        kind="float",
    ),
    Option(
        "property_budget",
        "Property layer budget: 'quick' (few examples, short stream reads) or 'full'.",
        default="quick",
    ),
)

BY_NAME = {option.name: option for option in OPTIONS}


@dataclass
class Settings:
    """The resolved values, plus where each came from (for the report header and error messages)."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def describe(self) -> list[str]:
        """Lines for the report header, with secrets redacted."""
        lines = []
        for option in OPTIONS:
            value = self.values.get(option.name)
            if value in (None, (), []):
                continue
            shown = "<redacted>" if option.secret else value
            if option.name == "target_url":  # credentials in the URL are secrets too
                shown = re.sub(r"//[^/@]*@", "//<redacted>@", str(value))
            if option.name == "target_header":
                shown = ", ".join(f"{h.split(':', 1)[0]}: <redacted>" for h in value)
            if option.name == "auth_user":
                shown = ", ".join(f"{h.split(':', 1)[0]}: <redacted>" for h in value)
            if option.name == "auth_url":
                shown = re.sub(r"//[^/@]*@", "//<redacted>@", str(value))
            lines.append(f"{option.name} = {shown}  ({self.sources[option.name]})")
        return lines


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "LangGraph Agent Server conformance")
    for option in OPTIONS:
        help_text = f"{option.help} [env {option.env}, ini {option.name}]"
        if option.kind == "list":
            group.addoption(option.flag, action="append", dest=option.name, default=None, help=help_text)
            parser.addini(option.name, help=option.help, type="linelist", default=[])
        else:
            group.addoption(option.flag, action="store", dest=option.name, default=None, help=help_text)
            parser.addini(option.name, help=option.help, default=None)


def _convert(option: Option, raw: Any, source: str) -> Any:
    if option.kind == "list":
        items = raw if isinstance(raw, list | tuple) else [s for s in str(raw).split("\n") if s.strip()]
        if option.name == "target_header":
            for item in items:
                if ":" not in item or not item.split(":", 1)[0].strip():
                    raise SettingsError(
                        f"{option.name} from {source}: expected 'Name: value', got a value without a header name"
                    )
        if option.name == "auth_user":
            auth_users(items, source)
        return tuple(item.strip() for item in items)
    if option.kind == "float":
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{option.name} from {source}: expected a number of seconds, got {raw!r}") from None
        if value <= 0:
            raise SettingsError(f"{option.name} from {source}: must be positive, got {raw!r}")
        return value
    if option.name == "max_in_flight":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{option.name} from {source}: expected a whole number, got {raw!r}") from None
        if value < 1:
            raise SettingsError(f"{option.name} from {source}: must be at least 1, got {raw!r}")
        return value
    if option.name == "expected_failures":
        _known_file_or_name(str(raw), source)
    if option.name == "callback_host":
        try:
            split_host_port(str(raw))
        except ValueError:
            raise SettingsError(f"{option.name} from {source}: expected 'host' or 'host:port', got {raw!r}") from None
    return str(raw)


def auth_users(items: Any, source: str = "settings") -> dict[str, tuple[str, ...]]:
    """The users of ``--auth-user`` values ('NAME=Header: value'), in the order first named: name -> its
    headers ('Header: value'). Exactly two users, each header with a name and a colon."""
    users: dict[str, list[str]] = {}
    for item in items:
        name, equals, header = str(item).partition("=")
        if not equals or not name.strip() or ":" not in header or not header.split(":", 1)[0].strip():
            raise SettingsError(f"auth_user from {source}: expected 'NAME=Header: value', got a value without them")
        users.setdefault(name.strip(), []).append(header.strip())
    if items and len(users) != 2:
        raise SettingsError(f"auth_user from {source}: expected two users, got {len(users)} ({', '.join(users)})")
    return {name: tuple(headers) for name, headers in users.items()}


def _known_file_or_name(value: str, source: str) -> None:
    """A value of --expected-failures that is neither a file nor a known implementation's name is refused
    here, before the target is reached (the file itself is read and checked by conformance/plugin/expected.py)."""
    try:
        resolve_file(value)
    except ExpectedFailuresError as exc:
        raise SettingsError(f"expected_failures from {source}: {exc}") from None


def _environment(option: Option) -> tuple[str | None, str]:
    """The option's value from the environment and the variable it came from: ``env`` first, then the
    deprecated name."""
    value = os.environ.get(option.env)
    if value in (None, "") and option.deprecated_env:
        old = os.environ.get(option.deprecated_env)
        if old not in (None, ""):
            return old, option.deprecated_env
    return value, option.env


def resolve(config: pytest.Config) -> Settings:
    settings = Settings()
    for option in OPTIONS:
        cli = config.getoption(option.name, default=None)
        env, variable = _environment(option)
        ini = config.getini(option.name)
        if cli not in (None, []):
            raw, source = cli, f"command line {option.flag}"
        elif env not in (None, ""):
            raw, source = env, f"environment {variable}"
            if variable != option.env and not hasattr(config, "workerinput"):  # once: not again per xdist worker
                print(f"conformance: warning: {variable} is deprecated, use {option.env}", file=sys.stderr)
        elif ini not in (None, [], ""):
            raw, source = ini, f"ini {option.name}"
        else:
            settings.values[option.name] = option.default
            settings.sources[option.name] = "default"
            continue
        settings.values[option.name] = _convert(option, raw, source)
        settings.sources[option.name] = source
    return settings
