"""A readable name for the device behind a User-Agent header ("Chrome on Linux")."""

import re

# First match wins: Edge, Opera and Samsung Internet also say "Chrome", Chrome says "Safari".
_BROWSERS = (
    (re.compile(r"\b(?:Edg|EdgA|EdgiOS|Edge)/"), "Edge"),
    (re.compile(r"\b(?:OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(?:Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\bChromium/"), "Chromium"),
    (re.compile(r"\b(?:Chrome|CriOS|HeadlessChrome)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
# iPhone and iPad before macOS (their headers say "like Mac OS X"), Android before Linux.
_SYSTEMS = (
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)
_PRODUCT = re.compile(r"^([A-Za-z][\w.-]{0,39})/")


def device_describe(user_agent: str) -> str:
    """Return "<browser> on <system>" for a User-Agent, as much of it as is known.

    A header that names no known browser is shown by its first product ("curl",
    "python-requests"); an empty one as "Unknown device". Only for display: a header is
    whatever the client chose to send.
    """
    user_agent = (user_agent or "").strip()
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), None)
    if browser is None:
        product = _PRODUCT.match(user_agent)
        browser = product.group(1) if product and product.group(1) != "Mozilla" else None
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
