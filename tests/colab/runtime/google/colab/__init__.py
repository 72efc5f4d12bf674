"""Colab's ``google.colab`` as far as the self-check reaches into it: ``_message``."""
