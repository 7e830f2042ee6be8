"""Shared infrastructure of the synthetic world: networks and addresses, client builds, prompt
templates, sign-up devices and billing entities (cards, addresses, names).

Populations draw from these tables by index, so sharing is explicit: two accounts share a card
exactly when they reference the same card row. Strings are produced once per entity, never per
row of output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graph.scenarios import catalog
from graph.scenarios.encode import random_words

ASN_TYPES: tuple[str, ...] = ("isp", "mobile", "hosting", "proxy", "education", "business", "unknown")
_V4_FIRST_OCTETS = np.array(
    [o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192, 198, 203)], dtype=np.int64
)
_V6_PREFIXES: tuple[str, ...] = ("2001", "2400", "2600", "2604", "2a00", "2a02", "2c0f", "2406")


@dataclass
class _AsnSpace:
    """Address space owned by one ASN and the host numbers already handed out."""

    v4_prefixes: np.ndarray  # /16 prefixes as integers (a << 8 | b)
    v6_prefix: str
    used: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # sorted
    used_v6: int = 0


@dataclass
class Network:
    """ASNs and every IP address that appears in the drop, each with its ASN."""

    rng: np.random.Generator
    asn_number: list[int] = field(default_factory=list)
    asn_name: list[str] = field(default_factory=list)
    asn_type: list[str] = field(default_factory=list)
    ip_text: list[str] = field(default_factory=list)
    ip_asn: list[int] = field(default_factory=list)
    ip_reseller: list[bool] = field(default_factory=list)
    _spaces: list[_AsnSpace] = field(default_factory=list)
    _used_prefixes: set[int] = field(default_factory=set)
    _used_numbers: set[int] = field(default_factory=set)

    def add_asn(self, name: str, kind: str, blocks: int = 1) -> int:
        """Register an ASN with ``blocks`` /16s of IPv4 space; return its index."""
        assert kind in ASN_TYPES
        number = int(self.rng.integers(1_000, 399_999))
        while number in self._used_numbers or 64_496 <= number <= 131_071:
            number = int(self.rng.integers(1_000, 399_999))
        self._used_numbers.add(number)
        prefixes: list[int] = []
        while len(prefixes) < blocks:
            prefix = int(self.rng.choice(_V4_FIRST_OCTETS)) << 8 | int(self.rng.integers(0, 256))
            if prefix not in self._used_prefixes:
                self._used_prefixes.add(prefix)
                prefixes.append(prefix)
        v6 = f"{_V6_PREFIXES[int(self.rng.integers(0, len(_V6_PREFIXES)))]}:{int(self.rng.integers(0x100, 0xFFFF)):x}"
        self._spaces.append(_AsnSpace(np.array(prefixes, dtype=np.int64), v6))
        self.asn_number.append(number)
        self.asn_name.append(name)
        self.asn_type.append(kind)
        return len(self.asn_number) - 1

    def _free_hosts(self, space: _AsnSpace, count: int) -> np.ndarray:
        """``count`` random host numbers of the space not handed out before (in random order)."""
        size = len(space.v4_prefixes) << 16
        if len(space.used) + count > size // 2:
            raise ValueError("an ASN ran out of IPv4 space; give it more blocks")
        out = np.zeros(0, dtype=np.int64)
        while len(out) < count:
            draw = self.rng.integers(0, size, size=2 * (count - len(out)) + 8)
            _, first = np.unique(draw, return_index=True)
            draw = draw[np.sort(first)]
            draw = draw[~np.isin(draw, space.used) & ~np.isin(draw, out)]
            out = np.concatenate([out, draw[: count - len(out)]])
        space.used = np.union1d(space.used, out)
        return out

    def allocate(self, asn: int, count: int, v6_share: float = 0.0, reseller: bool = False) -> np.ndarray:
        """Hand out ``count`` new, distinct addresses of ``asn``; return their indexes."""
        space = self._spaces[asn]
        n_v6 = int(self.rng.binomial(count, v6_share)) if v6_share > 0 else 0
        n_v4 = count - n_v6
        host = self._free_hosts(space, n_v4)
        prefix = space.v4_prefixes[host >> 16]
        texts = [
            f"{p >> 8}.{p & 255}.{(h >> 8) & 255}.{h & 255}"
            for p, h in zip(prefix.tolist(), (host & 0xFFFF).tolist(), strict=True)
        ]
        iids = self.rng.integers(1, 0xFFFF, size=n_v6).tolist()
        for j, iid in enumerate(iids):
            c = space.used_v6 + j
            texts.append(f"{space.v6_prefix}:{(c >> 16) & 0xFFFF:x}:{c & 0xFFFF:x}::{iid:x}")
        space.used_v6 += n_v6
        order = self.rng.permutation(count) if n_v6 else np.arange(count)
        start = len(self.ip_text)
        self.ip_text.extend(texts[i] for i in order.tolist())
        self.ip_asn.extend([asn] * count)
        self.ip_reseller.extend([reseller] * count)
        return np.arange(start, start + count, dtype=np.int32)


@dataclass
class Clients:
    """Client builds: a TLS/HTTP fingerprint and the user agent it sends."""

    rng: np.random.Generator
    fp_hi: list[int] = field(default_factory=list)
    fp_lo: list[int] = field(default_factory=list)
    user_agent: list[str] = field(default_factory=list)

    def add(self, user_agent: str) -> int:
        """Register a client build with a fresh fingerprint; return its index."""
        hi, lo = random_words(self.rng, 2).tolist()
        self.fp_hi.append(hi)
        self.fp_lo.append(lo)
        self.user_agent.append(user_agent)
        return len(self.user_agent) - 1


@dataclass
class Templates:
    """Prompt templates: a SimHash base and the capability the template serves."""

    rng: np.random.Generator
    base: list[np.ndarray] = field(default_factory=list)
    capability: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, capabilities: np.ndarray) -> np.ndarray:
        """Register one template per given capability index; return their indexes."""
        n = len(capabilities)
        self.base.append(random_words(self.rng, n))
        self.capability.append(np.asarray(capabilities, dtype=np.int8))
        self.count += n
        return np.arange(self.count - n, self.count, dtype=np.int32)


@dataclass
class Entities:
    """Opaque hashed entities (sign-up devices, cardholder names, street addresses): 128-bit values."""

    rng: np.random.Generator
    hi: list[np.ndarray] = field(default_factory=list)
    lo: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, n: int) -> np.ndarray:
        """Create ``n`` new entities; return their indexes."""
        self.hi.append(random_words(self.rng, n))
        self.lo.append(random_words(self.rng, n))
        self.count += n
        return np.arange(self.count - n, self.count, dtype=np.int32)


@dataclass
class Cards:
    """Payment instruments: fingerprint, method, issuer BIN and issuer country."""

    rng: np.random.Generator
    method: list[np.ndarray] = field(default_factory=list)
    bin: list[list[str | None]] = field(default_factory=list)
    issuer_country: list[np.ndarray] = field(default_factory=list)
    fp_hi: list[np.ndarray] = field(default_factory=list)
    fp_lo: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def add(self, methods: np.ndarray, issuer_countries: np.ndarray) -> np.ndarray:
        """Create one instrument per method index (``config.METHODS``); return their indexes."""
        n = len(methods)
        bins: list[str | None] = []
        prepaid, virtual = catalog.PREPAID_BINS, catalog.VIRTUAL_BINS
        picks = self.rng.integers(0, 1 << 30, size=n).tolist()
        for m, pick in zip(np.asarray(methods).tolist(), picks, strict=True):
            if m == 1:
                bins.append(prepaid[pick % len(prepaid)])
            elif m == 2:
                bins.append(virtual[pick % len(virtual)])
            elif m == 0:
                bins.append(("4" if pick & 1 else "5") + f"{(pick >> 1) % 100000:05d}")
            else:
                bins.append(None)
        self.method.append(np.asarray(methods, dtype=np.int8))
        self.bin.append(bins)
        self.issuer_country.append(np.asarray(issuer_countries, dtype=np.int16))
        self.fp_hi.append(random_words(self.rng, n))
        self.fp_lo.append(random_words(self.rng, n))
        self.count += n
        return np.arange(self.count - n, self.count, dtype=np.int32)


@dataclass
class Addresses:
    """Billing street addresses: a hash, a country and a postal code."""

    rng: np.random.Generator
    entities: Entities
    country: list[np.ndarray] = field(default_factory=list)
    postal: list[str | None] = field(default_factory=list)

    def add(self, countries: np.ndarray) -> np.ndarray:
        """Create one address per country index; return their indexes."""
        countries = np.asarray(countries, dtype=np.int16)
        idx = self.entities.add(len(countries))
        self.country.append(countries)
        digits = self.rng.integers(0, 10**8, size=len(countries)).tolist()
        letters = self.rng.integers(0, 26**4, size=len(countries)).tolist()
        for c, d, letter in zip(countries.tolist(), digits, letters, strict=True):
            self.postal.append(_postal(catalog.COUNTRIES[catalog.COUNTRY_CODES[c]][2], d, letter))
        return idx


def _postal(fmt: str, digits: int, letters: int) -> str | None:
    """A postal code in a country's format from random digits and letters."""
    a = [chr(ord("A") + (letters // 26**i) % 26) for i in range(4)]
    if fmt.startswith("d"):
        width = int(fmt[1:])
        return f"{digits % 10**width:0{width}d}"
    if fmt == "gb":
        return f"{a[0]}{a[1]}{digits % 9 + 1} {digits // 10 % 10}{a[2]}{a[3]}"
    if fmt == "ca":
        return f"{a[0]}{digits % 10}{a[1]} {digits // 10 % 10}{a[2]}{digits // 100 % 10}"
    if fmt == "nl":
        return f"{digits % 9000 + 1000} {a[0]}{a[1]}"
    if fmt == "pl":
        return f"{digits % 100:02d}-{digits // 100 % 1000:03d}"
    return None


@dataclass
class World:
    """Every shared table the populations draw from."""

    rng: np.random.Generator
    network: Network
    clients: Clients
    templates: Templates
    devices: Entities
    names: Entities
    address_hashes: Entities
    addresses: Addresses
    cards: Cards
    orgs: int = 0
    isps: dict[int, list[int]] = field(default_factory=dict)  # country -> ISP ASNs
    mobile: dict[int, int] = field(default_factory=dict)  # country -> mobile ASN
    mobile_pools: dict[int, np.ndarray] = field(default_factory=dict)  # country -> carrier NAT IPs
    hosting: list[int] = field(default_factory=list)
    proxies: list[int] = field(default_factory=list)
    business: list[int] = field(default_factory=list)
    popular_clients: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    popular_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    public_templates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    reseller_ips: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    vpn_ips: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    vpn_provider: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    home_ips: list[np.ndarray] = field(default_factory=list)  # individuals' home lines (proxyware hosts)
    domains: set[str] = field(default_factory=set)  # email domains owned by an organisation or campaign
    reseller_client: int = -1
    eval_client: int = -1
    residential_ips: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    def new_orgs(self, n: int) -> np.ndarray:
        """Reserve ``n`` organisation numbers."""
        self.orgs += n
        return np.arange(self.orgs - n, self.orgs, dtype=np.int32)

    def home_ip(self, countries: np.ndarray) -> np.ndarray:
        """One new home-line address per account, at one of its country's ISPs."""
        countries = np.asarray(countries)
        out = np.empty(len(countries), dtype=np.int32)
        pick = self.rng.integers(0, 2, size=len(countries))
        for c in np.unique(countries).tolist():
            for k, asn in enumerate(self.isps[c]):
                sel = np.flatnonzero((countries == c) & (pick == k))
                if len(sel):
                    out[sel] = self.network.allocate(asn, len(sel), v6_share=0.12)
        return out

    def mobile_ip(self, countries: np.ndarray) -> np.ndarray:
        """One carrier-NAT address per account (shared with many other subscribers)."""
        countries = np.asarray(countries)
        out = np.empty(len(countries), dtype=np.int32)
        for c in np.unique(countries).tolist():
            sel = np.flatnonzero(countries == c)
            pool = self.mobile_pools[c]
            out[sel] = pool[self.rng.integers(0, len(pool), size=len(sel))]
        return out

    def popular_client(self, n: int, api_only: bool = False) -> np.ndarray:
        """Popular client builds drawn by popularity (optionally API clients only, no browsers)."""
        weights = self.popular_weights.copy()
        if api_only:
            mask = np.zeros(len(weights), dtype=bool)
            mask[list(catalog.API_CLIENT_INDEXES)] = True
            weights = np.where(mask, weights, 0.0)
        return self.popular_clients[self.rng.choice(len(weights), size=n, p=weights / weights.sum())]


def build_world(rng: np.random.Generator, scale: float, countries_used: set[int]) -> World:
    """Create the networks, popular clients and public templates every scenario starts from."""
    entities = Entities(rng)
    world = World(
        rng=rng,
        network=Network(rng),
        clients=Clients(rng),
        templates=Templates(rng),
        devices=Entities(rng),
        names=Entities(rng),
        address_hashes=entities,
        addresses=Addresses(rng, entities),
        cards=Cards(rng),
    )
    net = world.network
    big = 8 if scale >= 0.25 else 2
    for c in sorted(countries_used):
        code = catalog.COUNTRY_CODES[c]
        weight = catalog.COUNTRIES[code][0]
        blocks = big if weight >= 0.05 else max(1, big // 4)
        words = catalog.ISP_WORDS
        world.isps[c] = [
            net.add_asn(f"{words[(3 * c + k) % len(words)]} Broadband ({code})", "isp", blocks) for k in range(2)
        ]
        world.mobile[c] = net.add_asn(f"{words[(3 * c + 2) % len(words)]} Mobile ({code})", "mobile")
        pool_size = max(8, int(weight * 4000 * scale))
        world.mobile_pools[c] = net.allocate(world.mobile[c], pool_size, v6_share=0.3)
    world.hosting = [net.add_asn(name, "hosting", 2) for name in catalog.HOSTING_NAMES]
    world.proxies = [net.add_asn(name, "proxy") for name in catalog.PROXY_NAMES]
    world.business = [net.add_asn(name, "business", 2) for name in catalog.BUSINESS_NAMES]
    weights = np.array([w for _, w in catalog.POPULAR_CLIENTS])
    world.popular_clients = np.array([world.clients.add(ua) for ua, _ in catalog.POPULAR_CLIENTS], dtype=np.int32)
    world.popular_weights = weights / weights.sum()
    public_caps = rng.choice(len(_PUBLIC_CAPS), size=60, p=_PUBLIC_CAPS_P)
    world.public_templates = world.templates.add(np.array(_PUBLIC_CAPS)[public_caps])
    return world


# Public prompts copied around the internet are mostly chat, writing and coding.
_PUBLIC_CAPS = (0, 1, 5, 6, 7, 8)
_PUBLIC_CAPS_P = np.array([0.1, 0.25, 0.25, 0.1, 0.2, 0.1])
