from flask_smorest import Blueprint

from tracker.api_support import authenticate

blp = Blueprint("journeys_api", __name__, description="journeys")
blp.before_request(authenticate)
