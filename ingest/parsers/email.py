"""E-mail (.eml): headers that matter, then the body (plain text preferred over HTML)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from ingest.parsers.errors import ParseError
from ingest.parsers.html import html_to_text
from ingest.parsers.limits import DEFAULT_LIMITS, ParseBudget, ParseLimits
from service.core.domain import ParsedDocument, ParsedPage

_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def _body(message: EmailMessage, budget: ParseBudget) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        return html_to_text(content, budget)[0]
    budget.add_text(len(str(content)))
    return str(content)


def parse_email(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """An RFC 822 message as one page: key headers, a blank line, the body."""
    budget = limits.start(path)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not any(message.get(name) for name in _HEADERS):
        raise ParseError(f"{path.name}: not an e-mail message (no From/To/Subject headers)")
    try:
        body = _body(message, budget)
    except (LookupError, UnicodeError) as error:
        raise ParseError(f"{path.name}: the message body cannot be decoded ({error})") from error
    header_lines = [f"{name}: {message[name]}" for name in _HEADERS if message.get(name)]
    text = ("\n".join(header_lines) + "\n\n" + body.strip()).replace("\x00", "")
    attachments = [part.get_filename() for part in message.iter_attachments() if part.get_filename()]
    metadata: dict[str, object] = {name.lower(): str(message[name]) for name in _HEADERS if message.get(name)}
    if attachments:
        metadata["attachments"] = attachments
    return ParsedDocument(
        media_type="message/rfc822",
        pages=(ParsedPage(1, text),),
        title=str(message["Subject"]) if message.get("Subject") else None,
        metadata=metadata,
    )
