"""Who may do what in a home: roles × actions, for the pressing user (`from.id`), never the chat alone.

Callback queries and commands reach the bot from every member of a group, whatever the privacy mode, so a
button in a family group is only as safe as this table. Four roles, per home:

- OWNER: a Telegram user whose own Netatmo link sees the home;
- ADMIN: promoted by an owner of that home (stored);
- MEMBER: anyone else in a group chat that receives the home's alerts (or a stored member);
- NOBODY: everyone else.

Members look (status, pictures, live, events); owners and admins change the home, a group's settings and
its alerts; only owners choose admins. Whatever their role, a person may always tune, mute or stop the
alerts that reach their own private chat: that silences no one else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.i18n import N_


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    NOBODY = "nobody"


class Action(StrEnum):
    VIEW = "view"  # look at a home: status, pictures, events, live frames
    VIEW_SETTINGS = "view_settings"  # look at a chat's alert settings
    CONTROL = "control"  # change a home: heating, security, scenarios, cameras, lights
    MONITORING = "monitoring"  # turn a camera's monitoring on or off (a kind of CONTROL)
    MUTE_CHAT = "mute_chat"  # mute / unmute alerts in the chat where the button is
    CHANGE_SETTINGS = "change_settings"  # filters and quiet hours of a chat's subscription
    SUBSCRIBE_GROUP = "subscribe_group"  # /subscribe: a chat starts receiving a home's alerts
    UNSUBSCRIBE_GROUP = "unsubscribe_group"  # /unsubscribe
    MANAGE_ROLES = "manage_roles"  # promote or demote admins
    VIEW_LOG = "view_log"  # /log: the home's audit log


_MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
_MEMBERS = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})

# role × action: which roles may do each action anywhere.
RULES: dict[Action, frozenset[Role]] = {
    Action.VIEW: _MEMBERS,
    Action.VIEW_SETTINGS: _MEMBERS,
    Action.CONTROL: _MANAGERS,
    Action.MONITORING: _MANAGERS,
    Action.MUTE_CHAT: _MANAGERS,
    Action.CHANGE_SETTINGS: _MANAGERS,
    Action.SUBSCRIBE_GROUP: _MANAGERS,
    Action.UNSUBSCRIBE_GROUP: _MANAGERS,
    Action.MANAGE_ROLES: frozenset({Role.OWNER}),
    Action.VIEW_LOG: _MANAGERS,
}

# What anyone may do to the alerts of their own private chat with the bot (it silences no one else).
OWN_CHAT_ACTIONS = frozenset(
    {Action.MUTE_CHAT, Action.CHANGE_SETTINGS, Action.UNSUBSCRIBE_GROUP, Action.VIEW_SETTINGS}
)

# The sentence answered to a refused press or command: it says who may.
REFUSALS: dict[Action, str] = {
    Action.VIEW: N_("Only members of this home can see it."),
    Action.VIEW_SETTINGS: N_("Only members of this home can see these settings."),
    Action.CONTROL: N_("Only the home's owners and admins can change the home."),
    Action.MONITORING: N_("Only the home's owners and admins can change monitoring."),
    Action.MUTE_CHAT: N_(
        "Only the home's owners and admins can mute this chat. You can mute alerts for yourself in "
        "your private chat with me."
    ),
    Action.CHANGE_SETTINGS: N_("Only the home's owners and admins can change this chat's settings."),
    Action.SUBSCRIBE_GROUP: N_("Only the home's owners and admins can send its alerts to a chat."),
    Action.UNSUBSCRIBE_GROUP: N_("Only the home's owners and admins can stop its alerts here."),
    Action.MANAGE_ROLES: N_("Only the home's owners can choose its admins."),
    Action.VIEW_LOG: N_("Only the home's owners and admins can read its log."),
}


def role_of(stored: str | None, *, in_subscribed_group: bool = False) -> Role:
    """The role a person has in a home: the stored one, else MEMBER when they are in a group chat that
    receives the home's alerts, else NOBODY. Unknown stored values count as MEMBER (never more)."""
    if stored in (Role.OWNER, Role.ADMIN):
        return Role(stored)
    if stored is not None or in_subscribed_group:
        return Role.MEMBER
    return Role.NOBODY


def may(role: Role, action: Action, *, own_private_chat: bool = False) -> bool:
    """The table itself: whether `role` may do `action` (in the presser's own private chat when said)."""
    if own_private_chat and action in OWN_CHAT_ACTIONS:
        return True
    return role in RULES[action]


@dataclass(frozen=True)
class Membership:
    """What the bot knows about one Telegram user in one home, in the chat where they act.

    `role` is a Role value; `link_id` is the user's own Netatmo link when they are an owner."""

    role: str
    link_id: int | None

    @property
    def linked(self) -> bool:
        return self.link_id is not None

    @property
    def level(self) -> Role:
        return role_of(self.role)


def allowed(action: Action, membership: Membership | None, *, own_private_chat: bool = False) -> bool:
    """Whether the person with `membership` (None: nobody in this home) may do `action`."""
    role = membership.level if membership is not None else Role.NOBODY
    return may(role, action, own_private_chat=own_private_chat)


def refusal(action: Action) -> str:
    """The msgid of the sentence that tells a refused person who may do `action`."""
    return REFUSALS[action]
