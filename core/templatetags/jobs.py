from django import template

from core import jobs

register = template.Library()


@register.inclusion_tag("core/jobs_dashboard.html")
def jobs_dashboard():
    """The background jobs block of the admin index: queues, failures, workers."""
    return jobs.dashboard()
