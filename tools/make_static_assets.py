"""Regenerate the binary files of the demo site in static/.

This script is only for regenerating assets. The kit itself never runs it and does not depend on
anything it imports. It needs Pillow, and fontTools with brotli for the WOFF2 font:

    python -m pip install Pillow fonttools brotli
    python tools/make_static_assets.py

It writes, relative to the repository root:

    static/images/logo.png      the kit's logo: a ">_" prompt on a teal square
    static/images/photo.jpg     a made-up landscape "photo", so the site has a real JPEG
    static/files/sample.gif     a small animated GIF: a packet travels from client to server and back
    static/files/sample.webp    a WebP picture labelled with its own Content-Type
    static/files/favicon.ico    a real ICO (16, 32 and 48 px) made from the logo
    static/favicon.ico          the same bytes, where browsers look for it on their own
    static/files/font.woff2     DejaVu Sans Mono Bold, subset to printable ASCII and a few accents

The hand-written files (HTML, CSS, JS, the SVG diagram, notes.txt and data.json) are not touched.

The font is a subset of DejaVu Sans Mono Bold (Bitstream Vera licence with DejaVu changes in the
public domain). Its name table, which carries the copyright and the licence text, is kept whole.
Pass --font PATH to subset another TTF.
"""

import argparse
import io
import math
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from graders.ground import KIT_ROOT

STATIC = KIT_ROOT / "static"

TEAL = (15, 118, 110)
TEAL_LIGHT = (94, 234, 212)
INK = (31, 35, 40)
PAPER = (251, 251, 253)
AMBER = (245, 158, 11)

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSansMono-Bold.ttf",
    "/Library/Fonts/DejaVuSansMono-Bold.ttf",
]


def find_font(explicit=None):
    for candidate in [explicit] + FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def load_font(path, size):
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def draw_centered(draw, box, text, font, fill):
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = box[0] + (box[2] - box[0] - (right - left)) / 2 - left
    y = box[1] + (box[3] - box[1] - (bottom - top)) / 2 - top
    draw.text((x, y), text, font=font, fill=fill)


