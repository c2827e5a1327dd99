"""Call-step greetings: time-of-day and New Year wording (rules as data), and filling the standard scripts.

Import from here: ``greeting_for``, ``greeting_rules``, ``greeting_ids``, ``new_year_window``,
``customer_title``, ``addressed_as``, ``check_script``, ``fill_script``.
"""

from backend.greetings.greeting import greeting_for, greeting_ids, greeting_rules, new_year_window
from backend.greetings.scripts import PLACEHOLDERS, addressed_as, check_script, customer_title, fill_script

__all__ = [
    "PLACEHOLDERS",
    "addressed_as",
    "check_script",
    "customer_title",
    "fill_script",
    "greeting_for",
    "greeting_ids",
    "greeting_rules",
    "new_year_window",
]
