"""Homes, their devices and members: what /homes, /status, settings and linking read and write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.permissions import Membership
from bot.storage import homes as homes_repo
from bot.storage.models import Event, Home, HomeDevice, HomeMember


async def test_members_homes_devices_people(seeded: Any) -> None:
    home, cam = seeded.home, seeded.camera
    async with seeded.sessions.begin() as session:
        anna = await homes_repo.membership(session, home, 10)
        assert anna is not None and anna.linked and anna.role == "owner"
        assert await homes_repo.membership(session, home, 20) == Membership("member", None)
        assert await homes_repo.membership(session, "other", 10) is None
        assert [h.id for h in await homes_repo.linked_homes(session, 10)] == [home]
        assert await homes_repo.linked_homes(session, 20) == []
        assert [d.name for d in await homes_repo.home_devices(session, home)] == ["Garden", "Hall smoke"]
        assert [d.device_id for d in await homes_repo.home_devices(session, home, ["NOC"])] == [cam]
        assert await homes_repo.device_name(session, home, cam) == "Garden"
        assert await homes_repo.device_name(session, home, "nope") is None
        for i, (pid, name, known) in enumerate(
            [("p1", "Léo", True), ("p1", "Leo old", True), ("u", None, False)]
        ):
            session.add(
                Event(
                    home_id=home,
                    event_id=f"e{i}",
                    type="person",
                    person_id=pid,
                    time=1000 - i,
                    source="poll",
                    data={"person_name": name, "person_known": known},
                )
            )
        await session.flush()
        assert await homes_repo.known_persons(session, home) == {"p1": "Léo"}


async def test_member_homes_with_roles_by_name_invited_ones_included(seeded: Any) -> None:
    home = seeded.home
    async with seeded.sessions.begin() as session:
        session.add(Home(id="aaa", name="Attic", timezone="UTC"))
        await session.flush()
        session.add(HomeMember(home_id="aaa", telegram_user_id=20, role="viewer"))
    async with seeded.sessions() as session:
        bob = await homes_repo.member_homes_with_roles(session, 20)
        assert [(h.id, role) for h, role in bob] == [("aaa", "viewer"), (home, "member")]
        assert [h.id for h in await homes_repo.member_homes(session, 20)] == ["aaa", home]
        assert [h.id for h in await homes_repo.member_homes(session, 10)] == [home]
        assert await homes_repo.member_homes(session, 99) == []
        devices = await homes_repo.devices_of_homes(session, [home, "other"])
        assert sorted(d.device_id for d in devices) == sorted([seeded.camera, "sd"])
        assert await homes_repo.devices_of_homes(session, []) == []


async def test_link_homes_by_id_and_name(seeded: Any) -> None:
    async with seeded.sessions() as session:
        assert await homes_repo.link_home_ids(session, seeded.link_id) == [seeded.home]
        assert await homes_repo.link_home_names(session, seeded.link_id) == ["Villa"]
        assert await homes_repo.link_home_ids(session, seeded.link_id + 1) == []


async def test_save_home_device_member_insert_then_update(seeded: Any) -> None:
    home, cam = seeded.home, seeded.camera
    async with seeded.sessions.begin() as session:
        await homes_repo.save_home(session, "new", "Boat", "Europe/Oslo")
        await homes_repo.save_home(session, home, "Villa Rosa", "Europe/Rome")
        await homes_repo.save_device(session, home, cam, "NOC", "Front garden", None)
        await homes_repo.save_device(session, "new", "tag", "NACamDoorTag", "Door", cam)
        await homes_repo.save_member(session, "new", 10, "owner", seeded.link_id)
        await homes_repo.save_member(session, home, 20, "owner", None)  # replaces Bob's role
    async with seeded.sessions() as session:
        villa, boat = await session.get(Home, home), await session.get(Home, "new")
        assert villa is not None and (villa.name, villa.timezone) == ("Villa Rosa", "Europe/Rome")
        assert boat is not None and (boat.name, boat.timezone) == ("Boat", "Europe/Oslo")
        garden = await session.get(HomeDevice, (home, cam))
        assert garden is not None and garden.name == "Front garden" and garden.reachable
        tag = await session.get(HomeDevice, ("new", "tag"))
        assert tag is not None and tag.bridge == cam
        assert await homes_repo.membership(session, "new", 10) == Membership("owner", seeded.link_id)
        assert await homes_repo.membership(session, home, 20) == Membership("owner", None)


async def test_lost_homes_and_removing_members(seeded: Any) -> None:
    home, link_id = seeded.home, seeded.link_id
    async with seeded.sessions.begin() as session:
        await homes_repo.save_home(session, "new", "Boat", "UTC")
        await homes_repo.save_member(session, "new", 10, "owner", link_id)
        assert await homes_repo.lost_link_homes(session, 10, link_id, [home, "new"]) == []
        assert await homes_repo.lost_link_homes(session, 10, link_id, ["new"]) == [home]
        assert await homes_repo.lost_link_homes(session, 20, link_id, []) == []  # Bob holds no link
        await homes_repo.remove_members(session, 10, [home])
    async with seeded.sessions.begin() as session:
        members = {(m.home_id, m.telegram_user_id) for m in await session.scalars(select(HomeMember))}
        assert members == {("new", 10), (home, 20)}
        await homes_repo.remove_link_members(session, link_id)
    async with seeded.sessions() as session:
        members = {(m.home_id, m.telegram_user_id) for m in await session.scalars(select(HomeMember))}
    assert members == {(home, 20)}  # the invited member stays


async def test_roles_in_a_chat_admins_and_visibility(seeded: Any) -> None:
    from bot.domain.permissions import Role
    from bot.storage import audit
    from bot.storage import subscriptions as subs
    from bot.storage.models import TelegramUser

    home = seeded.home
    async with seeded.sessions.begin() as session:
        session.add(TelegramUser(id=30, first_name="Carl"))
        await session.flush()
        # Carl is nobody until the group receives the home; then he is a member there, not elsewhere
        assert await homes_repo.membership_in_chat(session, home, 30, -100) is None
        assert not await homes_repo.visible_in_chat(session, home, -100, 30, own_private_chat=False)
        await subs.subscribe(session, -100, home, 10)
        member = await homes_repo.membership_in_chat(session, home, 30, -100)
        assert member is not None and member.level == Role.MEMBER
        assert await homes_repo.membership_in_chat(session, home, 30, 30) is None
        assert await homes_repo.visible_in_chat(session, home, -100, 30, own_private_chat=False)
        assert not await homes_repo.visible_in_chat(session, home, 30, 30, own_private_chat=True)
        assert await homes_repo.visible_in_chat(session, home, 10, 10, own_private_chat=True)
        # admins: promoted once, owners stay owners, removal
        assert await homes_repo.set_admin(session, home, 30, 10) == "promoted"
        assert await homes_repo.set_admin(session, home, 30, 10) == "already"
        assert await homes_repo.set_admin(session, home, 10, 10) == "owner"
        assert await homes_repo.set_admin(session, home, 20, 10) == "promoted"  # a stored member
        admin = await homes_repo.membership_in_chat(session, home, 30, 30)
        assert admin is not None and admin.level == Role.ADMIN
        assert [(uid, role) for uid, _name, role in await homes_repo.home_people(session, home)] == [
            (10, Role.OWNER),
            (20, Role.ADMIN),
            (30, Role.ADMIN),
        ]
        assert [h.id for h in await homes_repo.managed_homes(session, 30, (Role.OWNER, Role.ADMIN))] == [home]
        assert await homes_repo.remove_admin(session, home, 30) == "removed"
        assert await homes_repo.remove_admin(session, home, 30) == "not_admin"
        assert await homes_repo.remove_admin(session, home, 10) == "owner"
        in_group = await homes_repo.homes_in_chat(session, 10, -100, own_private_chat=False)
        assert [(h.id, m.level if m else None) for h, m in in_group] == [(home, Role.OWNER)]
        # the log: changes newest first, refusals left out
        for n, outcome in enumerate(("ok", "denied", "error")):
            await audit.record_audit(
                session, user_id=10, chat_id=-100, home_id=home, action=f"a{n}", outcome=outcome
            )
        page = await audit.home_log(session, home, offset=0, limit=10)
        assert [(e.action, e.who, e.chat_title) for e in page] == [
            ("a2", "Anna", "Family"),
            ("a0", "Anna", "Family"),
        ]
        assert await audit.people_seen_in_chat(session, -100) == [(10, "Anna")]
