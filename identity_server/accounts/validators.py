"""Validators for uploaded files."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp"]


def validate_avatar_size(value: UploadedFile) -> None:
    """Refuse an avatar larger than 2 MB."""
    if value.size is not None and value.size > AVATAR_MAX_BYTES:
        raise ValidationError(
            "The picture is larger than 2 MB. Please choose a smaller one.", code="too_large"
        )
