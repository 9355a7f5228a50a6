"""Rendering of notification e-mails in the recipient's language."""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template: str, context: dict, *, language: str) -> RenderedEmail:
    """Render `<template>_subject.txt`, `.txt` and `.html` with the recipient's language active.

    Rendering happens when the outbox row is written, so the e-mail says what was true at
    the moment of the change, whatever happens before a worker sends it.
    """
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return RenderedEmail(subject=" ".join(subject.split()), text=text, html=html)
