#!/usr/bin/env bash
# Authenticated API fuzzing: schemathesis drives every REST operation of the real
# frontdesk-server binary (fresh SQLite in a temporary directory) with an admin token and
# with an operator token, generating inputs from /api/openapi.json. Fails on any 5xx and on
# any response that does not match the document. Bounded by FUZZ_SECONDS per token.
#
# Installs its pinned schemathesis into a virtualenv under the cargo target directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
target=${CARGO_TARGET_DIR:-target}
bin=$target/debug/frontdesk-server
venv=$target/fuzz-venv

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --quiet --locked -p frontdesk-server

data=$(mktemp -d)
# No visitor rate limits: the fuzzer sends far more than a person would.
"$bin" --listen 127.0.0.1:0 --data "$data" --visitor-rate-per-address 0 --visitor-message-rate 0 \
  >"$data/stdout" 2>"$data/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$data/stdout" 2>/dev/null && break
  sleep 0.1
done
base=$(sed -n 's/^frontdesk-server listening on //p' "$data/stdout")
password=$(sed -n 's/^ *password: *//p' "$data/stdout")
[ -n "$base" ] || { echo "the server did not start" >&2; cat "$data/server.log" >&2; exit 1; }

# An admin token, and the token of an operator the admin creates.
tokens=$("$venv/bin/python" - "$base" "$password" <<'PY'
import json, sys, urllib.request
base, password = sys.argv[1:]
def call(path, body, token=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"content-type": "application/json"})
    if token:
        req.add_header("authorization", "Bearer " + token)
    return json.load(urllib.request.urlopen(req))
admin = call("/api/auth/login", {"email": "admin@frontdesk.local", "password": password})["token"]
call("/api/operators", {"display_name": "Fuzz", "email": "fuzz@example.com", "password": "fuzz password", "role": "operator"}, admin)
operator = call("/api/auth/login", {"email": "fuzz@example.com", "password": "fuzz password"})["token"]
print(admin, operator)
PY
)
read -r admin_token operator_token <<<"$tokens"

status=0
for who in admin operator; do
  token_var=${who}_token
  echo "fuzzing the API as $who for up to ${FUZZ_SECONDS}s"
  # Logout and the password change would end the session the fuzzer runs on; the two
  # WebSocket streams are not REST (the API tests drive them).
  "$venv/bin/schemathesis" run "$base/api/openapi.json" \
    --header "Authorization: Bearer ${!token_var}" \
    --checks not_a_server_error,response_schema_conformance \
    --max-time "$FUZZ_SECONDS" --max-examples 30 --workers 2 --seed 1 \
    --exclude-path /api/auth/logout --exclude-path /api/me/password \
    --exclude-path /api/stream --exclude-path /api/visitor/stream \
    --no-color --warnings off || status=1
done
if grep -q '"status":5' "$data/server.log"; then
  echo "the server answered 5xx:" >&2
  grep '"status":5' "$data/server.log" >&2
  status=1
fi
exit $status
