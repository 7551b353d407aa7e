"""From verified claims to a Django user: link by (issuer, sub), keep groups in sync."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from registries.sso.models import SSOIdentity

logger = logging.getLogger("regfront.sso")

USERNAME_MAX = 150  # django.contrib.auth's User.username
NAME_MAX = 150
MAX_GROUPS = 1000  # an AD user can be in hundreds; beyond this the claim is not a list of groups
_NOT_USERNAME = re.compile(r"[^\w.@+-]")


def claim_groups(claims: Mapping, claim: str) -> set[str]:
    """Group names from `claim` (a dotted path such as realm_access.roles allowed).

    Keycloak's "full group path" sends "/team/dev"; the leading slash is dropped so the
    Django group is named "team/dev".
    """
    value: object = claims.get(claim)
    if value is None and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return set()
    names = {item.removeprefix("/") for item in value[:MAX_GROUPS] if isinstance(item, str)}
    return {name for name in names if name}


def email_is_verified(claims: Mapping) -> bool:
    # Some providers (AWS Cognito) send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


def _text(claims: Mapping, name: str) -> str:
    value = claims.get(name)
    return value if isinstance(value, str) else ""


def _new_username(claims: Mapping) -> str:
    """A readable name for a new account, never one already taken (no silent merge)."""
    base = _text(claims, "preferred_username") or _text(claims, "email")
    base = _NOT_USERNAME.sub("", base)[: USERNAME_MAX - 8] or "sso-user"
    User = get_user_model()
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _user_by_verified_email(claims: Mapping):
    """An existing account the provider may take over: same e-mail, verified, not linked."""
    email = _text(claims, "email")
    if not email or not email_is_verified(claims):
        return None
    users = list(
        get_user_model()
        .objects.filter(email__iexact=email, sso_identity__isnull=True)
        .order_by("pk")[:2]
    )
    return users[0] if len(users) == 1 else None


def _update_profile(user, claims: Mapping) -> None:
    fields = {
        "email": (_text(claims, "email") or user.email)[:254],
        "first_name": (_text(claims, "given_name") or user.first_name)[:NAME_MAX],
        "last_name": (_text(claims, "family_name") or user.last_name)[:NAME_MAX],
    }
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)


def groups_sync(*, identity: SSOIdentity, names: set[str]) -> None:
    """Make the user's provider-given groups those of `names` that exist in Django.

    Groups are not created: a provider sends every group a person is in (dozens, from AD),
    and only those an administrator made, and gave registries or permissions, matter.
    A group the user already had by hand is not taken over, so dropping it from the claim
    does not remove it.
    """
    user = identity.user
    wanted = set(Group.objects.filter(name__in=names)) if names else set()
    before = set(identity.provider_groups.all())
    held = set(user.groups.all())
    by_hand = held - before
    user.groups.remove(*(before - wanted))
    user.groups.add(*(wanted - held))
    identity.provider_groups.set(wanted - by_hand)


def user_for_claims(*, issuer: str, claims: Mapping, groups_claim: str, create: bool = True):
    """The user these verified claims belong to (linked, created or None), up to date."""
    try:
        return _user_for_claims(issuer, claims, groups_claim, create)
    except IntegrityError:
        # A second login of the same person (or of a namesake) raced this one and won the
        # link or the user name; this transaction was undone, and the retry finds theirs.
        return _user_for_claims(issuer, claims, groups_claim, create)


@transaction.atomic
def _user_for_claims(issuer: str, claims: Mapping, groups_claim: str, create: bool):
    subject = str(claims["sub"])
    identity = (
        SSOIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    if identity is None:
        user = _user_by_verified_email(claims)
        if user is not None:
            logger.info("sso: linked %s to the existing account %s by e-mail", subject, user)
        elif not create:
            return None
        else:
            user = get_user_model()(username=_new_username(claims))
            user.set_unusable_password()  # the provider is how this person logs in
            user.save()
            logger.info("sso: created the account %s for %s", user, subject)
        identity = SSOIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    user = identity.user
    _update_profile(user, claims)
    groups_sync(identity=identity, names=claim_groups(claims, groups_claim))
    identity.last_login = timezone.now()
    identity.save(update_fields=["last_login"])
    return user
