"""Doorstep: the field-service backend. `create_app` is the application factory."""

import os

from flask import Flask, send_from_directory
from sqlalchemy import event

from backend.apifields import document_order_types
from backend.config import DefaultConfig, database_url, require_production_settings
from backend.errors import register_error_handlers
from backend.extensions import api, babel, db, migrate
from backend.i18n import select_locale
from backend.pagination import document_pagination_header
from backend.ratelimit import init_app as init_rate_limits
from backend.requestbody import JSONProvider, document_storable_text
from backend.visits.definitions import check_definitions

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config=None):
    """Create and configure the app; `config` overrides everything (tests use it)."""
    app = Flask(__name__, instance_relative_config=True, template_folder=os.path.join(PROJECT_ROOT, "templates"))
    app.json = JSONProvider(app)
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("DOORSTEP")
    if config:
        app.config.update(config)
    require_production_settings(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)

    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    init_rate_limits(app)
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    document_pagination_header(api)
    document_order_types(api)
    document_storable_text(api)
    from backend.visits.schemas import document_sync_ops

    document_sync_ops(api)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
        # A broken flow or tariff file stops the app here, naming the file and the field,
        # instead of failing every agenda and every visit-starting sync that reads it.
        check_definitions()

    register_error_handlers(app)
    with app.app_context():  # the spec reads configured data (the flow types) as blueprints register
        _register_blueprints(app)
    _register_cli(app)
    _register_plain_routes(app)
    from backend.observability import init_app as init_observability

    init_observability(app)
    from backend.auth.access import init_app as init_access

    init_access(app)  # after the request id is set: a 401 is logged with it
    from backend.security import init_app as init_security

    init_security(app)
    return app


def _import_models():
    """Import every model module so metadata (and Alembic) sees all tables."""
    from backend.aftercare import models as _aftercare  # noqa: F401
    from backend.auth import models as _auth  # noqa: F401
    from backend.booking import models as _booking  # noqa: F401
    from backend.customers import models as _customers  # noqa: F401
    from backend.forms import models as _forms  # noqa: F401
    from backend.messages import models as _messages  # noqa: F401
    from backend.reports import models as _reports  # noqa: F401
    from backend.visits import models as _visits  # noqa: F401
    from backend.workorders import models as _workorders  # noqa: F401


def _configure_sqlite(engine):
    """Make SQLite safe for several writers: WAL, a busy wait, and writes serialised.

    Every transaction starts with BEGIN IMMEDIATE, so a check-then-insert (a booking, an
    idempotent sync op) cannot interleave with another writer's; PostgreSQL instead relies on
    its constraints.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        # The wait first: switching to WAL takes a lock too, and a connection opened while
        # another writes must wait for it rather than fail with "database is locked".
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _register_blueprints(app):
    from backend.auth.views import blp as auth_blp

    api.register_blueprint(auth_blp)
    from backend.accounts.views import blp as accounts_blp
    from backend.booking.views import blp as booking_blp
    from backend.customers.views import blp as customers_blp
    from backend.workorders.views import blp as work_orders_blp

    for blp in (customers_blp, work_orders_blp, booking_blp, accounts_blp):
        api.register_blueprint(blp)
    from backend.visits.views import blp as visits_blp

    api.register_blueprint(visits_blp)
    from backend.aftercare.views import blp as aftercare_blp

    api.register_blueprint(aftercare_blp)
    from backend.callcentre.guide import intake_guide
    from backend.callcentre.views import blp as call_centre_blp

    intake_guide()  # a broken intake.yaml stops the app here, naming the file and the field
    api.register_blueprint(call_centre_blp)
    from backend.live.views import blp as live_blp

    api.register_blueprint(live_blp)
    from backend.messages.services import templates as message_templates
    from backend.messages.views import blp as messages_blp

    message_templates()  # a broken templates.yaml stops the app here, naming the file and the template
    api.register_blueprint(messages_blp)
    from backend.reports.views import blp as reports_blp

    api.register_blueprint(reports_blp)
    from backend.pwa import bp as pwa_bp

    app.register_blueprint(pwa_bp)
    from backend.forms import init_app as init_forms

    init_forms(app)


def _register_cli(app):
    from backend.auth.cli import user_cli

    app.cli.add_command(user_cli)
    from backend.forms.cli import forms_cli

    app.cli.add_command(forms_cli)
    from backend.aftercare.cli import cases_cli
    from backend.demo.cli import seed_demo_command

    app.cli.add_command(cases_cli)

    app.cli.add_command(seed_demo_command)
    from backend.reports.cli import reports_cli

    app.cli.add_command(reports_cli)

    @app.cli.command("worker")
    def worker_command():
        """Run an RQ worker for queued jobs (needs DOORSTEP_REDIS_URL)."""
        from backend.jobs import run_worker

        run_worker()


def _register_plain_routes(app):
    import swagger_ui_bundle

    @app.get("/api/v1/docs-assets/<path:filename>")
    def swagger_assets(filename):
        """Serve Swagger UI from the installed package: the docs page needs no CDN."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)
