"""The dialog core's behaviour for residents, through the engine as console users."""

from __future__ import annotations

from sqlalchemy import select

from bot.dialog.engine import MAX_INPUT_LENGTH, match_option
from handlers.roles import Grant, Revoke
from models import AuditEntry, RoleGrant, Unit
from models.base import utcnow
from models.codes import ALPHABET
from models.ideas import list_areas, submit_idea
from models.residents import find_identity
from models.roles import Role, grant_role
from models.territory import add_locality, unit_by_slug
from tests.chat import Chat


def test_typed_option_matching() -> None:
    options = [["Alsviķu pagasts", "unit:alsviku"], ["Alūksnes pilsēta", "unit:aluksne"]]
    assert match_option("1", options) == "unit:alsviku"
    assert match_option("2.", options) == "unit:aluksne"
    assert match_option("ALSVIKU", options) == "unit:alsviku"
    assert match_option("alūksnes pilsēta", options) == "unit:aluksne"
    assert match_option("3", options) is None
    assert match_option("a", options) is None  # both start with "a": not a unique choice


def test_where_an_answer_is_typed_only_a_number_or_whole_label_presses_an_option() -> None:
    options = [["Izlaist", "survey:s:1:2"], ["« Atpakaļ", "survey:b:1:2"]]
    # The options are numbered on screen, so their numbers press them...
    assert match_option("1", options, whole_label=True) == "survey:s:1:2"
    assert match_option("3", options, whole_label=True) is None
    # ...except where the answer is itself a number (a count, an item's number).
    assert match_option("1", options, whole_label=True, by_number=False) is None
    assert match_option("Izl", options, whole_label=True) is None
    assert match_option("izlaist", options, whole_label=True) == "survey:s:1:2"
    assert match_option("atpakal", options, whole_label=True) == "survey:b:1:2"
    assert match_option("« ", options, whole_label=True) is None


async def test_free_text_and_unknown_command_get_a_hint_and_the_menu(chat: Chat) -> None:
    await chat.onboard("anna")
    reply = await chat.say("anna", "hello?")
    assert "I did not understand that" in reply.text and reply.options
    reply = await chat.say("anna", "/nosuchcommand")
    assert "I do not know that command" in reply.text and "/help" in reply.text


async def test_over_long_input_is_refused_with_the_limit(chat: Chat) -> None:
    await chat.onboard("anna")
    menu = await chat.say("anna", "/menu")
    reply = await chat.say("anna", "x" * (MAX_INPUT_LENGTH + 1))
    assert reply.text == "That message is too long: at most 4,000 characters, please."
    assert reply.options == menu.options  # the menu again, no dead end
    accepted = await chat.say("anna", "x" * MAX_INPUT_LENGTH)
    assert "I did not understand that" in accepted.text


async def test_over_long_text_for_a_typed_answer_names_that_question_s_own_limit(
    chat: Chat,
) -> None:
    await chat.onboard("anna")
    await chat.say("anna", "/idea")
    asked = await chat.say("anna", "1")
    assert "at most 2,000 characters" in asked.text
    reply = await chat.say("anna", "x" * 6000)
    assert reply.text.startswith(
        "That is too long: at most 2,000 characters, please. Yours has 6,000."
    )
    assert asked.text in reply.text  # and the same question again


async def test_cancel_leaves_a_flow(chat: Chat, app) -> None:
    await chat.onboard("anna")
    await chat.say("anna", "/forget")
    reply = await chat.say("anna", "/cancel")
    assert "Cancelled." in reply.text
    # The erase question is gone: "1" now picks the first menu entry, not "Yes, erase".
    await chat.say("anna", "1")
    async with app.sessionmaker() as session:
        assert await find_identity(session, "console", "anna") is not None


async def test_help_depends_on_the_role(chat: Chat, app) -> None:
    await chat.onboard("anna")
    resident_help = (await chat.say("anna", "/help")).text
    assert "/grant" not in resident_help and "/mydata" in resident_help
    await chat.onboard("admin")  # console:admin is in ADMINS in the test settings
    admin_help = (await chat.say("admin", "/help")).text
    assert "/grant" in admin_help and "/roles" in admin_help


async def test_a_role_adds_its_tools_after_a_resident_s_own_menu_keeping_its_numbers(
    chat: Chat, app
) -> None:
    await chat.onboard("anna")
    before = (await chat.say("anna", "/menu")).options
    async with app.sessionmaker() as session, session.begin():
        anna = await find_identity(session, "console", "anna")
        unit = await unit_by_slug(session, "alsviku")
        await grant_role(session, resident=anna.resident, role=Role.REPRESENTATIVE, unit=unit)
    after = (await chat.say("anna", "/menu")).options
    # Typed numbers (on WhatsApp and SMS) still choose what they chose before.
    assert after[: len(before)] == before
    assert "Send a message to residents" in [button.label for button in after[len(before) :]]


