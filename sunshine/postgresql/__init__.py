"""PostgreSQL backend of 阳光村务: Django's, with deadlines for web processes (see ``base``)."""
