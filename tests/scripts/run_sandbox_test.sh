#!/usr/bin/env bash
# scripts/run's offline sandbox, run as a user would, in a throw-away copy of the repository whose
# "release build" is the binaries under test (setup and cmake are stubs): the banner explains
# texts, photos, status updates and a closed window, prints what pons-mcp --print-config
# prints and a first dashboard owner's login, which signs in; the fake Graph API reports statuses by itself; a second run finds the first and changes
# nothing; --reset refuses while the sandbox runs and deletes it afterwards. Loopback, port 0.
#
#   run_sandbox_test.sh SOURCE_DIR PONS_WEBHOOK PONS_MCP PONS_FAKE_GRAPH
set -euo pipefail
src=$1 webhook=$2 mcp=$3 graph=$4

tmp=$(mktemp -d)
first=
cleanup() {
  if [ -n "$first" ]; then kill "$first" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/*.out "$tmp"/*.err; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

# The repository copy: the scripts under test, stubs for what installs and builds.
repo=$tmp/repo
rel=$repo/build/release
mkdir -p "$repo/scripts" "$rel/apps/webhook" "$rel/apps/mcp" "$rel/tests/support/fake_graph" \
  "$tmp/bin" "$tmp/home"
cp "$src/scripts/run" "$repo/scripts/run"
[ -f "$src/scripts/build-release" ] && cp "$src/scripts/build-release" "$repo/scripts/"
printf '#!/usr/bin/env bash\nexit 0\n' >"$repo/scripts/setup"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/cmake"
chmod +x "$tmp/bin/cmake"
ln -s "$webhook" "$rel/apps/webhook/pons-webhook"
ln -s "$mcp" "$rel/apps/mcp/pons-mcp"
ln -s "$graph" "$rel/tests/support/fake_graph/pons-fake-graph"

sandbox=$tmp/xdg/pons/sandbox
# PONS_DB names a "real" database: the sandbox must never write its fake conversations there.
run_env=(env -i PATH="$tmp/bin:/usr/local/bin:/usr/bin:/bin" HOME="$tmp/home"
  XDG_DATA_HOME="$tmp/xdg" PONS_PORT=0 PONS_GRAPH_PORT=0 PONS_DB="$tmp/real/pons.db")
run() { "${run_env[@]}" bash "$repo/scripts/run" "$@"; }
# Bounded: a scripts/run that does not notice a running sandbox would run until stopped.
run_bounded() { timeout 60 "${run_env[@]}" bash "$repo/scripts/run" "$@"; }

# 1. The first sandbox starts and prints its banner.
# (not through run(): $! must be scripts/run itself, which `env` becomes)
"${run_env[@]}" bash "$repo/scripts/run" >"$tmp/first.out" 2>"$tmp/first.err" &
first=$!
for _ in $(seq 600); do
  grep -q "Ctrl-C stops both services" "$tmp/first.out" && break
  kill -0 "$first" 2>/dev/null || fail "the first scripts/run exited"
  sleep 0.1
done
grep -q "Ctrl-C stops both services" "$tmp/first.out" || fail "no banner from the first run"
graph_port=$(cat "$sandbox/graph.port") || fail "no graph.port in the sandbox"
webhook_port=$(cat "$sandbox/webhook.port") || fail "no webhook.port in the sandbox"
base=http://127.0.0.1:$graph_port

# 2. The banner: photos, statuses, a closed window, and pons-mcp's own configuration documents.
banner=$(cat "$tmp/first.out")
for needle in '"image":{"mime_type":"image/jpeg"' '/_fake/deliver-statuses' \
  'sent -> delivered -> read' '"code":131047' 'never wrote' 'scripts/run --reset'; do
  [[ "$banner" == *"$needle"* ]] || fail "the banner does not mention $needle"
done
set -a
# shellcheck disable=SC1091
. "$sandbox/secrets.env"
set +a
for client in claude claude-code; do
  expected=$(env -i HOME="$tmp/home" PONS_DB="$sandbox/pons.db" WA_ACCESS_TOKEN="$WA_ACCESS_TOKEN" \
    WA_PHONE_NUMBER_ID="$WA_PHONE_NUMBER_ID" WA_WABA_ID="$WA_WABA_ID" \
    WA_GRAPH_BASE_URL="$base" "$mcp" --print-config "$client")
  [[ "$banner" == *"$expected"* ]] || fail "the banner does not hold --print-config $client"
done

# 3. The wiring: the fake sends its webhooks to this pons-webhook, statuses come by themselves.
config=$(curl -sf "$base/_fake/config")
[[ "$config" == *"\"webhook_url\":\"http://127.0.0.1:$webhook_port/webhook/meta\""* ]] ||
  fail "the fake's webhook URL is not the sandbox's pons-webhook: $config"
[[ "$config" == *'"auto_status_ms":1500'* ]] || fail "automatic statuses are off: $config"
inbound=$(curl -sf -X POST "$base/_fake/inbound" -H 'content-type: application/json' \
  -d '{"from":"447700900123","name":"Ada","text":"Hello from the test"}')
[[ "$inbound" == *'"webhook_statuses":[200]'* ]] || fail "pons-webhook did not take it: $inbound"
[ ! -e "$tmp/real" ] || fail "the sandbox wrote to the database PONS_DB names"
[[ "$banner" == *"database:        $sandbox/pons.db"* ]] || fail "the banner names another database"

# 3b. The dashboard: a first owner whose printed login signs in (the file keeps it, private).
login_file=$sandbox/dashboard-login
[ "$(stat -c %a "$login_file")" = 600 ] || fail "the dashboard login is readable by others"
email=$(sed -n 1p "$login_file")
password=$(sed -n 2p "$login_file")
[[ "$banner" == *"sign in as $email"* ]] || fail "the banner does not name the first owner"
[[ "$banner" == *"with the password $password"* ]] || fail "the banner does not give the password"
[[ "$banner" == *"http://127.0.0.1:$webhook_port/"* ]] || fail "the banner does not link the dashboard"
body=$(printf '{"email":"%s","password":"%s"}' "$email" "$password")
signed_in=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" \
  "http://127.0.0.1:$webhook_port/login")
[ "$signed_in" = 200 ] || fail "the printed login does not sign in ($signed_in)"

# 4. A second run while the first runs: says so, exits 1, touches nothing.
log_before=$(cat "$sandbox/fake-graph.log")
secrets_before=$(cat "$sandbox/secrets.env")
login_before=$(cat "$sandbox/dashboard-login")
set +e
run_bounded >"$tmp/second.out" 2>"$tmp/second.err"
code=$?
run_bounded --reset >"$tmp/reset-busy.out" 2>"$tmp/reset-busy.err"
reset_busy=$?
set -e
[ "$code" = 1 ] || fail "a second scripts/run exited $code, not 1"
grep -q "already running" "$tmp/second.err" || fail "the second run does not say the first runs"
grep -q "Nothing was changed" "$tmp/second.err" || fail "the second run does not say it changed nothing"
[ "$reset_busy" = 1 ] || fail "scripts/run --reset exited $reset_busy while the sandbox runs"
[ "$(cat "$sandbox/graph.port" 2>/dev/null)" = "$graph_port" ] || fail "graph.port was changed"
[ "$(cat "$sandbox/secrets.env")" = "$secrets_before" ] || fail "secrets.env was changed"
[ "$(cat "$sandbox/dashboard-login")" = "$login_before" ] || fail "the dashboard login was changed"
log_after=$(cat "$sandbox/fake-graph.log")
[[ "$log_after" == "$log_before"* ]] || fail "fake-graph.log was truncated"
curl -sf "$base/_fake/health" >/dev/null || fail "the first sandbox's fake Graph API is gone"

# 5. Stopped, the sandbox can be reset; then nothing is left to reset.
kill -TERM "$first"
wait "$first" 2>/dev/null || true
first=
if curl -s "$base/_fake/health" >/dev/null 2>&1; then fail "the fake Graph API outlived scripts/run"; fi
run --reset >"$tmp/reset.out" 2>"$tmp/reset.err" || fail "scripts/run --reset failed"
[ ! -e "$sandbox" ] || fail "the sandbox folder is still there after --reset"
grep -q "sandbox deleted" "$tmp/reset.out" || fail "--reset does not say what it did"
run --reset >"$tmp/reset-again.out" 2>&1 || fail "a second --reset failed"
grep -q "no sandbox" "$tmp/reset-again.out" || fail "a second --reset does not say there is none"

# 6. Without HOME and XDG_DATA_HOME it says what to set.
set +e
env -i PATH="$tmp/bin:/usr/bin:/bin" bash "$repo/scripts/run" >"$tmp/nohome.out" 2>"$tmp/nohome.err"
code=$?
set -e
[ "$code" = 2 ] || fail "without HOME scripts/run exited $code, not 2"
grep -q "HOME" "$tmp/nohome.err" || fail "without HOME scripts/run does not say what to set"
echo "ok"
