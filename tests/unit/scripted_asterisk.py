"""Asterisk's side of a FastAGI call as a script: which keys the caller presses during which prompt,
and what was played, set and recorded. Shared by the unit tests that drive the real IvrApp."""

from __future__ import annotations

import shlex

from hotline.callbacks.model import Registration, Request, Source


class Asterisk:
    """Asterisk's side: presses `keys[prompt]` during a prompt or as GET DATA's answer to it; records
    the sounds played (full path for the announcement), the variables set and the files recorded."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = dict(keys)
        self.played: list[str] = []
        self.variables: dict[str, str] = {}
        self.recorded: list[str] = []
        self.paths: list[str] = []  # for tests that look at the full paths (the language directory)

    def reply(self, line: str) -> str:
        words = shlex.split(line)
        command = " ".join(words[:2])
        if command in ("STREAM FILE", "GET DATA"):
            self.paths.append(words[2])
        if command == "STREAM FILE":
            path = words[2]
            name = path if "/emergency/" in path else path.rsplit("/", 1)[-1]
            self.played.append(name)
            key = self.keys.get(name.rsplit("/", 1)[-1] if "/emergency/" not in name else "announcement")
            return f"200 result={ord(key) if key and key in words[3] else 0} endpos=8000\n"
        if command == "GET DATA":
            prompt = words[2].rsplit("/", 1)[-1]
            self.played.append(prompt)
            typed = self.keys.get(prompt, "")
            if "," in typed:  # several answers in turn
                first, rest = typed.split(",", 1)
                self.keys[prompt] = rest
                typed = first
            return f"200 result={typed}\n"
        if command == "RECORD FILE":
            self.recorded.append(words[2])
            return "200 result=35 (dtmf) endpos=16000\n"
        if command == "SET VARIABLE":
            self.variables[words[2]] = words[3]
            return "200 result=1\n"
        if command == "GET VARIABLE":  # as Asterisk answers: 0 for a variable that is not set
            value = self.variables.get(words[2])
            return "200 result=0\n" if value is None else f"200 result=1 ({value})\n"
        assert line.startswith(("SAY DIGITS", "SAY NUMBER", "WAIT FOR DIGIT")), line
        return "200 result=0\n"


class Registered:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Source]] = []

    async def __call__(
        self,
        number: str,
        group: str,
        source: Source,
        caller_display: str,
        *,
        waited: float = 0.0,
        call_id: str = "",
        identity: str | None = None,
    ) -> Registration:
        self.calls.append((number, group, source))
        request = Request("r1", number, group, source, caller_display, 0.0, 600.0, 0.0)
        return Registration(request, merged=False, position=1)
