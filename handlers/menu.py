"""The main menu, help, cancel, and the answer to text nobody asked for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Button
from bot.dialog.router import Needs, Router
from bot.i18n import N_
from models.conversations import drop_conversation

router = Router()


@dataclass(frozen=True)
class MenuEntry:
    label: str  # an untranslated message id, marked with N_
    payload: str
    order: int
    visible: Callable[[Context], bool] = lambda ctx: True


_ENTRIES: list[MenuEntry] = []


def add_menu_entry(entry: MenuEntry) -> None:
    """Let a feature module put its button on the main menu."""
    if any(existing.payload == entry.payload for existing in _ENTRIES):
        return
    _ENTRIES.append(entry)
    _ENTRIES.sort(key=lambda item: item.order)


def menu_buttons(ctx: Context) -> list[Button]:
    return [Button(ctx.t._(e.label), e.payload) for e in _ENTRIES if e.visible(ctx)]


def show_menu(ctx: Context, text: str | None = None) -> None:
    """Show the main menu, after a short line saying what just happened."""
    ctx.clear_state()
    heading = ctx.t._("Main menu: choose what you want to do.")
    ctx.reply(f"{text}\n\n{heading}" if text else heading, menu_buttons(ctx))


@router.command("menu")
@router.payload("menu")
# Typed on channels without buttons, from anywhere.
@router.keyword("izvēlne", "menu", "меню")
async def menu(ctx: Context) -> None:
    """Show the main menu."""
    show_menu(ctx)


@router.command("cancel", needs=Needs.NOTHING)
async def cancel(ctx: Context) -> None:
    """Leave whatever flow the person is in and go back to the menu."""
    if ctx.resident is None:
        # Nothing is kept about someone who has not agreed to the notice.
        if ctx.conversation is not None:
            await drop_conversation(ctx.session, ctx.conversation)
        ctx.forgotten = True
        ctx.reply(ctx.t._("Cancelled. Send /start when you want to begin."))
        return
    if ctx.resident.unit_id is None:
        ctx.clear_state()
        ctx.reply(ctx.t._("Cancelled. Send /start when you want to begin."))
        return
    show_menu(ctx, ctx.t._("Cancelled."))


# One line of help per command: (command, description, who sees it).
_HELP: list[tuple[str, str, Callable[[Context], bool]]] = []


def add_help(command: str, description: str, visible: Callable[[Context], bool]) -> None:
    _HELP.append((command, description, visible))


def help_lines(ctx: Context) -> list[str]:
    return [f"/{command} – {ctx.t._(text)}" for command, text, see in _HELP if see(ctx)]


def everyone(ctx: Context) -> bool:
    return True


add_help("start", N_("start, or show the menu"), everyone)
add_help("menu", N_("the main menu"), everyone)
add_help("help", N_("what you can do here"), everyone)
add_help("cancel", N_("leave what you are doing and go back to the menu"), everyone)


@router.command("help", needs=Needs.NOTHING)
@router.payload("help", needs=Needs.NOTHING)
async def help_command(ctx: Context) -> None:
    """Say what this person can do, according to their roles."""
    intro = ctx.t._(
        "I am the assistant of the residents' council. I carry your ideas, nominations and "
        "survey answers to the council and bring you its news. Votes and signatures stay on paper."
    )
    text = intro + "\n\n" + "\n".join(help_lines(ctx))
    if ctx.resident is None or ctx.resident.unit_id is None:
        ctx.reply(text)
        return
    show_menu(ctx, text)


def way_out(ctx: Context) -> Button | None:
    """The main menu, added to options shown again that lead nowhere else (a notice's one
    button); not to the main menu itself, nor to a screen that already leads back to it."""
    assert ctx.conversation is not None
    if ctx.resident is None or ctx.resident.unit_id is None:
        return None
    shown = {payload for _, payload in ctx.conversation.options}
    if "menu" in shown or shown == {button.payload for button in menu_buttons(ctx)}:
        return None
    return Button(ctx.t._("Main menu"), "menu")


def choose_one(ctx: Context) -> str:
    """Ask for one of the options shown, as this messenger offers them: buttons to tap, or
    numbered options to type."""
    if messenger(ctx.incoming.channel).buttons:
        return ctx.t._("Please tap one of the buttons below.")
    return ctx.t._("Please type the number of one of the options below.")


def no_such_option(ctx: Context) -> str:
    """Say that no option shown carries the number typed, and which numbers they carry."""
    assert ctx.conversation is not None
    return ctx.t._(
        "There is no option {number} here. Please choose a number from 1 to {last}.",
        number=(ctx.incoming.text or "").strip()[:12],
        last=ctx.t.number(len(ctx.conversation.options)),
    )


async def fallback(ctx: Context) -> None:
    """Answer text no flow expects: a short hint and the menu, or the question still open."""
    text = ctx.incoming.text or ""
    if text.strip() == "0":
        # 0 is never a numbered option: on channels without buttons it means "the menu".
        # Where a flow expects a typed number, that flow gets it instead.
        show_menu(ctx)
        return
    if text.startswith("/"):
        hint = ctx.t._("I do not know that command. Send /help to see what I can do.")
    elif (
        (ctx.state is not None or ctx.flow)
        and ctx.conversation is not None
        and ctx.conversation.options
    ):
        # A question answered by its buttons stands: typed text does not throw it away, nor
        # what a flow asked by buttons (its state empty, its values kept) has gathered.
        buttons = [Button(label, payload) for label, payload in ctx.conversation.options]
        if "menu" not in (button.payload for button in buttons):
            buttons.append(Button(ctx.t._("Main menu"), "menu"))
        ctx.reply(choose_one(ctx), buttons)
        return
    else:
        hint = ctx.t._("I did not understand that. Please choose from the menu.")
    show_menu(ctx, hint)