async def test_representative_sets_the_group_link_residents_see(chat: Chat, app) -> None:
    await chat.onboard("rep")
    await chat.onboard("anna")
    async with app.sessionmaker() as session, session.begin():
        rep = await find_identity(session, "console", "rep")
        unit = await unit_by_slug(session, "alsviku")
        await grant_role(session, resident=rep.resident, role=Role.REPRESENTATIVE, unit=unit)

    refused = await chat.say("anna", "/grouplink")
    assert "not allowed" in refused.text

    prompt = await chat.say("rep", "/grouplink")
    assert "the community group of Alsviķi parish (" in prompt.text
    assert [button.label for button in prompt.options] == ["Cancel"]
    wrong = await chat.say("rep", "http://example.com/x")
    # Why, then the same question again with the same way back, in one message.
    assert "not a group invite link" in wrong.text and prompt.text in wrong.text
    assert [button.label for button in wrong.options] == ["Cancel"]
    over = await chat.say("rep", "https://t.me/" + "x" * 300)
    assert "at most 250 characters" in over.text and "Yours has 313" in over.text
    assert prompt.text in over.text and [b.label for b in over.options] == ["Cancel"]
    saved = await chat.say("rep", "https://chat.whatsapp.com/AbCdEf123")
    assert "Saved." in saved.text

    shown = await chat.say("anna", "/group")
    assert "https://chat.whatsapp.com/AbCdEf123" in shown.text
    async with app.sessionmaker() as session:
        unit = await session.scalar(select(Unit).where(Unit.slug == "alsviku"))
        assert unit.invite_link == "https://chat.whatsapp.com/AbCdEf123"
        refusals = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))
        )
        assert [entry.details["attempted"] for entry in refusals] == ["set_group_link"]

    # A button that does not unpack (a slug no button carries) is refused, not acted on.
    for forged in ("grouplink:../etc", "grouplink:alsviku:extra", "grouplink:" + "a" * 60):
        refused = await chat.say("rep", payload=forged)
        assert "not allowed" in refused.text


async def _role_code(chat: Chat, role: Role, unit: str | None = None) -> str:
    """A coordinator's role code, as the admin gets it in chat."""
    await chat.say("admin", "/grant")
    reply = await chat.say("admin", payload=Grant(role, unit).pack())
    return reply.text.split("they send: LOMA ")[1].split()[0]


async def test_role_link_works_once_and_only_from_someone_allowed(chat: Chat, app) -> None:
    await chat.onboard("admin")
    roles = await chat.say("admin", "/grant")
    # The role list has a way back.
    assert roles.options[-1].label == "Back to the menu"
    units = await chat.say("admin", payload=Grant(Role.REPRESENTATIVE).pack())
    assert units.options[-1].label == "Back"
    assert units.options[-1].payload == Grant().pack()
    reply = await chat.say("admin", payload=Grant(Role.REPRESENTATIVE, "zeltinu").pack())
    assert [b.label for b in reply.options] == ["Give another role", "Main menu"]
    code = reply.text.split("/start role_")[1].split()[0]
    # Short, in one case, without look-alike characters: easy to copy into an SMS.
    assert len(code) == 8 and set(code) <= set(ALPHABET)

    await chat.onboard("new")
    became = await chat.say("new", f"/start role_{code.lower()}")
    assert became.text.startswith(
        "Your role is now: parish or town representative (Zeltiņi parish)."
    )
    # The menu shown with it has the new role's items already.
    assert "Send a message to residents" in [b.label for b in became.options]

    await chat.onboard("other")
    again = await chat.say("other", f"/start role_{code}")
    assert "not valid any more" in again.text

    # A resident cannot mint a link by pressing a crafted button.
    forged = await chat.say("other", payload=Grant(Role.COORDINATOR, "zeltinu").pack())
    assert "not allowed" in forged.text


async def test_a_role_code_is_typed_after_a_word_also_by_a_newcomer(chat: Chat, app) -> None:
    await chat.onboard("admin")
    code = await _role_code(chat, Role.CHAIR)
    # A newcomer on SMS types the word and the code, in lower case, in two groups.
    first = await chat.say("sms-new", f"Loma {code[:4].lower()} {code[4:].lower()}")
    assert "Please choose your language." in first.text
    await chat.say("sms-new", "English")
    await chat.say("sms-new", "I agree")
    became = await chat.say("sms-new", "zeltinu")
    assert became.text.startswith("Your role is now: council chair.")
    async with app.sessionmaker() as session:
        holder = (await find_identity(session, "console", "sms-new")).resident
        grants = list(await session.scalars(select(RoleGrant)))
        assert [(g.resident_id, g.role) for g in grants] == [(holder.id, "chair")]


