"""``export --format opml``: OPML 2.0, topics as nested outlines, links as ``type="link"``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from linkindex.export.outline import Entry, TopicNode, archive_link, outline
from linkindex.printable import printable
from linkindex.store.records import LinkRecord


def render(records: Sequence[LinkRecord], *, title: str = "linkindex") -> bytes:
    """The records as an OPML 2.0 document (UTF-8)."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    _fill(body, outline(records))
    ET.indent(opml, space="  ")
    # ElementTree writes any character it is given; XML 1.0 forbids most controls and
    # U+FFFE/U+FFFF, and one of them makes the whole document unreadable. printable keeps
    # every character XML allows (ElementTree writes newlines in attributes as &#10;).
    text = printable(ET.tostring(opml, encoding="unicode", xml_declaration=False))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def _fill(parent: ET.Element, node: TopicNode) -> None:
    for entry in node.entries:
        parent.append(_link(entry))
    for child in node.children:
        element = ET.SubElement(parent, "outline", text=child.name)
        _fill(element, child)


def _link(entry: Entry) -> ET.Element:
    record = entry.record
    attributes = {"text": entry.title, "type": "link", "url": record.url}
    attributes["site"] = record.site
    attributes["status"] = record.status
    if entry.date:
        attributes["date"] = entry.date
    if entry.summary:
        attributes["description"] = entry.summary
    archive = archive_link(record)
    if archive:
        attributes["archiveUrl"] = archive
    return ET.Element("outline", attributes)
