"""Scratch folders (:mod:`grader.scratch`): a killed run's is removed by the next run of its
kind; one whose run goes on is never touched, nor another kind's."""

from __future__ import annotations

from scratch_kit import holding, killed_runs_folder

from grader.scratch import Scratch


def test_a_killed_runs_folder_goes_at_the_next_run_and_a_running_ones_stays(tmp_path):
    left = killed_runs_folder(tmp_path, ".collect-")
    other, others = holding(tmp_path, "grader-bundles-")  # another kind: leaves it
    assert left.is_dir()
    running, kept = holding(tmp_path, ".collect-")  # the next run of its kind removes it
    try:
        assert not left.exists()
        with Scratch(tmp_path, ".collect-") as ours:
            assert ours.is_dir() and ours != kept
            assert kept.is_dir() and others.is_dir()  # their runs go on
        assert not ours.exists()
    finally:
        for process in (running, other):
            process.kill()
            process.wait(30)
    with Scratch(tmp_path, ".collect-") as again:
        assert not kept.exists() and others.is_dir() and again.is_dir()
