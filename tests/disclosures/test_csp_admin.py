"""Content-Security-Policy on admin pages: the header is there and no admin page needs what it forbids."""

from disclosures.models import Revision
from tests.disclosures.helpers import IDS, draft_roster, entry, published_roster
from tests.project.test_csp import assert_clean_html, assert_strict


def test_admin_pages_have_the_policy_and_need_nothing_it_forbids(client, world, categories, crew, county_admin):
    clerk, reviewer, discipline = crew
    published = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    draft = draft_roster(clerk, world.v1, categories["dibao"], period="2026-11")
    revision = Revision.objects.filter(disclosure=draft).get()
    paths = {
        clerk: [
            "/admin/",
            "/admin/disclosures/disclosure/",
            f"/admin/disclosures/disclosure/{draft.pk}/change/",
            f"/admin/disclosures/revision/{revision.pk}/change/",
            "/admin/disclosures/disclosure/add/",
            "/admin/complaints/complaint/",
            "/admin/complaints/complaint/intake/",
        ],
        county_admin: [
            "/admin/",
            f"/admin/disclosures/disclosure/{published.pk}/change/",
            "/admin/disclosures/anomalyreport/",
            "/admin/disclosures/townshipreport/",
            "/admin/disclosures/category/",
            f"/admin/disclosures/category/{categories['dibao'].pk}/change/",
        ],
    }
    for user, urls in paths.items():
        client.force_login(user)
        for path in urls:
            response = client.get(path)
            assert response.status_code == 200, (user, path, response.status_code)
            assert_strict(response, path)
            assert_clean_html(response.content.decode(), path)
    client.logout()
    login = client.get("/admin/login/")
    assert_strict(login, "/admin/login/")
    assert_clean_html(login.content.decode(), "/admin/login/")
