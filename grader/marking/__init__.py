"""Marking by people: rubric marks, written answers, blind marking."""
