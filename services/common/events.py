"""Publish/subscribe over Dramatiq: a topic fans out to one actor per subscribing service.

Dramatiq routes a message to one actor, so each consumer of a topic declares its own actor with
`@subscriber(topic, ...)`; `publish` sends the payload to every subscriber of the topic. Delivery is
at least once: subscribers deduplicate on the payload's natural key (an event_id).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable

import dramatiq
from dramatiq import Message

_subscribers: dict[str, list[tuple[dramatiq.Actor, Callable[[dict], bool] | None]]] = defaultdict(list)


def subscriber(topic: str, *, actor_name: str, queue_name: str, accepts: Callable[[dict], bool] | None = None,
               **options) -> Callable:
    """Declares the decorated function as an actor receiving every payload published on `topic`, or
    only those `accepts` returns true for (the others are never enqueued for it)."""

    def decorate(fn: Callable[[dict], None]) -> dramatiq.Actor:
        actor = dramatiq.actor(fn, actor_name=actor_name, queue_name=queue_name, **options)
        _subscribers[topic].append((actor, accepts))
        return actor

    return decorate


def subscribers(topic: str) -> list[dramatiq.Actor]:
    return [actor for actor, _ in _subscribers[topic]]


def publish(topic: str, payload: dict, key: str) -> int:
    """Sends `payload` to each subscriber; `key` makes the message id stable across re-publication."""
    sent = 0
    for actor, accepts in _subscribers[topic]:
        if accepts is not None and not accepts(payload):
            continue
        message = Message(
            queue_name=actor.queue_name,
            actor_name=actor.actor_name,
            args=(payload,),
            kwargs={},
            options={},
            message_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{topic}/{key}/{actor.actor_name}")),
        )
        actor.broker.enqueue(message)
        sent += 1
    return sent
