"""An operator's presence feature code on their phone: log in, log out, pause, resume, more wrap-up time.

The rendered dialplan (`[hotline-operators]`) answers and runs the FastAGI script `operator` with three
arguments: the action (login, logout, pause, resume, wrapup), the digits dialled after the code (a group's
code, a pause reason's key, or nothing), and `${CHANNEL(endpoint)}`, the authenticated PJSIP endpoint:
who the operator is. The caller ID is never used for that (a phone can show anything).

`parse_code` is pure: what the digits mean for this operator under this dialplan, or why they mean
nothing. `run_code` acts through `router.presence` and plays the confirmation; a code that means nothing
changes nothing and says so (`op_unknown_code`, `op_not_your_group`).

More wrap-up time (`phones.wrapup`): a pause `wrapup` of `phones.wrapup_extend` seconds counted from
when the code is dialled. An operator dials it from their one-line phone after a call has ended, so the
pause starts when they ask; it ends by itself (the presence's timed task) or with the resume code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from redis.exceptions import RedisError

from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import PAUSE_WRAPUP, Dialplan
from hotline.log import get_logger
from router.presence_rules import OperatorState

log = get_logger("ivr.operator")

Action = Literal["login", "logout", "pause", "resume", "wrapup"]
ACTIONS: tuple[Action, ...] = ("login", "logout", "pause", "resume", "wrapup")


class PresenceActions(Protocol):
    """What the flow needs of `router.presence.Presence`."""

    async def login(self, operator: str, group: str | None = None) -> OperatorState: ...

    async def logout(self, operator: str, group: str | None = None) -> OperatorState: ...

    async def pause(self, operator: str, reason: str, *, until: float | None = None) -> OperatorState: ...

    async def resume(self, operator: str) -> OperatorState: ...


class PromptPlayer(Protocol):
    async def play(self, prompt_id: str, escape_digits: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Code:
    """What a dialled code means: the action, and the group or the pause reason it names."""

    action: Action
    group: str | None = None  # login/logout: one group; None: every group of the operator
    reason: str | None = None  # pause: the reason id


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a code means nothing for this operator: the prompt that says so."""

    why: Literal["unknown_operator", "unknown_code", "unknown_group", "not_your_group"]

    @property
    def prompt(self) -> str:
        return ids.OP_NOT_YOUR_GROUP if self.why == "not_your_group" else ids.OP_UNKNOWN_CODE


def group_code(dialplan: Dialplan, group: str) -> str:
    """The digits that name a group after the login/logout code: its `code`, else its 1-based position."""
    code = dialplan.skill_groups[group].code
    return code or str(list(dialplan.skill_groups).index(group) + 1)


def parse_code(dialplan: Dialplan, operator: str, action: str, digits: str) -> Code | Refused:
    """What `action` + `digits` mean for `operator` (pure)."""
    op = dialplan.operators.get(operator)
    if op is None:
        return Refused("unknown_operator")
    if digits and not (digits.isascii() and digits.isdigit()):  # the dialplan passes digits only
        return Refused("unknown_code")
    if action in ("login", "logout"):
        verb: Action = "login" if action == "login" else "logout"
        if not digits:
            return Code(verb)
        group = next((g for g in dialplan.skill_groups if group_code(dialplan, g) == digits), None)
        if group is None:
            return Refused("unknown_group")
        if group not in op.skills:
            return Refused("not_your_group")
        return Code(verb, group)
    if action == "pause":
        reasons = dialplan.phones.pause_reasons
        key = digits or next(iter(reasons), "")  # the pause code alone: the first reason
        if key not in reasons:
            return Refused("unknown_code")
        return Code("pause", reason=reasons[key])
    if action in ("resume", "wrapup") and not digits:
        return Code("resume" if action == "resume" else "wrapup")
    return Refused("unknown_code")


async def run_code(
    io: PromptPlayer,
    presence: PresenceActions,
    dialplan: Dialplan,
    *,
    operator: str,
    action: str,
    digits: str,
    now: float,
) -> str:
    """Act on the code and say what was done; returns the outcome for the log (the action, or why not)."""
    meant = parse_code(dialplan, operator, action, digits)
    if isinstance(meant, Refused):
        log.info("operator.code_refused", operator=operator, action=action, digits=digits, why=meant.why)
        await io.play(meant.prompt, "")
        return meant.why
    try:
        prompts = await _act(presence, dialplan, operator, meant, now)
    except RedisError as exc:  # nothing was stored: say so rather than confirm a change that did not happen
        log.error("operator.code_failed", operator=operator, action=meant.action, error=str(exc))
        await io.play(ids.OP_FAILED, "")
        return "failed"
    log.info(
        "operator.code",
        operator=operator,
        action=meant.action,
        group=meant.group,
        reason=meant.reason,
    )
    for prompt in prompts:
        await io.play(prompt, "")
    return meant.action


async def _act(
    presence: PresenceActions, dialplan: Dialplan, operator: str, code: Code, now: float
) -> list[str]:
    """Do it; the confirmation prompts to play."""
    named = [ids.group_prompt(code.group)] if code.group is not None else []
    if code.action == "login":
        await presence.login(operator, code.group)
        return [ids.OP_LOGGED_IN, *named]
    if code.action == "logout":
        await presence.logout(operator, code.group)
        return [ids.OP_LOGGED_OUT, *named]
    if code.action == "pause":
        assert code.reason is not None  # parse_code gives every pause a reason
        await presence.pause(operator, code.reason)
        reason_prompt = ids.pause_prompt(code.reason)
        return [ids.OP_PAUSED, *([reason_prompt] if reason_prompt in dialplan.prompts else [])]
    if code.action == "resume":
        await presence.resume(operator)
        return [ids.OP_RESUMED]
    await presence.pause(operator, PAUSE_WRAPUP, until=now + dialplan.phones.wrapup_extend)
    return [ids.OP_WRAPUP_EXTENDED]
