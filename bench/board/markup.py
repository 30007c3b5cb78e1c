"""A few lines of HTML building in which escaping is the default, not a thing to remember.

Every ``str`` handed to :func:`el` is escaped; only :class:`Markup` (what :func:`el` returns) passes
through. Model output can therefore reach the page only as text, whichever function puts it there.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any, Union

Child = Union[str, int, float, "Markup", Iterable["Child"], None]


class Markup(str):
    """A string that is already HTML."""


def escape(text: Any) -> Markup:
    return text if isinstance(text, Markup) else Markup(html.escape(str(text), quote=True))


def attribute(name: str, value: Any) -> str:
    """``class_`` -> ``class``, ``data_value`` -> ``data-value``; ``True`` gives a bare attribute."""
    key = name.rstrip("_").replace("_", "-")
    return f" {key}" if value is True else f' {key}="{escape(value)}"'


def children(items: Iterable[Child]) -> str:
    out = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, (str, int, float)):
            out.append(escape(item))
        else:
            out.append(children(item))
    return "".join(out)


def el(tag: str, *content: Child, **attrs: Any) -> Markup:
    """``<tag attrs>content</tag>``; attributes whose value is ``None`` or ``False`` are left out."""
    attributes = "".join(attribute(k, v) for k, v in attrs.items() if v is not None and v is not False)
    return Markup(f"<{tag}{attributes}>{children(content)}</{tag}>")


#: escaped inside JSON blocks: what could end the block early, and what a terminal or an editor would
#: act on rather than show if someone cats the page (C1 controls, bidirectional controls)
_ESCAPED = re.compile("[<>&\u2028\u2029\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def script_json(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block that no string inside can end early.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes, so ``</script>`` or ``<!--`` in a
    hypothesis stay inside the JSON string; ``JSON.parse`` turns them back into the same characters.
    Control characters from run ids or outputs are escaped too (C0 ones already are, by ``json``), so
    the file itself holds none.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Markup(_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
