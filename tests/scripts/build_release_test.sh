#!/usr/bin/env bash
# scripts/build-release, with a stub cmake that talks as much as the real build does: quiet on
# success (the output goes to build/release/build.log), the whole log on failure, and a word on
# how long the first build takes before it starts.
#
#   build_release_test.sh SOURCE_DIR
set -euo pipefail
src=$1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  exit 1
}

repo=$tmp/repo
mkdir -p "$repo/scripts" "$tmp/bin"
cp "$src/scripts/build-release" "$repo/scripts/" 2>/dev/null || fail "there is no scripts/build-release"
cat >"$tmp/bin/cmake" <<'STUB'
#!/bin/sh
# 60 lines of notes on stderr per call, like Boost's deprecation messages.
i=0
while [ $i -lt 60 ]; do
  echo "note: #pragma message: BOOST_BEAST_USE_STD_STRING_VIEW is deprecated" >&2
  i=$((i + 1))
done
echo "cmake $*"
if [ -n "${STUB_CMAKE_FAIL:-}" ] && [ "$1" = "--build" ]; then
  echo "apps/mcp/main.cpp:1:1: error: the build broke here" >&2
  exit 2
fi
exit 0
STUB
chmod +x "$tmp/bin/cmake"
export PATH=$tmp/bin:$PATH
log=$repo/build/release/build.log

# First build: says how long it takes, prints none of the notes, keeps them in the log.
bash "$repo/scripts/build-release" pons-webhook pons-mcp >"$tmp/first.out" 2>&1 ||
  fail "a successful build exited non-zero"
grep -q "for the first time" "$tmp/first.out" || fail "no word on the first build's duration"
grep -q "minutes" "$tmp/first.out" || fail "the first build's duration is not given"
grep -q "deprecated" "$tmp/first.out" && fail "the build's notes were shown on success"
[ "$(grep -c deprecated "$log")" = 120 ] || fail "the log does not hold the build's output"
grep -q -- "--build --preset release -j [0-9]* --target pons-webhook pons-mcp" "$log" ||
  fail "the targets were not built"
[ "$(wc -l <"$tmp/first.out")" -le 3 ] || fail "more than 3 lines on a successful build"

# Later builds: binaries exist, no first-build warning.
mkdir -p "$repo/build/release/apps/webhook" "$repo/build/release/apps/mcp"
for b in webhook/pons-webhook mcp/pons-mcp; do
  printf '#!/bin/sh\n' >"$repo/build/release/apps/$b"
  chmod +x "$repo/build/release/apps/$b"
done
bash "$repo/scripts/build-release" pons-webhook >"$tmp/again.out" 2>&1 || fail "rebuild failed"
grep -q "for the first time" "$tmp/again.out" && fail "a rebuild is announced as the first build"

# A failed build: the whole log is shown, with where it is kept, and the exit status says so.
set +e
STUB_CMAKE_FAIL=1 bash "$repo/scripts/build-release" pons-webhook >"$tmp/failed.out" 2>&1
code=$?
set -e
[ "$code" != 0 ] || fail "a failed build exited 0"
grep -q "error: the build broke here" "$tmp/failed.out" || fail "the error was not shown"
grep -q "deprecated" "$tmp/failed.out" || fail "the log was not shown on failure"
grep -q "build.log" "$tmp/failed.out" || fail "the log's place is not named"
echo "ok"
