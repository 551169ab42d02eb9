"""The staff console's pages: signing in, the overview, and the ideas inbox.

Every page of a signed-in person goes through `Console.page`: the session from the signed
cookie, the person's roles read again from the database (a role revoked a minute ago counts),
the CSRF token of every form checked, then the view in one transaction. Views call the same
domain functions and actions as the chat, so a rule lives in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import messenger
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.parsing import parse_id
from bot.settings import SUPPORTED_LANGUAGES, Settings
from handlers.ideas.common import author_name, status_label
from handlers.ideas.inbox import answer_and_tell
from handlers.nominations.texts import status_label as nomination_status
from models.audit import audit
from models.base import utcnow
from models.broadcasts import first_line
from models.ideas import (
    ANSWER_MAX,
    UNANSWERED_AFTER,
    Idea,
    IdeaStatus,
    answers_to,
    get_idea,
    idea_photo,
    inbox,
    list_areas,
    may_read,
)
from models.overview import council_overview
from models.residents import Resident, find_resident
from models.roles import Roles, load_roles
from models.staff_console import (
    SESSION_LONGEST,
    ConsoleSession,
    active_session,
    coverage_only,
    end_session,
    may_use_console,
    peek_link,
    redeem_link,
    start_session,
)
from models.surveys import text_in
from models.territory import list_units, place_label
from padome.console import audit as audit_page
from padome.console import coverage, idea_actions, meetings, people
from padome.console import help as help_page
from padome.console.idea_actions import idea_work
from padome.console.security import Signer, check_init_data
from padome.console.surveys import SurveyPages

logger = logging.getLogger(__name__)

COOKIE = "padome_console"
# Where a house elder without another console role signs in to: the one page they may open.
ELDER_HOME = "/console/coverage"
HERE = Path(__file__).parent
STATIC = {
    "console.css": "text/css",
    "surveys.css": "text/css",
    "telegram.js": "text/javascript",
    "refresh.js": "text/javascript",
}
PAGE = 50
# The ages the inbox offers to filter by, in days; any other number of days may be typed.
AGES = (7, 30)
AGE_MAX = 3650
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Telegram Web shows a Mini App in a frame; nothing else may frame the console.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self' https://web.telegram.org"
    ),
}


@dataclass
class Visit:
    """One request of a signed-in staff member: who, with which rights, in which language."""

    request: Request
    session: AsyncSession
    staff: ConsoleSession
    resident: Resident
    roles: Roles
    t: Translator
    csrf: str
    now: datetime
    form: dict[str, str] | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage_only(self) -> bool:
        """A house elder with no other console role: coverage is all the console shows."""
        return coverage_only(self.roles)

    @property
    def home(self) -> str:
        return ELDER_HOME if self.coverage_only else "/console"


View = Callable[[Visit], Awaitable[Response]]


class Console:
    def __init__(
        self, *, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        key = settings.console_secret_key
        self.signer = Signer(key.get_secret_value().encode() if key else None)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
        )
        self.secure = not settings.console_on_this_machine

    def routes(self) -> list[BaseRoute]:
        from padome.console.broadcasts import BroadcastPages
        from padome.console.nominations import NominationPages

        return [
            *BroadcastPages(self).routes(),
            *NominationPages(self).routes(),
            Route("/console", self.page(self.overview), methods=["GET"]),
            Route("/console/ideas", self.page(self.ideas), methods=["GET"]),
            *idea_actions.routes(self),
            Route("/console/ideas/{idea_id}", self.page(self.idea), methods=["GET"]),
            Route("/console/ideas/{idea_id}/photo", self.page(self.idea_photo), methods=["GET"]),
            Route("/console/ideas/{idea_id}/answer", self.page(self.answer), methods=["POST"]),
            Route(
                "/console/language",
                self.page(self.language, for_house_elders=True),
                methods=["POST"],
            ),
            Route(
                "/console/signout",
                self.page(self.sign_out, for_house_elders=True),
                methods=["POST"],
            ),
            Route("/console/login/{token}", self.login_page, methods=["GET"]),
            Route("/console/login/{token}", self.login, methods=["POST"]),
            Route("/console/telegram", self.telegram_page, methods=["GET"]),
            Route("/console/telegram", self.telegram_login, methods=["POST"]),
            Route("/console/static/{name}", self.static, methods=["GET"]),
            *people.routes(self),
            *audit_page.routes(self),
            *meetings.routes(self),
            *help_page.routes(self),
            *coverage.routes(self),
            *SurveyPages(self).routes(),
        ]

    # ------------------------------------------------------------------ rendering

    def render(
        self, name: str, t: Translator, *, status_code: int = 200, **values: Any
    ) -> HTMLResponse:
        values.setdefault("active", None)
        html = self.templates.get_template(name).render(
            _=t._,
            ngettext=t.ngettext,
            t=t,
            language=t.language,
            languages=[(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
            **values,
        )
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)

    def message(
        self,
        t: Translator,
        heading: str,
        text: str,
        *,
        status_code: int,
        visit: Visit | None = None,
    ) -> HTMLResponse:
        return self.render(
            "message.html",
            t,
            status_code=status_code,
            heading=heading,
            text=text,
            visit=visit,
        )

    def translator(self, language: str | None) -> Translator:
        return Translator(language or self.settings.default_language, timezone=self.settings.tz)

    def request_language(self, request: Request) -> str:
        """Before anyone is known: the browser's first language we speak, else the default."""
        for part in request.headers.get("accept-language", "").split(","):
            code = part.split(";")[0].strip()[:2].lower()
            if code in SUPPORTED_LANGUAGES:
                return code
        return self.settings.default_language

    def signed_in(self, token: str, roles: Roles) -> Response:
        home = ELDER_HOME if coverage_only(roles) else "/console"
        response = RedirectResponse(home, status_code=303, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            self.signer.sign_cookie(token),
            max_age=int(SESSION_LONGEST.total_seconds()),
            path="/console",
            secure=self.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    # ------------------------------------------------------------------ every signed-in page

    def page(
        self, view: View, *, for_house_elders: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """A signed-in page. A house elder without another console role opens only the pages
        made `for_house_elders` (coverage, the language, signing out); any other page is
        refused to them, so a page added later is closed to them unless it says otherwise."""

        async def endpoint(request: Request) -> Response:
            now = utcnow()
            cookie = request.cookies.get(COOKIE, "")
            token = self.signer.unsign_cookie(cookie) if cookie else None
            async with self.sessionmaker() as session, session.begin():
                found = await active_session(session, token, now=now) if token else None
                if found is None:
                    t = self.translator(self.request_language(request))
                    return self.message(
                        t,
                        t._("Please sign in"),
                        t._(
                            "Send /console to the assistant on your messenger, or choose "
                            '"Staff console in the browser" in its menu, and open the link '
                            "it sends."
                        ),
                        status_code=401,
                    )
                resident = await session.get(Resident, found.resident_id)
                roles = Roles()
                if resident is not None and resident.erased_at is None:
                    roles = await load_roles(session, resident, admins=self.settings.admins)
                t = self.translator(found.language or (resident.language if resident else None))
                if resident is None or not may_use_console(roles):
                    end_session(found, now=now)
                    await audit(
                        session,
                        action="refused",
                        actor_id=found.resident_id,
                        attempted="console",
                        path=request.url.path,
                    )
                    return self.message(
                        t,
                        t._("Not allowed"),
                        t._(
                            "Your roles no longer include the staff console, so you are "
                            "signed out. Ask a coordinator if this is a mistake."
                        ),
                        status_code=403,
                    )
                visit = Visit(
                    request=request,
                    session=session,
                    staff=found,
                    resident=resident,
                    roles=roles,
                    t=t,
                    csrf=self.signer.csrf_token(token or ""),
                    now=now,
                )
                if visit.coverage_only and not for_house_elders:
                    await audit(
                        session,
                        action="refused",
                        actor_id=resident.id,
                        attempted="console_page",
                        path=request.url.path,
                    )
                    return self.message(
                        t,
                        t._("Not allowed"),
                        t._(
                            "As a house elder, you see the coverage of your blocks here; the "
                            "other pages of the console are for other roles."
                        ),
                        status_code=403,
                        visit=visit,
                    )
                if request.method == "POST":
                    visit.form = await _form(request)
                    if not self.signer.csrf_valid(token or "", str(visit.form.get("csrf", ""))):
                        await audit(
                            session,
                            action="refused",
                            actor_id=resident.id,
                            attempted="console_csrf",
                            path=request.url.path,
                        )
                        return self.message(
                            t,
                            t._("Not accepted"),
                            t._(
                                "This form did not come from your console page, so nothing "
                                "was changed. Open the page again and send it from there."
                            ),
                            status_code=403,
                            visit=visit,
                        )
                return await view(visit)

        return endpoint

    def show(self, visit: Visit, name: str, **values: Any) -> HTMLResponse:
        return self.render(name, visit.t, visit=visit, **values)

    # ------------------------------------------------------------------ signing in

    async def login_page(self, request: Request) -> Response:
        """Ask to sign in; opening the link alone uses nothing, as link previews open it."""
        token = request.path_params["token"]
        async with self.sessionmaker() as session:
            resident_id = await peek_link(session, token, now=utcnow())
            resident = await session.get(Resident, resident_id) if resident_id else None
        t = self.translator(resident.language if resident else self.request_language(request))
        if resident is None:
            return self.link_refused(t)
        return self.render("login.html", t, visit=None, action=f"/console/login/{token}")

    def link_refused(self, t: Translator) -> HTMLResponse:
        return self.message(
            t,
            t._("This link does not open the console"),
            t._(
                "It was used already or is older than 10 minutes. Send /console to the "
                "assistant for a new one."
            ),
            status_code=403,
        )

    async def login(self, request: Request) -> Response:
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            resident_id = await redeem_link(session, request.path_params["token"], now=now)
            resident = await session.get(Resident, resident_id) if resident_id else None
            if resident is None:
                await audit(session, action="refused", actor_id=None, attempted="console_link")
                return self.link_refused(self.translator(self.request_language(request)))
            roles = await load_roles(session, resident, admins=self.settings.admins)
            if resident.erased_at is not None or not may_use_console(roles):
                await audit(
                    session, action="refused", actor_id=resident.id, attempted="console_link"
                )
                t = self.translator(resident.language)
                return self.message(
                    t,
                    t._("Not allowed"),
                    t._(
                        "The staff console is for coordinators, the chair, the vice-chair, "
                        "representatives, village deputies and house elders."
                    ),
                    status_code=403,
                )
            token = await start_session(session, resident_id=resident.id, via="link", now=now)
            await audit(session, action="console_sign_in", actor_id=resident.id, via="link")
        return self.signed_in(token, roles)

    async def telegram_page(self, request: Request) -> Response:
        """The Mini App's first page: its script sends Telegram's signed init data back."""
        if self.settings.telegram_bot_token is None:
            return Response("not found", status_code=404)
        t = self.translator(self.request_language(request))
        return self.render("telegram.html", t, visit=None)

    async def telegram_login(self, request: Request) -> Response:
        bot_token = self.settings.telegram_bot_token
        if bot_token is None:
            return Response("not found", status_code=404)
        form = await _form(request)
        user = check_init_data(
            str(form.get("init_data", "")), bot_token=bot_token.get_secret_value()
        )
        now = utcnow()
        async with self.sessionmaker() as session, session.begin():
            resident = await find_resident(session, "telegram", str(user.id)) if user else None
            roles = Roles()
            if resident is not None and resident.erased_at is None:
                roles = await load_roles(session, resident, admins=self.settings.admins)
            if user is None or resident is None or not may_use_console(roles):
                logger.warning("refused a console sign-in from Telegram")
                await audit(
                    session,
                    action="refused",
                    actor_id=resident.id if resident else None,
                    attempted="console_telegram",
                    signed=user is not None,
                )
                t = self.translator(
                    resident.language if resident else self.request_language(request)
                )
                return self.message(
                    t,
                    t._("Not allowed"),
                    t._(
                        "Telegram did not confirm who you are, or the staff console is not "
                        "among your roles."
                    ),
                    status_code=403,
                )
            token = await start_session(session, resident_id=resident.id, via="telegram", now=now)
            await audit(session, action="console_sign_in", actor_id=resident.id, via="telegram")
        return self.signed_in(token, roles)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        return Response(
            (HERE / "static" / name).read_bytes(),
            media_type=STATIC[name],
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # ------------------------------------------------------------------ settings of a session

    async def language(self, visit: Visit) -> Response:
        assert visit.form is not None
        chosen = str(visit.form.get("language", ""))
        if chosen in SUPPORTED_LANGUAGES:
            visit.staff.language = chosen
            await audit(
                visit.session,
                action="console_language",
                actor_id=visit.resident.id,
                language=chosen,
            )
        back = str(visit.form.get("back", ""))
        target = back if back.startswith("/console") and "//" not in back else "/console"
        return RedirectResponse(target, status_code=303, headers=HEADERS)

    async def sign_out(self, visit: Visit) -> Response:
        end_session(visit.staff, now=visit.now)
        await audit(visit.session, action="console_sign_out", actor_id=visit.resident.id)
        t = visit.t
        response = self.message(
            t,
            t._("Signed out"),
            t._("You are signed out of the staff console."),
            status_code=200,
        )
        response.delete_cookie(COOKIE, path="/console")
        return response

    # ------------------------------------------------------------------ the overview

    async def overview(self, visit: Visit) -> Response:
        overview = await council_overview(
            visit.session, roles=visit.roles, resident_id=visit.resident.id, now=visit.now
        )
        t = visit.t
        return self.show(
            visit,
            "overview.html",
            overview=overview,
            active="overview",
            channel_label=lambda name: t._(messenger(name).label),
            first_line=lambda broadcast: first_line(broadcast, 60),
            survey_title=lambda survey: text_in(survey.title, t.language),
            nomination_status=lambda status: nomination_status(t, status),
            percent=lambda part, whole: f"{round(100 * part / whole)} %" if whole else "–",
        )

    # ------------------------------------------------------------------ ideas

    async def ideas(self, visit: Visit) -> Response:
        query = visit.request.query_params
        units = await list_units(visit.session)
        areas = await list_areas(visit.session, include_hidden=True)
        unit_id = _int(query.get("unit"))
        if unit_id not in {unit.id for unit in units}:
            unit_id = None
        area_id = _int(query.get("area"))
        if area_id not in {area.id for area in areas}:
            area_id = None
        status = query.get("status") or None
        if status not in {item.value for item in IdeaStatus}:
            status = None
        age = _int(query.get("age"))
        if age is not None and age > AGE_MAX:
            age = None
        offset = max(_int(query.get("offset")) or 0, 0)
        items = await inbox(
            visit.session,
            roles=visit.roles,
            resident_id=visit.resident.id,
            status=status,
            area_id=area_id,
            unit_id=unit_id,
            before=visit.now - timedelta(days=age) if age else None,
            offset=offset,
            limit=PAGE + 1,
        )
        chosen = {"unit": unit_id, "area": area_id, "status": status, "age": age}
        local = visit.now.astimezone(self.settings.tz).date()
        return self.show(
            visit,
            "ideas.html",
            active="ideas",
            items=items[:PAGE],
            more=len(items) > PAGE,
            units=units,
            areas=areas,
            statuses=[(item.value, status_label(visit.t, item.value)) for item in IdeaStatus],
            ages=AGES,
            age_max=AGE_MAX,
            chosen=chosen,
            filters="&".join(
                f"{key}={value}" for key, value in chosen.items() if value not in (None, "")
            ),
            offset=offset,
            page=PAGE,
            status_label=lambda value: status_label(visit.t, value),
            waiting_since=visit.now - UNANSWERED_AFTER,
            export_from=(local - timedelta(days=29)).isoformat(),
            export_to=local.isoformat(),
            days_waiting=lambda item: (visit.now - item.created_at).days,
        )

    async def readable_idea(self, visit: Visit) -> Idea | None:
        """The item if this person may read it; otherwise None, refused and written down."""
        # Read as the chat reads an item's number: a number no id column holds is no item.
        idea_id = parse_id(visit.request.path_params["idea_id"])
        item = await get_idea(visit.session, idea_id) if idea_id else None
        if item is None or not may_read(visit.roles, visit.resident.id, item):
            await audit(
                visit.session,
                action="refused",
                actor_id=visit.resident.id,
                attempted="idea_read",
                idea=idea_id,
            )
            return None
        return item

    def not_readable(self, visit: Visit) -> HTMLResponse:
        t = visit.t
        return self.message(
            t,
            t._("Not allowed"),
            t._("There is no item with that number that you can read."),
            status_code=404,
            visit=visit,
        )

    async def idea(
        self,
        visit: Visit,
        *,
        error: str | None = None,
        draft: str = "",
        same_error: str | None = None,
    ) -> Response:
        item = await self.readable_idea(visit)
        if item is None:
            return self.not_readable(visit)
        t = visit.t
        author = await visit.session.get(Resident, item.author_id) if item.author_id else None
        if author is None:
            written_by = t._("the author has erased their data")
        elif item.show_author:
            written_by = author_name(t, item, author)
        else:
            written_by = t._("the author asked not to show their name")
        has_photo = item.photo_ref is not None or item.photo_mime is not None
        work = await idea_work(visit, item)
        return self.show(
            visit,
            "idea.html",
            **work,
            active="ideas",
            item=item,
            place=place_label(item.unit, item.locality, t.language),
            area=item.area.name_in(t.language),
            status=status_label(t, item.status),
            written_by=written_by,
            answers=await answers_to(visit.session, item.id),
            may_answer=item.author_id is not None,
            answer_max=ANSWER_MAX,
            answered=visit.request.query_params.get("answered") == "1",
            has_photo=has_photo,
            error=error,
            draft=draft,
            same_error=same_error,
        )

    async def idea_photo(self, visit: Visit) -> Response:
        item = await self.readable_idea(visit)
        kept = await idea_photo(visit.session, item) if item is not None else None
        if kept is None:
            return Response("not found", status_code=404, headers=HEADERS)
        content, mime_type = kept
        return Response(content, media_type=mime_type, headers=HEADERS)

    async def answer(self, visit: Visit) -> Response:
        """Answer the author with the chat's own action: stored, audited, sent on commit."""
        assert visit.form is not None
        text = str(visit.form.get("answer", "")).strip()
        t = visit.t
        if not text:
            return await self.idea(visit, error=t._("Please write the answer."))
        if len(text) > ANSWER_MAX:
            return await self.idea(
                visit,
                error=t._(
                    "The answer is too long: at most {limit} characters.",
                    limit=t.number(ANSWER_MAX),
                ),
                draft=text,
            )
        item = await self.readable_idea(visit)
        if item is None:
            return self.not_readable(visit)
        if item.author_id is None:
            return await self.idea(
                visit, error=t._("The author has erased their data; the answer cannot reach them.")
            )
        await answer_and_tell(
            visit.session,
            settings=self.settings,
            item=item,
            by=visit.resident,
            text=text,
            now=visit.now,
        )
        return RedirectResponse(
            f"/console/ideas/{item.id}?answered=1", status_code=303, headers=HEADERS
        )


def _is_text_file(filename: str | None, content_type: str | None) -> bool:
    """A survey file or another text upload, read into the form's fields."""
    name = (filename or "").lower()
    kind = (content_type or "").lower()
    return name.endswith((".yaml", ".yml", ".txt")) or kind.startswith("text/") or "yaml" in kind


async def _form(request: Request) -> dict[str, str]:
    """A posted form's text fields. A form with a file is read whole: an uploaded text file
    (a survey file) is given as its text, with `<name>_name` its file name; any other file's
    view reads it from `request.form()`."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1, max_fields=200)
        except (HTTPException, MultiPartException):  # malformed or too large: nothing sent
            return {}
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        for key, value in form.items():
            if isinstance(value, str) or not _is_text_file(value.filename, value.content_type):
                continue
            content = await value.read()
            await value.seek(0)
            fields[f"{key}_name"] = value.filename or ""
            try:
                fields[key] = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                fields[key] = ""
        return fields
    try:
        body = (await request.body()).decode()
    except UnicodeDecodeError:
        return {}
    return dict(parse_qsl(body, keep_blank_values=True))


def _int(value: str | None) -> int | None:
    """A query's number when it is one (ASCII digits only)."""
    if value and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None
