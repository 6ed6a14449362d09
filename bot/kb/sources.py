"""Where a source stands: official, press, other, or a site an answer must never cite.

Editors keep the domain lists in `knowledge/sources.yaml`; this module reads and checks them and
answers, for one URL, which list its domain falls in. A domain covers its subdomains, and the
most specific matching domain wins, so one blog can be exempted from "bad: blogspot.com".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from bot.kb.files import SourceFile
from bot.model import STANDINGS

BAD = "bad"
LISTS: tuple[str, ...] = (*STANDINGS, BAD)
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")


def host_of(url: str) -> str:
    """The URL's host name, lower case, without a leading "www."."""
    host = (urlparse(url).hostname or "").lower()
    return host.removeprefix("www.")


@dataclass(frozen=True)
class DomainLists:
    """The domain lists of knowledge/sources.yaml: list name → domains."""

    domains: dict[str, str] = field(default_factory=dict)  # domain → list name

    def match(self, url: str) -> tuple[str, str] | None:
        """(list name, domain) of the most specific listed domain the URL is on, or None."""
        labels = host_of(url).split(".")
        for i in range(len(labels) - 1):
            domain = ".".join(labels[i:])
            if domain in self.domains:
                return self.domains[domain], domain
        return None

    def bad_domain(self, url: str) -> str | None:
        """The listed bad domain the URL is on, or None."""
        found = self.match(url)
        return found[1] if found and found[0] == BAD else None

    def standing_of(self, url: str) -> str:
        """The standing a plain-URL source gets: its list, or "other" (also for a bad one)."""
        found = self.match(url)
        return found[0] if found and found[0] != BAD else "other"


@dataclass(frozen=True)
class DomainProblem:
    """Something wrong in sources.yaml, at a field path of that file."""

    field: str
    message: str


def read_domain_lists(source: SourceFile | None) -> tuple[DomainLists, list[DomainProblem]]:
    """The lists from a parsed sources.yaml (none when the file is absent), and its problems."""
    if source is None or source.data is None:
        return DomainLists(), []
    data = source.data
    if not isinstance(data, dict):
        return DomainLists(), [DomainProblem("", "must have the lists " + ", ".join(LISTS))]
    problems: list[DomainProblem] = []
    domains: dict[str, str] = {}
    for name, values in data.items():
        if name not in LISTS:
            problems.append(DomainProblem(str(name), f'unknown list "{name}"; the lists are: '
                                          + ", ".join(LISTS)))
            continue
        if not isinstance(values, list):
            problems.append(DomainProblem(name, "must be a list of domains, one per line"))
            continue
        for i, value in enumerate(values):
            domain = str(value).strip().lower() if isinstance(value, str) else ""
            if not _DOMAIN.match(domain) or domain.startswith("www."):
                problems.append(DomainProblem(
                    f"{name}.{i}", f'"{value}" is not a domain; write it like gov.kh or '
                    "phnompenhpost.com (no https://, no www., no path)"))
            elif domain in domains:
                problems.append(DomainProblem(
                    f"{name}.{i}", f'"{domain}" is already listed under {domains[domain]}'))
            else:
                domains[domain] = name
    return DomainLists(domains), problems
