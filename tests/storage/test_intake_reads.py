"""What intake reads before storing a batch: the homes an active link sees, and who gets their alerts.

`database` and `seed_home` are the alert tests' own (tests/conftest.py): these reads are seeded the way
intake's tests seed them. HOME, CAMERA and OWNER are `seed_home`'s defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, update

from bot.storage.intake_reads import read_batch
from bot.storage.models import Home, Mute

HOME = "home-a"
CAMERA = "70:ee:50:00:00:0a"
OWNER = 1001

GROUP = -100300400
NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


async def test_the_batch_reads_give_homes_routing_zones_and_languages(
    database_url: str, database: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        link_id = await seed_home(sessions, chats=(OWNER, GROUP))
        await seed_home(sessions, "unlinked", owner=OWNER + 1, link_state="revoked", netatmo_user="n2")
        async with sessions.begin() as session:
            await session.execute(update(Home).where(Home.id == HOME).values(timezone="Europe/Paris"))
            session.add(
                Mute(chat_id=GROUP, home_id=HOME, device_id=CAMERA, until=datetime(2100, 1, 1, tzinfo=UTC))
            )
        homes, routing = await read_batch(sessions, [HOME, "unlinked", "unknown"], NOW, deliver=True)
        assert list(homes) == [HOME]  # no active link, no home: its events are skipped
        assert (homes[HOME].timezone, homes[HOME].link_id) == ("Europe/Paris", link_id)
        assert homes[HOME].device_types == {CAMERA: "NACamera"}
        rules, mutes, timezone = routing.by_home[HOME]
        assert sorted(rule.chat_id for rule in rules) == sorted([OWNER, GROUP])
        assert [(mute.chat_id, mute.device_id) for mute in mutes] == [(GROUP, CAMERA)]
        assert timezone == "Europe/Paris"  # the zone comes from the homes read
        assert set(routing.languages) == {OWNER, GROUP}


async def test_a_batch_that_alerts_no_one_reads_no_routing(
    database_url: str, database: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER,))
        homes, routing = await read_batch(sessions, [HOME], NOW, deliver=False)
        assert list(homes) == [HOME]
        assert routing.by_home == {} and routing.languages == {}


async def test_both_reads_share_one_connection_and_unknown_homes_need_no_routing(
    database_url: str, database: Any, seed_home: Any
) -> None:
    async with database(database_url) as sessions:
        await seed_home(sessions, chats=(OWNER,))
        engine = sessions.kw["bind"].sync_engine
        checkouts: list[object] = []
        event.listen(engine, "checkout", lambda *args: checkouts.append(args[0]))
        homes, routing = await read_batch(sessions, [HOME], NOW, deliver=True)
        assert list(routing.by_home) == [HOME] and len(checkouts) == 1  # one session, not one per read
        homes, routing = await read_batch(sessions, ["unknown"], NOW, deliver=True)
        assert homes == {} and routing.by_home == {}
