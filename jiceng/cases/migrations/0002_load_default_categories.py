from django.db import migrations


def load_defaults(apps, schema_editor):
    from jiceng.cases.default_categories import load

    load(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_cases_timeline_replies_feedback_escalations")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
