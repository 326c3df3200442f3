"""Names shared between the engine, the rendered Asterisk dialplan and Redis. One place for each.

Channel variables are the contract between `ivr` (which sets them over AGI) and the dialplan that
`hotline.render` writes (which acts on them once the AGI script returns).
"""

from __future__ import annotations

from typing import Final

# --- Network defaults (loopback only) --------------------------------------------------------------
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_SIP_PORT: Final = 5060
DEFAULT_AMI_PORT: Final = 5038
DEFAULT_AGI_PORT: Final = 4573
DEFAULT_REDIS_PORT: Final = 6379
DEFAULT_HOTLINE_NUMBER: Final = "565602"

# --- FastAGI -----------------------------------------------------------------------------------------
AGI_SCRIPT: Final = "hotline"  # agi://host:port/hotline

# --- Channel variables set by the engine, read by the dialplan --------------------------------------
VAR_ACTION: Final = "HOTLINE_ACTION"  # what the dialplan does next: one of ACTION_*
VAR_QUEUE: Final = "HOTLINE_QUEUE"  # Asterisk queue name when ACTION_QUEUE
VAR_GROUP: Final = "HOTLINE_GROUP"  # skill group id when ACTION_QUEUE
VAR_LANG: Final = "HOTLINE_LANG"  # language the caller chose (also sets CHANNEL(language))
CHANNEL_LANGUAGE: Final = "CHANNEL(language)"  # Asterisk's own sounds (SAY NUMBER, digits) follow it
VAR_PATH: Final = "HOTLINE_PATH"  # the menu path, e.g. "main>heating>1", for the operator and the CDR
VAR_CALL_ID: Final = "HOTLINE_CALL_ID"  # the engine's call id (== the channel's uniqueid)
VAR_ERROR: Final = "HOTLINE_ERROR"  # set when the engine failed: the dialplan goes to the fallback
# The carrier's P-Asserted-Identity header as it came (empty when it sent none): the number the carrier
# vouches for, unlike the From header's (hotline.callbacks.identity). Inherited, and in AMI events.
VAR_ASSERTED: Final = "HOTLINE_PAI"

ACTION_QUEUE: Final = "queue"
ACTION_HANGUP: Final = "hangup"

# --- FastAGI scripts: agi://host:port/<script>[,args] -----------------------------------------------
AGI_CALLBACK: Final = "callback"  # register a callback request; args: source, skill group
AGI_EMERGENCY: Final = "emergency"  # an operator's feature code: PIN, then emergency mode on/off
AGI_OPERATOR: Final = "operator"  # an operator's presence code; args: action, digits after the code, endpoint

# --- Channel variables of a callback attempt (set by the engine's Originate, read by the dialplan) ----
# Queue pause reasons of the callback dispatcher (an operator so paused is working, not on a break):
PAUSE_CALLBACK: Final = "callback"  # a callback attempt is ringing or talking on the operator
PAUSE_RESERVED: Final = "callback-next:"  # + group: held for the group's next callback
VAR_QUEUED_AT: Final = "HOTLINE_QUEUED_AT"  # epoch seconds the caller joined the current queue
VAR_CB_ID: Final = "HOTLINE_CB_ID"
VAR_CB_ATTEMPT: Final = "HOTLINE_CB_ATTEMPT"
VAR_CB_FENCE: Final = "HOTLINE_CB_FENCE"
VAR_CB_NUMBER: Final = "HOTLINE_CB_NUMBER"  # the citizen's number as the provider wants it (dial_form)
VAR_CB_AGO: Final = "HOTLINE_CB_AGO"  # minutes since the citizen asked, for the operator's whisper
VAR_CB_AGO_FORM: Final = "HOTLINE_CB_AGO_FORM"  # their plural form (one, few, many): the word after them
VAR_CB_GROUP: Final = "HOTLINE_CB_GROUP"  # the request's skill group: the whisper says its name
VAR_CB_OPERATOR: Final = "HOTLINE_CB_OPERATOR"  # the operator's endpoint (citizen first)
VAR_CB_SLOT: Final = "HOTLINE_CB_SLOT"  # where in AstDB the attempt's result is kept (router.dispatcher)
VAR_CB_RING: Final = "HOTLINE_CB_RING"  # seconds the citizen's phone rings
USER_EVENT_CALLBACK: Final = "HotlineCallback"  # the UserEvent with an attempt's result

