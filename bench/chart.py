"""The PNG chart, drawn with Pillow (already a dependency) so the benchmark installs nothing:
p50 latency of each scenario as a multiple of the floor's p50, one bar per size, with the
3× target line."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

COLOURS = ("#7fa7d9", "#1f4e8c")
TARGET = 3.0


def draw(sizes: list[int], results: dict, scenarios, path: Path) -> None:
    names = [(name, label) for name, label, *_rest in scenarios]
    ratios = {
        size: {
            name: results[str(size)][name]["p50_ms"] / results[str(size)]["floor"]["p50_ms"]
            for name, _label in names
        }
        for size in sizes
    }
    top = max(TARGET + 1, *(r for by in ratios.values() for r in by.values())) * 1.1
    width, height = 1100, 560
    left, right, upper, lower = 70, 20, 60, 170
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    plot_w, plot_h = width - left - right, height - upper - lower

    def y(value: float) -> float:
        return upper + plot_h - value / top * plot_h

    # Plain ASCII: Pillow's default bitmap font has no × or ÷ (they came out as boxes).
    pen.text(
        (left, 15),
        "p50 latency / floor p50 (lower is better; dashed: the 3x target)",
        fill="black",
        font=font,
    )
    step = 1 if top < 12 else 2 if top < 25 else 5
    tick = 0
    while tick <= top:
        pen.line([(left - 4, y(tick)), (width - right, y(tick))], fill="#e5e5e5")
        pen.text((left - 30, y(tick) - 6), f"{tick}x", fill="black", font=font)
        tick += step
    pen.line([(left, upper), (left, upper + plot_h)], fill="black")
    pen.line([(left, upper + plot_h), (width - right, upper + plot_h)], fill="black")
    x = left
    while x < width - right:
        pen.line([(x, y(TARGET)), (min(x + 8, width - right), y(TARGET))], fill="#c0392b", width=2)
        x += 14

    group = plot_w / len(names)
    bar = group * 0.8 / len(sizes)
    for i, (name, label) in enumerate(names):
        x0 = left + i * group + group * 0.1
        for j, size in enumerate(sizes):
            value = ratios[size][name]
            bx = x0 + j * bar
            pen.rectangle([bx, y(value), bx + bar - 3, y(0)], fill=COLOURS[j % len(COLOURS)])
            pen.text((bx + 2, y(value) - 12), f"{value:.1f}", fill="black", font=font)
        words, lines, line = label.split(), [], ""
        for word in words:
            if len(line) + len(word) > 14:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
        for k, text in enumerate(lines):
            pen.text((x0, upper + plot_h + 8 + 13 * k), text, fill="black", font=font)
    for j, size in enumerate(sizes):
        lx = left + 20 + j * 170
        pen.rectangle([lx, height - 40, lx + 14, height - 26], fill=COLOURS[j % len(COLOURS)])
        pen.text((lx + 20, height - 40), f"{size:,} orders", fill="black", font=font)
    image.save(path)
