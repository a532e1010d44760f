"""Read the mails the identity server wrote with Django's file backend (EMAIL_URL=filemail)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email import message_from_string
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

# Django's file backend ends each message with a line of 79 dashes.
SEPARATOR = "\n" + "-" * 79 + "\n"
LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    body: str

    @property
    def links(self) -> list[str]:
        """Return the URLs in the text body, in order."""
        return LINK.findall(self.body)

    def link_containing(self, fragment: str) -> str:
        """Return the first link that contains ``fragment``."""
        for link in self.links:
            if fragment in link:
                return link
        raise AssertionError(f"no link with {fragment!r} in mail {self.subject!r}:\n{self.body}")


def _text_body(message: Message) -> str:
    if message.is_multipart():
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_content()
        return ""
    return message.get_content()


def mails(mail_dir: Path) -> list[Mail]:
    """Return every mail written to ``mail_dir`` so far, oldest first."""
    found: list[Mail] = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
        for chunk in path.read_text().split(SEPARATOR):
            if not chunk.strip():
                continue
            message = message_from_string(chunk.lstrip("\n"), policy=default_policy)
            to = [address.strip().lower() for address in str(message.get("To", "")).split(",")]
            found.append(Mail(to=to, subject=str(message["Subject"]), body=_text_body(message)))
    return found


def mails_to(mail_dir: Path, address: str) -> list[Mail]:
    """Return the mails sent to ``address``, oldest first."""
    return [mail for mail in mails(mail_dir) if address.lower() in mail.to]


def wait_for_mail(mail_dir: Path, address: str, *, count: int = 1, timeout: float = 10) -> Mail:
    """Wait until ``address`` has received ``count`` mails; return the newest."""
    deadline = time.monotonic() + timeout
    while True:
        received = mails_to(mail_dir, address)
        if len(received) >= count:
            return received[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"{address} got {len(received)} mail(s), expected {count}")
        time.sleep(0.1)
