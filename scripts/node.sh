#!/bin/sh
# Runs node with a version that executes TypeScript natively (Node >= 22.18, target 24).
# On an older Node (these machines ship 20) it installs Node 24 from the npm registry into
# .node24/ once and uses that, so `npm start` and `npm test` work on a fresh machine.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
if ! node -e 'process.exit(process.features.typescript ? 0 : 1)' 2>/dev/null; then
  if [ ! -x "$root/.node24/bin/node" ]; then
    echo "node $(node -v 2>/dev/null || echo missing) cannot run TypeScript; installing Node 24 into .node24/ ..." >&2
    npm install --global --prefix "$root/.node24" --no-audit --no-fund node@24 >&2
  fi
  PATH="$root/.node24/bin:$PATH"
  export PATH
fi
exec node "$@"
