# One image for the identity server, both shops and the events worker; scripts/entrypoint.sh
# picks the project. Build with the host's network (docker build --network host, or compose's
# build: {network: host}): pip reaches PyPI through it.
FROM python:3.13-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
# The locked dependencies first: their layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY shared_settings/ shared_settings/
COPY shared_client/ shared_client/
COPY project_a/pyproject.toml project_a/
COPY project_a/shop/ project_a/shop/
COPY project_a/config/ project_a/config/
RUN pip install --no-cache-dir --no-deps -e shared_settings -e shared_client -e project_a
# The servers run as an unprivileged user. The folders volumes are mounted on belong to it, so
# a new named volume starts out writable by it (docker copies the owner of the image's folder).
RUN useradd --system --uid 10001 --home-dir /app app \
 && mkdir -p /app/var /certs /trust && chown app /app/var /certs /trust
COPY . .
USER app
ENTRYPOINT ["scripts/entrypoint.sh"]
