"""A warm launcher for the self-tests' suite runs: a process that has imported pytest and the suite's
libraries once, and forks a child per run that calls ``pytest.main`` with the run's arguments.

Why: the self-tests start a fresh pytest process for every fault of the catalogue (several hundred runs),
and importing schemathesis, hypothesis, langsmith and the rest costs each of them about 3 s of CPU on
these machines, more than most runs spend on the target. A forked child is still a process of its own
(own pid, session, working directory, environment, files for its output), running the same pytest
command line a user runs; only the imports are inherited. ``CONFORMANCE_SELFTEST_FORK=0`` turns it off
(tests/runner.py then starts plain subprocesses), and the packaging self-tests always use those.

Protocol, one JSON line each way per run: {"args", "cwd", "env", "output"} in; {"pid"} once the child
is forked, then {"code"} when it has ended (a child killed by a signal ends with 128 + the signal).
"""

from __future__ import annotations

import json
import os
import sys
import threading


def _warm() -> None:
    """Import what every suite run imports (not the suite's test modules: pytest collects those)."""
    import httpx  # noqa: F401
    import hypothesis  # noqa: F401
    import jsonschema  # noqa: F401
    import langgraph_sdk  # noqa: F401
    import pytest  # noqa: F401
    import schemathesis  # noqa: F401
    import yaml  # noqa: F401

    import conformance.plugin.hooks
    import conformance.properties.layer  # noqa: F401


def _child(request: dict) -> None:
    code = 3
    try:
        os.setsid()  # its own process group: a timeout kills it and whatever it started
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        import pytest

        code = int(pytest.main(request["args"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    _warm()
    answer = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        if threading.active_count() > 1:  # forking a threaded process is unsafe: say so, the runner falls back
            answer.write(json.dumps({"refused": "threads"}) + "\n")
            answer.flush()
            continue
        pid = os.fork()
        if pid == 0:
            _child(request)
        answer.write(json.dumps({"pid": pid}) + "\n")
        answer.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        answer.write(json.dumps({"code": code if code >= 0 else 128 - code}) + "\n")
        answer.flush()


if __name__ == "__main__":
    serve()
