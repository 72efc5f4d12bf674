"""The sandbox's limits, generated from grader.limits by `python -m
grader.engine.walls.sandbox_limits`: do not edit. The sandbox imports only the standard
library, so it reads them here; tests/test_limits.py fails when this copy is not what
grader.engine.walls.sandbox_limits generates."""

WIRE_MAX_DEPTH = 8  # grader.limits.WIRE.max_depth
WIRE_MAX_DIMENSIONS = 32  # grader.limits.WIRE.max_dimensions
WIRE_MAX_ITEMS = 65536  # grader.limits.WIRE.max_items
ORDER_BYTES = 53477376  # grader.limits.SANDBOX.order_bytes
CALL_BYTES = 67108864  # grader.limits.SANDBOX.call_bytes
ERROR_CHARS = 2000  # grader.limits.SANDBOX.error_chars
FORK_ATTEMPTS = 20  # grader.limits.SANDBOX.fork_attempts
SHARED_CELLS_BYTES = 196608  # grader.limits.SANDBOX.shared_cells_bytes
REQUEST_BYTES = 65536  # grader.limits.SANDBOX.request_bytes
REQUEST_FDS = 16  # grader.limits.SANDBOX.request_fds
USER_NAMESPACES = 64  # grader.limits.SANDBOX.user_namespaces
HUGE_PAGES_FROM_FORK = 8  # grader.limits.SANDBOX.huge_pages_from_fork
TRACE_CALLS = 200  # grader.limits.SANDBOX.trace_calls
FORBIDDEN_MAX_NAMES = 64  # grader.limits.FORBIDDEN.max_names
READ_NUMBERS = 4096  # grader.limits.SANDBOX.read_numbers
GPU_PLACES = 50  # grader.limits.SANDBOX.gpu_places
