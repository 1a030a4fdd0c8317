#!/usr/bin/env bash
# scripts/setup on a machine without Node.js: it installs Debian's nodejs and npm (the MCP test
# clients need them) and then the pinned clients; with node and npm present it installs nothing.
# Every system command is a stub that records its arguments; PATH holds only the stubs.
#
#   setup_test.sh SOURCE_DIR
set -euo pipefail
src=$1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.log "$tmp"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  exit 1
}

repo=$tmp/repo
bin=$tmp/bin
mkdir -p "$repo/scripts" "$repo/tests/e2e" "$bin"
cp "$src/scripts/setup" "$repo/scripts/setup"
echo '{}' >"$repo/tests/e2e/package-lock.json"
for tool in bash dirname grep cat; do ln -s "$(command -v "$tool")" "$bin/$tool"; done
# Every Debian package is installed, except those named in $tmp/missing.
cat >"$bin/dpkg-query" <<STUB
#!$bin/bash
for last; do :; done
grep -qx "\$last" "$tmp/missing" 2>/dev/null && exit 1
printf 'install ok installed'
STUB
# apt-get records its calls; installing npm puts (stub) node and npm on PATH.
cat >"$bin/apt-get" <<STUB
#!$bin/bash
echo "apt-get \$*" >>"$tmp/apt.log"
case " \$* " in *" npm "*)
  printf '#!$bin/bash\necho "npm \$*" >>"$tmp/npm.log"\n' >"$bin/npm"
  printf '#!$bin/bash\n' >"$bin/node"
  /bin/chmod +x "$bin/npm" "$bin/node" ;;
esac
STUB
printf '#!%s\necho 0\n' "$bin/bash" >"$bin/id"
/bin/chmod +x "$bin/dpkg-query" "$bin/apt-get" "$bin/id"

# No node, no npm: Debian's are installed, then the pinned clients.
: >"$tmp/missing"
PATH=$bin "$bin/bash" "$repo/scripts/setup" >"$tmp/first.out" 2>&1 || fail "setup failed without npm"
grep -q "install .*nodejs" "$tmp/apt.log" || fail "nodejs was not installed"
grep -q "install .* npm" "$tmp/apt.log" || fail "npm was not installed"
grep -q "npm ci" "$tmp/npm.log" || fail "the pinned npm clients were not installed"

# Everything present: nothing is installed.
rm -f "$tmp/apt.log"
mkdir -p "$repo/tests/e2e/node_modules"
echo '{}' >"$repo/tests/e2e/node_modules/.package-lock.json"
PATH=$bin "$bin/bash" "$repo/scripts/setup" >"$tmp/again.out" 2>&1 || fail "setup failed"
[ ! -e "$tmp/apt.log" ] || fail "apt-get ran although nothing was missing"
echo "ok"
