"""The CSV download response, shared by the API endpoint and the staff page."""

from flask import Response, stream_with_context

from tracker.exports import research


def csv_response(export: research.Export) -> Response:
    """Stream the export as an attachment (the rows are made while it downloads)."""
    return Response(
        stream_with_context(research.csv_text(export)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{research.filename(export)}"'},
    )
