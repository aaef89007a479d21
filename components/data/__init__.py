"""Data stores behind the ``DataStores`` interface: in-cluster for dev, managed for prod."""
