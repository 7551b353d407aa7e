"""Small HTTP helpers shared by the web layer and the machine endpoints (API, webhook)."""


def bearer_token(authorization: str) -> str | None:
    """The token of `Authorization: Bearer <token>`; None for any other scheme."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