async def test_roles_name_people_and_revoking_asks_first(chat: Chat, app) -> None:
    await chat.onboard("admin")
    await chat.onboard("maija")
    code = await _role_code(chat, Role.REPRESENTATIVE, "zeltinu")
    await chat.say("maija", f"/start role_{code}")
    async with app.sessionmaker() as session, session.begin():
        admin = (await find_identity(session, "console", "admin")).resident
        await grant_role(session, resident=admin, role=Role.COORDINATOR)

    listed = await chat.say("admin", "/roles")
    assert "#" not in listed.text
    assert "maija (Terminal): parish or town representative (Zeltiņi parish)" in listed.text
    assert "admin (Terminal): coordinator" in listed.text
    async with app.sessionmaker() as session:
        grants = {g.role: g.id for g in await session.scalars(select(RoleGrant))}
    revoke = Revoke(grants["representative"])

    # A tap asks first; Back keeps the role.
    question = await chat.say("admin", payload=revoke.pack())
    assert question.text == (
        "Revoke the role of maija (Terminal): parish or town representative (Zeltiņi parish)?"
    )
    assert [b.label for b in question.options] == ["Yes, revoke", "Back"]
    back = await chat.say("admin", "2")
    assert "maija (Terminal)" in back.text
    # A "Yes" from a question no longer asked revokes nothing: the question comes again.
    stale = await chat.say("admin", payload=Revoke(revoke.grant_id, sure=True).pack())
    assert stale.text.startswith("Revoke the role of maija")
    async with app.sessionmaker() as session:
        assert await session.get(RoleGrant, revoke.grant_id) is not None
    done = await chat.say("admin", "Yes, revoke")
    assert done.text.startswith("The role has been revoked.")
    async with app.sessionmaker() as session:
        assert await session.get(RoleGrant, revoke.grant_id) is None

    # One's own coordinator role too, said as such.
    own = await chat.say("admin", payload=Revoke(grants["coordinator"]).pack())
    assert own.text.startswith("Revoke your own role: coordinator?")
    await chat.say("admin", "Yes, revoke")
    async with app.sessionmaker() as session:
        assert await session.get(RoleGrant, grants["coordinator"]) is None

    # A resident's crafted "yes" is refused and changes nothing.
    refused = await chat.say("maija", payload=Revoke(grants["representative"], sure=True).pack())
    assert "not allowed" in refused.text


async def test_changing_unit_forgets_the_old_village(chat: Chat, app) -> None:
    async with app.sessionmaker() as session, session.begin():
        await add_locality(session, unit=await unit_by_slug(session, "annas"), name="Ezerkalni")
    await chat.say("anna", "/start")
    await chat.say("anna", "English")
    await chat.say("anna", "I agree")
    await chat.say("anna", "annas")
    await chat.say("anna", "Ezerkalni")
    await chat.say("anna", "/territory")
    reply = await chat.say("anna", "zeltinu")
    assert reply.text.startswith("Saved: Zeltiņi parish.\n")
    async with app.sessionmaker() as session:
        resident = (await find_identity(session, "console", "anna")).resident
        assert resident.unit.slug == "zeltinu" and resident.locality_id is None


async def test_crafted_grant_buttons_from_staff_are_refused_not_crashing(chat: Chat, app) -> None:
    await chat.onboard("admin")
    for payload in (
        Grant(Role.CHAIR, "zeltinu").pack(),
        Grant(Role.REPRESENTATIVE, "zeltinu", 1).pack(),
        "grant:x:deputy",
    ):
        reply = await chat.say("admin", payload=payload)
        assert reply.text == "Sorry, you are not allowed to do that.", payload
    async with app.sessionmaker() as session:
        refusals = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "refused"))
        )
    assert len(refusals) == 3


async def test_an_old_erase_button_erases_nothing(chat: Chat, app) -> None:
    await chat.onboard("anna")
    await chat.say("anna", "/forget")
    await chat.say("anna", "/menu")  # walked away from the question
    reply = await chat.say("anna", payload="forget:yes")
    assert "Erase everything stored about you" in reply.text
    async with app.sessionmaker() as session:
        assert await find_identity(session, "console", "anna") is not None
    erased = await chat.say("anna", payload="forget:yes")
    assert "Your data has been erased." in erased.text
    async with app.sessionmaker() as session:
        assert await find_identity(session, "console", "anna") is None


