"""Traffic: the nginx router, the Ingress and the SSRF proxies."""
