"""Flask extensions, created once here and bound to an app in create_app."""

import json

import flask_smorest
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from backend.requestbody import BodyParser

# Named constraints so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class ErrorSchema(Schema):
    """The one error shape every endpoint answers with (see backend/errors.py)."""

    code = fields.String(required=True, metadata={"description": "Stable error code, e.g. slot_taken"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status, repeated"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        metadata={
            "description": 'For validation errors: the fields at fault by location, e.g. {"json": {"starts_at": ["…"]}}'
        }
    )


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing bodies with BodyParser (no body answers a 500)."""

    ARGUMENTS_PARSER = BodyParser()

    def _set_pagination_metadata(self, page_params, result, headers):
        """flask-smorest's X-Pagination, with `total_capped` when the total was not counted to the end.

        backend.pagination.page_of sets the flag; the header is declared in document_pagination_header.
        """
        if headers is None:
            headers = {}
        metadata = self._make_pagination_metadata(page_params.page, page_params.page_size, page_params.item_count)
        if getattr(page_params, "total_capped", False):
            metadata["total_capped"] = True
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
        return result, headers


class DoorstepApi(flask_smorest.Api):
    """flask-smorest's Api, documenting the error shape the app really sends."""

    ERROR_SCHEMA = ErrorSchema

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register a blueprint; only the project's Blueprint, so every body goes through BodyParser."""
        if not isinstance(blp, Blueprint):
            raise TypeError(
                f"Blueprint {blp.name!r} must be backend.extensions.Blueprint (its parser reads bodies safely)."
            )
        super().register_blueprint(blp, parameters=parameters, **options)


api = DoorstepApi()
babel = Babel()
# No limit unless a view declares one (only the views that test a password do).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
