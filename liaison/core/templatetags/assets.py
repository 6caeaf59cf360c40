"""The public pages' stylesheet, written into the page itself.

On a phone with a weak signal every request costs a round trip (half a second on slow 4G) while
the whole stylesheet, 7 KB compressed, costs tens of milliseconds more in the page: the QR form
paints about 0.5 s sooner without a stylesheet request. The file is built by ``npm run build:css``
and read and compressed once per process (again when it is rebuilt). Without the build, the page
links it as before, so a checkout that skipped ``make setup`` still renders (unstyled until it is
built; the system check ``core.E001`` stops a production deploy without it).
"""

import os
from functools import lru_cache

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from liaison.core.compress import precompress

register = template.Library()


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> str:
    with open(path, encoding="utf-8") as css:
        # The page is UTF-8 already; a @charset rule means nothing inside it.
        text = css.read().replace('@charset "UTF-8";', "").replace("</", "<\\/")
    precompress(text.encode())  # compressed once, not with every page (liaison/core/compress.py)
    return text


@register.simple_tag
def inline_stylesheet(name: str):
    path = finders.find(name)
    if not path:
        return format_html('<link rel="stylesheet" href="{}">', static(name))
    return mark_safe(f"<style>{_read(path, os.stat(path).st_mtime)}</style>")  # noqa: S308 (our own build)
