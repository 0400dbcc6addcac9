"""Thin smorest views over a ScopedResource: parse, call the service, serialise."""

from flask.views import MethodView

from .errors import ValidationFailed
from .schemas import page_schema
from .security import login_required, principal


def register_crud(blp, service, *, path, schema, query_schema, name, read_only=False):
    """Add list/create and get/update/delete endpoints for one resource to `blp`."""
    item_schema = schema()
    update_schema = schema(partial=True)
    page = page_schema(schema, f"{name}Page")
    label = service.label

    class Collection(MethodView):
        decorators = [login_required()]

        @blp.arguments(query_schema, location="query")
        @blp.response(200, page)
        def get(self, args):
            return service.list(principal(), args)

        get.__doc__ = f"List {label}s in your territory"

        if not read_only:

            @blp.arguments(item_schema)
            @blp.response(201, schema)
            def post(self, data):
                return service.create(principal(), data)

            post.__doc__ = f"Create a {label} (the client may choose its UUID)"

    class Item(MethodView):
        decorators = [login_required()]

        @blp.response(200, schema)
        def get(self, record_id):
            return service.get(principal(), record_id)

        get.__doc__ = f"Get one {label}"

        if not read_only:

            @blp.arguments(update_schema)
            @blp.response(200, schema)
            def patch(self, data, record_id):
                if not data:
                    raise ValidationFailed(
                        "Send the fields to change; the body changed nothing.", {"_schema": ["No field to change."]}
                    )
                return service.update(principal(), record_id, data)

            patch.__doc__ = f"Change fields of a {label}; send `version` to refuse a stale update"

            @blp.response(204)
            def delete(self, record_id):
                service.delete(principal(), record_id)

            delete.__doc__ = f"Delete a {label}"

    Collection.__name__ = f"{name}Collection"
    Item.__name__ = f"{name}Item"
    blp.route(path)(Collection)
    blp.route(f"{path}/<uuid:record_id>")(Item)