# --- Skill routing (hotline.render.queue_rules, hotline.render.queue_whisper, ivr.repeats) ------------
VAR_PRIORITY: Final = "HOTLINE_PRIORITY"  # digits: the QUEUE_PRIO the queue extension gives the caller
# Inherited (`__`) by the operator's channel that Queue() dials, read by the whisper there:
VAR_WHISPER_GROUP: Final = "HOTLINE_WHISPER_GROUP"  # the skill group the caller chose
VAR_QUEUE_CALLER: Final = "HOTLINE_QUEUE_CALLER"  # the caller's uniqueid, inherited by the operator's channel
VAR_WHISPER_SINCE: Final = "HOTLINE_WHISPER_SINCE"  # epoch s the caller first joined a queue
CTX_QUEUE_WHISPER: Final = "hotline-queue-whisper"  # Queue()'s gosub: the operator hears who waits
USER_EVENT_WHISPER: Final = "HotlineWhisper"  # the whisper starts/ends on an operator's channel

# --- Asterisk dialplan contexts (rendered into extensions.conf) --------------------------------------
CTX_INBOUND: Final = "hotline-inbound"  # calls from the carrier trunk land here
CTX_AFTER_IVR: Final = "hotline-after-ivr"  # acts on VAR_ACTION
CTX_QUEUES: Final = "hotline-queues"  # one extension per skill group: its Queue()
CTX_FALLBACK: Final = "hotline-fallback"  # engine down or failed: announcement + general queue
CTX_OPERATORS: Final = "hotline-operators"  # operators' phones dial from here
CTX_QUEUE_EXIT: Final = "hotline-queue-exit"  # a waiting caller pressed a key (queues.conf `context`)
CTX_CB_REQUEST: Final = "hotline-cb-request"  # the engine registers a callback request
CTX_CALLBACK: Final = "hotline-callback"  # the engine's Originate of a callback attempt lands here
LINES_GROUP: Final = "hotline-lines"  # GROUP() counting the public number's live calls

# --- Announcements to waiting callers (router.announcer): a Local channel whose ;2 half whispers into the
# caller's channel (ChanSpy) what its ;1 half plays (position, estimate or the callback offer).
CTX_ANNOUNCE_SPY: Final = "hotline-announce"  # exten: the caller's uniqueid; ChanSpy(<caller>,qWES)
CTX_ANNOUNCE_PLAY: Final = "hotline-announce-play"  # exten s: plays the announcement, emits the UserEvent
VAR_ANN_CALLER: Final = "HOTLINE_ANN_CALLER"  # the caller's uniqueid
VAR_ANN_TARGET: Final = "HOTLINE_ANN_TARGET"  # the caller's channel name (ChanSpy's target)
VAR_ANN_KIND: Final = "HOTLINE_ANN_KIND"  # estimate | callback | position
VAR_ANN_POSITION: Final = "HOTLINE_ANN_POSITION"  # 1 = next
VAR_ANN_MINUTES: Final = "HOTLINE_ANN_MINUTES"  # the estimate, or the callback SLA, in minutes
VAR_ANN_FORM: Final = "HOTLINE_ANN_FORM"  # the minutes' plural form (one, few, many)
VAR_ANN_LANG: Final = "HOTLINE_ANN_LANG"  # the caller's language: the prompts' directory
VAR_ANN_KEY: Final = "HOTLINE_ANN_KEY"  # the callback key in the queue (callback kind)
USER_EVENT_ANNOUNCE: Final = "HotlineAnnounce"  # emitted by the play half as the announcement starts
USER_EVENT_ANNOUNCE_END: Final = "HotlineAnnounceEnd"  # ... and once it was played to the end

