"""The course library importer and exporter: library folders ↔ course pages.

Importing is idempotent: pages are matched by slug (the course under the catalog, its
units, lessons and assessments anywhere in that course), changed only when their content
differs, and never duplicated. The whole import runs in one transaction and every block is
validated with the same rules as the editor, so a bad file leaves nothing half-imported
and the error names the file and the field.

Exporting writes the canonical form of the format; importing a canonical folder and
exporting it again gives back identical files.

The package holds ``importer`` (folders → pages), ``exporter`` (pages → folders) and
``streams``, the block data they share. Other apps reach it through ``courses.api``.
"""
