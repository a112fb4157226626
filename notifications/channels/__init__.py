"""Reminder channels: the interface the jobs send through, and the channels the settings configure."""

from __future__ import annotations

import logging

from core.settings import Settings
from notifications.channels.base import (
    Channel,
    ChannelError,
    Message,
    PermanentFailure,
    TransientFailure,
    send_all,
)
from notifications.channels.email import EmailChannel
from notifications.channels.log import LogChannel
from notifications.channels.push import PushChannel
from notifications.channels.sms import SmsChannel

__all__ = [
    "Channel",
    "ChannelError",
    "EmailChannel",
    "LogChannel",
    "Message",
    "PermanentFailure",
    "PushChannel",
    "SmsChannel",
    "TransientFailure",
    "channels_from_settings",
    "send_all",
]

log = logging.getLogger(__name__)


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """The channels keyed by name (`email`, `sms`, `push`, `log`).

    A channel whose settings are missing is replaced by the log channel (the demo runs without any), and
    that is logged once, here, when the worker starts. Settings that are present but wrong (a VAPID key
    that does not match its public half, a sender without a domain) raise `ValueError` here, at start.
    """
    built: dict[str, Channel | None] = {
        "email": EmailChannel.from_settings(settings),
        "sms": SmsChannel.from_settings(settings),
        "push": PushChannel.from_settings(settings),
    }
    channels: dict[str, Channel] = {"log": LogChannel()}
    for name, channel in built.items():
        if channel is None:
            log.warning("%s is not configured: its messages are written to the log instead", name)
        channels[name] = channel or LogChannel(name)
    return channels
