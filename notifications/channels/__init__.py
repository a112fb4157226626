"""Reminder channels: the interface the jobs send through, and the channels the settings configure."""

from __future__ import annotations

import logging

from core.settings import Settings
from notifications.channels.base import Channel, ChannelError, Message, PermanentFailure, TransientFailure
from notifications.channels.log import LogChannel

__all__ = [
    "Channel",
    "ChannelError",
    "LogChannel",
    "Message",
    "PermanentFailure",
    "TransientFailure",
    "channels_from_settings",
]

log = logging.getLogger(__name__)


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """The channels keyed by name (`email`, `sms`, `push`, `log`).

    A channel whose settings are missing is replaced by the log channel (the demo runs without any), and
    that is logged once, here, when the worker starts.
    """
    del settings  # until the adapters land, every channel is the log channel
    channels: dict[str, Channel] = {"log": LogChannel()}
    for name in ("email", "sms", "push"):
        log.warning("%s is not configured: its reminders are written to the log", name)
        channels[name] = LogChannel(name)
    return channels
