"""Test support: real registries (registry_server), a token server (token_server), real
images (images) and the pytest plugin that ties them together (fixtures).

Plain Python + requests: no Django, nothing from registries/, so bench/ can reuse it.
"""
