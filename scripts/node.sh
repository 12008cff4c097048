#!/bin/sh
# Runs node with a version that executes TypeScript natively (Node >= 22.18, target 24).
# On an older Node (these machines ship 20) it installs Node 24 from the npm registry into
# .node24/ once and uses that, so `npm start` and `npm test` work on a fresh machine.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
if ! node -e 'process.exit(process.features.typescript ? 0 : 1)' 2>/dev/null; then
  if [ ! -x "$root/.node24/bin/node" ]; then
    echo "node $(node -v 2>/dev/null || echo missing) cannot run TypeScript; installing Node 24 into .node24/ ..." >&2
    # npm's output is shown only if the install fails: on success it is one advisory line about
    # node@24's install script (npm 11 runs it; it unpacks the Node binary), not an error.
    log=$(mktemp)
    if ! npm install --global --prefix "$root/.node24" --no-audit --no-fund node@24 >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      exit 1
    fi
    rm -f "$log"
    echo "Node $("$root/.node24/bin/node" -v) installed into .node24/" >&2
  fi
  PATH="$root/.node24/bin:$PATH"
  export PATH
fi
exec node "$@"
