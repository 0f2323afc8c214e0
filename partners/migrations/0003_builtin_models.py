from django.db import migrations


def register_builtin_models(apps, schema_editor):
    from partners import insights

    PredictionModel = apps.get_model("partners", "PredictionModel")
    for model in insights.REGISTRY.values():
        PredictionModel.objects.get_or_create(
            name=model.name, version=model.version,
            defaults={"description": model.description, "status": "active", "metadata": {"builtin": True}},
        )


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_row_level_security")]
    operations = [migrations.RunPython(register_builtin_models, migrations.RunPython.noop)]
