"""Stack-wide pieces: credentials, connection strings, the namespace."""
