"""Renders text-line images with known strings for the PP-OCRv4 recognizer (issue 19, part 4).

    render_lines.py OUT_DIR COUNT SEED [--width 320]

writes OUT_DIR/0000.png ... (RGB, height 48, the given width) and OUT_DIR.txt: one line per
image, "NAME<TAB>STRING". Deterministic: the same COUNT and SEED give the same bytes (numpy's
PCG64 generator, PIL's FreeType rendering of the fonts-dejavu-core faces). The strings use
printable ASCII only (DejaVu has no CJK glyphs); every such character is in PaddleOCR's
ppocr_keys_v1.txt dictionary, and the space is the recognizer's extra class. The lines are not
trivial: 12 faces (sans, serif, mono, condensed; bold and oblique), sizes 20 to 34 px, dark text
on a light, tinted, sometimes graded background, random margins, Gaussian blur on half the lines
and additive Gaussian noise on all; each line is then resized and padded as PaddleOCR does
(render()). The calibration and evaluation sets are rendered with
different seeds (bench/ocr/paddleocr_rec.sh, tests/engine/test_paddleocr_rec.sh)."""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FACES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
         "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf",
         "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansCondensed.ttf",
         "DejaVuSansCondensed-Bold.ttf", "DejaVuSerifCondensed.ttf", "DejaVuSans-BoldOblique.ttf"]
WORDS = ("the quick brown fox jumps over lazy dog invoice total amount date page name address "
         "street city phone email order number price item quantity report summary account "
         "balance payment due model version system data line text image scale value result "
         "error check station north south east west river market hotel office street open "
         "closed monday friday january march october December Paris London Berlin Tokyo "
         "ONNX INT8 FP32 GPU CPU calib8 PaddleOCR Debian Linux").split()


def token(rng):
    """One word, number, date, price or code."""
    kind = rng.integers(0, 10)
    if kind < 5:
        w = WORDS[rng.integers(0, len(WORDS))]
        style = rng.integers(0, 4)
        return w.upper() if style == 0 else w.capitalize() if style == 1 else w
    if kind == 5:
        return str(int(rng.integers(0, 100000)))
    if kind == 6:
        return "%04d-%02d-%02d" % (rng.integers(1990, 2031), rng.integers(1, 13),
                                   rng.integers(1, 29))
    if kind == 7:
        return "$%d.%02d" % (rng.integers(0, 1000), rng.integers(0, 100))
    if kind == 8:
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        return "%s%s-%d" % (letters[rng.integers(0, 23)], letters[rng.integers(0, 23)],
                            rng.integers(100, 10000))
    return "(%s)" % WORDS[rng.integers(0, len(WORDS))] if rng.integers(0, 2) else \
        WORDS[rng.integers(0, len(WORDS))] + ":;,.!?"[rng.integers(0, 6)]


def render(rng, width):
    """(image uint8 (48, width, 3), string) for one line, as PaddleOCR feeds its recognizer: a
    text crop with a small margin (what the detector's box gives), resized to height 48 keeping
    its aspect ratio (squeezed to `width` if wider), then padded on the right to `width` with
    mid-grey, the pixel value that PaddleOCR's zero padding after normalisation stands for."""
    face = FACES[rng.integers(0, len(FACES))]
    size = int(rng.integers(20, 35))
    font = ImageFont.truetype(os.path.join(FONT_DIR, face), size)
    words = [token(rng) for _ in range(int(rng.integers(1, 5)))]
    text = " ".join(words)
    left, top, right, bottom = font.getbbox(text)
    mx, my = int(rng.integers(2, 9)), int(rng.integers(2, 8))
    w, h = right - left + 2 * mx, bottom - top + 2 * my
    bg = int(rng.integers(185, 256))
    img = np.full((h, w, 3), bg, np.float64)
    if rng.integers(0, 2):  # a horizontal gradient of up to 40 grey levels
        img -= np.linspace(0, rng.integers(0, 41), w)[None, :, None]
    tint = rng.integers(-12, 13, size=3)
    img = np.clip(img + tint, 0, 255).astype(np.uint8)
    pil = Image.fromarray(img)
    ink = int(rng.integers(0, 70))
    ImageDraw.Draw(pil).text((mx - left, my - top), text, font=font, fill=(ink, ink, ink))
    if rng.integers(0, 2):
        pil = pil.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
    rw = min(width, max(1, int(np.ceil(48 * w / h))))
    pil = pil.resize((rw, 48), Image.BILINEAR)
    arr = np.asarray(pil, dtype=np.float64)
    arr = arr + rng.normal(0, rng.uniform(2, 8), arr.shape)
    out = np.full((48, width, 3), 128, np.uint8)
    out[:, :rw] = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    return out, text


def main():
    args = sys.argv[1:]
    width = 320
    if "--width" in args:
        i = args.index("--width")
        width = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        sys.exit("usage: render_lines.py OUT_DIR COUNT SEED [--width W]")
    out, count, seed = args[0], int(args[1]), int(args[2])
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(count):
        img, text = render(rng, width)
        name = "%04d.png" % i
        Image.fromarray(img).save(os.path.join(out, name))
        lines.append("%s\t%s\n" % (name, text))
    with open(out.rstrip("/") + ".txt", "w", encoding="utf-8") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
