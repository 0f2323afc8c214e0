# The application image: gunicorn serving config.wsgi, static files collected at build (whitenoise
# serves them). Build: docker build -t supa-monolith .   Run: see compose.yaml and docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENVIRONMENT=production

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app

# Dependencies first (a layer reused while only the code changes): the package list is pyproject.toml.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

COPY --chown=app:app . .
RUN mkdir -p var && chown app:app var
USER app

# Production settings need these to load; collectstatic connects to no database. Build-time values
# only: the container gets the real ones from its environment.
RUN SECRET_KEY=collectstatic-only SUPABASE_JWT_SECRET=collectstatic-only-collectstatic-only ALLOWED_HOSTS=build \
    DATABASE_URL=postgres://build@127.0.0.1:1/build \
    python manage.py collectstatic --no-input --verbosity 0

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