async def test_mydata_lists_the_persons_ideas_in_the_text_too(chat: Chat, app) -> None:
    await chat.onboard("anna")
    async with app.sessionmaker() as session, session.begin():
        anna = (await find_identity(session, "console", "anna")).resident
        [area, *_] = await list_areas(session)
        await submit_idea(
            session,
            author=anna,
            area=area,
            text="The bus stop by the school has no bench.",
            place=None,
            photo_ref=None,
            photo_channel=None,
            show_author=False,
            keep_text=False,
            submission_key="k1",
            now=utcnow(),
        )
    reply = await chat.say("anna", "/mydata")
    assert "Your ideas and concerns:" in reply.text
    assert "The bus stop by the school has no bench." in reply.text
    assert f"{area.name_in('en')}: new." in reply.text
    assert reply.attachment is not None and [b.label for b in reply.options] == ["Main menu"]


async def test_zero_and_izvelne_lead_to_the_menu_in_the_middle_of_a_flow(chat: Chat) -> None:
    await chat.onboard("admin")
    for way_back in ("0", "izvēlne"):
        await chat.say("admin", "/announce")
        await chat.say("admin", "Talka sestdien.")
        await chat.say("admin", payload="bcaud")
        await chat.say("admin", payload="bcto:all")
        when = await chat.say("admin", payload="bcurg:n")
        assert when.text.startswith("When should it go?")
        menu = await chat.say("admin", way_back)
        assert menu.text.startswith("Main menu"), way_back
        # The question is gone: a typed time is not taken as an answer any more.
        again = await chat.say("admin", "12.12.2099 10:00")
        assert "I did not understand that" in again.text


async def test_a_number_on_screen_presses_its_option_also_where_text_is_typed(chat: Chat) -> None:
    """The place of an idea is typed, but its options are numbered like every other screen:
    "1" skips the place, it is not stored as the place "1"."""
    await chat.onboard("anna")
    await chat.say("anna", "/idea")
    await chat.say("anna", "1")  # the first topic
    await chat.say("anna", "The bus stop roof leaks.")
    where = await chat.say("anna", "1")  # Skip the photo
    assert where.text.startswith("Where is it?") and where.numbered
    assert [button.label for button in where.options] == ["Skip", "Cancel"]
    who = await chat.say("anna", "1")  # Skip the place
    assert who.text.startswith("May your representative see who wrote it?")


async def test_a_number_not_on_screen_shows_the_same_options_again(chat: Chat) -> None:
    await chat.onboard("anna")
    menu = await chat.say("anna", "/menu")
    again = await chat.say("anna", "99")
    assert again.text == (
        f"There is no option 99 here. Please choose a number from 1 to {len(menu.options)}."
    )
    assert again.options == menu.options
    # and its numbers still press the same options
    first = await chat.say("anna", "1")
    assert first.text != again.text


async def test_text_typed_where_a_flow_asks_by_buttons_keeps_what_it_gathered(
    chat: Chat,
) -> None:
    """Registering someone without a phone asks the parish by buttons after the name: a
    name typed there again gets the same question, and the registration goes on."""
    await chat.onboard("admin")
    await chat.say("admin", "/offline")
    units = await chat.say("admin", "Ilga Kalniņa")
    assert units.text == "Which parish or town do they live in?"
    again = await chat.say("admin", "Ilga Kalniņa")
    assert again.options == units.options  # its "Cancel" leads to the menu
    places = await chat.say(
        "admin", str([button.label for button in again.options].index("Alsviķi parish") + 1)
    )
    assert places.text == "Which village or neighbourhood?"


async def test_a_deputy_who_also_represents_the_unit_is_offered_the_village_once(
    chat: Chat, app
) -> None:
    await chat.onboard("ilze")
    async with app.sessionmaker() as session, session.begin():
        alsviku = await unit_by_slug(session, "alsviku")
        assert alsviku is not None
        village = await add_locality(session, unit=alsviku, name="Ziemeri")
        ilze = (await find_identity(session, "console", "ilze")).resident
        await grant_role(session, resident=ilze, role=Role.REPRESENTATIVE, unit=alsviku)
        await grant_role(session, resident=ilze, role=Role.DEPUTY, locality=village)
    await chat.say("ilze", "/announce")
    await chat.say("ilze", "Talka sestdien.")
    audiences = await chat.say("ilze", payload="bcaud")
    assert audiences.text.startswith("Who should get it?")
    labels = [button.label for button in audiences.options]
    assert len([label for label in labels if "Ziemeri" in label]) == 1
    assert labels[0] == "Alsviķi parish"
