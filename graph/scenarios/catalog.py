"""Static vocabulary of the synthetic world: countries, names, email domains, clients, networks.

All names are fictional. The same lists serve every population, so no value format marks a
campaign: a campaign account's email, user agent or network name is drawn from the same
distributions as a legitimate account's.
"""

from __future__ import annotations

# country -> (weight in the default world mix, UTC offsets in hours, postal code format)
COUNTRIES: dict[str, tuple[float, tuple[float, ...], str]] = {
    "US": (0.30, (-5, -6, -7, -8), "d5"),
    "IN": (0.08, (5.5,), "d6"),
    "GB": (0.06, (0,), "gb"),
    "DE": (0.06, (1,), "d5"),
    "FR": (0.05, (1,), "d5"),
    "BR": (0.05, (-3,), "d8"),
    "CA": (0.04, (-5, -8), "ca"),
    "JP": (0.04, (9,), "d7"),
    "KR": (0.03, (9,), "d5"),
    "AU": (0.02, (10,), "d4"),
    "NL": (0.02, (1,), "nl"),
    "ES": (0.02, (1,), "d5"),
    "IT": (0.02, (1,), "d5"),
    "SG": (0.02, (8,), "d6"),
    "MX": (0.02, (-6,), "d5"),
    "PL": (0.02, (1,), "pl"),
    "ID": (0.02, (7,), "d5"),
    "TR": (0.02, (3,), "d5"),
    "NG": (0.02, (1,), ""),
    "SE": (0.01, (1,), "d5"),
    "CH": (0.01, (1,), "d4"),
    "IL": (0.01, (2,), "d7"),
    "VN": (0.01, (7,), "d6"),
    "HK": (0.01, (8,), ""),
    "MY": (0.01, (8,), "d5"),
    "UA": (0.01, (2,), "d5"),
}
COUNTRY_CODES: tuple[str, ...] = tuple(sorted(COUNTRIES))

FIRST_NAMES: tuple[str, ...] = (
    "james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "david", "elena",
    "william", "sarah", "richard", "karen", "joseph", "nancy", "thomas", "lisa", "daniel", "anna",
    "matthew", "sofia", "anthony", "emily", "mark", "laura", "paul", "julia", "steven", "maria",
    "andrew", "chloe", "joshua", "olivia", "kevin", "amelia", "brian", "mia", "george", "hannah",
    "arjun", "priya", "rahul", "ananya", "wei", "li", "jun", "mei", "hiroshi", "yuki", "min", "jiwoo",
    "lucas", "gabriel", "mateo", "camila", "noah", "leon", "luca", "finn", "emma", "lena", "ines",
    "omar", "fatima", "yusuf", "amir", "tomasz", "kasia", "ivan", "olga", "pedro", "ana", "diego",
    "chen", "huong", "minh", "ade", "chidi", "nia",
)
LAST_NAMES: tuple[str, ...] = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
    "martinez", "hernandez", "lopez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
    "martin", "lee", "thompson", "white", "harris", "clark", "lewis", "walker", "young", "allen",
    "king", "wright", "scott", "green", "baker", "adams", "nelson", "hill", "campbell", "mitchell",
    "patel", "sharma", "singh", "kumar", "wang", "zhang", "liu", "chen", "tanaka", "suzuki", "kim",
    "park", "nguyen", "tran", "muller", "schmidt", "schneider", "fischer", "dubois", "moreau",
    "rossi", "russo", "silva", "santos", "oliveira", "kowalski", "nowak", "ivanov", "petrov",
    "okafor", "adeyemi", "cohen", "levi", "yilmaz", "demir", "jansen", "devries", "andersson",
    "johansson", "novak", "horvat", "costa",
)
WORDS: tuple[str, ...] = (
    "blue", "pixel", "cloud", "river", "stone", "maple", "cedar", "orbit", "delta", "ember", "frost",
    "harbor", "lumen", "nova", "quartz", "raven", "solar", "tidal", "vertex", "willow", "zephyr",
    "atlas", "beacon", "circuit", "drift", "echo", "forge", "glyph", "helix", "ion", "jade", "kite",
    "lattice", "mosaic", "nimbus", "onyx", "prism", "quill", "relay", "signal", "tensor", "umbra",
    "vector", "wave", "yonder", "arc", "bolt", "core", "dawn", "flux", "grid", "hive", "loop",
    "mint", "north", "pine", "spark", "sprout", "tree", "wolf",
)

FREE_MAIL: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.55), ("outlook.com", 0.10), ("hotmail.com", 0.07), ("yahoo.com", 0.07),
    ("icloud.com", 0.06), ("proton.me", 0.04), ("qq.com", 0.03), ("163.com", 0.02), ("gmx.de", 0.02),
    ("yandex.ru", 0.02), ("mail.ru", 0.01), ("aol.com", 0.01),
)
DOMAIN_TLDS: tuple[str, ...] = ("com", "io", "dev", "net", "ai", "co", "org", "app")

