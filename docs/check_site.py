"""Open the built documentation in headless Chromium and take screenshots of the pages a newcomer meets first.

Usage:  python docs/check_site.py [--html docs/_build/html] [--out DIR] [--chromium /usr/bin/chromium]

Build the site first (``sphinx-build -W -b html docs docs/_build/html``, as CI does). The pages are
served on localhost (as a reader's browser gets them, not as ``file://``) and each is rendered by
``chromium --headless --screenshot``:

- the landing page (``index.html``) and the getting-started page;
- the catalogue page, generated from ``schemes/`` at build time;
- a notebook page with its stored plots (``notebooks/flipgraph.html``).

Each page is checked before its screenshot is kept: it is served (HTTP 200), it holds its heading, a
notebook page holds its plots as images with data, and the screenshot is a real picture (a PNG of the
window's size, not a blank one: many distinct colours). Exit status 0 when every page passes; the PNGs
go to ``--out``. Chromium comes from Debian (``apt-get install chromium``); it is a check a developer
runs, not a test of the default run.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: page -> (a heading it must hold, whether it must hold plots)
PAGES = {
    "index.html": ("linalg-lab", False),
    "getting-started.html": ("Getting started", False),
    "catalogue.html": ("Scheme catalogue", False),
    "notebooks/flipgraph.html": ("flip", True),
}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def _serve(root: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _png_colours(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct colours) of a PNG (Pillow: matplotlib's dependency, in the dev extra)."""
    from PIL import Image

    with Image.open(path) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        return rgb.width, rgb.height, len(colours) if colours is not None else 1 << 20


def check(html: Path, out: Path, chromium: str, size=(1280, 1600)) -> list[str]:
    """Problems found (empty: every page passed); screenshots written to ``out``."""
    problems = []
    out.mkdir(parents=True, exist_ok=True)
    server = _serve(html)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        for page, (heading, plots) in PAGES.items():
            try:
                with urllib.request.urlopen(base + page, timeout=10) as r:
                    text = r.read().decode("utf-8", "replace")
            except OSError as e:
                problems.append(f"{page}: not served ({e})")
                continue
            if heading.lower() not in re.sub(r"<[^>]+>", " ", text).lower():
                problems.append(f"{page}: no '{heading}' on the page")
            if plots:
                images = re.findall(r'<img[^>]+src="(data:image/png;base64,[^"]{2000,}|[^"]+\.png)"', text)
                if not images:
                    problems.append(f"{page}: no plot images")
            shot = out / (page.replace("/", "-").replace(".html", ".png"))
            profile = tempfile.mkdtemp(prefix="chromium-")
            try:
                subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                                f"--screenshot={shot}", base + page], check=True, capture_output=True, timeout=120)
            except (OSError, subprocess.SubprocessError) as e:
                problems.append(f"{page}: chromium failed ({e})")
                continue
            finally:
                shutil.rmtree(profile, ignore_errors=True)
            w, h, colours = _png_colours(shot)
            if (w, h) != size or colours < 20:
                problems.append(f"{page}: screenshot {w}x{h} with {colours} colours: blank or wrong size")
            print(f"{page}: served, '{heading}' found{', plots found' if plots else ''}; {shot} "
                  f"({w}x{h}, {colours} colours sampled)")
    finally:
        server.shutdown()
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--html", type=Path, default=HERE / "_build" / "html")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "linalg-lab-site")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"--html: {args.html} holds no index.html; build the site first", file=sys.stderr)
        return 2
    problems = check(args.html, args.out, args.chromium)
    for p in problems:
        print("FAIL", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
