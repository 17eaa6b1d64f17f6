"""Textual messages that carry the engine's events to the screen running a phase.

The engine calls back from its worker thread; `poster(screen)` turns each core `Event` into a
message posted to that screen. helm can print hundreds of lines in a burst: `HelmOutput` messages
waiting in the queue merge into one (`can_replace`, as toolong does with its new lines), so the
screen writes them to the log at once instead of repainting per line.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class EngineEvent(Message):
    """A phase started or ended, a step, a preflight check, the release state, waiting, done."""
    event: object           # core.deploy.engine.Event


@dataclass
class HelmOutput(Message):
    lines: list             # core.cluster.helm.LogLine, oldest first

    def can_replace(self, message: Message) -> bool:
        # this (older) message is dropped in favour of the pending one, which takes our lines
        if isinstance(message, HelmOutput):
            message.lines[:0] = self.lines
            return True
        return False


@dataclass
class ChecksSeen(Message):
    """The cluster seen while helm waits (phase "deploy"), or a verification refresh."""
    phase: str
    checks: list            # core.cluster.checks.Check
    final: bool = False

    def can_replace(self, message: Message) -> bool:
        # only the newest view matters, unless this one is the settled verification
        return isinstance(message, ChecksSeen) and message.phase == self.phase and not self.final


def poster(target):
    """An engine `on_event` that posts each event to `target` (a screen) as a message."""
    def on_event(ev) -> None:
        if ev.kind == "line" and ev.line is not None:
            target.post_message(HelmOutput([ev.line]))
        elif ev.kind == "checks":
            target.post_message(ChecksSeen(ev.phase, list(ev.checks or []), ev.final))
        else:
            target.post_message(EngineEvent(ev))
    return on_event
