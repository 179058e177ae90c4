#!/usr/bin/env bash
# Takes the README's screenshots of the screen console from real boots (the
# screen after a boot, and after a fault report) into ci/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh --boot >&2
PYTHONPATH="test${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m harness.screenshots build ci/screenshots
