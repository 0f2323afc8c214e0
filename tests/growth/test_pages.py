"""The staff Growth page: staff only, its sections and charts, the spend CSV import (all or nothing)
and the on-demand rebuild; its statement count does not grow with the days shown."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from growth import services, tasks
from growth.models import MetricsDaily, Spend
from tests.growth.helpers import event, spend

pytestmark = pytest.mark.django_db
URL = "/admin/growth/"


@pytest.fixture
def staff(client):
    client.force_login(User.objects.create_user("staff", is_staff=True))
    return client


def csv_file(text: str):
    return SimpleUploadedFile("spend.csv", text.encode(), content_type="text/csv")


def test_only_staff_reach_it(client, user_a, pages):
    assert client.get(URL).status_code == 302 and "/admin/login/" in client.get(URL)["Location"]
    assert pages(user_a).get(URL).status_code == 302  # an end user's session is no staff login
    assert client.post(f"{URL}recompute/", {"start": "2026-03-01", "end": "2026-03-02"}).status_code == 302
    assert not MetricsDaily.objects.exists()


def test_the_page_shows_every_section(staff, user_a):
    today = timezone.now().date()
    services.record_events(user_a.pk, [
        event("session_start", at=f"{today}T08:00:00Z", props={"utm_source": "google", "utm_medium": "cpc"}),
        event("order_completed", at=f"{today}T08:05:00Z", props={"revenue_cents": 4200})])
    services.upsert_spend([spend(day=today.isoformat(), cents=2100)])
    tasks.refresh_rollups()
    html = staff.get(URL).content.decode()
    for testid in ("chart-revenue", "chart-orders", "chart-aov", "chart-cac", "chart-conversion", "chart-spend", "chart-cohorts", "chart-first-touch"):
        assert f'data-testid="{testid}"' in html
    assert "$42.00" in html and "$21.00" in html  # revenue; spend (and CAC: one new customer)
    assert 'id="chart-revenue-spec" type="application/json"' in html
    assert 'href="/admin/growth/"' in staff.get("/admin/").content.decode()


def test_a_bad_range_is_explained(staff):
    response = staff.get(URL, {"start": "2026-03-02", "end": "2026-03-01"})
    assert response.status_code == 200 and "The end is before the start." in response.content.decode()
    assert "Choose at most 366 days." in staff.get(URL, {"start": "2020-01-01", "end": "2026-03-01"}).content.decode()


def test_the_statement_count_does_not_grow_with_the_days(staff, user_a):
    def count(days):
        end = date(2026, 3, 1) + timedelta(days=days - 1)
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(URL, {"start": "2026-03-01", "end": end.isoformat()}).status_code == 200
        return len(queries)

    services.recompute(date(2026, 3, 1), date(2026, 3, 30))
    services.upsert_spend([spend(day=f"2026-03-{d:02}", platform=p) for d in range(1, 31) for p in ("a", "b")])
    assert count(1) == count(30)


def test_csv_import(staff):
    text = "platform,campaign_id,adset_id,date,spend_cents,clicks,impressions,conv\n" \
           "google,c1,,2026-03-01,1500,10,1000,1\nfacebook,c2,a1,2026-03-01,900,,,\n"
    response = staff.post(f"{URL}spend/import/", {"file": csv_file(text)}, follow=True)
    assert "2 new row(s)" in response.content.decode()
    assert Spend.objects.get(platform="facebook").clicks == 0
    response = staff.post(f"{URL}spend/import/", {"file": csv_file(text.replace("1500", "1600"))}, follow=True)
    assert "0 new row(s), 1 changed, 1 unchanged" in response.content.decode()


@pytest.mark.parametrize(("text", "says"), [
    ("platform,campaign_id,date,spend_cents\ngoogle,c1,2026-03-01,10\ngoogle,c1,2026-03-01,20\n", "Line 3: date: Repeats line 2."),
    ("platform,campaign_id,date,spend_cents\ngoogle,c1,2026-03-01,10\ngoogle,c2,2026-02-30,20\n", "Line 3: date: Not a real date or time."),
    ("platform,campaign_id,date,spend_cents\ngoogle,c1,2026-03-01,ten\n", "Line 2: spend_cents must be a whole number"),
    ("platform,date,spend_cents\ngoogle,2026-03-01,10\n", "The header lacks campaign_id."),
    ("platform,campaign_id,date,spend_cents,secret\ngoogle,c,2026-03-01,10,x\n", "Unknown column(s): secret."),
    ("platform,campaign_id,date,spend_cents\n", "The file has no rows."),
])
def test_a_bad_csv_imports_nothing(staff, text, says):
    response = staff.post(f"{URL}spend/import/", {"file": csv_file(text)}, follow=True)
    assert says in response.content.decode()
    assert not Spend.objects.exists()


def test_a_csv_over_one_batch_is_all_or_nothing(staff):
    lines = [f"google,c{i},2026-03-01,{i}" for i in range(1500)]
    lines[1200] = "google,c1200,2026-03-01,-5"
    response = staff.post(f"{URL}spend/import/", {"file": csv_file("platform,campaign_id,date,spend_cents\n" + "\n".join(lines))}, follow=True)
    assert "Line 1202: spend_cents must be a whole number" in response.content.decode()
    lines[1200] = "google,c1200,2026-03-01,5"
    staff.post(f"{URL}spend/import/", {"file": csv_file("platform,campaign_id,date,spend_cents\n" + "\n".join(lines))})
    assert Spend.objects.count() == 1500


def test_rebuild_a_range(staff, user_a):
    services.record_events(user_a.pk, [event("order_completed", at="2026-03-02T10:00:00Z", props={"revenue_cents": 100})])
    response = staff.post(f"{URL}recompute/", {"start": "2026-03-01", "end": "2026-03-03"}, follow=True)
    assert "rebuilt from 2026-03-01 to 2026-03-03: 3 day(s) changed" in response.content.decode()
    assert MetricsDaily.objects.get(day=date(2026, 3, 2)).orders == 1
    response = staff.post(f"{URL}recompute/", {"start": "2026-03-03", "end": "2026-03-01"}, follow=True)
    assert "The end is before the start." in response.content.decode()
