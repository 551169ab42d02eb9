"""How a broadcast looks to the person who gets it; the sender's preview uses the same."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from bot.dialog.messages import Attachment, Button, Reply, TemplateParts
from bot.i18n import Translator
from models.broadcasts import Broadcast, Kind

ATTACHMENT_KINDS = ("photo", "document")


def attachment_type(broadcast: Broadcast) -> str:
    """The file's media type, by its name: WhatsApp shows only media it knows the type of."""
    guessed, _ = mimetypes.guess_type(broadcast.attachment_name or "")
    if guessed is not None:
        return guessed
    return "image/jpeg" if broadcast.attachment_kind == "photo" else "application/octet-stream"


def heading(broadcast: Broadcast, t: Translator, place: str | None = None) -> str:
    """The first line: who the message is from; an announcement names its place in the
    reader's language (`place`), or as it was recorded."""
    if broadcast.kind in (Kind.COUNCIL.value, Kind.NOTICE.value):
        title = t._("Message from the residents' council")
    else:
        title = t._("Announcement: {place}", place=place or broadcast.place or "")
    if broadcast.urgent and broadcast.kind != Kind.NOTICE.value:
        title = f"‼️ {t._('Urgent')} · {title}"
    return title


def render(
    broadcast: Broadcast,
    language: str,
    *,
    timezone: ZoneInfo,
    places: Mapping[str, str] | None = None,
) -> list[Reply]:
    """The messages one recipient gets: the text under its heading, then the attachment.
    `places` names an announcement's place by language (`compose.places_of`)."""
    t = Translator(language, timezone=timezone)
    body = broadcast.text_for(t.language)
    title = heading(broadcast, t, (places or {}).get(t.language))
    text = body if broadcast.kind == Kind.NOTICE.value else f"{title}\n\n{body}"
    buttons = tuple((Button(t._(label), payload),) for label, payload in broadcast.actions)
    replies = [Reply(text, buttons, template=TemplateParts(broadcast.kind, title, body))]
    if broadcast.attachment_kind in ATTACHMENT_KINDS:
        replies.append(
            Reply(
                "",
                attachment=Attachment(
                    filename=broadcast.attachment_name or "attachment",
                    content=broadcast.attachment or b"",
                    kind=broadcast.attachment_kind or "document",
                    mime_type=attachment_type(broadcast),
                    file_ref=broadcast.attachment_ref,
                ),
                # Outside WhatsApp's window the file is announced by its name.
                template=TemplateParts(
                    broadcast.kind, title, f"📎 {broadcast.attachment_name or ''}".strip()
                ),
            )
        )
    return replies
