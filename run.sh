#!/usr/bin/env bash
# The two set-up commands of the README, usable on a fresh machine with python3 (>= 3.11):
#   ./run.sh certify [pytest args]   certify a target (default: the embedded reference, -n 2) and write reports/
#   ./run.sh selftest [pytest args]  the project's own tests: the suite passes on the reference and fails
#                                    on servers that are wrong on purpose
#   ./run.sh aegra [pytest args]     certify Aegra 0.11.0 on a private PostgreSQL 15 (needs Debian postgresql
#                                    and a Python 3.12, e.g. from pyenv)
#   ./run.sh langgraphjs [args]      certify the official JS Agent Server 1.5.1 (needs node and npm)
#   ./run.sh runtime-pg [args]       certify langgraph-runtime-pg 0.11.1.post1 on PostgreSQL + Redis
#   ./run.sh graphharbor [args]      certify GraphHarbor 0.13.0.post45 on PostgreSQL + Redis
#   ./run.sh langrove [args]         certify Langrove 0.3.0 on PostgreSQL + Redis (Python 3.12)
#   ./run.sh fractal [args]          certify fractal-agents-runtime 0.1.1 on PostgreSQL (Python 3.12)
#   ./run.sh open-langgraph-server   certify open-langgraph-server 3.3.3 in a Hono host (node and npm)
#   ./run.sh upcoming VERSION [args] certify an upcoming langgraph-api pre-release (0.17.0rc6, 0.18.0.dev12)
#                                    on its in-memory runtime: a preview row of the matrix
# Both create .venv on first use (the reference server gets its own environment, see README).
set -euo pipefail
cd "$(dirname "$0")"
# pytest caches its assert-rewritten plugin modules as bytecode; without it every pytest process (the
# self-tests start hundreds) compiles schemathesis anew, ~5 s each.
unset PYTHONDONTWRITEBYTECODE
if [ ! -x .venv/bin/python ] || [ pyproject.toml -nt .venv/.installed ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import conformance, schemathesis" && touch .venv/.installed
fi
command="${1:-certify}"; shift || true
case "$command" in
  certify)  # two workers unless told otherwise: 100 s wall instead of 122 s on two cores (bench/budget.py)
            case " $* " in *" -n"*|*" --numprocesses"*|*"no:xdist"*) ;; *) set -- -n 2 "$@" ;; esac
            exec .venv/bin/python -m pytest "$@" ;;
  selftest) exec .venv/bin/python -m pytest tests -n 6 "$@" ;;
  aegra)    exec .venv/bin/python -m conformance.targets.aegra "$@" ;;
  langgraphjs) exec .venv/bin/python -m conformance.targets.langgraphjs "$@" ;;
  runtime-pg) exec .venv/bin/python -m conformance.targets.runtime_pg "$@" ;;
  graphharbor) exec .venv/bin/python -m conformance.targets.graphharbor "$@" ;;
  langrove) exec .venv/bin/python -m conformance.targets.langrove "$@" ;;
  fractal)  exec .venv/bin/python -m conformance.targets.fractal "$@" ;;
  open-langgraph-server) exec .venv/bin/python -m conformance.targets.open_langgraph_server "$@" ;;
  upcoming) exec .venv/bin/python -m conformance.targets.upcoming "$@" ;;
  lint)     exec .venv/bin/ruff check . ;;
  *) echo "usage: ./run.sh certify|selftest|aegra|langgraphjs|runtime-pg|graphharbor|langrove|fractal|open-langgraph-server|upcoming VERSION|lint [pytest args]" >&2; exit 2 ;;
esac
