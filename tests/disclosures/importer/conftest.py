# Until disclosures/admin.py imports the import admin (the lead adds that line), the tests register
# it themselves, before the URLconf is first loaded.
import disclosures.import_admin  # noqa: F401
