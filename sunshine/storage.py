from django.core.files.storage import storages


def private_storage():
    """Storage for rosters and complaint photos: never served directly, only through permission-checking views."""
    return storages["private"]
