"""grader similarity: planted copies among independent solutions are found, nothing else is.

The class is synthetic (tests/kits/similarity_class.py): independent students in nine styles of
LSTM gates, reports and datasets of their own; copies are planted with renamed variables,
reordered cells, changed comments and layout, paraphrased paragraphs, a shared dataset, a copied
public notebook and copied figures. The hand-ins are written as ``grader collect`` leaves them
(manifest.json, notebooks, report PDFs typeset by ReportLab, datasets), one as a real bundle zip.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest
import similarity_class as sc  # noqa: E402
import similarity_files as sf  # noqa: E402
from scratch_kit import temporary_after_a_killed_run  # noqa: E402
from shared_kit import CORPUS, corpus_notebooks  # noqa: E402
from submission_kit import report_pdf, student_folder  # noqa: E402

from grader import bundle  # noqa: E402
from grader.cli import main  # noqa: E402
from grader.errors import UserError  # noqa: E402
from grader.similarity.fingerprints import (  # noqa: E402
    CODE_K,
    CODE_WINDOW,
    code_prints,
    normalise_code,
    text_prints,
    winnow,
)
from grader.similarity.search import run  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "public:kaggle_lstm.ipynb"


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    assert main(["assign", str(ROOT / "assignments" / "lstm_gates"), "--out", str(out)]) == 0
    return out / "lstm_gates.ipynb"


def _with_exploration(students, rng):
    return [s for s in students if any("np.random.randn(" in src for _, src in s.cells)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory, release):
    """The class on disk, the public corpus, and the pairs that were planted."""
    rng = random.Random(3)
    students = sc.make_class(release, 40)
    cells = json.loads(release.read_text())["cells"]
    by_id = {s.id: s for s in students}
    explorers = _with_exploration(students, rng)
    original = explorers[0]
    copier = sc.independent("c_renamed", "einsum", cells, random.Random(11))
    sc.plant_renamed_copy(copier, original, rng)
    paraphraser = sc.independent("c_para", "split", cells, random.Random(12))
    sc.plant_paraphrase(paraphraser, by_id["s0007"], rng)
    ring = ["s0010", "s0011", "s0012"]
    for sid in ring[1:]:
        by_id[sid].files["data/series.csv"] = by_id[ring[0]].files["data/series.csv"]
    public = sc.public_notebook(cells)
    pub1 = sc.independent("c_pub1", "loops", cells, random.Random(13))
    pub2 = sc.independent("c_pub2", "class", cells, random.Random(14))
    sc.plant_public_copy(pub1, public)
    sc.plant_public_copy(pub2, public)
    fig = sc.independent("c_fig", "helper", cells, random.Random(15))
    fig.figure = sc.recompressed(by_id["s0015"].figure)
    fig_file = sc.independent("c_figfile", "concat", cells, random.Random(16))
    fig_file.files["reports/figures/loss.png"] = by_id["s0016"].figure
    students += [copier, paraphraser, pub1, pub2, fig, fig_file]

    root = tmp_path_factory.mktemp("class")
    inbox = root / "submissions"
    for student in students:
        sf.write_collected(student, inbox)
    corpus = root / "public"
    corpus.mkdir()
    (corpus / "kaggle_lstm.ipynb").write_text(sf.notebook_json(public, None))
    # A public dataset three students use is known material, not a shared copy.
    airline = "\n".join(f"1949-{m:02d},{100 + 3 * m}" for m in range(1, 13)).encode()
    (corpus / "airline.csv").write_bytes(airline)
    for sid in ("s0020", "s0021", "s0022"):
        (inbox / sid / "data").mkdir(exist_ok=True)
        (inbox / sid / "data" / "airline.csv").write_bytes(airline)
    expected = {
        (min(original.id, "c_renamed"), max(original.id, "c_renamed")): "code",
        ("c_para", "s0007"): "text",
        ("s0010", "s0011"): "file",
        ("s0010", "s0012"): "file",
        ("s0011", "s0012"): "file",
        ("c_pub1", PUBLIC): "code",
        ("c_pub2", PUBLIC): "code",
        ("c_fig", "s0015"): "figure",
        ("c_figfile", "s0016"): "figure",
    }
    return inbox, corpus, expected


@pytest.fixture(scope="module")
def result(planted, release, tmp_path_factory):
    inbox, corpus, _ = planted
    out = tmp_path_factory.mktemp("out")
    return run([inbox], out, against=[corpus], release=[release])


def _flagged(result) -> dict[tuple[str, str], set[str]]:
    with result.csv.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    found: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        found.setdefault((row["student_a"], row["student_b"]), set()).add(row["shared"])
    return found


def test_every_plant_is_found_and_no_independent_pair_is_flagged(planted, result):
    _, _, expected = planted
    found = _flagged(result)
    for pair, kind in expected.items():
        assert kind in found.get(pair, set()), f"planted {kind} copy {pair} not found"
    assert set(found) == set(expected), f"flagged beyond the plants: {set(found) - set(expected)}"
    assert result.students == 46


def test_copies_of_one_public_notebook_are_not_copies_of_each_other(result):
    found = _flagged(result)
    assert ("c_pub1", "c_pub2") not in found
    assert ("c_pub1", PUBLIC) in found


def test_groups_are_connected_components(result):
    assert ["s0010", "s0011", "s0012"] in result.groups
    assert all(len(group) >= 2 for group in result.groups)


def test_calibration_is_stated_on_the_page_and_console(result, capsys):
    page = result.page.read_text(encoding="utf-8")
    assert (
        "How pairs are flagged" in page
        and "closest classmate" in page
        and "absolute deviation" in page
    )
    kinds = {c.kind: c for c in result.findings.calibrations}
    assert kinds["code share"].pairs == 46 * 45 // 2  # a class this small: every pair
    assert kinds["code amount"].pairs == 46  # each student's closest classmate
    for calibration in kinds.values():
        assert calibration.threshold >= calibration.floor
        assert "median + 5 x spread" in calibration.explain()


def test_cli_runs_and_says_how_it_calibrated(planted, release, tmp_path, capsys):
    inbox, corpus, _ = planted
    argv = ["similarity", str(inbox), "--out", str(tmp_path), "--release", str(release)]
    assert main([*argv, "--against", str(corpus)]) == 0
    captured = capsys.readouterr()
    assert "closest classmates" in captured.out and "random pairs" in captured.out
    assert "reading hand-ins: 46/46" in captured.err  # progress with counts
    assert (tmp_path / "pairs.csv").is_file() and (tmp_path / "similarity.html").is_file()


def test_page_shows_the_renamed_passages_side_by_side(result, planted):
    page = result.page.read_text(encoding="utf-8")
    assert page.count('class="side"') >= 5
    assert "<mark>" in page
    assert "var_" in page  # the renamed copy's own names are shown, highlighted beside the original
    assert "data:image/png;base64," in page


def test_near_identical_figures_are_found_through_bands_exactly():
    from grader.similarity import images

    rng = random.Random(9)
    hashes = [rng.getrandbits(256) for _ in range(300)]
    for n in range(40):  # copies of earlier figures, up to NEAR_BITS + 3 bits changed
        value = hashes[n]
        for bit in rng.sample(range(256), n % (images.NEAR_BITS + 4)):
            value ^= 1 << bit
        hashes.append(value)
    hashes += [hashes[0]] * 50  # one figure handed in alike many times
    brute = {
        (i, j)
        for i in range(len(hashes))
        for j in range(i + 1, len(hashes))
        if images.distance(hashes[i], hashes[j]) <= images.NEAR_BITS
    }
    assert {(i, j) for i, j, _ in images.near_pairs(hashes)} == brute


def test_perceptual_hash_survives_resaving_and_tells_plots_apart():
    from grader.similarity import images

    rng = random.Random(4)
    first, second = sc.figure_png(rng), sc.figure_png(rng)
    a, b = images.perceptual(first), images.perceptual(sc.recompressed(first))
    assert images.distance(a, b) <= images.NEAR_BITS
    assert images.distance(a, images.perceptual(second)) > 3 * images.NEAR_BITS
    assert images.perceptual(b"not an image") is None


# --- fingerprints --------------------------------------------------------------------------

ORIGINAL = '''def forget_gate(x_t, h_prev, W_f, b_f):
    """f_t = sigmoid(W_f [x_t, h_prev] + b_f)."""
    xh = np.concatenate([x_t, h_prev], axis=1)  # stack input first
    return sigmoid(xh @ W_f.T + b_f)
'''
DISGUISED = """def forget_gate(inp,   state, weights, bias):
    # my own version

    stacked = np.concatenate( [inp, state], axis = 1 ) ; return sigmoid(stacked @ weights.T + bias)
