"""The inventory: a persistent index of every registry (repositories, tags, manifests), kept
fresh by background tasks on Django's tasks framework (models, services, tasks)."""
