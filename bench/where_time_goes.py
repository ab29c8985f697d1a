"""Benchmark: where one certification's wall time goes (the server's CPU, the suite's CPU by phase, waiting).

Why: a certification should take under a minute on two cores, and the time can only be cut where it is
spent. This runs the default certification of the embedded reference once (``pytest -n 2`` unless told
otherwise) with ``CONFORMANCE_TIMING`` set, so every process of the session records its timers
(conformance/timing.py, loaded only here with ``-p conformance.timing``), and prints three tables, in Markdown:

1. **the whole run**: wall seconds; CPU seconds of the reference server (its whole process group, start-up
   apart) and of the suite's processes; what the two cores could have done and did not (idle);
2. **the suite's CPU by phase**: start-up (imports, collection, outside any test), Hypothesis generation,
   the schemathesis checks of the property layer, the suite's own schema validation, the HTTP client,
   reports and clean-up, the rest (pytest and the tests' own logic);
3. **per area, the tests' wall time** (all workers added up) split into the test thread's CPU and what it
   waited on: the server's answers, requests that wait for a run by design (``/wait``, ``/join``, run
   streams), event-stream reads, poll sleeps (runs, threads, crons), and the rest (the property layer's
   request pool, locks, the fixtures' own threads); and, apart, how long of all that the test thread was
   ready to run but found no free core (other processes had them: /proc's schedstat), the measure of
   the machine's load during the run.

    python bench/where_time_goes.py [--workers 2] [--keep DIR] [pytest args...]

Exit code: the certification's.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(workers: int, folder: Path, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conformance.timing"]
    command += [f"--conformance-report={folder / 'report'}"]
    command += ["-n", str(workers)] if workers else ["-p", "no:xdist"]
    env = {**os.environ, "CONFORMANCE_TIMING": str(folder / "timing")}
    started = time.monotonic()
    with open(folder / "pytest.log", "wb") as log:
        process = subprocess.Popen([*command, *extra], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    return {
        "wall": wall,
        "exit": os.waitstatus_to_exitcode(status),
        "cpu_all": usage.ru_utime + usage.ru_stime,  # pytest, its workers and the server it reaped
        "processes": [json.loads(p.read_text()) for p in sorted((folder / "timing").glob("timing-*.json"))],
    }


def analyse(measured: dict) -> dict:
    processes = measured["processes"]
    server = next((p["server"] for p in processes if p.get("server")), {})
    server_start = server.get("cpu_at_ready") or 0.0
    server_total = server.get("cpu_at_stop") or 0.0
    suite_cpu = sum(p["cpu"]["user"] + p["cpu"]["system"] for p in processes)
    phases: collections.Counter[str] = collections.Counter()
    outside_tests = suite_cpu
    for p in processes:
        outside_tests -= sum(entry[2] for entry in p["tests"].values())
        for span in p["spans"]:
            phases[_phase(span["kind"])] += span["cpu"]
            if span["area"] not in p["tests"]:
                outside_tests -= span["cpu"]
    phases["start-up, collection, between tests"] = outside_tests
    phases["the rest (pytest, the tests' own logic)"] = suite_cpu - sum(phases.values())
    areas: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for p in processes:
        for area, (wall, cpu, process_cpu, count, delay) in p["tests"].items():
            row = areas[area]
            row[LOAD_COLUMN] += delay
            row["tests"] += count
            row["wall"] += wall
            row["suite CPU"] += process_cpu
            row["test thread CPU"] += cpu
        for span in p["spans"]:
            if span["thread"] != "main" or span["area"] not in p["tests"]:
                continue
            waited = span["wall"] - span["cpu"]
            column = _wait_column(span["kind"])
            if column:
                areas[span["area"]][column] += waited
    for row in areas.values():
        named = sum(row[c] for c in WAIT_COLUMNS[:-1])
        row[WAIT_COLUMNS[-1]] = max(0.0, row["wall"] - row["test thread CPU"] - named)
    starts = [p["process_started"] or p["configured"] for p in processes]
    marks = {k: v for p in processes if p["process"] == "controller" for k, v in p["marks"].items()}
    begin = min(starts) if starts else 0.0
    return {
        "wall": measured["wall"],
        "server_start_cpu": server_start,
        "server_cpu": server_total - server_start,
        "suite_cpu": suite_cpu,
        "cpu_all": measured["cpu_all"],
        "phases": phases,
        "areas": areas,
        "timeline": {k: v - begin for k, v in sorted(marks.items(), key=lambda kv: kv[1])},
        "workers": len(processes) - 1 if len(processes) > 1 else 0,
    }


WAIT_COLUMNS = ("server answers", "run waits", "streams", "poll sleeps", "other waits")
LOAD_COLUMN = "no free core"  # of the waits: the test thread was ready to run but other processes had the cores


def _phase(kind: str) -> str:
    if kind.startswith("http"):
        return "HTTP client"
    if kind in ("stream read",):
        return "HTTP client"
    if kind in ("reports", "cleanup"):
        return "reports, clean-up"
    if kind.startswith("sleep"):
        return "the rest (pytest, the tests' own logic)"
    return kind


def _wait_column(kind: str) -> str | None:
    if kind == "http":
        return "server answers"
    if kind == "http: run wait":
        return "run waits"
    if kind in ("stream read", "http: stream opened"):
        return "streams"
    if kind.startswith("sleep"):
        return "poll sleeps"
    return None


def render(result: dict, label: str) -> str:
    lines = [f"**{label}**: wall {result['wall']:.1f} s", ""]
    cores = 2 * result["wall"]
    used = result["server_start_cpu"] + result["server_cpu"] + result["suite_cpu"]
    lines += [
        "| whole run | seconds |",
        "| --- | ---: |",
        f"| wall | {result['wall']:.1f} |",
        f"| reference server CPU, start-up | {result['server_start_cpu']:.1f} |",
        f"| reference server CPU, serving the tests | {result['server_cpu']:.1f} |",
        f"| suite CPU ({result['workers'] or 'no'} workers + controller) | {result['suite_cpu']:.1f} |",
        f"| two cores' capacity left idle (or to other load) | {max(0.0, cores - used):.1f} |",
        "",
        "| suite CPU by phase | seconds |",
        "| --- | ---: |",
    ]
    for phase, seconds in sorted(result["phases"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {phase} | {seconds:.1f} |")
    lines += [
        "",
        "| area | tests | wall | suite CPU | test thread CPU | " + " | ".join(WAIT_COLUMNS) + f" | {LOAD_COLUMN} |",
        "| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in WAIT_COLUMNS) + " | ---: |",
    ]
    rows = sorted(result["areas"].items(), key=lambda kv: -kv[1]["wall"])
    total: collections.Counter[str] = collections.Counter()
    for area, row in rows:
        total.update(row)
        lines.append(_row(area, row))
    lines.append(_row("**all**", total))
    timeline = ", ".join(f"{name} {at:.1f}" for name, at in result["timeline"].items())
    lines += ["", f"controller timeline (s from the first process start): {timeline}"]
    return "\n".join(lines)


def _row(area: str, row: collections.Counter) -> str:
    cells = [f"{row[c]:.1f}" for c in ("wall", "suite CPU", "test thread CPU", *WAIT_COLUMNS, LOAD_COLUMN)]
    return f"| {area} | {int(row['tests'])} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="-n value (0: serial)")
    parser.add_argument("--keep", type=Path, help="folder for the report, log and timing files")
    parser.add_argument("--json", type=Path, help="also write the analysis here")
    args, extra = parser.parse_known_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="conformance-where-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"certifying the embedded reference with -n {args.workers}; files in {folder}", file=sys.stderr)
    measured = run(args.workers, folder, extra)
    if not measured["processes"]:
        print(f"no timing files: see {folder / 'pytest.log'}", file=sys.stderr)
        return measured["exit"] or 1
    result = analyse(measured)
    label = f"pytest -n {args.workers}" if args.workers else "pytest serial"
    print(render(result, label))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=dict) + "\n", encoding="utf-8")
    return measured["exit"]


if __name__ == "__main__":
    raise SystemExit(main())
