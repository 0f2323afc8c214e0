"""User B tries to list, read, change and delete user A's objects through the API and the pages: every
attempt is a 404 and changes nothing. The whole matrix runs twice: with the application's scoping
(`for_user`) and with that scoping switched off, where row-level security alone must hold."""

import pytest

from tests.isolation.resources import RESOURCES

pytestmark = pytest.mark.django_db


@pytest.fixture(params=RESOURCES, ids=lambda r: r.name)
def resource(request):
    return request.param


@pytest.fixture
def a_obj(resource, user_a):
    return resource.make(user_a)


@pytest.fixture
def b_api(api, user_b):
    return api(user_b)


@pytest.fixture
def b_pages(pages, user_b):
    return pages(user_b)


def assert_404_and_unchanged(response, resource, obj, before):
    assert response.status_code == 404, (response.status_code, response.content[:300])
    assert resource.snapshot(obj) == before


# --- the control: the matrix is not vacuous --------------------------------------------------------

def test_owner_reaches_own_object(layers, resource, a_obj, api, pages, user_a):
    assert api(user_a).get(resource.api_detail(a_obj)).status_code == 200
    listed = api(user_a).get(resource.api_collection(a_obj)).json()["results"]
    assert str(a_obj.pk) in {row["id"] for row in listed}
    if resource.page_detail:
        assert pages(user_a).get(resource.page_detail(a_obj)).status_code == 200


# --- API -------------------------------------------------------------------------------------------

def test_api_list_hides_other_users_objects(layers, resource, a_obj, b_api, user_b):
    b_obj = resource.make(user_b)
    response = b_api.get(resource.api_collection(b_obj))
    assert response.status_code == 200
    assert str(a_obj.pk) not in {row["id"] for row in response.json()["results"]}
    if resource.api_collection(a_obj) != resource.api_collection(b_obj):  # nested under A's parent
        assert b_api.get(resource.api_collection(a_obj)).status_code == 404


def test_api_read_is_404(layers, resource, a_obj, b_api):
    before = resource.snapshot(a_obj)
    assert_404_and_unchanged(b_api.get(resource.api_detail(a_obj)), resource, a_obj, before)


@pytest.mark.parametrize("method", ["patch", "put"])
def test_api_update_is_404(layers, resource, a_obj, b_api, method):
    before = resource.snapshot(a_obj)
    response = getattr(b_api, method)(resource.api_detail(a_obj), resource.update, format="json")
    assert_404_and_unchanged(response, resource, a_obj, before)


def test_api_delete_is_404(layers, resource, a_obj, b_api):
    before = resource.snapshot(a_obj)
    assert_404_and_unchanged(b_api.delete(resource.api_detail(a_obj)), resource, a_obj, before)


@pytest.mark.parametrize("nested", [r for r in RESOURCES if r.nested], ids=lambda r: r.name)
def test_api_create_inside_other_users_parent_is_404(layers, nested, user_a, b_api):
    """(What B creates in a top-level collection is B's own: the API tests cover that.)"""
    a_obj = nested.make(user_a)
    model = type(a_obj)
    count = model._base_manager.count()
    response = b_api.post(nested.api_collection(a_obj), nested.create, format="json")
    assert response.status_code == 404
    assert model._base_manager.count() == count


# --- pages -----------------------------------------------------------------------------------------

def test_page_read_is_404(layers, resource, a_obj, b_pages):
    before = resource.snapshot(a_obj)
    for url in filter(None, [resource.page_detail, resource.page_edit, resource.page_delete]):
        assert_404_and_unchanged(b_pages.get(url(a_obj)), resource, a_obj, before)


def test_page_edit_is_404(layers, resource, a_obj, b_pages):
    before = resource.snapshot(a_obj)
    assert_404_and_unchanged(b_pages.post(resource.page_edit(a_obj), resource.page_form), resource, a_obj, before)


def test_page_delete_is_404(layers, resource, a_obj, b_pages):
    before = resource.snapshot(a_obj)
    assert_404_and_unchanged(b_pages.post(resource.page_delete(a_obj)), resource, a_obj, before)


@pytest.mark.parametrize("nested", [r for r in RESOURCES if r.page_create], ids=lambda r: r.name)
def test_page_create_inside_other_users_parent_is_404(layers, nested, user_a, b_pages):
    a_obj = nested.make(user_a)
    model = type(a_obj)
    count = model._base_manager.count()
    assert b_pages.get(nested.page_create(a_obj)).status_code == 404
    assert b_pages.post(nested.page_create(a_obj), nested.page_form).status_code == 404
    assert model._base_manager.count() == count
