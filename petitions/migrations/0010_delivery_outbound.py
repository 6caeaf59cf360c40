# Deliveries to external platforms; Standard Webhooks secrets, one per direction.

import django.db.models.deletion
import liaison.core.webhooks
import petitions.models
from django.db import migrations, models


def own_secrets(apps, schema_editor):
    # AddField gave every existing platform the same two defaults: each gets secrets of its own.
    ExternalPlatform = apps.get_model("petitions", "ExternalPlatform")
    for platform in ExternalPlatform.objects.all():
        platform.signing_secret = liaison.core.webhooks.new_secret()
        platform.callback_secret = liaison.core.webhooks.new_secret()
        platform.save(update_fields=["signing_secret", "callback_secret"])


class Migration(migrations.Migration):

    dependencies = [
        ('petitions', '0009_open_requests_by_point'),
    ]

    operations = [
        migrations.AddField(
            model_name='externalplatform',
            name='callback_secret',
            field=models.CharField(default=liaison.core.webhooks.new_secret, help_text="Verifies the platform's callbacks (whsec_…).", max_length=100, validators=[liaison.core.webhooks.validate_secret], verbose_name='callback secret'),
        ),
        migrations.AddField(
            model_name='externalplatform',
            name='previous_callback_secret',
            field=models.CharField(blank=True, help_text='Still accepted on callbacks while the platform moves to the new secret; clear it afterwards.', max_length=100, validators=[liaison.core.webhooks.validate_secret], verbose_name='previous callback secret'),
        ),
        migrations.AddField(
            model_name='externalplatform',
            name='previous_signing_secret',
            field=models.CharField(blank=True, help_text='Also signs outgoing messages while the platform moves to the new secret; clear it afterwards.', max_length=100, validators=[liaison.core.webhooks.validate_secret], verbose_name='previous signing secret'),
        ),
        migrations.AddField(
            model_name='externalplatform',
            name='signing_secret',
            field=models.CharField(default=liaison.core.webhooks.new_secret, help_text='Signs what the portal sends to the platform (whsec_…).', max_length=100, validators=[liaison.core.webhooks.validate_secret], verbose_name='outbound signing secret'),
        ),
        migrations.AddField(
            model_name='externalplatform',
            name='subscription_ended_at',
            field=models.DateTimeField(blank=True, help_text='Set when the platform answered 410 Gone; clear it to send again.', null=True, verbose_name='subscription ended at'),
        ),
        migrations.RunPython(own_secrets, migrations.RunPython.noop),
        migrations.AddField(
            model_name='platformcallback',
            name='result',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='externalplatform',
            name='secret',
            field=models.CharField(blank=True, help_text='Deprecated: the old X-Liaison-* signature in both directions, kept for one release. Clear it once the platform uses the webhook-* headers.', max_length=128, verbose_name='legacy shared secret'),
        ),
        migrations.CreateModel(
            name='Delivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(editable=False, max_length=100, verbose_name='key')),
                ('message_id', models.CharField(default=petitions.models.new_message_id, editable=False, max_length=40, verbose_name='message id')),
                ('type', models.CharField(max_length=40, verbose_name='event type')),
                ('payload', models.JSONField(verbose_name='payload')),
                ('status', models.CharField(choices=[('pending', 'waiting to be sent'), ('sending', 'being sent'), ('delivered', 'delivered'), ('failed', 'failed, retries exhausted'), ('cancelled', 'no longer needed')], default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('next_attempt_at', models.DateTimeField(verbose_name='next attempt')),
                ('last_status_code', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='last answer')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                ('manual_retries', models.PositiveSmallIntegerField(default=0, verbose_name='retried by staff')),
                ('event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='petitions.petitionevent')),
                ('petition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='petitions.petition', verbose_name='request')),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='petitions.externalplatform', verbose_name='external platform')),
                ('timeline_entry', models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='petitions.petitionevent')),
            ],
            options={
                'verbose_name': 'delivery to a platform',
                'verbose_name_plural': 'deliveries to platforms',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='delivery_due')],
                'constraints': [models.UniqueConstraint(fields=('platform', 'key'), name='delivery_once'), models.UniqueConstraint(fields=('message_id',), name='delivery_message_id')],
            },
        ),
    ]
