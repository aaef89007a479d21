"""Offline synthesis and validation of the rendered Kubernetes manifests."""
