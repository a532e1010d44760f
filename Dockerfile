# One image for the identity server and both shops; scripts/entrypoint.sh picks the project.
FROM python:3.13-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
COPY requirements.txt ./
COPY shared_settings/ shared_settings/
COPY shared_client/ shared_client/
COPY project_a/pyproject.toml project_a/
COPY project_a/shop/ project_a/shop/
COPY project_a/config/ project_a/config/
RUN pip install --no-cache-dir -r requirements.txt -e shared_settings -e shared_client -e project_a
COPY . .
ENTRYPOINT ["scripts/entrypoint.sh"]
