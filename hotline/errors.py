"""The project's one exception tree.

HotlineException
├── CallHangup              the caller hung up: the ordinary end of a call, not an error
└── HotlineError            something went wrong; the message says what to do next
    ├── ConfigError         the admins' YAML or settings are wrong (carries every Problem found)
    ├── SandboxError        the local Asterisk/Redis sandbox cannot be provisioned or run
    ├── PromptError         a voice prompt cannot be found, synthesized or converted
    ├── UnsafeValueError    a value would put a line break (or NUL) on the AMI or AGI wire
    ├── ScriptError         a simulated caller's keys, time or language cannot be read (`hotline simulate`)
    ├── AgiError            FastAGI
    │   ├── AgiProtocolError    Asterisk sent bytes we cannot parse
    │   ├── AgiTimeout          no header or no reply in time
    │   └── AgiCommandError     Asterisk refused a command (510, 520...)
    ├── AmiError            Asterisk Manager Interface
    │   ├── AmiNotConnected     no live, logged-in link
    │   ├── AmiTimeout          no response to an action in time
    │   ├── AmiActionFailed     Asterisk answered Response: Error
    │   └── AmiOutcomeUnknown   the link dropped after the action was written: it may or may not
    │                           have run, so it must be reconciled, never blindly sent again
    ├── EmergencyError      emergency mode: an expiry out of range, no emergency section, Redis down
    └── CallbackError       the callback engine
        ├── NumberRefused       a number we will not call back (reason code)
        ├── CallbackRefused     a request refused by the rate limits (reason code)
        └── StaleClaim          a claim's fencing token is no longer current: nothing was changed
"""

from __future__ import annotations

from dataclasses import dataclass


class HotlineException(Exception):
    """Root of everything the project raises on purpose."""


class CallHangup(HotlineException):
    """The caller hung up. The ordinary end of a call: log it, clean up, do not report it as an error."""


class HotlineError(HotlineException):
    """A failure. Its message tells the user what happened and what to do next."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a configuration file, located for the admin who has to fix it."""

    file: str
    line: int  # 1-based; 0 when the problem is about the file as a whole
    column: int  # 1-based; 0 when unknown
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(HotlineError):
    """The configuration is refused. `problems` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class SandboxError(HotlineError):
    """The sandbox cannot be provisioned or run."""


class PromptError(HotlineError):
    """A prompt is missing or cannot be produced."""


class UnsafeValueError(HotlineError, ValueError):
    """A value holds a character (CR, LF, NUL) that would forge or break a line on a wire protocol."""


class ScriptError(HotlineError, ValueError):
    """A simulated caller's script cannot be read: keys in an unknown notation, a time that is not one, a
    language the dialplan does not have. The message says what to write instead."""


class AgiError(HotlineError):
    """FastAGI failure."""


class AgiProtocolError(AgiError):
    """Asterisk sent something that is not AGI."""


class AgiTimeout(AgiError):
    """Asterisk sent no header, or no reply to a command, in time."""


class AgiCommandError(AgiError):
    """Asterisk answered a command with an error code."""

    def __init__(self, code: int, message: str, command: str = "") -> None:
        self.code = code
        self.command = command
        super().__init__(f"AGI {code} for {command!r}: {message}" if command else f"AGI {code}: {message}")


class AmiError(HotlineError):
    """Asterisk Manager Interface failure."""


class AmiNotConnected(AmiError):
    """There is no live, logged-in AMI link."""


class AmiTimeout(AmiError):
    """Asterisk did not answer an action in time."""


class AmiActionFailed(AmiError):
    """Asterisk answered an action with Response: Error."""


class AmiOutcomeUnknown(AmiError):
    """The link dropped after an action was written and before its response: reconcile, do not resend."""


class EmergencyError(HotlineError):
    """Emergency mode cannot be turned on, off or read; the message says what to do instead."""


# --- Callbacks (hotline.callbacks) -------------------------------------------------------------------


class CallbackError(HotlineError):
    """The callback engine refused or could not do something."""


class NumberRefused(CallbackError):
    """A number cannot be called back; `reason` is a code (empty, not_digits, too_short, too_long,
    international, premium, not_allowed) for the IVR to pick its prompt."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class CallbackRefused(CallbackError):
    """A callback request was not registered; `reason` is a code (rate_caller, rate_global)."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class StaleClaim(CallbackError):
    """A claim's fencing token is no longer current (another owner took the request over, or it was
    already finished): nothing was changed, and its holder must not dial or record anything more."""
