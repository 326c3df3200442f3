"""SIPp playing citizens and operators against the sandbox (for the demo and the end-to-end tests).

Citizens call from the carrier's address and press keys as RFC 4733 events (pcaps written per call by
`hotline.sandbox.dtmf`). Operators are phones that register with their generated password, then answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from hotline.errors import SandboxError
from hotline.sandbox.dtmf import write_presses
from hotline.sandbox.ports import free_udp_port, free_udp_port_pair
from hotline.sandbox.preflight import require_tool

# A phone that vanished without unregistering is known as gone within qualify_frequency + qualify_timeout
# (hotline.render.pjsip); until then the one contact an operator may have is taken.
REQUALIFY_SECONDS = 14.0
QUALIFY_WAIT_SECONDS = 5.0  # Asterisk qualifies a new contact at once: its OPTIONS comes within this


def scenario_path(name: str) -> Path:
    return Path(str(resources.files("hotline.sandbox") / "sipp" / name))


@dataclass(frozen=True)
class Key:
    """Press `digit` after waiting `after` seconds (from the answer or the previous key)."""

    digit: str
    after: float = 2.0


def press_steps(keys: tuple[Key, ...], pcaps: list[Path]) -> list[str]:
    """Scenario lines that press each key (an RFC 4733 pcap) after its pause."""
    steps = []
    for key, pcap in zip(keys, pcaps, strict=True):
        steps.append(f'  <pause milliseconds="{int(key.after * 1000)}"/>')
        steps.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
    return steps


@dataclass(frozen=True)
class OperatorDial:
    """An operator's phone dialling `number` (a feature code): it answers Asterisk's digest challenge
    with the operator's password, presses `keys`, and waits for Asterisk to hang up."""

    operator: str
    password: str
    number: str
    keys: tuple[Key, ...] = ()
    wait_for_end: float = 60.0


async def place_operator_dial(
    dial: OperatorDial, *, asterisk: str, port: int, workdir: Path, local_ip: str = "127.0.0.1"
) -> SippResult:
    """One call from an operator's phone (from the address operators' phones use); returns at its end."""
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a local mkdir, not I/O worth a thread
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dial.operator):
        raise ValueError("an operator id is letters, digits, '_' and '-'")
    pcaps = write_presses("".join(k.digit for k in dial.keys), workdir)
    text = scenario_path("operator_dial.xml").read_text(encoding="utf-8")
    steps = "\n".join(press_steps(dial.keys, pcaps))
    xml = workdir / "operator_dial.xml"
    xml.write_text(text.replace("OPERATOR_ID", dial.operator).replace("STEPS", steps), encoding="utf-8")
    args = [
        f"{asterisk}:{port}",
        "-sf", str(xml),
        "-s", dial.number,
        "-au", dial.operator,
        "-ap", dial.password,
        "-i", local_ip,
        "-p", str(free_udp_port(local_ip)),
        "-mp", str(free_udp_port_pair(local_ip)),
        "-m", "1",
        "-timeout", f"{int(dial.wait_for_end + 60)}s",
        "-timeout_error",
        "-trace_msg",
        "-message_file", str(workdir / "messages.log"),
    ]  # fmt: skip
    budget = dial.wait_for_end + sum(k.after for k in dial.keys) + 90
    return await run_sipp(args, workdir, limit=budget)


# The audio codecs a probe can offer alone: RTP payload type and rtpmap.
PROBE_CODECS = {"pcmu": ("0", "PCMU/8000"), "g722": ("9", "G722/8000"), "opus": ("111", "opus/48000/2")}