# --- Asterisk queues: one per skill group, prefixed (queues.conf reserves `[general]` for its settings)
QUEUE_PREFIX: Final = "hotline-"


def queue_name(group_id: str) -> str:
    """The Asterisk queue of a skill group."""
    return QUEUE_PREFIX + group_id


def group_of_queue(queue: str) -> str | None:
    """The skill group of an Asterisk queue, or None for a queue that is not the hotline's."""
    return queue[len(QUEUE_PREFIX) :] if queue.startswith(QUEUE_PREFIX) else None


# --- Redis keys (all under one prefix) ---------------------------------------------------------------
REDIS_PREFIX: Final = "hotline:"
KEY_QUEUE: Final = REDIS_PREFIX + "queue:{queue}"  # hash: live summary of one queue
KEY_QUEUE_MEMBERS: Final = REDIS_PREFIX + "queue:{queue}:members"  # hash: interface -> json member state
KEY_QUEUE_CALLERS: Final = REDIS_PREFIX + "queue:{queue}:callers"  # hash: uniqueid -> json waiting caller
KEY_QUEUES: Final = REDIS_PREFIX + "queues"  # set of known queue names
KEY_CALLS: Final = REDIS_PREFIX + "calls"  # hash: uniqueid -> json live call
KEY_STATE_META: Final = REDIS_PREFIX + "state:meta"  # hash: last resync time, asterisk start time
KEY_ENGINE_ALIVE: Final = REDIS_PREFIX + "engine:{owner}"  # string: a running engine's heartbeat, short TTL
ENGINE_BEAT_SECONDS: Final = 5  # how often a running engine renews its heartbeat...
ENGINE_ALIVE_TTL: Final = 15  # ...which expires this long after the last renewal (a dead engine's)
KEY_CALL: Final = REDIS_PREFIX + "call:{call_id}"  # hash: the journal of one citizen's call
KEY_CALL_LOG: Final = REDIS_PREFIX + "calllog"  # stream: one entry per call that left the IVR
CALL_JOURNAL_TTL: Final = 7 * 24 * 3600  # seconds a call's journal is kept

# Dialplan versions (hotline.versions): each applied version's files, its time and what changed.
KEY_DP_VERSION: Final = REDIS_PREFIX + "dialplan:version:{n}"  # hash: files (JSON), applied_at, summary...
KEY_DP_VERSIONS: Final = REDIS_PREFIX + "dialplan:versions"  # zset: version numbers by applied_at
KEY_DP_CURRENT: Final = REDIS_PREFIX + "dialplan:current"  # string: the version new calls take
KEY_DP_SEQ: Final = REDIS_PREFIX + "dialplan:seq"  # counter: the last version number given out
KEY_DP_LOCK: Final = REDIS_PREFIX + "dialplan:lock"  # string: who is applying a change now
DP_VERSIONS_KEPT: Final = 100  # older versions are forgotten

