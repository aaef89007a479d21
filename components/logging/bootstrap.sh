#!/bin/bash
# The logging bootstrap Job (components/logging/bootstrap.py): makes Elasticsearch (and Kibana)
# ready for Logstash. Every step is an upsert, so the Job can run again after any failure or
# on every `pulumi up` and converge to the same state:
#   1. wait for the cluster (yellow or better);
#   2. bundled cluster only: set kibana_system's password (Kibana's own login);
#   3. the ILM policy that deletes indices after the retention, the index template for
#      dify-logs-* that applies it with the mappings;
#   4. the least-privilege writer role and Logstash's user (create in dify-logs-* only);
#   5. with READER_PASSWORD_FILE: a read-only role and user for Grafana;
#   6. with KIBANA_URL: wait for Kibana, then the data view for dify-logs-*.
# Credentials are read from files (Secret volumes) and only ever written to mode-0600 files
# under /tmp: never to the command line, never to the log.
set -euo pipefail
umask 077

: "${ES_URL:?}" "${ES_USER:?}" "${ES_PASSWORD_FILE:?}" "${WRITER_PASSWORD_FILE:?}"
: "${ILM_POLICY:?}" "${TEMPLATE:?}" "${WRITER_ROLE:?}" "${WRITER_USER:?}"
BODIES=${BODIES:-/bootstrap}
ATTEMPTS=${ATTEMPTS:-120}
DELAY=${DELAY:-5}
WORK=${WORK:-/tmp}

secret() {
    # Passwords are generated alphanumeric; anything else would need JSON escaping.
    local value
    value=$(<"$1")
    if [[ ! $value =~ ^[A-Za-z0-9]+$ ]]; then
        echo "bootstrap: $1 is not an alphanumeric password" >&2
        exit 2
    fi
    printf '%s' "$value"
}

# Each password is read into a variable first: a failed check inside "$(...)" in an argument
# list would not stop the script.
pw=$(secret "$ES_PASSWORD_FILE")
printf 'Authorization: Basic %s\n' "$(printf '%s:%s' "$ES_USER" "$pw" | base64 -w0)" >"$WORK/auth-header"

TLS=()
if [[ -n ${ES_CA_FILE:-} ]]; then
    TLS=(--cacert "$ES_CA_FILE")
fi

# request METHOD URL [BODY_FILE]: fails the Job with the status and the start of the answer.
request() {
    local method=$1 url=$2 body=${3:-} code
    local args=(-sS -o "$WORK/response" -w '%{http_code}' -X "$method" -H "@$WORK/auth-header"
        -H 'Content-Type: application/json' -H 'kbn-xsrf: dify-bootstrap' "${TLS[@]}")
    if [[ -n $body ]]; then
        args+=(--data-binary "@$body")
    fi
    code=$(curl "${args[@]}" "$url") || code=000
    if [[ $code != 2?? ]]; then
        echo "bootstrap: $method ${url#*://*/} failed with HTTP $code: $(head -c 300 "$WORK/response" 2>/dev/null)" >&2
        return 1
    fi
    echo "bootstrap: $method /${url#*://*/} → $code"
}

# wait_for NAME URL: retries until the URL answers 200 (ATTEMPTS × DELAY seconds).
wait_for() {
    local name=$1 url=$2 attempt code
    for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
        code=$(curl -sS -o /dev/null -w '%{http_code}' -H "@$WORK/auth-header" "${TLS[@]}" "$url") || code=000
        if [[ $code == 200 ]]; then
            echo "bootstrap: $name is up"
            return 0
        fi
        echo "bootstrap: waiting for $name (HTTP $code, attempt $attempt/$ATTEMPTS)"
        sleep "$DELAY"
    done
    echo "bootstrap: $name did not come up" >&2
    return 1
}

user_body() { # PASSWORD_FILE ROLE OUT
    pw=$(secret "$1")
    printf '{"password":"%s","roles":["%s"]}' "$pw" "$2" >"$3"
}

wait_for elasticsearch "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=5s"

if [[ -n ${KIBANA_SYSTEM_PASSWORD_FILE:-} ]]; then
    pw=$(secret "$KIBANA_SYSTEM_PASSWORD_FILE")
    printf '{"password":"%s"}' "$pw" >"$WORK/kibana-system.json"
    request POST "$ES_URL/_security/user/kibana_system/_password" "$WORK/kibana-system.json"
fi

request PUT "$ES_URL/_ilm/policy/$ILM_POLICY" "$BODIES/ilm-policy.json"
request PUT "$ES_URL/_index_template/$TEMPLATE" "$BODIES/index-template.json"

request PUT "$ES_URL/_security/role/$WRITER_ROLE" "$BODIES/writer-role.json"
user_body "$WRITER_PASSWORD_FILE" "$WRITER_ROLE" "$WORK/writer-user.json"
request PUT "$ES_URL/_security/user/$WRITER_USER" "$WORK/writer-user.json"

if [[ -n ${READER_PASSWORD_FILE:-} ]]; then
    : "${READER_ROLE:?}" "${READER_USER:?}"
    request PUT "$ES_URL/_security/role/$READER_ROLE" "$BODIES/reader-role.json"
    user_body "$READER_PASSWORD_FILE" "$READER_ROLE" "$WORK/reader-user.json"
    request PUT "$ES_URL/_security/user/$READER_USER" "$WORK/reader-user.json"
fi

if [[ -n ${KIBANA_URL:-} ]]; then
    wait_for kibana "$KIBANA_URL/api/status"
    request POST "$KIBANA_URL/api/data_views/data_view" "$BODIES/data-view.json"
fi

unset pw
rm -f "$WORK"/auth-header "$WORK"/*.json "$WORK/response"
echo "bootstrap: done"
