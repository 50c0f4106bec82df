"""Production entry point: gunicorn wsgi:app"""

from orders import create_app

app = create_app()
