"""Reading what the grader is given: JSON, TOML and the package's files."""
