#!/usr/bin/env bash
# Take docs/browser.png: Neo4j Browser, served by kgtool's managed Neo4j server, showing a demo
# explanation subgraph styled with toolkit/browser/kgtool.grass, in headless Debian Chromium.
#
#   docs/screenshot/take.sh           # against a running server with the demo loaded
#   docs/screenshot/take.sh --demo    # run `kgtool demo` first (generate, start, load, train, explain)
#
# Uses kgtool's environment: KGTOOL_HOME (~/.kgtool; the password is read from
# $KGTOOL_HOME/neo4j/password unless NEO4J_PASSWORD is set), KGTOOL_HTTP_PORT (7474),
# KGTOOL_BOLT_PORT (7687). Also: KGTOOL (the kgtool command), CHROMIUM (/usr/bin/chromium),
# SCREENSHOT_OUT, COMPOUND, GENES, TERMS, WIDTH, HEIGHT, FULLSCREEN, STYLE_FILE (see take.mjs).
# Needs Node.js >= 18 with npm, and Chromium (Debian: apt-get install chromium); puppeteer-core
# never downloads a browser.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export KGTOOL_HOME="${KGTOOL_HOME:-$HOME/.kgtool}"
export KGTOOL_HTTP_PORT="${KGTOOL_HTTP_PORT:-7474}"
export KGTOOL_BOLT_PORT="${KGTOOL_BOLT_PORT:-7687}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

if [[ -z "${KGTOOL:-}" ]]; then
  if [[ -x "$repo/.venv/bin/kgtool" ]]; then KGTOOL="$repo/.venv/bin/kgtool"; else KGTOOL=kgtool; fi
fi

if [[ "${1:-}" == "--demo" ]]; then
  "$KGTOOL" demo
elif [[ -n "${1:-}" ]]; then
  echo "usage: $0 [--demo]" >&2
  exit 2
fi

if [[ ! -x "$chromium" ]]; then
  echo "no Chromium at $chromium: install it (Debian: apt-get install chromium) or set CHROMIUM" >&2
  exit 1
fi
browser_url="http://127.0.0.1:${KGTOOL_HTTP_PORT}/browser/"
if ! curl -fsS -o /dev/null "$browser_url"; then
  echo "Neo4j Browser does not answer at $browser_url: start the server and load the demo" >&2
  echo "(KGTOOL_HOME=$KGTOOL_HOME KGTOOL_BOLT_PORT=$KGTOOL_BOLT_PORT KGTOOL_HTTP_PORT=$KGTOOL_HTTP_PORT $KGTOOL demo), or run $0 --demo" >&2
  exit 1
fi

if [[ ! -d "$here/node_modules/puppeteer-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi
exec node "$here/take.mjs"
