"""Located examples of the inbox-readiness rules (KM801-KM829): a template each must flag, and a fixed one."""

from __future__ import annotations

import io
import random
from typing import Any


def image(fmt: str, width: int, height: int, frames: int = 1) -> bytes:
    """An image file of noise (it does not compress), made with Pillow."""
    from PIL import Image

    rng = random.Random(width * 1000 + height + frames)
    shots = [Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)) for _ in range(frames)]
    out = io.BytesIO()
    extra: dict[str, Any] = {"save_all": True, "append_images": shots[1:]} if frames > 1 else {}
    shots[0].save(out, fmt, **extra)
    return out.getvalue()


def _img(src: str = "../_assets/a.png", size: str = ' width="100" height="100"') -> str:
    return f'<p><img src="{src}"{size} alt=""></p>'


PNG_100 = {"templates_src/_assets/a.png": image("PNG", 100, 100)}
PNG_200 = {"templates_src/_assets/a.png": image("PNG", 200, 200)}
TWO_PNG = {**PNG_200, "templates_src/_assets/b.png": image("PNG", 200, 200)}
GIF_MOVING = {"templates_src/_assets/a.gif": image("GIF", 64, 64, frames=3)}
GIF_STILL = {"templates_src/_assets/a.gif": image("GIF", 64, 64)}
GIF_LIMIT = "[lint.options.animated-gif-too-large]\nmax-kb = 1\n"

PREHEADER = "Doors open at 9; your ticket and the venue map are inside."

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "KM801": (
        {"body": '<p><a href="https//events.example.com/agenda">Agenda</a></p>'},
        {"body": '<p><a href="https://events.example.com/agenda">Agenda</a></p>'},
    ),
    "KM802": (
        {"body": '<p><a href="https://events.example.com/agenda 2025.pdf">Agenda</a></p>'},
        {"body": '<p><a href="https://events.example.com/agenda%202025.pdf">Agenda</a></p>'},
    ),
    "KM803": (
        {"body": '<p><a href="tel:+1 (555) CALL-NOW">Call us</a></p>'},
        {"body": '<p><a href="tel:+1-555-225-5669">Call us</a></p>'},
    ),
    "KM804": (
        {"body": '<p><a href="https://{eventHost}/agenda">Agenda</a></p>', "tokens": {"eventHost": "String"}},
        {
            "body": '<p><a href="https://events.example.com/agenda?e={eventHost}">Agenda</a></p>',
            "tokens": {"eventHost": "String"},
        },
    ),
    "KM805": (
        {"body": '<p><a href="https://click.mailer.example.net/x1">https://events.example.com/agenda</a></p>'},
        {"body": '<p><a href="https://click.mailer.example.net/x1">See the agenda</a></p>'},
    ),
    "KM806": (
        {
            "body": '<p><a href="https://events.example.com/seat">Keep my seat</a> '
            '<a href="https://events.example.com/seat">Cancel my seat</a></p>'
        },
        {
            "body": '<p><a href="https://events.example.com/seat">Keep my seat</a> '
            '<a href="https://events.example.com/cancel">Cancel my seat</a></p>'
        },
    ),
    "KM807": (
        {
            "tokens": {"unsubLink": "UnsubscribeUri"},
            "body": '<p><a href="{unsubLink}">Unsubscribe</a></p>',
            "extra": 'unsubscribeGroups: [news]\ncustomHeaders:\n  List-Unsubscribe: "<{unsubLink}>"\n',
        },
        {
            "tokens": {"unsubLink": "UnsubscribeUri"},
            "body": '<p><a href="{unsubLink}">Unsubscribe</a></p>',
            "extra": 'unsubscribeGroups: [news]\ncustomHeaders:\n  List-Id: "<events.example.com>"\n',
        },
    ),
    "KM808": (
        {
            "body": '<table><tr><td><a href="https://events.example.com/web">View in browser</a></td></tr></table>'
            "<p>Doors open at 9.</p>",
            "preheader": None,
        },
        {
            "body": f'<div style="display:none;max-height:0;overflow:hidden">{PREHEADER}</div>'
            '<table><tr><td><a href="https://events.example.com/web">View in browser</a></td></tr></table>',
            "preheader": None,
        },
    ),
    "KM809": (
        {
            "body": _img(size=' width="50" height="50"'),
            "files": PNG_200,
            "toml": "[deliverability]\nmax_image_kb = 20\n",
        },
        {
            "body": _img(size=' width="50" height="50"'),
            "files": PNG_200,
            "toml": "[deliverability]\nmax_image_kb = 500\n",
        },
    ),
    "KM810": (
        {"body": _img() + _img("../_assets/b.png"), "files": TWO_PNG, "toml": "[deliverability]\nmax_total_kb = 150\n"},
        {"body": _img() + _img("../_assets/b.png"), "files": TWO_PNG, "toml": "[deliverability]\nmax_total_kb = 500\n"},
    ),
    "KM811": ({"body": _img(), "files": PNG_100}, {"body": _img(), "files": PNG_200}),
    "KM812": (
        {"body": '<p><img src="https://events.example.com/hero.jpg" style="width:100%" alt=""></p>'},
        {"body": '<p><img src="https://events.example.com/hero.jpg" width="600" height="300" alt=""></p>'},
    ),
    "KM813": (
        {"body": _img("../_assets/a.gif", ' width="32" height="32"'), "files": GIF_MOVING, "toml": GIF_LIMIT},
        {"body": _img("../_assets/a.gif", ' width="32" height="32"'), "files": GIF_STILL, "toml": GIF_LIMIT},
    ),
}

# Where the bad example's finding stands, when not on the body's first line (body.html:5).
LOCATIONS: dict[str, tuple[str, int]] = {"KM807": ("templates_src/t/template.yaml", 9)}
