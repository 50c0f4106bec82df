"""Production entry point: gunicorn wsgi:app

Without PORTAL_ENV, the app served here runs under the production rules (a real SECRET_KEY,
secure cookies, an https base URL); `flask run` is for development.
"""

import os

from orders import create_app

os.environ.setdefault("PORTAL_ENV", "production")
app = create_app()
