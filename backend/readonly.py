"""Views that only read: run them without a transaction on PostgreSQL (autocommit)."""

from functools import wraps

from sqlalchemy import Engine

from backend.extensions import db


def read_without_transaction():
    """Bind the session to an autocommit connection, unless it already holds one or a transaction.

    A read-only view's statements need no common snapshot, and BEGIN and ROLLBACK were two of the
    agenda's four round trips to the database. The connection is back in transactional mode when
    it returns to the pool. A session already bound to a connection (tests) is left as it is.
    """
    bind = db.session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def reads_only(view):
    """Mark a view that only reads: it runs without a transaction on PostgreSQL.

    The mark is read by the before-request login check too, which queries the user before the
    view runs (and would otherwise open the transaction the view avoids).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        read_without_transaction()
        return view(*args, **kwargs)

    wrapper._reads_only = True
    return wrapper