# Local-part formats and their weights; one distribution for every population.
EMAIL_FORMATS: tuple[tuple[str, float], ...] = (
    ("{first}.{last}", 0.30), ("{first}{last}", 0.12), ("{f}{last}", 0.12), ("{first}.{last}{nn}", 0.10),
    ("{first}{nnnn}", 0.10), ("{word}{word2}{nn}", 0.10), ("{first}_{last}", 0.06), ("{last}.{first}", 0.05),
    ("{word}.{first}", 0.05),
)

_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

# Popular clients (user agent, popularity). Each build has one TLS/HTTP fingerprint, shared by
# everyone who uses it, so these fingerprints link almost nothing.
POPULAR_CLIENTS: tuple[tuple[str, float], ...] = (
    ("platform-sdk-python/1.42.0", 0.20), ("platform-sdk-python/1.41.3", 0.09),
    ("platform-sdk-node/4.9.1", 0.11), ("platform-sdk-node/4.8.0", 0.04), ("python-httpx/0.27.2", 0.07),
    ("python-requests/2.32.3", 0.06), ("curl/8.5.0", 0.04), ("Go-http-client/2.0", 0.04),
    ("okhttp/4.12.0", 0.02), ("axios/1.7.7", 0.04), (_CHROME, 0.09), (_SAFARI, 0.04), (_FIREFOX, 0.02),
    ("langchain-python/0.3.7 platform-sdk-python/1.42.0", 0.05), ("platform-sdk-java/2.3.0", 0.02),
    ("platform-sdk-go/0.8.2", 0.02), ("platform-sdk-ruby/0.6.1", 0.01),
)
API_CLIENT_INDEXES: tuple[int, ...] = tuple(i for i, (ua, _) in enumerate(POPULAR_CLIENTS) if "Mozilla" not in ua)
EVAL_HARNESS_UA = "eval-harness/0.4.5 platform-sdk-python/1.41.3"
RESELLER_UA = "relaybase-gateway/2.4.1"
CAMPAIGN_CLIENT_UAS: tuple[str, ...] = ("python-httpx/0.27.2", "python-requests/2.32.3", "platform-sdk-node/4.9.1")

ISP_WORDS: tuple[str, ...] = (
    "Kestrel", "Northwind", "Bluewave", "Meridian", "Silverline", "Lakeside", "Summit", "Horizon",
    "Redwood", "Coastal", "Granite", "Beacon", "Falcon", "Evergreen", "Pioneer", "Aurora Valley",
    "Trident", "Crescent", "Harborview", "Skyline",
)
HOSTING_NAMES: tuple[str, ...] = (
    "Stratus Compute", "Nimbus Cloud Services", "Altus Hosting", "Cumulo Networks", "Helio Datacenters",
    "Orbit VPS",
)
PROXY_NAMES: tuple[str, ...] = ("Veil Networks", "Tunnelworks Transit", "Cloak Exit Services", "Anonet Relay")
BUSINESS_NAMES: tuple[str, ...] = (
    "Meridian Business Fibre", "Citylink Enterprise", "Corenet Business", "Atlas Office Networks",
    "Metro Ethernet Partners", "Bridgeway Business", "Keystone Fibre", "Crossroads Carrier",
)
UNIVERSITY_PLACES: tuple[str, ...] = (
    "Northbridge", "Eastfield", "Westmoor", "Southport", "Ashford", "Brookhaven", "Clearwater",
    "Dunmore", "Fairhaven", "Glenwood", "Highland", "Ironwood", "Kingsbridge", "Lakemont", "Millbrook",
    "Newcastle", "Oakridge", "Pinecrest", "Queensbury", "Riverton", "Stonebridge", "Thornbury",
    "Upton", "Valemont", "Whitby", "Yarrow",
)

CAPABILITY_TOKENS: dict[str, tuple[float, float]] = {
    # capability -> (median input tokens, median output tokens)
    "reasoning": (700, 1400), "coding": (3000, 900), "agentic": (9000, 700), "tool_use": (2500, 300),
    "vision": (1600, 400), "writing": (400, 900), "analysis": (2500, 700), "chat": (250, 300),
    "other": (300, 300),
}

# Issuer identification numbers: ordinary cards from many issuers, prepaid and virtual cards from
# a few programmes that legitimate users and campaigns alike use.
PREPAID_BINS: tuple[str, ...] = ("404163", "423223", "511451", "530690", "535316", "438857")
VIRTUAL_BINS: tuple[str, ...] = ("485932", "531993", "556766", "428837", "545878")