async def probe_invite(
    from_user: str,
    *,
    number: str,
    asterisk: str,
    port: int,
    local_ip: str,
    workdir: Path,
    codec: str = "pcmu",
) -> int:
    """One INVITE to `number` claiming to come from `from_user`, with no credentials, sent from
    `local_ip` and offering `codec` alone (and RFC 4733 events): an attacker's probe, or a phone that
    speaks one codec. Returns the final SIP status it got (200 if Asterisk answered it, in which case
    the probe hangs up at once)."""
    if not re.fullmatch(r"[A-Za-z0-9_.+-]{1,40}", from_user) or not re.fullmatch(r"[*#0-9]{1,20}", number):
        raise ValueError("a probe's user is letters, digits and '_.+-'; its number digits, '*' or '#'")
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a local mkdir, not I/O worth a thread
    xml = workdir / "probe.xml"
    payload, rtpmap = PROBE_CODECS[codec]
    text = scenario_path("probe_invite.xml").read_text(encoding="utf-8").replace("FROM_USER", from_user)
    xml.write_text(text.replace("CODEC_PAYLOAD", payload).replace("CODEC_NAME", rtpmap), encoding="utf-8")
    messages = workdir / "messages.log"
    args = [
        f"{asterisk}:{port}",
        "-sf", str(xml),
        "-s", number,
        "-i", local_ip,
        "-p", str(free_udp_port(local_ip)),
        "-mp", str(free_udp_port_pair(local_ip)),
        "-m", "1",
        "-timeout", "30s",
        "-timeout_error",
        "-trace_msg",
        "-message_file", str(messages),
    ]  # fmt: skip
    result = await run_sipp(args, workdir, limit=60)
    log = messages.read_text(errors="replace") if messages.exists() else ""
    finals = [int(code) for code in re.findall(r"^SIP/2\.0 ([2-6][0-9][0-9]) ", log, re.MULTILINE)]
    if not finals:
        raise SandboxError(f"the probe got no final answer: {result.errors or result.screen}")
    return finals[0]


async def register_once(
    user: str,
    password: str,
    *,
    asterisk: str,
    port: int,
    local_ip: str,
    workdir: Path,
    local_port: int = 0,
    expires: int = 3600,
    times: int = 1,
) -> SippResult:
    """REGISTER as `user` with `password` (`times` times, one after the other): a phone's registration,
    or with a wrong password, a brute force attempt."""
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a local mkdir, not I/O worth a thread
    xml = workdir / "register.xml"
    text = scenario_path("operator_register.xml").read_text(encoding="utf-8")
    xml.write_text(text.replace("EXPIRES", str(int(expires))), encoding="utf-8")
    args = [
        f"{asterisk}:{port}",
        "-sf", str(xml),
        "-s", user,
        "-au", user,
        "-ap", password,
        "-i", local_ip,
        "-p", str(local_port or free_udp_port(local_ip)),
        "-m", str(times),
        "-l", "1",
        "-timeout", f"{15 + 2 * times}s",
        "-timeout_error",
    ]  # fmt: skip
    return await run_sipp(args, workdir, limit=30 + 2 * times)


CALLER_ASSERTED = "caller"  # CitizenCall.asserted: the carrier vouches for the caller's own number


@dataclass(frozen=True)
class CitizenCall:
    """A citizen's call: who calls, which keys, and how it ends.

    `hang_up_after`: None waits for Asterisk to end the call (an operator hangs up, or the engine says
    goodbye) for at most `wait_for_end` seconds; a number hangs up that many seconds after the last key.
    """

    caller: str
    keys: tuple[Key, ...] = ()
    hang_up_after: float | None = None
    wait_for_end: float = 90.0
    number: str = "565602"
    # What the carrier asserts (P-Asserted-Identity): the caller's own number by default, as a carrier
    # does for a number it checked; None: nothing (a caller ID only); or another number.
    asserted: str | None = CALLER_ASSERTED

    def scenario(self, pcaps: list[Path]) -> str:
        """The SIPp scenario; `pcaps` are the key presses' files (`dtmf.write_presses`), one per key."""
        if not re.fullmatch(r"\+?[0-9]{1,20}", self.caller) or not re.fullmatch(r"[0-9]{1,20}", self.number):
            raise ValueError("caller and number must be digits")
        asserted = self.caller if self.asserted == CALLER_ASSERTED else self.asserted
        if asserted is not None and not re.fullmatch(r"\+?[0-9]{1,20}", asserted):
            raise ValueError("an asserted number must be digits")
        if len(pcaps) != len(self.keys):
            raise ValueError("one pcap per key press")
        steps = press_steps(self.keys, pcaps)
        if self.hang_up_after is None:
            ending = _WAIT_FOR_BYE.replace("TIMEOUT", str(int(self.wait_for_end * 1000)))
        else:
            ending = f'  <pause milliseconds="{int(self.hang_up_after * 1000)}"/>\n' + _SEND_BYE
        identity = "" if asserted is None else f"      P-Asserted-Identity: <sip:{asserted}@[local_ip]>\n"
        text = _CITIZEN.replace("      ASSERTED\n", identity).replace("CALLER", self.caller)
        return text.replace("STEPS", "\n".join(steps) + "\n" + ending)


