"""Text typed by people, freed of characters nobody can see or mean.

Control characters come in with pasted text (a vertical tab from a word processor) or from a
hostile client; nobody can see them on the page, and one of them in a title made every xlsx
ledger export fail (XML cannot hold it). They are removed at input, before any field validates,
so the stored text is exactly what was visible, and a form shown again shows the cleaned text.
"""

import re

from django import forms
from django.http import QueryDict

# Line breaks a word processor writes as control characters become real ones.
_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\u2028\u2029]")
# Every other control character except tab, LF and CR (C0, DEL, C1), the bidirectional
# overrides and isolates that make text read differently from how it is stored, and the two
# non-characters U+FFFE and U+FFFF.
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def clean_text(value: str) -> str:
    """``value`` without control characters; vertical tab, form feed and the like become "\\n"."""
    return _INVISIBLE.sub("", _BREAKS.sub("\n", value))


def _cleaned(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    return value


class CleanTextMixin:
    """Put first in a form's bases: every text value the form receives is passed through
    ``clean_text`` before a field sees it (files untouched)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            return
        if hasattr(self.data, "setlist"):  # a QueryDict from a request
            data = QueryDict(mutable=True)  # (not .copy(): a deep copy of every value, then replaced)
            for key, values in self.data.lists():
                data.setlist(key, _cleaned(values))
        else:
            data = {key: _cleaned(value) for key, value in self.data.items()}
        self.data = data


class CleanTextModelForm(CleanTextMixin, forms.ModelForm):
    """A ModelForm that cleans its text; admin classes can name it as their ``form``."""


_MALFORMED = re.compile("[\x00\ud800-\udfff]")


def malformed(text: str) -> bool:
    """A NUL byte or a lone UTF-16 surrogate: no person types them, no database stores them."""
    return bool(_MALFORMED.search(text))


def malformed_in(value) -> bool:
    """``malformed`` anywhere in a string, or in the keys and values of a JSON-like structure."""
    if isinstance(value, str):
        return malformed(value)
    if isinstance(value, dict):
        return any(malformed_in(k) or malformed_in(v) for k, v in value.items())
    if isinstance(value, list):
        return any(malformed_in(v) for v in value)
    return False
