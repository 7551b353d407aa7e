"""The Registry HTTP API v2 / OCI distribution client. Plain Python: never imports Django.

api.RegistryClient is the entry point; transport.py sends every request; errors.py holds
what callers catch; models.py what they get back; reference.py parses what users type.
"""
