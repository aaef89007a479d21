"""Pulumi components that deploy Dify on Kubernetes; one ComponentResource per module."""
