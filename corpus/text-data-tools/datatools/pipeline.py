"""Composable cleaning steps. `pipeline(a, b, c)(text)` == c(b(a(text)))."""
import html
import re
import unicodedata
from functools import reduce

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_URL = re.compile(r"https?://\S+")


def pipeline(*steps):
    """Chain text -> text functions into one."""
    return lambda text: reduce(lambda acc, step: step(acc), steps, text)


def strip_html(text):
    return _TAG.sub(" ", html.unescape(text))


def normalize(text):
    return unicodedata.normalize("NFKC", text)


def mask_urls(text):
    return _URL.sub("<url>", text)


def squeeze(text):
    return _SPACE.sub(" ", text).strip()


DEFAULT = pipeline(strip_html, normalize, mask_urls, squeeze)  # ok
