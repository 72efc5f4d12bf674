"""PrairieLearn's question folder for an externally graded notebook: ``info.json`` (its
``externalGradingOptions``: the image, the entrypoint, a timeout the grading fits in, no
network), ``question.html`` (the upload), ``tests/course/`` (the carried course: hidden cases,
secret, roster; PrairieLearn mounts ``tests/`` at ``/grade/tests``), and ``image/``: the
course's image, whose Dockerfile runs one script (:mod:`grader.platforms.image_build`), so that
its build can be read and tried without Docker."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

from grader.assignment import load_assignment
from grader.course.config import Course
from grader.errors import UserError
from grader.limits import PLATFORMS
from grader.platforms.carried import carry
from grader.platforms.image_build import build_script, run_script
from grader.platforms.results_formats import unstarted
from grader.platforms.wheel import grader_wheel
from grader.templating import render

IMAGE_FOLDER = "image"
ENTRYPOINT = f"/grader-{IMAGE_FOLDER}/entrypoint"
BUILD = "build.sh"

DOCKERFILE = f"""# The image of the autograded question, made by `grader autograder`. Build and push
# it as linux/amd64 under the name info.json gives ("image"), e.g.:
#   docker build --platform linux/amd64 -t NAME {IMAGE_FOLDER}/ && docker push NAME
# Its whole build is {BUILD}: read it, or run it in a fresh Ubuntu 22.04 to try it.
FROM ubuntu:22.04
COPY . /grader-{IMAGE_FOLDER}
RUN bash /grader-{IMAGE_FOLDER}/{BUILD} && rm -f /grader-{IMAGE_FOLDER}/*.whl
"""


def grading_timeout(notebook_timeout: float) -> int:
    """The external grader's timeout: the notebook's own limit and the start, within
    PrairieLearn's ceiling."""
    return min(PLATFORMS.grading_most_s, math.ceil(notebook_timeout + PLATFORMS.start_s))


def write_question(course: Course, name: str, out: Path, image: str) -> Path:
    """Write the question folder of ``course``'s assignment ``name`` to ``out`` (made here)."""
    if out.exists() and any(out.iterdir()):
        raise UserError(f"--out {out}: not empty; name a new folder for the question")
    config = load_assignment(course.assignment_folder(name)).config
    out.mkdir(parents=True, exist_ok=True)
    carry(course, name, out / "tests")
    folder = out / IMAGE_FOLDER
    folder.mkdir()
    grader_wheel(folder)
    (folder / BUILD).write_text(build_script("course", "prairielearn"))
    (folder / "entrypoint").write_text(
        run_script("prairielearn", "/grade", unstarted("prairielearn"))
    )
    (folder / "entrypoint").chmod(0o755)
    (folder / "Dockerfile").write_text(DOCKERFILE)
    info = {
        "uuid": str(uuid.uuid4()),
        "title": config.title,
        "topic": course.title,
        "tags": ["notebook", "autograded"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "image": image,
            "entrypoint": ENTRYPOINT,
            "serverFilesCourse": [],
            "timeout": grading_timeout(config.notebook_timeout),
            "enableNetworking": False,
        },
    }
    (out / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    question = render(
        "prairielearn_question.html", title=config.title, notebook=f"{config.name}.ipynb"
    )
    (out / "question.html").write_text(question)
    return out
