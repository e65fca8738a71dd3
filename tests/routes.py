"""Every named route of the site, found from Django's URL resolver: the authorization and
fuzz tests start from it, so a route added without a row in their tables fails them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Who the authorization matrices try every route as.
ROLES = (
    "anonymous",
    "educando",
    "asesor",
    "coordinator_without_sede",
    "other_coordinator",
    "coordinator",
    "administrator",
)


@dataclass(frozen=True)
class NamedRoute:
    name: str  # with its namespaces, as reverse() takes it
    route: str  # the address pattern, without a leading "^"
    pattern: URLPattern

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(sorted(self.pattern.pattern.regex.groupindex))


def named_routes() -> list[NamedRoute]:
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^")
            if isinstance(pattern, URLResolver):
                ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append(NamedRoute(namespace + pattern.name, route, pattern))

    walk(get_resolver().url_patterns, "", "")
    return found
