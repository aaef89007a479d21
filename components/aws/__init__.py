"""The managed data tier on AWS (``dify:aws``): RDS, ElastiCache, S3 and the IRSA role."""