_CITIZEN = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="citizen CALLER">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      ASSERTED
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:CALLER@[local_ip]:[local_port]>
      Max-Forwards: 70
      User-Agent: hotline-test-citizen
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=citizen 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
STEPS
</scenario>
"""

_WAIT_FOR_BYE = """  <recv request="BYE" timeout="TIMEOUT"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>"""

_SEND_BYE = """  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>"""


@dataclass
class SippResult:
    returncode: int
    screen: str
    errors: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


async def run_sipp(args: list[str], workdir: Path, limit: float) -> SippResult:
    """Run SIPp in the foreground (-nostdin) and wait for it; its exit code says pass (0) or fail."""
    sipp = require_tool("sipp", "sip-tester")
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a local mkdir, not I/O worth a thread
    err_file = workdir / "errors.log"
    proc = await asyncio.create_subprocess_exec(
        sipp,
        *args,
        "-nostdin",
        "-trace_err",
        "-error_file",
        str(err_file),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=workdir,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), limit)
    except (TimeoutError, asyncio.CancelledError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    errors = err_file.read_text(errors="replace") if err_file.exists() else ""
    return SippResult(
        proc.returncode if proc.returncode is not None else -1,
        out.decode(errors="replace")[-4000:],
        errors[-4000:],
    )


async def place_call(
    call: CitizenCall, *, asterisk: str, port: int, local_ip: str, workdir: Path
) -> SippResult:
    """One citizen's call through the carrier trunk; returns when the call is over."""
    workdir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a local mkdir, not I/O worth a thread
    xml = workdir / "citizen.xml"
    pcaps = write_presses("".join(k.digit for k in call.keys), workdir)
    xml.write_text(call.scenario(pcaps), encoding="utf-8")
    args = [
        f"{asterisk}:{port}",
        "-sf",
        str(xml),
        "-s",
        call.number,
        "-i",
        local_ip,
        "-p",
        str(free_udp_port(local_ip)),
        "-mp",
        str(free_udp_port_pair(local_ip)),
        "-m",
        "1",
        "-l",
        "1",
        "-timeout",
        f"{int(call.wait_for_end + 60)}s",
        "-timeout_error",
        "-trace_msg",
        "-message_file",
        str(workdir / "messages.log"),
    ]
    budget = call.wait_for_end + sum(k.after for k in call.keys) + (call.hang_up_after or 0) + 60
    return await run_sipp(args, workdir, limit=budget)


def answering_scenario(workdir: Path, talk_seconds: float) -> Path:
    """answer.xml with its talk time filled in, written into `workdir`."""
    text = scenario_path("answer.xml").read_text(encoding="utf-8")
    path = workdir / "answer.xml"
    path.write_text(text.replace("TALK_MS", str(int(talk_seconds * 1000))), encoding="utf-8")
    return path


