"""``python -m grader.limits``: print every limit."""

from grader.limits import main

raise SystemExit(main())
