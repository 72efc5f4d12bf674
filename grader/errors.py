"""The one exception type for input a user can fix."""


class UserError(Exception):
    """Bad input from a user: the message says what is wrong and what to do.

    The CLI prints it without a traceback and exits 2.
    """
