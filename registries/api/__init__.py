"""The read-only JSON API under /api/v1/: the pages' data, with the pages' permissions.

views.py answers requests, serializers.py turns service results into JSON, auth.py handles
personal API tokens, openapi.py describes it all (served at /api/v1/openapi.json).
"""