"""


def test_normalisation_ignores_names_comments_docstrings_and_layout():
    assert [t.text for t in normalise_code(ORIGINAL)] == [t.text for t in normalise_code(DISGUISED)]


def test_normalisation_keeps_what_cannot_be_renamed():
    texts = [t.text for t in normalise_code("y = np.einsum('ij->i', a)\nprint(len(y))")]
    assert "einsum" in texts and "print" in texts and "len" in texts
    assert "y" not in texts and "a" not in texts


def test_soft_keywords_used_as_names_are_renamed_like_names():
    before = [t.text for t in normalise_code("for key, case in cases.items():\n    match = case")]
    after = [t.text for t in normalise_code("for k, c in cs.items():\n    m = c")]
    assert before == after


def test_magics_and_broken_cells_still_give_fingerprints():
    cell = "%matplotlib inline\n!pip install torch\nx = compute(a, b, c, d)\ny = (x +"
    assert normalise_code(cell)


def test_winnowing_guarantees_every_long_match_is_seen():
    rng = random.Random(0)
    hashes = [rng.getrandbits(32) for _ in range(400)]
    kept = set(winnow(hashes, CODE_WINDOW))
    for start in range(len(hashes) - CODE_WINDOW + 1):
        assert kept & set(range(start, start + CODE_WINDOW))


def test_cell_order_does_not_change_fingerprints():
    cells = [ORIGINAL, "for k in range(10):\n    total = total + k * k\n    print(total)"]
    forward = {p.hash for p in code_prints(cells)}
    backward = {p.hash for p in code_prints(cells[::-1])}
    assert forward == backward and len(forward) >= 3
    assert CODE_K + CODE_WINDOW - 1 <= 13


def test_paraphrased_text_keeps_most_shingles():
    rng = random.Random(5)
    text = sc.paragraph(rng, 6)
    before = {p.hash for p in text_prints([text])}
    after = {p.hash for p in text_prints([sc.paraphrase(text, rng)])}
    assert len(before & after) / len(after) > 0.4
    other = {p.hash for p in text_prints([sc.paragraph(rng, 6)])}
    assert len(before & other) / len(other) < 0.1


# --- input and output ----------------------------------------------------------------------


def test_student_content_is_escaped(tmp_path, release):
    cells = json.loads(release.read_text())["cells"]
    hostile = sc.independent("h1", "concat", cells, random.Random(1))
    own = sc.own_code(random.Random(2), 40)
    attack = "print('</pre><script>alert(1)</script><img src=x onerror=1>')"
    hostile.cells.append(("code", attack + "\n" + own))
    prose = sc.paragraph(random.Random(4), 8)
    hostile.report = [prose.replace(". ", ". <script>alert(2)</script> ", 1)]
    twin = sc.Student("h2", list(hostile.cells), list(hostile.report))
    for student in (hostile, twin, sc.independent("h3", "split", cells, random.Random(3))):
        sf.write_collected(student, tmp_path / "in", pdf=False)  # ReportLab would drop tags
    result = run([tmp_path / "in"], tmp_path / "out", release=[release])
    page = result.page.read_text(encoding="utf-8")
    assert "<script>" not in page and "onerror=1>" not in page
    assert "&lt;script&gt;alert(1)" in page and "&lt;script&gt;alert(2)" in page
    assert {"code", "text"} <= {e.kind for e in result.findings.pairs[("h1", "h2")]}


def test_bundle_zips_and_loose_notebooks_are_read(tmp_path, release, monkeypatch):
    # the bundles a killed run unpacked
    temporary = temporary_after_a_killed_run(tmp_path, monkeypatch, "grader-similarity-")
    toml = student_folder(
        tmp_path / "src", student_id="CS21B001", projects=1, extra_toml="[course]\nprojects = 1"
    )
    zip_path = bundle.build_bundle(toml, tmp_path / "inbox").zip_path
    notebook = tmp_path / "inbox" / "CS21B002.ipynb"
    shutil.copy(release, notebook)
    result = run([zip_path, notebook], tmp_path / "out", release=[release])
    assert result.students == 2
    assert result.csv.read_text().startswith("student_a,student_b,shared,score,detail")
    assert not list(temporary.glob("grader-similarity-*"))  # the killed run's and this run's


def test_bad_input_says_what_to_do(tmp_path, release, capsys):
    with pytest.raises(UserError, match="no such file"):
        run([tmp_path / "nowhere"], tmp_path / "out")
    lonely = tmp_path / "one.ipynb"
    shutil.copy(release, lonely)
    with pytest.raises(UserError, match="at least two students"):
        run([lonely], tmp_path / "out")
    assert main(["similarity", str(lonely), str(lonely), "--out", str(tmp_path / "o")]) == 2
    assert "several hand-ins for one student" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    code = main(["similarity", str(lonely), "--out", str(tmp_path / "o"), "--against", "file"])
    assert code == 2


def test_unreadable_files_are_noted_not_fatal(tmp_path, release):
    cells = json.loads(release.read_text())["cells"]
    for n in range(3):
        sf.write_collected(sc.independent(f"u{n}", "concat", cells, random.Random(n)), tmp_path)
    (tmp_path / "u0" / "project1" / "broken.ipynb").write_text("{not json")
    (tmp_path / "u1" / "project1" / "report.pdf").write_bytes(b"%PDF-1.4 broken")
    report_pdf(tmp_path / "u2" / "extra.pdf")
    result = run([tmp_path], tmp_path / "out", release=[release])
    notes = " ".join(result.findings.notes)
    assert "broken.ipynb is not a readable notebook" in notes
    assert "no text could be read" in notes


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
def test_page_renders_in_a_real_browser(result, tmp_path):
    shot = tmp_path / "page.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1300,2400",
            result.page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    with Image.open(shot) as image:
        colours = image.convert("RGB").resize((130, 240)).getcolors(130 * 240)
    assert colours and len(colours) > 20  # text, tables, highlights: not a blank page


def test_page_meets_wcag_aa_and_reflows_on_a_phone(result):
    """axe-core's WCAG 2.0/2.1 A and AA rules find nothing on the page of a class with every
    kind of flag; at 320 CSS px it does not scroll sideways (issue 54)."""
    from axe_kit import sideways_scroll, violations
    from web_kit import CHROMIUM, CHROMIUM_ARGS

    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(result.page.as_uri())
        found = violations(page)
        page.set_viewport_size({"width": 320, "height": 640})
        wide = sideways_scroll(page)
        browser.close()
    assert not found, "\n".join(found)
    assert wide == 0


def test_real_notebooks_by_different_authors_are_not_flagged_and_a_copy_of_one_is(tmp_path):
    notebooks = corpus_notebooks()
    result = run(notebooks, tmp_path / "alone")
    assert result.flagged_pairs == 0, result.csv.read_text()
    # A student hands in one of them with the names changed, against the corpus as public work.
    source = json.loads(notebooks[1].read_text(encoding="utf-8"))
    rng = random.Random(8)
    for cell in source["cells"]:
        if cell["cell_type"] == "code":
            try:
                cell["source"] = sc.renamed("".join(cell["source"]), rng)
            except (SyntaxError, tokenize.TokenError):
                continue  # a cell of magics stays as it is
    copy = tmp_path / "CS21B099.ipynb"
    copy.write_text(json.dumps(source), encoding="utf-8")
    mine = tmp_path / "CS21B100.ipynb"
    mine.write_text(sf.notebook_json(sc.own_cells(random.Random(2)), None), encoding="utf-8")
    result = run([copy, mine], tmp_path / "copied", against=[CORPUS])
    public = f"public:{notebooks[1].name}"
    assert ("CS21B099", public) in result.findings.pairs
    assert not any(b == public for a, b in result.findings.pairs if a == "CS21B100")


def test_csv_cells_cannot_become_spreadsheet_formulas(tmp_path):
    cells = sc.own_cells(random.Random(5), 6)
    for name in ("=HYPERLINK(1)", "plain"):
        (tmp_path / f"{name}.ipynb").write_text(sf.notebook_json(cells, None), encoding="utf-8")
    result = run(sorted(tmp_path.glob("*.ipynb")), tmp_path / "out")
    rows = result.csv.read_text(encoding="utf-8").splitlines()[1:]
    assert rows and all(row.startswith("'=HYPERLINK(1)") for row in rows)


@pytest.mark.parametrize("size", [5, 9, 12])
def test_a_small_class_can_flag_its_one_planted_copy(release, tmp_path, size):
    """A small class whose students all write the gates alike (one style): its share threshold
    can be met (a share is at most 1; under 10 students the floors alone decide, as the README
    says), so its one renamed copy is flagged. Before, 5 such students gave a threshold of
    1.949 and nothing could be flagged."""
    cells = json.loads(release.read_text())["cells"]
    students = [
        sc.independent(f"s{n:02d}", "loops", cells, random.Random(n)) for n in range(size - 1)
    ]
    copier = sc.independent("c_copy", "loops", cells, random.Random(99))
    sc.plant_renamed_copy(copier, students[0], random.Random(3))
    inbox = tmp_path / "submissions"
    for student in [*students, copier]:
        sf.write_collected(student, inbox, pdf=False)
    result = run([inbox], tmp_path / "out", release=[release])
    assert result.students == size
    for calibration in result.findings.calibrations:
        if calibration.kind.endswith("share"):
            assert calibration.floor <= calibration.threshold <= 1.0, calibration.explain()
    assert "code" in _flagged(result).get(("c_copy", "s00"), set())
