"""Outlet profiles: canonical names, aliases, ownership and site-chrome patterns.

Profiles are data (``analysis/outlets.yaml``); a corpus folder may add or override them
with its own ``outlets.yaml``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from analysis.paths import OUTLET_PROFILES, read_yaml

Ownership = Literal["state", "public", "private", "aggregator", "wire"]
OWNERSHIPS: tuple[str, ...] = ("state", "public", "private", "aggregator", "wire")


class ProfileError(ValueError):
    """An outlet profiles file is malformed."""


@dataclass(frozen=True)
class OutletProfile:
    """One outlet: identity, ownership and the furniture its pages carry."""

    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    country: str | None = None
    ownership: Ownership | None = None
    republishes_wire: bool = False
    has_dek: bool = False
    chrome: tuple[re.Pattern[str], ...] = field(default=(), repr=False)
    headline_suffix: re.Pattern[str] | None = field(default=None, repr=False)


def _texts(entry: dict, key: str, where: str) -> tuple[str, ...]:
    """``entry[key]`` as a tuple of strings: a list of text, or one text."""
    value = entry.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        raise ProfileError(f"{where} ({entry['name']}): '{key}' must be a list of text, e.g. {key}: [first, second]")
    return tuple(str(v) for v in value)


def _parse_profile(entry: dict, source: Path, index: int) -> OutletProfile:
    where = f"{source}, profile {index + 1}"
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise ProfileError(f"{where}: every profile needs a 'name' (text)")
    for key in ("country", "headline_suffix"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise ProfileError(f"{where} ({entry['name']}): '{key}' must be text")
    ownership = entry.get("ownership")
    if ownership is not None and ownership not in OWNERSHIPS:
        raise ProfileError(f"{where} ({entry['name']}): ownership {ownership!r} is not one of {', '.join(OWNERSHIPS)}")
    try:
        chrome = tuple(re.compile(rf"\s*(?:{pattern})\s*", re.IGNORECASE) for pattern in _texts(entry, "chrome", where))
        suffix = entry.get("headline_suffix")
        suffix_re = re.compile(rf"(?:{suffix})\s*$", re.IGNORECASE) if suffix else None
    except re.error as err:
        raise ProfileError(f"{where} ({entry['name']}): bad regular expression: {err}") from err
    return OutletProfile(
        name=str(entry["name"]),
        aliases=_texts(entry, "aliases", where),
        domains=tuple(d.lower() for d in _texts(entry, "domains", where)),
        country=entry.get("country"),
        ownership=ownership,
        republishes_wire=bool(entry.get("republishes_wire", False)),
        has_dek=bool(entry.get("has_dek", False)),
        chrome=chrome,
        headline_suffix=suffix_re,
    )


def read_profiles(path: Path) -> dict[str, OutletProfile]:
    """Read one profiles YAML file into ``{name: profile}``."""
    entries = read_yaml(path, ProfileError) or []
    if not isinstance(entries, list):
        raise ProfileError(f"{path}: expected a list of profiles, one per outlet")
    profiles = [_parse_profile(entry, path, i) for i, entry in enumerate(entries)]
    return {p.name: p for p in profiles}


def load_profiles(*extra: Path) -> dict[str, OutletProfile]:
    """Return the shipped profiles, updated by each existing file of ``extra`` in turn
    (a corpus's own outlets.yaml, then ``--outlets FILE``).

    A profile with the name of an earlier one replaces it; new names add.
    """
    profiles = read_profiles(OUTLET_PROFILES)
    for path in extra:
        if path.is_file():
            profiles.update(read_profiles(path))
    return profiles


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def canonical_outlet(name: str, profiles: dict[str, OutletProfile], *, url: str | None = None) -> str | None:
    """Return the canonical name for ``name`` (or for ``url``'s domain), or None if unknown.

    Examples
    --------
    >>> canonical_outlet("presstv", load_profiles())
    'Press TV'
    >>> canonical_outlet("", load_profiles(), url="https://www.tass.com/world/1")
    'TASS'
    """
    key = _key(name or "")
    for profile in profiles.values():
        if key and key in {_key(profile.name), *(_key(a) for a in profile.aliases), *map(_key, profile.domains)}:
            return profile.name
    host = (urlparse(url).hostname or "").lower() if url else ""
    for profile in profiles.values():
        if any(host == d or host.endswith("." + d) for d in profile.domains):
            return profile.name
    return None


#: Least similarity (difflib's ratio of the folded names) at which an outlet is suggested:
#: "Reuter" finds "Reuters", "BBC News" does not find "WCE News".
SUGGESTION_SIMILARITY = 0.8


def closest_outlet(name: str, profiles: dict[str, OutletProfile]) -> str | None:
    """Suggest the profile whose name or alias is closest to ``name``."""
    candidates = {_key(alias): p.name for p in profiles.values() for alias in (p.name, *p.aliases)}
    match = difflib.get_close_matches(_key(name), list(candidates), n=1, cutoff=SUGGESTION_SIMILARITY)
    return candidates[match[0]] if match else None
