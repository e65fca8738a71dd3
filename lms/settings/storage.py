"""Where uploaded media files are stored: an S3-compatible bucket when
``AWS_STORAGE_BUCKET_NAME`` is set, otherwise ``MEDIA_ROOT`` on the local disk.

Part of the settings of every environment: ``base.py`` imports it (and builds ``STORAGES``
from ``_media_storage``); ``security.py`` lets pages load media from the bucket.
"""

import environ

env = environ.Env()

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Never publicly listable or readable: every file is served through a
            # short-lived presigned URL.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
