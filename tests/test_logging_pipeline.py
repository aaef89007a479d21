"""The Logstash pipeline (components/logging/pipeline/dify.conf), stage by stage, without Logstash.

Logstash cannot run here, so the file is parsed into its plugin blocks (a small reader for the
pipeline grammar's nesting) and each seed stage is asserted on the parsed settings; then the
stages' semantics (as the json, mutate and date filters document them) are applied to real
record shapes: Dify 1.16.1's StructuredJSONFormatter output and the seed's field names.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from components.logging.logstash import PIPELINE_FILES, pipeline_files

DIFY_CONF = (PIPELINE_FILES / "dify.conf").read_text()

# A line exactly as api/core/logging/structured_formatter.py @ 1.16.1 prints it.
DIFY_LINE = json.dumps(
    {
        "ts": "2026-12-01T17:04:05.123Z",
        "severity": "ERROR",
        "service": "dify-api",
        "caller": "app_generate_service.py:88",
        "message": "workflow run failed",
        "trace_id": "5f0d6c1e2b3a49d8a7c6b5e4d3c2b1a0",
        "span_id": "a1b2c3d4e5f60718",
        "identity": {"tenant_id": "t-1", "user_id": "u-1", "user_type": "account"},
    }
)
# The seed pipeline's field names (timestamp, level, request_id).
SEED_LINE = json.dumps(
    {
        "timestamp": "2026-12-01T17:04:05.123+00:00",
        "level": "INFO",
        "logger": "app",
        "message": "ok",
        "request_id": "r-42",
    }
)


def _blocks(text: str) -> list[tuple[str, str]]:
    """(name, body) of every ``name { … }`` block at the top of ``text``, braces balanced and
    comments and strings respected."""
    text = re.sub(r"(?m)^\s*#.*$", "", text)
    blocks, depth, start, name = [], 0, 0, ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = text.index('"', i + 1)
        elif char == "{":
            if depth == 0:
                name = re.split(r"[{}]", text[:i])[-1].strip()
                start = i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                blocks.append((name, text[start:i]))
        i += 1
    assert depth == 0, "unbalanced braces"
    return blocks


def _section(name: str) -> list[tuple[str, str]]:
    return _blocks(dict(_blocks(DIFY_CONF))[name])


def _setting(body: str, key: str) -> str:
    match = re.search(rf"^\s*{re.escape(key)}\s*=>\s*(.+?)\s*$", body, re.M)
    assert match, f"{key} not set"
    return match.group(1)


def test_the_file_has_one_input_filter_and_output() -> None:
    assert [name for name, _ in _blocks(DIFY_CONF)] == ["input", "filter", "output"]


def test_input_is_beats_on_5044() -> None:
    ((name, body),) = _section("input")
    assert name == "beats"
    assert _setting(body, "port") == "5044"


def test_filter_stages_in_order() -> None:
    assert [name for name, _ in _section("filter")] == [
        "json",
        "if [ts] and ![timestamp]",
        "if [severity] and ![level]",
        "date",
        'if [level] == "ERROR"',
        "if [request_id] and ![trace_id]",
    ]


def test_stage_json_parses_message() -> None:
    body = dict(_section("filter"))["json"]
    assert _setting(body, "source") == '"message"'
    assert _setting(body, "skip_on_invalid_json") == "true"


def test_stage_date_from_timestamp_iso8601() -> None:
    body = dict(_section("filter"))["date"]
    assert _setting(body, "match") == '["timestamp", "ISO8601"]'
    assert _setting(body, "target") == '"@timestamp"'


def test_stage_error_tag_and_trace_copy() -> None:
    stages = dict(_section("filter"))
    assert _setting(stages['if [level] == "ERROR"'], "add_tag") == '["error"]'
    copy = stages["if [request_id] and ![trace_id]"]
    assert re.search(r'copy\s*=>\s*\{\s*"request_id"\s*=>\s*"trace_id"\s*\}', copy)


def test_output_is_the_daily_index_with_the_logstash_user() -> None:
    ((name, body),) = _section("output")
    assert name == "elasticsearch"
    assert _setting(body, "index") == '"dify-logs-%{+YYYY.MM.dd}"'
    assert _setting(body, "user") == '"${ELASTICSEARCH_USER}"'
    assert _setting(body, "password") == '"${ELASTICSEARCH_PASSWORD}"'
    assert _setting(body, "hosts") == '["${ELASTICSEARCH_URL}"]'
    assert _setting(body, "action") == '"create"'
    # The bootstrap Job owns the template and ILM policy; the writer may not manage them.
    assert (_setting(body, "manage_template"), _setting(body, "ilm_enabled")) == ("false", "false")


def test_no_stdout_unless_debug() -> None:
    assert "stdout" not in "".join(pipeline_files(debug=False, ca_file=None).values())
    files = pipeline_files(debug=True, ca_file=None)
    assert set(files) == {"dify.conf", "debug.conf"}
    ((name, body),) = _blocks(dict(_blocks(files["debug.conf"]))["output"])
    assert (name, _setting(body, "codec")) == ("stdout", "rubydebug")


def test_ca_line_only_with_an_external_ca() -> None:
    assert "ssl_certificate_authorities" not in pipeline_files(debug=False, ca_file=None)["dify.conf"]
    assert "#@ca@" not in pipeline_files(debug=False, ca_file=None)["dify.conf"]
    with_ca = pipeline_files(debug=False, ca_file="/etc/elasticsearch-ca/ca.crt")["dify.conf"]
    ((_, body),) = _blocks(dict(_blocks(with_ca))["output"])
    assert _setting(body, "ssl_certificate_authorities") == '["/etc/elasticsearch-ca/ca.crt"]'


def _apply(line: str) -> dict[str, Any]:
    """The filter section's documented semantics, step by step, on a Filebeat event."""
    event: dict[str, Any] = {"message": line, "tags": []}
    try:  # json: parsed keys land at the root; invalid JSON is left alone
        event.update(json.loads(event["message"]))
    except json.JSONDecodeError:
        return event
    if "ts" in event and "timestamp" not in event:
        event["timestamp"] = event.pop("ts")
    if "severity" in event and "level" not in event:
        event["level"] = event.pop("severity")
    if "timestamp" in event:  # date ISO8601 → @timestamp (UTC)
        event["@timestamp"] = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).astimezone(UTC)
    if event.get("level") == "ERROR":
        event["tags"].append("error")
    if "request_id" in event and "trace_id" not in event:
        event["trace_id"] = event["request_id"]
    return event