# Callbacks (hotline.callbacks): every key under KEY_CB_PREFIX; the templates below are relative to it.
KEY_CB_PREFIX: Final = REDIS_PREFIX + "cb:"
CB_REQUEST: Final = "req:{id}"  # hash: one request's fields as text, its attempts as JSON (a:1, a:2...)
CB_ACTIVE: Final = "active:{number}"  # hash: group -> id of the number's open or dispatching request
CB_OPEN: Final = "open:{group}"  # zset: open requests by due_at (the caller's position in line)
CB_READY: Final = "ready:{group}"  # zset: open requests whose attempt time has come, by due_at (EDF)
CB_LATER: Final = "later:{group}"  # zset: open requests not to be tried yet, by next_attempt_at
CB_INFLIGHT: Final = "inflight:{group}"  # set: ids of the group's dispatching requests
CB_LEASES: Final = "leases"  # zset: dispatching request ids by lease expiry
CB_ALL: Final = "all"  # zset: every request id by created_at (listing, reports)
CB_GROUPS: Final = "groups"  # set: groups that ever had a request
CB_SEQ: Final = "seq"  # counter: registration order, to break ties between equal due times
CB_DAY: Final = "day:{number}:{date}"  # counter: attempts claimed for a number on a local date
CB_RATE_CALLER: Final = "rate:caller:{caller}:{window}"  # counter: registrations per caller ID per hour
CB_RATE_GLOBAL: Final = "rate:global:{kind}:{window}"  # counter per minute: all callers of one kind
# (asserted: the carrier vouches for the number; shown: caller ID only)
CB_RATE_PREFIX: Final = "rate:prefix:{prefix}:{window}"  # counter per minute: shown caller IDs of one prefix
CB_HOLD: Final = "hold:{name}"  # string: who holds an operator being dialled or a group's reservations
CB_ORIGIN: Final = "origin:{call_id}"  # string: "<request id> <group> <its own next attempt>" while the
# citizen who asked is still on that call (no attempt may ring their line before it ends)
CB_RETENTION: Final = 30 * 24 * 3600  # seconds a finished (done, failed, cancelled) request is kept

# Waiting callers (router.handle_times, router.announcer)
KEY_HANDLE_TIMES: Final = REDIS_PREFIX + "handle:{group}"  # zset: "<uniqueid>:<seconds>" by end time
KEY_ANNOUNCE_CLAIM: Final = REDIS_PREFIX + "announce:{uniqueid}"  # string: who announces; TTL announce_every

# Emergency mode (hotline.emergency): the announcement every caller hears before the menus.
KEY_EMERGENCY: Final = REDIS_PREFIX + "emergency"  # string: the active announcement as JSON, TTL = expiry
KEY_EMERGENCY_ARMED: Final = REDIS_PREFIX + "emergency:armed"  # string: the last one turned on, no TTL:
# found without KEY_EMERGENCY, it expired unnoticed, and its expiry is logged
KEY_EMERGENCY_LOG: Final = REDIS_PREFIX + "emergency:log"  # stream: every on, off and expiry
EMERGENCY_LOG_MAXLEN: Final = 1000  # entries kept in KEY_EMERGENCY_LOG (approximately)

# Operator presence (router.presence): what operators asked by feature code; Asterisk is made to match.
KEY_PRESENCE: Final = REDIS_PREFIX + "presence:op:{operator}"  # hash: logged_in, pause_reason/_until, since
KEY_PRESENCE_TIMED: Final = REDIS_PREFIX + "presence:timed"  # zset: operators in a timed pause, by its end


# Rings not answered and calls answered per operator (router.ring_watch, router.calls_today).
KEY_RING_SEEN: Final = REDIS_PREFIX + "ring:seen:{uniqueid}"  # string: an operator leg's ring, counted once
KEY_MISSED_RINGS: Final = REDIS_PREFIX + "ring:missed"  # hash: operator -> queue rings unanswered in a row
KEY_CALLS_TODAY: Final = REDIS_PREFIX + "ops:calls:{date}"  # hash: operator -> calls answered that local day
KEY_CONNECT_SEEN: Final = REDIS_PREFIX + "ops:connect:{uniqueid}"  # string: a leg's answer, counted once
SEEN_TTL: Final = 24 * 3600  # seconds an event's claim is kept: longer than any engine's duplicate delivery

# Repeat callers (ivr.repeats): numbers (as displayed) that reached a group on a local date.
KEY_REPEAT: Final = REDIS_PREFIX + "repeat:{date}:{group}"  # set of caller numbers; expires after the date
