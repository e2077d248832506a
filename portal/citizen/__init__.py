"""Citizens: submit an appeal, follow it, rate the answer."""

from flask import Blueprint

bp = Blueprint("citizen", __name__)
