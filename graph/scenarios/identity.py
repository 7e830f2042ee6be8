"""Sign-up emails and domains, drawn from one distribution of formats for every population."""

from __future__ import annotations

import numpy as np

from graph.scenarios import catalog


def _choice(rng: np.random.Generator, items: tuple[str, ...], n: int) -> list[str]:
    return [items[i] for i in rng.integers(0, len(items), size=n).tolist()]


def free_mail_domains(rng: np.random.Generator, n: int) -> list[str]:
    """Free-mail providers by market share."""
    names = [d for d, _ in catalog.FREE_MAIL]
    w = np.array([w for _, w in catalog.FREE_MAIL])
    return [names[i] for i in rng.choice(len(names), size=n, p=w / w.sum()).tolist()]


def own_domains(rng: np.random.Generator, n: int) -> list[str]:
    """Domains that look like a person's or a small business's own (``lee.dev``, ``pixelforge.io``)."""
    firsts, lasts = _choice(rng, catalog.FIRST_NAMES, n), _choice(rng, catalog.LAST_NAMES, n)
    words, words2 = _choice(rng, catalog.WORDS, n), _choice(rng, catalog.WORDS, n)
    tlds = _choice(rng, catalog.DOMAIN_TLDS, n)
    kinds = rng.integers(0, 4, size=n).tolist()
    serials = rng.integers(0, 1000, size=n).tolist()
    out = []
    for k, f, last, w, w2, tld, s in zip(kinds, firsts, lasts, words, words2, tlds, serials, strict=True):
        if k == 0:
            out.append(f"{last}{s % 100}.{tld}")
        elif k == 1:
            out.append(f"{f}{last}.{tld}")
        elif k == 2:
            out.append(f"{w}{last}{s}.{tld}")
        else:
            out.append(f"{w}{w2}{s}.{tld}")
    return out


def company_domains(rng: np.random.Generator, n: int) -> list[str]:
    """Corporate domains (``brightlattice.ai``); unique within a scenario up to a serial number."""
    words, words2 = _choice(rng, catalog.WORDS, n), _choice(rng, catalog.WORDS, n)
    tlds = _choice(rng, catalog.DOMAIN_TLDS, n)
    serials = rng.integers(0, 100, size=n).tolist()
    return [f"{w}{w2}{s if s < 40 else ''}.{t}" for w, w2, s, t in zip(words, words2, serials, tlds, strict=True)]


def mixed_domains(rng: np.random.Generator, n: int, own_share: float, own_pool: list[str] | None = None) -> list[str]:
    """Free mail, or with probability ``own_share`` an own domain (from ``own_pool`` when given)."""
    free = free_mail_domains(rng, n)
    own_flags = (rng.random(n) < own_share).tolist()
    if own_pool:
        picks = rng.integers(0, len(own_pool), size=n).tolist()
        own = [own_pool[i] for i in picks]
    else:
        own = own_domains(rng, n)
    return [o if flag else f for f, o, flag in zip(free, own, own_flags, strict=True)]


def emails(rng: np.random.Generator, domains: list[str]) -> list[str]:
    """One sign-up email per domain, local part in one of the shared formats."""
    n = len(domains)
    fmts = [f for f, _ in catalog.EMAIL_FORMATS]
    w = np.array([w for _, w in catalog.EMAIL_FORMATS])
    kinds = rng.choice(len(fmts), size=n, p=w / w.sum()).tolist()
    firsts, lasts = _choice(rng, catalog.FIRST_NAMES, n), _choice(rng, catalog.LAST_NAMES, n)
    words, words2 = _choice(rng, catalog.WORDS, n), _choice(rng, catalog.WORDS, n)
    nums = rng.integers(0, 10_000, size=n).tolist()
    out = []
    for k, f, last, w1, w2, num, dom in zip(kinds, firsts, lasts, words, words2, nums, domains, strict=True):
        local = fmts[k].format(
            first=f, last=last, f=f[0], word=w1, word2=w2, nn=f"{num % 100:02d}", nnnn=f"{num:04d}"
        )
        out.append(f"{local}@{dom}")
    return out


def make_unique(rng: np.random.Generator, addresses: np.ndarray) -> np.ndarray:
    """Resolve duplicate emails (the platform enforces uniqueness) by adding digits to later ones."""
    seen: set[str] = set()
    out = addresses.copy()
    for i, email in enumerate(addresses.tolist()):
        candidate = email
        while candidate in seen:
            local, _, domain = email.partition("@")
            candidate = f"{local}{int(rng.integers(1, 1000))}@{domain}"
        seen.add(candidate)
        out[i] = candidate
    return out


def claim_domains(domains: list[str], taken: set[str]) -> list[str]:
    """The same domains, renamed (``name2.io``) where already taken by someone else; marks them taken."""
    out = []
    for domain in domains:
        name, _, tld = domain.rpartition(".")
        candidate, k = domain, 2
        while candidate in taken:
            candidate, k = f"{name}{k}.{tld}", k + 1
        taken.add(candidate)
        out.append(candidate)
    return out
