"""Reading JSON request bodies so that no body, however odd, answers a 500.

Python's JSON parser accepts text that the rest of the app cannot hold: integers longer than
4,300 digits raise ValueError (not JSONDecodeError, which is all webargs catches), nesting
deeper than the interpreter's recursion limit raises RecursionError, and a lone UTF-16
surrogate (`"\\ud800"`) parses into a str that UTF-8 cannot encode (argon2, the database and
hashing all fail on it). The app's JSON provider turns the first two into a ValueError that
says what is wrong (so `request.get_json()` anywhere answers 400), and the body parser every
flask-smorest blueprint uses answers 400 in the one error shape for all three, naming the field
that holds a surrogate.
"""

import json

from flask import current_app
from flask.json.provider import DefaultJSONProvider
from marshmallow import fields
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

LONE_SURROGATE = "Contains a lone UTF-16 surrogate (half a character), which is not text."
NUL_CHARACTER = "Contains a NUL character, which no text may hold."


class UnreadableJSON(ValueError):
    """A body that is JSON by the grammar but cannot be read into Python values."""


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, failing with a ValueError that names the problem for bodies Python cannot hold."""

    def loads(self, s, **kwargs):
        """Parse JSON text; numbers too long for an int and nesting too deep raise UnreadableJSON."""
        try:
            return super().loads(s, **kwargs)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise
        except RecursionError:
            raise UnreadableJSON("The JSON is nested too deeply.") from None
        except ValueError:  # the only other ValueError the parser raises: int() refusing > 4,300 digits
            raise UnreadableJSON("A number in the JSON has too many digits.") from None


# The constraint every request's text is held to (see BodyParser.pre_load), published so a client
# or a fuzzer knows a NUL is refused rather than finding out from a 400.
STORABLE_TEXT_PATTERN = "^[^\\u0000]*$"


def document_storable_text(api):
    """Publish, on every request text field without a pattern of its own, that it may not hold NUL."""

    def storable(_converter, field, ret, **_kwargs):
        if not isinstance(field, fields.String) or field.dump_only:
            return {}
        if any(key in ret for key in ("pattern", "enum", "format")):
            return {}
        return {"pattern": STORABLE_TEXT_PATTERN}

    api.ma_plugin.converter.add_attribute_function(storable)


def has_lone_surrogate(value) -> bool:
    """Return whether `value` is a str that UTF-8 cannot encode (it holds half a surrogate pair)."""
    if not isinstance(value, str) or value.isascii():
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return False


def surrogate_errors(schema, data) -> dict:
    """Return marshmallow-shaped errors for text fields in `data` holding a lone surrogate.

    Only fields that declare text are checked (String and its kinds, through Nested and List):
    free-form fields (Dict, Raw) are their consumer's to check, e.g. each sync op on its own.
    """
    if not isinstance(data, dict):
        return {}
    errors = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        if key in data:
            found = _field_errors(field, data[key])
            if found:
                errors[key] = found
    return errors


def text_problem(value) -> str | None:
    """Return why a str cannot be stored as text (half a surrogate pair, or NUL: PostgreSQL refuses it), else None."""
    if has_lone_surrogate(value):
        return LONE_SURROGATE
    if isinstance(value, str) and "\x00" in value:
        return NUL_CHARACTER
    return None


# The fields `_field_errors` looks into; a list of anything else (e.g. the sync's free-form ops) is skipped whole.
_MAY_HOLD_TEXT = (fields.String, fields.Nested, fields.List)


def _field_errors(field, value):
    if isinstance(field, fields.String):
        problem = text_problem(value)
        return [problem] if problem else None
    if isinstance(field, fields.Nested):
        if field.many and isinstance(value, list):
            return _list_errors(lambda item: surrogate_errors(field.schema, item), value)
        return surrogate_errors(field.schema, value) or None
    if isinstance(field, fields.List) and isinstance(value, list) and isinstance(field.inner, _MAY_HOLD_TEXT):
        return _list_errors(lambda item: _field_errors(field.inner, item), value)
    return None


def _list_errors(check, items):
    return {i: found for i, item in enumerate(items) if (found := check(item))} or None


class BodyParser(FlaskParser):
    """webargs' Flask parser, answering 400 in the one error shape for any JSON body it cannot read."""

    def load_json(self, req, schema):
        """Return the parsed JSON body (missing when there is none); 400 when it cannot be read."""
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw:
            return core.missing
        try:
            return current_app.json.loads(raw)
        except UnreadableJSON as error:
            problem = str(error)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            problem = "Not valid JSON."
        abort(400, messages={"json": [problem]}, code="malformed_json", message="The request body is not valid JSON.")

    def pre_load(self, location_data, *, schema, req, location):
        """Refuse text holding lone surrogates or NUL before the schema loads it (body and query)."""
        if location == "json":
            errors = surrogate_errors(schema, location_data)
        elif location == "query":
            errors = {
                key: [problem]
                for key in location_data
                if (problem := next(filter(None, map(text_problem, location_data.getlist(key))), None))
            }
        else:
            errors = {}
        if errors:
            abort(400, messages={location: errors}, code="invalid_text", message="Some text cannot be stored.")
        return location_data
