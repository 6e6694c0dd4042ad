"""Roles × actions: members look, owners and admins change, only owners choose admins; anyone tunes the
alerts of their own private chat."""

from __future__ import annotations

import pytest

from bot.domain.permissions import (
    REFUSALS,
    RULES,
    Action,
    Membership,
    Role,
    allowed,
    may,
    refusal,
    role_of,
)

OWNER, ADMIN, MEMBER, NOBODY = Role.OWNER, Role.ADMIN, Role.MEMBER, Role.NOBODY

# The whole table, written out: (action, roles allowed anywhere).
TABLE = [
    (Action.VIEW, {OWNER, ADMIN, MEMBER}),
    (Action.VIEW_SETTINGS, {OWNER, ADMIN, MEMBER}),
    (Action.CONTROL, {OWNER, ADMIN}),
    (Action.MONITORING, {OWNER, ADMIN}),
    (Action.MUTE_CHAT, {OWNER, ADMIN}),
    (Action.CHANGE_SETTINGS, {OWNER, ADMIN}),
    (Action.SUBSCRIBE_GROUP, {OWNER, ADMIN}),
    (Action.UNSUBSCRIBE_GROUP, {OWNER, ADMIN}),
    (Action.MANAGE_ROLES, {OWNER}),
    (Action.VIEW_LOG, {OWNER, ADMIN}),
]


def test_the_table_covers_every_action() -> None:
    assert {action for action, _roles in TABLE} == set(Action) == set(RULES) == set(REFUSALS)


@pytest.mark.parametrize(("action", "roles"), TABLE)
@pytest.mark.parametrize("role", list(Role))
def test_role_times_action(action: Action, roles: set[Role], role: Role) -> None:
    assert may(role, action) is (role in roles)


@pytest.mark.parametrize("role", list(Role))
def test_own_private_chat_alerts_may_always_be_muted_tuned_or_stopped(role: Role) -> None:
    for action in (Action.MUTE_CHAT, Action.CHANGE_SETTINGS, Action.UNSUBSCRIBE_GROUP, Action.VIEW_SETTINGS):
        assert may(role, action, own_private_chat=True)


@pytest.mark.parametrize(
    "action",
    [Action.CONTROL, Action.MONITORING, Action.SUBSCRIBE_GROUP, Action.MANAGE_ROLES, Action.VIEW_LOG],
)
def test_the_own_private_chat_gives_no_power_over_the_home(action: Action) -> None:
    assert not may(MEMBER, action, own_private_chat=True)
    assert not may(NOBODY, action, own_private_chat=True)
    assert not may(NOBODY, Action.VIEW, own_private_chat=True)


def test_a_member_may_not_mute_a_group_but_may_mute_their_own_chat() -> None:
    assert not may(MEMBER, Action.MUTE_CHAT)
    assert may(MEMBER, Action.MUTE_CHAT, own_private_chat=True)
    assert may(ADMIN, Action.MUTE_CHAT)


def test_role_of_stored_values_and_the_group() -> None:
    assert role_of("owner") == OWNER
    assert role_of("admin") == ADMIN
    assert role_of("member") == MEMBER
    assert role_of("viewer") == MEMBER  # older rows
    assert role_of("something new") == MEMBER  # never more than a member
    assert role_of(None) == NOBODY
    assert role_of(None, in_subscribed_group=True) == MEMBER
    assert role_of("owner", in_subscribed_group=True) == OWNER


def test_allowed_reads_the_membership() -> None:
    assert allowed(Action.CONTROL, Membership("owner", 3))
    assert allowed(Action.CONTROL, Membership("admin", None))
    assert not allowed(Action.CONTROL, Membership("member", None))
    assert not allowed(Action.VIEW, None)
    assert allowed(Action.MUTE_CHAT, None, own_private_chat=True)
    assert not allowed(Action.MANAGE_ROLES, Membership("admin", None))


def test_every_refusal_says_who_may() -> None:
    assert refusal(Action.MANAGE_ROLES) == "Only the home's owners can choose its admins."
    for action in Action:
        assert refusal(action).startswith("Only ")
