"""Copy images between repositories and registries; promotion routes (staging → prod)."""
