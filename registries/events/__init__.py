"""Registry events: the webhook endpoint (views), envelope parsing and the events service."""