def make_logo(font_path, size=128):
    """A rounded teal square with a '>_' prompt, drawn 4x larger then scaled down for smooth edges."""
    scale = 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=TEAL + (255,))
    draw.rounded_rectangle((big // 16, big // 16, big - big // 16, big - big // 16),
                           radius=big // 7, outline=TEAL_LIGHT + (255,), width=big // 64)
    font = load_font(font_path, int(big * 0.46))
    draw_centered(draw, (0, -big // 24, big, big), ">_", font, (255, 255, 255, 255))
    return image.resize((size, size), Image.LANCZOS)


def make_photo(width=640, height=360, scale=2):
    """A calm made-up landscape: a sky gradient, a sun, layered hills and a lake with a reflection.

    It is drawn `scale` times larger, then scaled down, so the hill edges come out smooth.
    """
    rng = random.Random(2026)
    final_size = (width, height)
    width, height = width * scale, height * scale
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    horizon = int(height * 0.62)
    top, low = (36, 59, 97), (250, 190, 140)
    for y in range(horizon):
        t = y / horizon
        colour = tuple(int(a + (b - a) * t ** 1.4) for a, b in zip(top, low, strict=False))
        for x in range(width):
            pixels[x, y] = colour
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, sun_r = int(width * 0.68), int(horizon * 0.78), 34 * scale
    glow = Image.new("L", (width, height), 0)
    halo = 90 * scale
    ImageDraw.Draw(glow).ellipse((sun_x - halo, sun_y - halo, sun_x + halo, sun_y + halo), fill=110)
    glow = glow.filter(ImageFilter.GaussianBlur(40 * scale))
    image.paste((255, 214, 160), (0, 0), glow)
    draw.ellipse((sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=(255, 236, 200))

    ridges = [
        (0.50, 38, (92, 84, 120), 0.011),
        (0.56, 30, (64, 70, 100), 0.017),
        (0.61, 22, (38, 52, 74), 0.023),
    ]
    for base, amplitude, colour, frequency in ridges:
        phase = rng.uniform(0, 6.28)
        points = [(0, height)]
        for x in range(0, width + 4, 4):
            u = x / scale
            wave = math.sin(u * frequency + phase) + 0.5 * math.sin(u * frequency * 2.7 + phase * 1.3)
            points.append((x, int(height * base - scale * amplitude * (0.6 + 0.4 * wave))))
        points.append((width, height))
        draw.polygon(points, fill=colour)

    # The lake: the sky upside down, darker, with a few ripples.
    sky = image.crop((0, horizon - (height - horizon), width, horizon)).transpose(Image.FLIP_TOP_BOTTOM)
    sky = Image.blend(sky, Image.new("RGB", sky.size, (20, 34, 56)), 0.45)
    image.paste(sky, (0, horizon))
    for _ in range(60):
        y = rng.randint(horizon + 4 * scale, height - 2 * scale)
        x = rng.randint(0, width - 40 * scale)
        length = rng.randint(10, 60) * scale
        shade = rng.randint(150, 230)
        draw.line((x, y, x + length, y), fill=(shade, shade - 20, shade - 50), width=scale)
    draw.line((0, horizon, width, horizon), fill=(30, 42, 60), width=2 * scale)
    return image.resize(final_size, Image.LANCZOS)


def make_gif_frames(font_path, width=240, height=90, steps=12):
    """A packet goes from the client to the server (request) and back (response)."""
    font = load_font(font_path, 13)
    small = load_font(font_path, 11)
    frames = []
    left, right = 58, width - 58
    path = [left + (right - left) * i / (steps - 1) for i in range(steps)]
    positions = [(x, "GET /", AMBER) for x in path] + [(x, "200 OK", TEAL_LIGHT) for x in reversed(path)]
    for x, label, colour in positions:
        frame = Image.new("RGB", (width, height), PAPER)
        draw = ImageDraw.Draw(frame)
        for box, name in (((6, 22, 56, 68), "client"), ((width - 56, 22, width - 6, 68), "server")):
            draw.rounded_rectangle(box, radius=8, fill=TEAL, outline=INK)
            draw_centered(draw, box, name, small, (255, 255, 255))
        draw.line((left, 45, right, 45), fill=(160, 166, 176), width=2)
        draw.rounded_rectangle((x - 22, 36, x + 22, 54), radius=5, fill=colour, outline=INK)
        draw_centered(draw, (x - 22, 36, x + 22, 54), label, load_font(font_path, 9), INK)
        draw_centered(draw, (0, 70, width, 88), "sample.gif: image/gif", font, INK)
        draw_centered(draw, (0, 2, width, 20), "text over a socket", small, (90, 96, 106))
        frames.append(frame)
    # One shared 16-colour palette for every frame keeps the file small (no per-frame palettes).
    palette = frames[0].quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    return [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]


def make_webp(font_path, width=320, height=180):
    """A diagonal teal-to-indigo gradient labelled with its own Content-Type."""
    image = Image.new("RGB", (width, height))
    pixels = image.load()
    start, end = (13, 148, 136), (79, 70, 229)
    for y in range(height):
        for x in range(width):
            t = (x / width + y / height) / 2
            pixels[x, y] = tuple(int(a + (b - a) * t) for a, b in zip(start, end, strict=False))
    draw = ImageDraw.Draw(image)
    for i in range(4):
        r = 18 + i * 18
        draw.ellipse((width - r, -r, width + r, r), outline=(204, 251, 241), width=1)
    draw_centered(draw, (0, 40, width, 110), "WebP", load_font(font_path, 52), (255, 255, 255))
    draw_centered(draw, (0, 110, width, 150), "Content-Type: image/webp", load_font(font_path, 16),
                  (226, 232, 240))
    return image


def make_woff2(font_path, target):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    text = "".join(chr(c) for c in range(0x20, 0x7F)) + "éèàçüö—–’“”→←…·"
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge timestamps: not needed in a web font
    font = TTFont(font_path, recalcTimestamp=False)  # same input, same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff2"
    font.save(buffer)
    target.write_bytes(buffer.getvalue())


def save(image, path, **params):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **params)
    print(f"{path.relative_to(KIT_ROOT)}: {path.stat().st_size} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", help="TTF to draw labels with and to subset into font.woff2")
    args = parser.parse_args()
    font_path = find_font(args.font)
    if font_path is None:
        print("warning: no DejaVu Sans Mono Bold found; labels use Pillow's default font", file=sys.stderr)

    logo = make_logo(font_path)
    save(logo, STATIC / "images" / "logo.png", optimize=True)
    save(make_photo(), STATIC / "images" / "photo.jpg", quality=72, optimize=True, progressive=True)

    frames = make_gif_frames(font_path)
    save(frames[0], STATIC / "files" / "sample.gif", save_all=True, append_images=frames[1:],
         duration=90, loop=0, optimize=True)
    save(make_webp(font_path), STATIC / "files" / "sample.webp", quality=80, method=6)

    save(logo, STATIC / "files" / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    (STATIC / "favicon.ico").write_bytes((STATIC / "files" / "favicon.ico").read_bytes())
    print("static/favicon.ico: copied from static/files/favicon.ico")

    if font_path is None:
        print("error: cannot build font.woff2 without a TTF; pass --font PATH", file=sys.stderr)
        return 1
    target = STATIC / "files" / "font.woff2"
    make_woff2(font_path, target)
    print(f"{target.relative_to(KIT_ROOT)}: {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
