"""Compose parity: every env var upstream's docker-compose gives a Dify container, accounted for.

``compose-<tag>.json`` is the snapshot of upstream's names and values (tools/compose_env.py);
``table.TABLE`` says, per compose service and variable, whether we render the same value, a
different one (and why), or deliberately nothing (and why). tests/test_compose_parity.py holds
the rendered stacks to it, so a release bump that adds a variable fails until it is decided.
"""