def provider_scenario(workdir: Path, username: str, password: str, talk_seconds: float) -> Path:
    """provider.xml for the account `username`/`password`, its calls talked `talk_seconds`."""
    ok_user = re.fullmatch(r"[A-Za-z0-9._+-]{1,64}", username)
    if not ok_user or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", password):
        raise ValueError("the simulated provider's account is letters, digits and a few signs")
    text = scenario_path("provider.xml").read_text(encoding="utf-8")
    for name, value in (
        ("USERNAME", username),
        ("PASSWORD", password),
        ("NONCE", "5f1c0ffee5f1c0ffee"),
        ("TALK_MS", str(int(talk_seconds * 1000))),
    ):
        text = text.replace(name, value)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "provider.xml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Phone:
    """A SIP phone played by SIPp that answers every call and talks `talk_seconds` (or, with
    `answers=False`, rings until the caller gives up; with `rejects=True`, declines every call with 486
    Busy Here). Where it listens: `local_ip`:`port`."""

    name: str
    workdir: Path
    local_ip: str = "127.0.0.1"
    port: int = field(default=0)
    talk_seconds: float = 3.0
    answers: bool = True
    rejects: bool = False
    scenario: Path | None = None  # a scenario of its own instead (a provider: `provider_scenario`)
    _proc: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def message_file(self) -> Path:
        return self.workdir / "messages.log"

    async def start(self) -> None:
        sipp = require_tool("sipp", "sip-tester")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_udp_port(self.local_ip)
        if self.scenario is not None:
            scenario = self.scenario
        elif self.rejects:
            scenario = scenario_path("reject.xml")
        elif self.answers:
            scenario = answering_scenario(self.workdir, self.talk_seconds)
        else:
            scenario = scenario_path("no_answer.xml")
        self._proc = await asyncio.create_subprocess_exec(
            sipp,
            "-sf",
            str(scenario),
            "-s",
            self.name,
            "-i",
            self.local_ip,
            "-p",
            str(self.port),
            "-mp",
            str(free_udp_port_pair(self.local_ip)),
            "-nostdin",
            "-aa",  # answers OPTIONS (Asterisk's qualify: a phone that does not is taken as gone)
            "-trace_msg",
            "-message_file",
            str(self.message_file),
            "-trace_err",
            "-error_file",
            str(self.workdir / "errors.log"),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=self.workdir,
        )

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            try:
                await asyncio.wait_for(self._proc.wait(), 5)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()
        self._proc = None

    def was_qualified(self) -> bool:
        """Whether Asterisk's qualify (an OPTIONS request) has reached this phone yet."""
        if not self.message_file.exists():
            return False
        return (
            re.search(r"^OPTIONS sip:", self.message_file.read_text(errors="replace"), re.MULTILINE)
            is not None
        )

    def invites(self, pattern: str = r".*") -> int:
        """How many INVITEs whose request line or From matches `pattern` this phone received."""
        return sum(1 for head in self._invite_heads() if re.search(pattern, head))

    def callers(self) -> list[str]:
        """Who called this phone, in order: the user part of each INVITE's From (a number)."""
        found = (re.search(r"^From:[^<]*<sip:([^@>]*)", head, re.MULTILINE) for head in self._invite_heads())
        return [m.group(1) for m in found if m]

    def _invite_heads(self) -> list[str]:
        """The request line and From of each new call's INVITE received (re-INVITEs left out)."""
        if not self.message_file.exists():
            return []
        heads = []
        for message in re.split(r"\n-{10,}.*\n", self.message_file.read_text(errors="replace")):
            if not re.search(r"^INVITE sip:", message, re.MULTILINE):
                continue
            if re.search(r"^To:.*;tag=", message, re.MULTILINE):
                continue  # a re-INVITE inside a call already counted
            heads.append("\n".join(ln for ln in message.splitlines() if ln.startswith(("INVITE", "From:"))))
        return heads


@dataclass
class OperatorPhone:
    """An operator's SIP phone: registers with its generated credentials, then answers every call (or,
    like `Phone`, lets them ring: `answers=False`, or declines them: `rejects=True`)."""

    operator_id: str
    password: str
    asterisk: str
    asterisk_port: int
    workdir: Path
    local_ip: str = "127.0.0.1"
    talk_seconds: float = 3.0
    answers: bool = True
    rejects: bool = False
    phone: Phone = field(init=False)

    def __post_init__(self) -> None:
        self.phone = Phone(
            self.operator_id,
            self.workdir,
            self.local_ip,
            talk_seconds=self.talk_seconds,
            answers=self.answers,
            rejects=self.rejects,
        )

    @property
    def message_file(self) -> Path:
        return self.phone.message_file

    async def register(self, expires: int = 3600) -> None:
        """Register the phone's contact (`expires` 0: unregister it, as a phone switched off properly)."""
        if not self.phone.port:
            self.phone.port = free_udp_port(self.local_ip)
        for attempt in range(3 if expires else 1):
            if attempt:  # the operator's previous phone is still listed: Asterisk's qualify drops it soon
                await asyncio.sleep(REQUALIFY_SECONDS)
            result = await register_once(
                self.operator_id,
                self.password,
                asterisk=self.asterisk,
                port=self.asterisk_port,
                local_ip=self.local_ip,
                local_port=self.phone.port,
                workdir=self.workdir / (f"register-{attempt}" if expires else "unregister"),
                expires=expires,
            )
            if result.ok:
                return
        if not result.ok:
            raise SandboxError(
                f"operator {self.operator_id} could not register: {result.errors or result.screen}"
            )

    async def start(self) -> None:
        """Register, then answer calls until stopped. Returns once Asterisk has qualified the phone (its
        first OPTIONS answered): until then the queues count the operator unavailable."""
        await self.register()
        await self.phone.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + QUALIFY_WAIT_SECONDS
        while not self.phone.was_qualified() and loop.time() < deadline:  # noqa: ASYNC110 - a file SIPp writes
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """Stop answering and unregister, so that Asterisk no longer rings a phone that is gone."""
        await self.phone.stop()
        with contextlib.suppress(SandboxError):
            await self.register(expires=0)

    def invites_from(self, caller: str) -> int:
        """How many INVITEs from this citizen's number this phone received."""
        return self.phone.invites(rf"From:.*\b{re.escape(caller)}\b")
