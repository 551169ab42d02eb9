"""A test driver that talks to the dialog engine as console users and reads the replies."""

from __future__ import annotations

from bot.dialog.messages import ChatKind, Incoming, Outgoing, Reply
from padome.app import App


class Chat:
    def __init__(self, app: App, channel: str = "console") -> None:
        self.app = app
        self.channel = channel

    async def send(
        self,
        user: str,
        text: str | None = None,
        *,
        payload: str | None = None,
        chat_id: str | None = None,
        group: bool = False,
        update_key: str | None = None,
    ) -> list[Outgoing]:
        incoming = Incoming(
            channel=self.channel,
            user_id=user,
            chat_id=chat_id or user,
            chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
            text=text,
            payload=payload,
            update_key=update_key,
        )
        return await self.app.dialog.handle(incoming)

    async def say(self, user: str, text: str | None = None, **kwargs: object) -> Reply:
        """Send and return the last reply to this chat."""
        outgoing = await self.send(user, text, **kwargs)  # type: ignore[arg-type]
        assert outgoing, f"no reply to {text!r}"
        return outgoing[-1].reply

    async def onboard(
        self, user: str, *, unit: str = "Alsviķu pagasts", language: str = "English"
    ) -> Reply:
        """Go through language, privacy notice and unit by typing, as on a console."""
        await self.say(user, "/start")
        await self.say(user, language)
        await self.say(user, "1")  # agree
        return await self.say(user, unit)
