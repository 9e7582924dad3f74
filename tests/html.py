"""Pages read as a user sees them: elements with their attributes and text, not markup."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that never hold content, so they are never left open.
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parts: list[str] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        """The element's text as shown: whitespace collapsed."""
        return " ".join("".join(self.parts).split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.parts.append(data)


def elements(content: bytes | str, tag: str | None = None, **attrs: str) -> list[Element]:
    """Every element of ``tag`` (any tag if None) whose attributes include ``attrs``.

    ``class_="x"`` matches elements that have class x among others.
    """
    reader = _Reader()
    reader.feed(content.decode() if isinstance(content, bytes) else content)
    wanted_class = attrs.pop("class_", None)
    return [
        element
        for element in reader.elements
        if (tag is None or element.tag == tag)
        and all(element.attrs.get(name) == value for name, value in attrs.items())
        and (wanted_class is None or wanted_class in element.classes)
    ]


def element(content: bytes | str, tag: str | None = None, **attrs: str) -> Element:
    """The one element that matches; fails when there is none or more than one."""
    found = elements(content, tag, **attrs)
    assert len(found) == 1, f"{len(found)} elements match {tag} {attrs}"
    return found[0]


def links(content: bytes | str) -> dict[str, str]:
    """Each link's text to its address."""
    return {link.text: link.attrs.get("href", "") for link in elements(content, "a")}


def options(content: bytes | str, **select_attrs: str) -> list[Element]:
    """The options of the one select whose attributes include ``select_attrs``, in order."""
    reader = _Reader()
    reader.feed(content.decode() if isinstance(content, bytes) else content)
    select = element(content, "select", **select_attrs)
    found: list[Element] = []
    inside = False
    for candidate in reader.elements:
        if candidate.tag == "select":
            inside = candidate.attrs == select.attrs
        elif inside and candidate.tag == "option":
            found.append(candidate)
    return found
