"""Import and export of the staff case list; included under /staff/cases/ by the cases URLs.

Include these before any `<str:…>/` pattern of that prefix, so `import/` is not taken for one.
"""

from django.urls import path

from jiceng.cases import views_transfer

urlpatterns = [
    path("import/", views_transfer.import_page, name="case_import"),
    path("import/template.csv", views_transfer.import_template, name="case_import_template"),
    path("export/", views_transfer.export, name="case_export"),
]
