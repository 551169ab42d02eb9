"""The outreach kit's printables: an A4 poster and A6 flyers (four to an A4 sheet) that bring
residents to the bot straight into their parish or town.

Each carries the council's unified text in large print, the place's name, a QR code of the
Telegram link, the WhatsApp and SMS numbers with the START keyword, and the representative's
name when they agreed to show it. Fonts are DejaVu Sans (every Latvian and Russian letter),
as on the nomination form.
"""

from __future__ import annotations

import enum
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.settings import Settings
from models.outreach import Placement, representative_name, stored_text
from reports.nomination_papers import PDF_MIME, font_files

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "JOIN_SETTINGS",
    "PDF_MIME",
    "Format",
    "Links",
    "Poster",
    "placement_links",
    "poster_for",
    "poster_pdf",
]

# The `/start` payload of a placement's link: `u_<code>`.
LINK_KIND = "u"
KEYWORD = "START"

# The council's unified text until coordinators set their own (`padome outreach text set`):
# the first line is the heading.
DEFAULT_TEXT = N_(
    "Your voice in the residents' council\n"
    "The residents' council carries what matters where you live to the municipality. "
    "On your phone you get the council's news, meetings and surveys, and you can send your "
    "ideas and questions. It is free, and you can stop at any time."
)


class Format(enum.StrEnum):
    A4 = "a4"  # one poster
    A6 = "a6"  # four flyers on an A4 sheet, to cut


@dataclass(frozen=True)
class Links:
    """How a placement's code opens the bot on each messenger."""

    code: str
    keyword: str  # START K7M2QP, on WhatsApp or SMS
    telegram: str | None  # https://t.me/<bot>?start=u_<code>
    whatsapp: str | None  # https://wa.me/<number>?text=START%20<code>
    whatsapp_number: str | None
    sms_number: str | None

    @property
    def qr(self) -> str | None:
        """What the QR code holds: the Telegram link, else the WhatsApp one."""
        return self.telegram or self.whatsapp

    @property
    def leads_anywhere(self) -> bool:
        """Whether a poster with these links tells a reader any way into the bot at all."""
        return bool(self.telegram or self.whatsapp_number or self.sms_number)


# The settings that give a poster a way in; without any, a poster would only be a text.
JOIN_SETTINGS = ("TELEGRAM_BOT_USERNAME", "TWILIO_WHATSAPP_FROM", "TWILIO_SMS_FROM")


def placement_links(settings: Settings, code: str) -> Links:
    keyword = f"{KEYWORD} {code}"
    username = settings.telegram_bot_username
    whatsapp_number = (
        settings.twilio_whatsapp_from.removeprefix("whatsapp:")
        if settings.twilio_whatsapp_from
        else None
    )
    sms = settings.twilio_sms_from
    return Links(
        code=code,
        keyword=keyword,
        telegram=f"https://t.me/{username}?start={LINK_KIND}_{code}" if username else None,
        whatsapp=(
            f"https://wa.me/{whatsapp_number.lstrip('+')}?text={quote(keyword)}"
            if whatsapp_number
            else None
        ),
        whatsapp_number=whatsapp_number,
        # A Messaging Service (MG…) has no number to print.
        sms_number=sms if sms and sms.startswith("+") else None,
    )


@dataclass(frozen=True)
class Poster:
    """Everything printed on a poster or flyer, in its language."""

    language: str
    heading: str
    body: str
    place: str
    placement_name: str
    links: Links
    representative: str | None
    scan: str
    on_whatsapp: str | None
    on_sms: str | None
    representative_line: str | None


async def unified_text(session: AsyncSession, t: Translator) -> str:
    """The council's unified text in the translator's language: the coordinators' own, or
    the default."""
    return await stored_text(session, t.language) or t._(DEFAULT_TEXT)


async def poster_for(
    session: AsyncSession, settings: Settings, placement: Placement, language: str
) -> Poster:
    t = Translator(language, timezone=settings.tz)
    heading, _, body = (await unified_text(session, t)).partition("\n")
    links = placement_links(settings, placement.code)
    representative = await representative_name(session, placement.unit_id)
    return Poster(
        language=language,
        heading=heading.strip(),
        body=body.strip(),
        place=placement.place_in(language),
        placement_name=placement.name,
        links=links,
        representative=representative,
        scan=t._("Scan the code with your phone's camera to open the council's chat in Telegram."),
        on_whatsapp=(
            t._(
                "WhatsApp: write {keyword} to {number}",
                keyword=links.keyword,
                number=links.whatsapp_number,
            )
            if links.whatsapp_number
            else None
        ),
        on_sms=(
            t._("SMS: send {keyword} to {number}", keyword=links.keyword, number=links.sms_number)
            if links.sms_number
            else None
        ),
        representative_line=(
            t._("Your representative: {name}", name=representative) if representative else None
        ),
    )


