"""Make the documentation's pictures again: the dashboard's overview, its marking page and a
student's feedback page, taken by chromium on the demo course (``make demo``'s output), and the
demo's gradient-flow figure.

    .venv/bin/python docs/screenshots.py                      # runs the demo into a temp folder
    .venv/bin/python docs/screenshots.py --demo-out demo-out  # uses an existing demo's output

Writes ``docs/images/dashboard-overview.png``, ``dashboard-marking.png``, ``feedback-page.png``
and ``gradient-flow.png`` (palette PNGs, a few hundred KB at most). Needs Debian's chromium
(``make test-deps`` installs it) and the checkout's virtualenv (playwright drives chromium).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "images"
CHROMIUM = "/usr/bin/chromium"
TOKEN = "docs-screenshots-token-0123456789"
WIDTH, HEIGHT = 1280, 900  # the browser window: a laptop's screen
STUDENT_WITH_MISTAKES = ("lstm_gates", "chitra")  # a sample that loses points: hints, a figure
PROJECT_STUDENT = ("project1", "CS21B042")  # a sample student who handed in both projects
SERVER_START_S = 120  # the dashboard reads the course and the gradebook before it answers


def demo(out: Path) -> None:
    subprocess.run([sys.executable, "-m", "grader.demo", "--out", str(out)], check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(demo_out: Path, port: int) -> subprocess.Popen:
    """``grader serve`` on the demo course, as `make demo` prints it."""
    course = demo_out / "course-folder" / "course.toml"
    command = [sys.executable, "-m", "grader.cli", "serve", "--course", str(course)]
    command += ["--out", str(demo_out / "course"), "--port", str(port)]
    env = {**os.environ, "GRADER_SERVE_TOKEN": TOKEN}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"grader serve stopped: {server.stdout.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"grader serve did not answer on port {port} in {SERVER_START_S} s")


def small_png(shot: Path, target: Path) -> None:
    """The screenshot as a palette PNG: pages are flat colours, so 256 of them lose nothing a
    reader sees, at a fraction of the size."""
    with Image.open(shot) as image:
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(target, optimize=True)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


def take(demo_out: Path, port: int, shots: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{port}"
    assignment, student = STUDENT_WITH_MISTAKES
    project, author = PROJECT_STUDENT
    feedback = demo_out / "course" / assignment / student / "feedback.html"
    arguments = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars"]
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=arguments)
        tab = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
        tab.goto(f"{url}/login")
        tab.fill("input[name=token]", TOKEN)
        with tab.expect_navigation(url=f"{url}/", wait_until="networkidle"):
            tab.keyboard.press("Enter")  # the form posts the token; the overview follows
        for path, name in [
            ("/", "dashboard-overview"),
            (f"/mark/{project}/{author}", "dashboard-marking"),
        ]:
            tab.goto(url + path)
            tab.wait_for_load_state("networkidle")
            tab.screenshot(path=str(shots / f"{name}.png"))
        tab.goto(feedback.as_uri())
        tab.wait_for_load_state("networkidle")
        # The first screen a student sees: the score and, per function that lost points, its
        # hint and its smallest failing case to paste (folded).
        tab.screenshot(path=str(shots / "feedback-page.png"))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-out", type=Path, help="an existing `make demo` output folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        demo_out = args.demo_out
        if demo_out is None:
            demo_out = Path(scratch) / "demo-out"
            demo(demo_out)
        shots = Path(scratch) / "shots"
        shots.mkdir()
        port = free_port()
        server = serve(demo_out.resolve(), port)
        try:
            take(demo_out.resolve(), port, shots)
        finally:
            server.terminate()
            server.wait(timeout=30)
        IMAGES.mkdir(exist_ok=True)
        small_png(demo_out / "gradient_flow.png", shots / "gradient-flow.png")
        for shot in sorted(shots.glob("*.png")):
            small_png(shot, IMAGES / shot.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
