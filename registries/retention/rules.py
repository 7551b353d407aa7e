"""A policy's rules as plain values, checked once: the plan reads these, never the model."""

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

ORDERS = ("created", "version")


class RuleError(ValueError):
    """Rules that cannot be planned with (the message says which)."""


@dataclass(frozen=True)
class Rules:
    repositories: tuple[str, ...]
    keep_last: int | None = None
    order: str = "created"
    keep_days: int | None = None
    keep_regex: str = ""
    protect: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.repositories:
            raise RuleError("Name at least one repository pattern.")
        if self.keep_last is not None and self.keep_last < 1:
            raise RuleError("Keep last is 1 or more (leave it empty to not count).")
        if self.order not in ORDERS:
            raise RuleError("Order is created or version.")
        if self.keep_regex:
            try:
                re.compile(self.keep_regex)
            except re.error as exc:
                raise RuleError(f"The keep regex does not compile: {exc}.") from exc
        # Without any keep rule a policy would empty every repository it matches.
        rules = (self.keep_last, self.keep_days, self.keep_regex, self.protect)
        if all(rule is None or rule in ("", ()) for rule in rules):
            raise RuleError("Give at least one keep rule (last N, days, regex or protect).")

    @classmethod
    def from_policy(cls, policy) -> "Rules":
        return cls(
            repositories=tuple(policy.repository_globs),
            keep_last=policy.keep_last,
            order=policy.order,
            keep_days=policy.keep_days,
            keep_regex=policy.keep_regex,
            protect=tuple(policy.protect_patterns),
        )

    def as_dict(self) -> dict:
        return {
            "repositories": list(self.repositories),
            "keep_last": self.keep_last,
            "order": self.order,
            "keep_days": self.keep_days,
            "keep_regex": self.keep_regex,
            "protect": list(self.protect),
        }

    def matches_repository(self, name: str) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in self.repositories)

    def protected_by(self, tag: str) -> str | None:
        return next((p for p in self.protect if fnmatchcase(tag, p)), None)

    def regex_keeps(self, tag: str) -> bool:
        return bool(self.keep_regex) and re.search(self.keep_regex, tag) is not None
