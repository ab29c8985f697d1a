"""Where a certification's time goes: opt-in timers for bench/where_time_goes.py, off the normal path.

A pytest plugin of its own, loaded only by name (``pytest -p conformance.timing``, as the bench runs
the suite; xdist's workers parse the same command line) and writing to ``CONFORMANCE_TIMING=DIR``: a
normal certification never imports it. It wraps the few functions the time goes through (generation,
schema validation, the property checks, every HTTP request, event-stream reads, poll sleeps, the
reference's start and stop, the reports) and every process of the session (the controller and each
xdist worker) writes ``DIR/timing-<process>.json`` at its end. A top-level module because it reaches
into every room (plugin, properties, contract).

Each span is timed in wall seconds and in the CPU seconds of its own thread (``time.thread_time``), so an
HTTP request splits into the client's CPU and the wait for the server's answer. Spans nest (an HTTP
request inside a world set-up, a validation inside the property checks) and each counts only its own
time, its children's taken out, so the spans of one thread add up to no more than its wall time. Spans
run in the main thread (the test itself) or in the property layer's pool; only the main thread's add up
to the tests' wall time, the pool's run beside it and are reported apart. The area is the running
test's (``pytest.mark.area``); before the first test and after the last it is ``session``.

The reference server's CPU (its whole process group, children included) is read from /proc when it has
answered its first request and just before it is stopped.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ENV = "CONFORMANCE_TIMING"
SESSION_AREA = "session"
# Requests that wait for a run by design (a join, a wait, a stream of a run): their wall is run waiting.
RUN_WAITS = ("/wait", "/join", "/stream")


def enabled() -> str | None:
    return os.environ.get(ENV) or None


class _Frame:
    __slots__ = ("area", "child_cpu", "child_wall", "cpu", "kind", "wall")

    def __init__(self, kind: str, area: str) -> None:
        self.kind = kind
        self.area = area
        self.wall = time.perf_counter()
        self.cpu = time.thread_time()
        self.child_wall = 0.0
        self.child_cpu = 0.0


class Timers:
    """Exclusive wall and thread-CPU seconds per (area, kind, thread role), thread safe."""

    def __init__(self) -> None:
        self.area = SESSION_AREA
        self.main = threading.main_thread()
        self.lock = threading.Lock()
        self.local = threading.local()
        self.totals: dict[tuple[str, str, str], list[float]] = {}

    def start(self, kind: str) -> _Frame:
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        frame = _Frame(kind, self.area)
        stack.append(frame)
        return frame

    def stop(self, frame: _Frame) -> None:
        wall = time.perf_counter() - frame.wall
        cpu = time.thread_time() - frame.cpu
        stack = self.local.stack
        stack.pop()
        if stack:
            stack[-1].child_wall += wall
            stack[-1].child_cpu += cpu
        role = "main" if threading.current_thread() is self.main else "pool"
        with self.lock:
            entry = self.totals.setdefault((frame.area, frame.kind, role), [0.0, 0.0, 0])
            entry[0] += wall - frame.child_wall
            entry[1] += cpu - frame.child_cpu
            entry[2] += 1

    def wrap(self, kind: Any, function: Any) -> Any:
        """``function`` timed as ``kind`` (a string, or a callable of the call's arguments giving one)."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = self.start(kind(*args, **kwargs) if callable(kind) else kind)
            try:
                return function(*args, **kwargs)
            finally:
                self.stop(frame)

        return timed


def _http_kind(client: Any, request: Any, *args: Any, **kwargs: Any) -> str:
    path = request.url.path
    if kwargs.get("stream"):
        return "http: stream opened"
    return "http: run wait" if any(word in path for word in RUN_WAITS) else "http"


def _sleep_kind(seconds: float) -> str:
    caller = sys._getframe(2).f_code  # timed() is frame 1
    return f"sleep: {caller.co_name}"


def run_delay() -> float:
    """Seconds this thread has been ready to run but waited for a core (other processes had them)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def process_group_cpu(leader: int) -> float | None:
    """CPU seconds (user + system, with reaped children) of every process in ``leader``'s process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    found = False
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[0] is field 3 (state): pgrp is field 5, utime..cstime fields 14-17
        if int(fields[2]) != leader:
            continue
        found = True
        total += sum(int(value) for value in fields[11:15])
    return total / tick if found else None


class Timing:
    """The pytest plugin object: installs the wraps, follows the running test's area, writes the file."""

    def __init__(self, config: pytest.Config, folder: Path) -> None:
        self.config = config
        self.folder = folder
        self.timers = Timers()
        self.process = getattr(config, "workerinput", {}).get("workerid", "controller")
        self.started = time.time()
        self.process_started = _process_start_time()
        self.marks: dict[str, float] = {}
        # area -> [wall, main-thread cpu, process cpu, count, main thread's wait for a core]
        self.tests: dict[str, list[float]] = {}
        self.server: dict[str, Any] = {}
        self.restore: list[tuple[Any, str, Any]] = []

    # ------------------------------------------------------------------------------------- the wraps
    def _patch(self, owner: Any, name: str, kind: Any) -> None:
        original = getattr(owner, name)
        self.restore.append((owner, name, original))
        setattr(owner, name, self.timers.wrap(kind, original))

    def install(self) -> None:
        import httpx

        from conformance.contract import document, sse
        from conformance.plugin import hooks, session
        from conformance.properties import layer

        timers = self.timers
        self._patch(document.Contract, "_places", "validate (suite, jsonschema)")
        self._patch(layer, "evaluate", "property checks (schemathesis)")
        self._patch(layer, "build_schema", "property schema load")
        original_test = layer.operation_test

        def operation_test(*args: Any, **kwargs: Any) -> Any:
            return timers.wrap("generate (hypothesis)", original_test(*args, **kwargs))

        self.restore.append((layer, "operation_test", original_test))
        layer.operation_test = operation_test
        self._patch(httpx.Client, "send", _http_kind)
        self._patch(sse, "read", "stream read")
        self._patch(time, "sleep", _sleep_kind)
        self._patch(hooks, "write_reports", "reports")
        self._patch(session.CertificationSession, "cleanup", "cleanup")
        original_start = session.start_embedded

        def start_embedded(*args: Any, **kwargs: Any) -> Any:
            frame = timers.start("reference start")
            try:
                url, running = original_start(*args, **kwargs)
            finally:
                timers.stop(frame)
            self.server["pid"] = running.process.pid
            self.server["cpu_at_ready"] = process_group_cpu(running.process.pid)
            self.marks["reference ready"] = time.time()
            original_stop = running.stop

            def stop() -> None:
                self.server["cpu_at_stop"] = process_group_cpu(running.process.pid)
                self.marks["reference stopped"] = time.time()
                original_stop()

            running.stop = stop
            return url, running

        self.restore.append((session, "start_embedded", original_start))
        session.start_embedded = start_embedded

    def pytest_unconfigure(self) -> None:
        for owner, name, original in reversed(self.restore):
            setattr(owner, name, original)
        self.restore.clear()

    # --------------------------------------------------------------------------------- the timeline
    def pytest_collection_finish(self) -> None:
        self.marks.setdefault("collected", time.time())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any):
        marker = item.get_closest_marker("area")
        self.timers.area = marker.args[0] if marker else "other"
        self.marks.setdefault("first test", time.time())
        wall, cpu, process, delay = time.perf_counter(), time.thread_time(), time.process_time(), run_delay()
        try:
            return (yield)
        finally:
            entry = self.tests.setdefault(self.timers.area, [0.0, 0.0, 0.0, 0, 0.0])
            entry[0] += time.perf_counter() - wall
            entry[1] += time.thread_time() - cpu
            entry[2] += time.process_time() - process
            entry[3] += 1
            entry[4] += run_delay() - delay
            self.timers.area = SESSION_AREA
            self.marks["last test"] = time.time()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        self.marks["session finish"] = time.time()

    def write(self) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        data = {
            "process": self.process,
            "process_started": self.process_started,
            "configured": self.started,
            "ended": time.time(),
            "marks": self.marks,
            "cpu": {"user": usage.ru_utime, "system": usage.ru_stime, "main_thread_run_delay": run_delay()},
            "tests": self.tests,
            "spans": [
                {"area": area, "kind": kind, "thread": role, "wall": v[0], "cpu": v[1], "count": v[2]}
                for (area, kind, role), v in sorted(self.timers.totals.items())
            ],
            "server": self.server,
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"timing-{self.process}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def _process_start_time() -> float | None:
    """When this process started (wall clock), from /proc: imports and pytest's start come before configure."""
    try:
        stat = Path("/proc/self/stat").read_text()
        started_ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
    except (OSError, ValueError, StopIteration, IndexError):
        return None
    return boot + started_ticks / os.sysconf("SC_CLK_TCK")


class _Writer:
    """Writes the file last of all (after the reports and the reference's stop), then restores the wraps."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        self.timing.write()


def pytest_configure(config: pytest.Config) -> None:
    """Loaded with ``-p conformance.timing``: time this process when ``CONFORMANCE_TIMING`` names a folder."""
    folder = enabled()
    if folder is None:
        return
    timing = Timing(config, Path(folder))
    timing.install()
    config.pluginmanager.register(timing, "conformance-timing")
    config.pluginmanager.register(_Writer(timing), "conformance-timing-writer")