def poster_pdf(poster: Poster, *, page_format: Format = Format.A4) -> bytes:
    """The poster (A4) or a sheet of four flyers (A6 each) as PDF."""
    # Imported here: fpdf2 takes longer to import than most commands take to run.
    from fpdf import FPDF

    regular, bold = font_files()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_title(f"{poster.heading} – {poster.place}")
    pdf.set_lang(poster.language)
    pdf.add_page()
    qr = _qr_png(poster.links.qr) if poster.links.qr else None
    if page_format is Format.A4:
        _draw(pdf, poster, qr, x=0, y=0, width=210, height=297, scale=1.0)
        return bytes(pdf.output())
    half_w, half_h = 105, 148.5
    for row in range(2):
        for column in range(2):
            _draw(
                pdf,
                poster,
                qr,
                x=column * half_w,
                y=row * half_h,
                width=half_w,
                height=half_h,
                scale=0.5,
            )
    # Cut lines between the flyers.
    pdf.set_draw_color(170, 170, 170)
    pdf.set_dash_pattern(dash=2, gap=2)
    pdf.line(half_w, 0, half_w, 297)
    pdf.line(0, half_h, 210, half_h)
    return bytes(pdf.output())


def _qr_png(content: str) -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()


_PT = 0.3528  # millimetres in a typographic point


def _height(pdf: FPDF, text: str, *, width: float, size: float, bold: bool = False) -> float:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    return float(
        pdf.multi_cell(width, size * _PT * 1.3, text, dry_run=True, output="HEIGHT", align="C")
    )


def _fit(
    pdf: FPDF,
    text: str,
    *,
    width: float,
    room: float,
    largest: float,
    smallest: float,
    bold: bool = False,
) -> float:
    """The largest font size (in points) at which `text` fits in `room` millimetres."""
    size = largest
    while size > smallest and _height(pdf, text, width=width, size=size, bold=bold) > room:
        size -= 1
    return size


def _write(
    pdf: FPDF, text: str, *, x: float, y: float, width: float, size: float, bold: bool = False
) -> float:
    """Write centred text at (x, y); return the y below it."""
    from fpdf.enums import XPos, YPos

    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.set_xy(x, y)
    pdf.multi_cell(width, size * _PT * 1.3, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _draw(
    pdf: FPDF,
    poster: Poster,
    qr: bytes | None,
    *,
    x: float,
    y: float,
    width: float,
    height: float,
    scale: float,
) -> None:
    """One poster in the box (x, y, width, height); `scale` 1 for A4, 0.5 for A6."""
    margin = 14 * scale
    left, inner = x + margin, width - 2 * margin
    top, bottom = y + margin, y + height - margin
    pdf.set_text_color(0, 0, 0)

    heading_size = _fit(
        pdf,
        poster.heading,
        width=inner,
        room=40 * scale,
        largest=40 * scale,
        smallest=22 * scale,
        bold=True,
    )
    cursor = _write(pdf, poster.heading, x=left, y=top, width=inner, size=heading_size, bold=True)
    pdf.set_text_color(20, 70, 140)
    cursor = _write(
        pdf, poster.place, x=left, y=cursor + 3 * scale, width=inner, size=30 * scale, bold=True
    )
    pdf.set_text_color(0, 0, 0)

    # What goes under the body, from the bottom up: the ways to write, then the QR code.
    lines = [item for item in (poster.on_whatsapp, poster.on_sms) if item]
    small = 15 * scale
    tail = [(line, small, True) for line in lines]
    if poster.links.telegram:
        tail.append((poster.links.telegram, 11 * scale, False))
    if poster.representative_line:
        tail.append((poster.representative_line, small, False))
    tail.append((f"{poster.placement_name} · {poster.links.code}", 8 * scale, False))
    tail_height = sum(
        _height(pdf, text, width=inner, size=size, bold=bold) + 1.5 * scale
        for text, size, bold in tail
    )
    qr_size = 78 * scale if qr else 0
    scan_height = _height(pdf, poster.scan, width=inner, size=small) + 2 * scale if qr else 0
    block = qr_size + scan_height + tail_height + 4 * scale
    room = bottom - block - cursor - 8 * scale
    if poster.body:
        body_size = _fit(
            pdf, poster.body, width=inner, room=room, largest=24 * scale, smallest=12 * scale
        )
        _write(pdf, poster.body, x=left, y=cursor + 6 * scale, width=inner, size=body_size)

    cursor = bottom - block
    if qr:
        pdf.image(io.BytesIO(qr), x=x + (width - qr_size) / 2, y=cursor, w=qr_size, h=qr_size)
        cursor = _write(
            pdf, poster.scan, x=left, y=cursor + qr_size + 1 * scale, width=inner, size=small
        )
    cursor += 3 * scale
    for text, size, bold in tail:
        cursor = _write(pdf, text, x=left, y=cursor, width=inner, size=size, bold=bold)
        cursor += 1.5 * scale
