from flask_smorest import Blueprint

from tracker.api_support import authenticate

blp = Blueprint("patients_api", __name__, description="patients")
blp.before_request(authenticate)