def test_a_dify_error_record_end_to_end() -> None:
    event = _apply(DIFY_LINE)
    assert event["@timestamp"] == datetime(2026, 12, 1, 17, 4, 5, 123000, tzinfo=UTC)
    assert (event["level"], event["tags"], event["message"]) == ("ERROR", ["error"], "workflow run failed")
    assert event["trace_id"] == "5f0d6c1e2b3a49d8a7c6b5e4d3c2b1a0"
    # The index of that day: dify-logs-%{+YYYY.MM.dd} formats @timestamp in UTC.
    assert f"dify-logs-{event['@timestamp']:%Y.%m.%d}" == "dify-logs-2026.12.01"


def test_a_seed_record_gets_trace_id_from_request_id() -> None:
    event = _apply(SEED_LINE)
    assert (event["trace_id"], event["tags"], event["level"]) == ("r-42", [], "INFO")


def test_a_text_line_keeps_its_message() -> None:
    event = _apply("GET /apps 200 12ms")
    assert event == {"message": "GET /apps 200 12ms", "tags": []}


def test_pipeline_files_are_what_the_configmap_mounts() -> None:
    assert pipeline_files(debug=False, ca_file=None) == {"dify.conf": DIFY_CONF.replace("    #@ca@\n", "")}
    assert Path(PIPELINE_FILES / "debug.conf").is_file()
