"""Who may press what: roles × actions, checked against the pressing user (`from.id`), never the chat.

Callback queries reach the bot from every member of a group, whatever the privacy mode, so a button in a
family group is only as safe as this check. Until finer roles arrive, the rule is simple: the home's
linked users (members holding their own Netatmo link) may change the home's state and a group's alerts;
anyone in a chat may pause alerts for that chat, because silencing one's own phone harms no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MEMBER = "member"
    VIEWER = "viewer"


class Action(StrEnum):
    MUTE_CHAT = "mute_chat"  # mute / unmute alerts in the chat where the button is
    MONITORING = "monitoring"  # turn a camera's monitoring on or off
    SUBSCRIBE_GROUP = "subscribe_group"  # /subscribe: a chat starts receiving a home's alerts
    UNSUBSCRIBE_GROUP = "unsubscribe_group"  # /unsubscribe
    CHANGE_SETTINGS = "change_settings"  # filters and quiet hours of a chat's subscription
    VIEW_SETTINGS = "view_settings"
    VIEW = "view"  # look at a home: status, pictures, events, live frames
    CONTROL = "control"  # change a home: heating, security, scenarios, cameras, lights


@dataclass(frozen=True)
class Membership:
    """What the storage knows about one Telegram user in one home (None when not a member at all)."""

    role: str
    link_id: int | None

    @property
    def linked(self) -> bool:
        return self.link_id is not None


# Actions reserved to the home's linked users; everything else is open to anyone in the chat.
_LINKED_ONLY = frozenset(
    {
        Action.MONITORING,
        Action.CONTROL,
        Action.SUBSCRIBE_GROUP,
        Action.UNSUBSCRIBE_GROUP,
        Action.CHANGE_SETTINGS,
    }
)
# Actions for anyone the home counts as a member; nobody outside the home sees it.
_MEMBERS_ONLY = frozenset({Action.VIEW})
# What a person may always do to the alerts of their own private chat, linked or not.
_OWN_CHAT = frozenset({Action.UNSUBSCRIBE_GROUP, Action.CHANGE_SETTINGS})


def allowed(action: Action, membership: Membership | None, *, own_private_chat: bool = False) -> bool:
    """Whether the presser may do `action` for a home.

    `own_private_chat` is True when the chat is the presser's private chat with the bot: a person may
    always stop or tune the alerts that reach only themselves (say, after unlinking), but never act on
    the home itself without a link.
    """
    if action in _MEMBERS_ONLY:
        return membership is not None
    if action not in _LINKED_ONLY:
        return True
    if own_private_chat and action in _OWN_CHAT:
        return True
    return membership is not None and membership.linked
