# One image for the console and the workers:
#   web:     the default command (migrates, then serves on :8000)
#   workers: python manage.py qcluster
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUIDES_DATA_DIR=/data \
    GUIDES_CONTENT_ROOT=/content

WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY guides_processor ./guides_processor
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir -e . \
    && DJANGO_SECRET_KEY=collectstatic-only GUIDES_DATA_DIR=/tmp/build python manage.py collectstatic --noinput \
    && rm -rf /tmp/build \
    && useradd --create-home --uid 10001 guides \
    && mkdir -p /data /content \
    && chown guides:guides /data /content

USER guides
VOLUME ["/data"]
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && exec waitress-serve --listen=0.0.0.0:8000 --threads=8 guides_processor.wsgi:application"]
