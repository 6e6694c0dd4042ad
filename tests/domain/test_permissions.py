"""Roles × actions: linked users act on the home and the group's alerts; anyone mutes their chat."""

from __future__ import annotations

import pytest

from bot.domain.permissions import Action, Membership, allowed

LINKED_OWNER = Membership("owner", 7)
UNLINKED_MEMBER = Membership("member", None)
VIEWER = Membership("viewer", None)


@pytest.mark.parametrize("who", [None, UNLINKED_MEMBER, VIEWER, LINKED_OWNER])
def test_anyone_may_mute_the_chat_and_view(who: Membership | None) -> None:
    assert allowed(Action.MUTE_CHAT, who)
    assert allowed(Action.VIEW_SETTINGS, who)


@pytest.mark.parametrize(
    "action",
    [Action.MONITORING, Action.SUBSCRIBE_GROUP, Action.UNSUBSCRIBE_GROUP, Action.CHANGE_SETTINGS],
)
def test_linked_only_actions(action: Action) -> None:
    assert allowed(action, LINKED_OWNER)
    assert allowed(action, Membership("member", 3))
    assert not allowed(action, None)
    assert not allowed(action, UNLINKED_MEMBER)
    assert not allowed(action, VIEWER)


def test_own_private_chat_may_always_be_tuned_or_stopped() -> None:
    assert allowed(Action.UNSUBSCRIBE_GROUP, None, own_private_chat=True)
    assert allowed(Action.CHANGE_SETTINGS, None, own_private_chat=True)
    # but acting on the home, or subscribing without a link, still needs the link
    assert not allowed(Action.SUBSCRIBE_GROUP, None, own_private_chat=True)
    assert not allowed(Action.MONITORING, UNLINKED_MEMBER, own_private_chat=True)


def test_view_needs_membership_and_control_needs_a_link() -> None:
    assert not allowed(Action.VIEW, None)
    assert allowed(Action.VIEW, Membership("member", None))
    assert not allowed(Action.CONTROL, Membership("member", None))
    assert not allowed(Action.CONTROL, Membership("member", None), own_private_chat=True)
    assert allowed(Action.CONTROL, Membership("owner", 3))
