"""Call-step greetings: time-of-day and New Year wording, and filling the standard scripts.

Import from here: ``greeting_for``, ``new_year_window``, ``customer_title``, ``fill_script``,
``script_values``.
"""

from backend.greetings.greeting import greeting_for, new_year_window
from backend.greetings.scripts import PLACEHOLDERS, customer_title, fill_script, script_values

__all__ = [
    "PLACEHOLDERS",
    "customer_title",
    "fill_script",
    "greeting_for",
    "new_year_window",
    "script_values",
]
