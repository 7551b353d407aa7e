"""The web layer: pages stay thin (URL → service → template).

- browse: registries, catalogs, repositories, tags and manifests, the jump box
- manage: adding, editing and removing registries; deleting manifests
- activity: the audit trail and the registries' events (staff)
- tokens: personal API tokens
- errors: registry failures as pages (and JSON errors for the machine endpoints)
"""
