"""The Dify services themselves (api family, web, sandbox, plugin daemon, agent services)."""
